"""Reviews, contributions, acknowledgements and corrections: facts recorded on a plan."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from isp_ledger.api.deps import CurrentUser, LedgerDep, PlanId, WriteOptions
from isp_ledger.api.responses import written
from isp_ledger.api.schemas import (
    AcknowledgementCreate,
    ContributionCreate,
    CorrectionCreate,
    ReviewCreate,
    WriteResponse,
)

router = APIRouter(prefix="/v1/plans", tags=["reviews and voices"])
common: dict[str, Any] = {"status_code": 201, "response_model": WriteResponse}


@router.post("/{plan_id}/reviews", **common)
def hold_review(plan_id: PlanId, body: ReviewCreate, user: CurrentUser, ledger: LedgerDep,
                options: WriteOptions) -> JSONResponse:
    """Record a review meeting: who came, the parent's and pupil's views, and when the next is due."""
    return written(ledger.commands.hold_review(user, plan_id, body.model_dump(mode="json"), **options))


@router.post("/{plan_id}/contributions", **common)
def record_contribution(plan_id: PlanId, body: ContributionCreate, user: CurrentUser, ledger: LedgerDep,
                        options: WriteOptions) -> JSONResponse:
    """Add a parent's view, the pupil's voice, or professional advice."""
    fields = body.model_dump(mode="json", exclude={"agreed_on"})
    return written(ledger.commands.record_contribution(user, plan_id, fields, agreed_on=body.agreed_on, **options))


@router.post("/{plan_id}/acknowledgements", **common)
def record_acknowledgement(plan_id: PlanId, body: AcknowledgementCreate, user: CurrentUser, ledger: LedgerDep,
                           options: WriteOptions) -> JSONResponse:
    """A parent's response to one version of the plan: agree, disagree or seen."""
    fields = body.model_dump(mode="json", exclude={"agreed_on"})
    return written(ledger.commands.record_acknowledgement(user, plan_id, fields, agreed_on=body.agreed_on, **options))


@router.post("/{plan_id}/corrections", tags=["corrections"], **common)
def correct(plan_id: PlanId, body: CorrectionCreate, user: CurrentUser, ledger: LedgerDep,
            options: WriteOptions) -> JSONResponse:
    """Say that an earlier entry was recorded wrongly, without rewriting it (CONTRACT.md §5): correct some of its
    fields (`changes`), or strike it out as recorded in error (`"void": true`)."""
    return written(ledger.commands.correct(user, plan_id, event_id=body.event_id, reason=body.reason,
                                           changes=body.changes, void=body.void, **options))
