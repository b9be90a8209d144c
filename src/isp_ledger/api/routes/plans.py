"""The plan itself: open, read (now, as of a date, as at an instant), change tier, close; its history."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from isp_ledger.api.deps import CurrentUser, LedgerDep, PlanId, WriteOptions
from isp_ledger.api.responses import WRITE_RESPONSES, written
from isp_ledger.api.schemas import Close, PlanCreate, TierChange, WriteResponse
from isp_ledger.domain.errors import InvalidInput

router = APIRouter(prefix="/v1/plans", tags=["plans"])


@router.post("", status_code=201, response_model=WriteResponse, responses=WRITE_RESPONSES)
def open_plan(body: PlanCreate, user: CurrentUser, ledger: LedgerDep, options: WriteOptions) -> JSONResponse:
    """Open a plan for a pupil (one open plan per UPN)."""
    options.pop("if_match", None)
    result = ledger.open_plan(
        user,
        pupil=body.pupil.model_dump(),
        setting_urn=body.setting_urn,
        tier=body.tier,
        ehcp_reference=body.ehcp_reference,
        next_review_due=body.next_review_due,
        agreed_on=body.agreed_on,
        **options,
    )
    return written(result)


@router.get("/{plan_id}")
def get_plan(
    plan_id: PlanId,
    user: CurrentUser,
    ledger: LedgerDep,
    response: Response,
    as_of: Annotated[dt.date | None, Query(description="the plan in force on this date (YYYY-MM-DD)")] = None,
    as_at: Annotated[
        dt.datetime | None, Query(description="the record exactly as it stood at this instant (ISO-8601 with offset)")
    ] = None,
) -> dict[str, Any]:
    """The plan document: as it stands, as in force on a date (`as_of`), as recorded at an instant (`as_at`)."""
    if as_at is not None and as_at.tzinfo is None:
        raise InvalidInput.field("as_at", "must include a UTC offset, e.g. 2026-11-20T09:00:00+00:00")
    document = ledger.plan_document(user, plan_id, as_of=as_of, as_at=as_at)
    if as_of is None and as_at is None:
        response.headers["ETag"] = f'"{document["version"]}"'
    return document


@router.post("/{plan_id}/tier", response_model=WriteResponse, responses=WRITE_RESPONSES)
def change_tier(plan_id: PlanId, body: TierChange, user: CurrentUser, ledger: LedgerDep,
                options: WriteOptions) -> JSONResponse:
    """Move the plan to another tier of support (specialist needs an EHCP reference)."""
    return written(ledger.change_tier(user, plan_id, tier=body.tier, ehcp_reference=body.ehcp_reference,
                                      reason=body.reason, agreed_on=body.agreed_on, **options))


@router.post("/{plan_id}/close", response_model=WriteResponse, responses=WRITE_RESPONSES)
def close_plan(plan_id: PlanId, body: Close, user: CurrentUser, ledger: LedgerDep,
               options: WriteOptions) -> JSONResponse:
    """Close the plan. Its history stays; a new plan may then be opened for the pupil."""
    return written(ledger.close_plan(user, plan_id, reason=body.reason, agreed_on=body.agreed_on, **options))


@router.get("/{plan_id}/events")
def plan_events(plan_id: PlanId, user: CurrentUser, ledger: LedgerDep) -> dict[str, Any]:
    """Every event of the plan in order, exactly as stored and chained."""
    return {"events": ledger.plan_events(user, plan_id)}
