"""Barriers, provisions, adjustments and outcomes: add, amend, end; pause and resume a provision; and progress
towards an outcome.

The four sections share one shape, so their routes are made by one function, each with its own schemas.
(No ``from __future__ import annotations`` here: FastAPI must see the real schema classes in the closures.)
"""

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from isp_ledger.api.deps import CurrentUser, LedgerDep, PlanId, WriteOptions
from isp_ledger.api.responses import written
from isp_ledger.api.schemas import (
    AdjustmentCreate,
    AdjustmentPatch,
    BarrierCreate,
    BarrierPatch,
    Decision,
    End,
    OutcomeCreate,
    OutcomePatch,
    Pause,
    ProgressCreate,
    ProvisionCreate,
    ProvisionPatch,
    Resume,
    WriteResponse,
)
from isp_ledger.domain.sections import SECTIONS

router = APIRouter(prefix="/v1/plans", tags=["sections"])


def _fields(body: Decision, *, only_given: bool) -> dict[str, Any]:
    fields = body.model_dump(mode="json", exclude_unset=only_given)
    fields.pop("agreed_on", None)
    fields.pop("reason", None)
    return fields


def add_section_routes(name: str, create: Any, patch: Any) -> None:  # Any: classes made at import, not types
    section = SECTIONS[name]

    def add(plan_id: PlanId, body: create, user: CurrentUser, ledger: LedgerDep,
            options: WriteOptions) -> JSONResponse:
        result = ledger.commands.add_item(user, plan_id, name, _fields(body, only_given=False),
                                          agreed_on=body.agreed_on, reason=body.reason, **options)
        return written(result)

    def amend(plan_id: PlanId, item_id: str, body: patch, user: CurrentUser,
              ledger: LedgerDep, options: WriteOptions) -> JSONResponse:
        result = ledger.commands.amend_item(user, plan_id, name, item_id, _fields(body, only_given=True),
                                   agreed_on=body.agreed_on, reason=body.reason, **options)
        return written(result)

    def end(plan_id: PlanId, item_id: str, body: End, user: CurrentUser, ledger: LedgerDep,
            options: WriteOptions) -> JSONResponse:
        result = ledger.commands.end_item(user, plan_id, name, item_id, reason=body.reason, outcome=body.outcome,
                                 agreed_on=body.agreed_on, **options)
        return written(result)

    common: dict[str, Any] = {"response_model": WriteResponse, "tags": [name]}
    router.add_api_route(f"/{{plan_id}}/{name}", add, methods=["POST"], status_code=201,
                         summary=f"Add a {section.noun}", name=f"add_{section.noun}", **common)
    router.add_api_route(f"/{{plan_id}}/{name}/{{item_id}}", amend, methods=["PATCH"],
                         summary=f"Amend a {section.noun} (only the fields given)", name=f"amend_{section.noun}",
                         **common)
    router.add_api_route(f"/{{plan_id}}/{name}/{{item_id}}/end", end, methods=["POST"],
                         summary=f"End a {section.noun} ({section.noun} {section.ended_verb})",
                         name=f"end_{section.noun}", **common)
    if section.paused:
        add_pause_routes(name)


def add_pause_routes(name: str) -> None:
    section = SECTIONS[name]

    def pause(plan_id: PlanId, item_id: str, body: Pause, user: CurrentUser, ledger: LedgerDep,
              options: WriteOptions) -> JSONResponse:
        result = ledger.commands.pause_item(user, plan_id, name, item_id, reason=body.reason, until=body.until,
                                   agreed_on=body.agreed_on, **options)
        return written(result)

    def resume(plan_id: PlanId, item_id: str, body: Resume, user: CurrentUser, ledger: LedgerDep,
               options: WriteOptions) -> JSONResponse:
        result = ledger.commands.resume_item(user, plan_id, name, item_id, reason=body.reason, agreed_on=body.agreed_on,
                                    **options)
        return written(result)

    common: dict[str, Any] = {"response_model": WriteResponse, "tags": [name]}
    router.add_api_route(f"/{{plan_id}}/{name}/{{item_id}}/pause", pause, methods=["POST"],
                         summary=f"Pause a {section.noun} from agreed_on, until resumed or through until",
                         name=f"pause_{section.noun}", **common)
    router.add_api_route(f"/{{plan_id}}/{name}/{{item_id}}/resume", resume, methods=["POST"],
                         summary=f"Resume a paused {section.noun} from agreed_on", name=f"resume_{section.noun}",
                         **common)


add_section_routes("barriers", BarrierCreate, BarrierPatch)
add_section_routes("provisions", ProvisionCreate, ProvisionPatch)
add_section_routes("adjustments", AdjustmentCreate, AdjustmentPatch)
add_section_routes("outcomes", OutcomeCreate, OutcomePatch)


@router.post("/{plan_id}/outcomes/{item_id}/progress", status_code=201, response_model=WriteResponse,
             tags=["outcomes"])
def record_progress(plan_id: PlanId, item_id: str, body: ProgressCreate, user: CurrentUser, ledger: LedgerDep,
                    options: WriteOptions) -> JSONResponse:
    """Record a measurement of progress towards an outcome (teachers may too)."""
    return written(ledger.commands.record_progress(user, plan_id, item_id, body.model_dump(mode="json"), **options))
