"""The plan itself: open, read (now, as of a date, as at an instant), change tier, close; its history."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from isp_ledger import reading
from isp_ledger.api.deps import CurrentUser, LedgerDep, PlanId, WriteOptions
from isp_ledger.api.params import bounded_instant
from isp_ledger.api.read_side import ReadSideDep
from isp_ledger.api.reads import PlanDocument, PlanEvents
from isp_ledger.api.reports import PlanListing
from isp_ledger.api.responses import written
from isp_ledger.api.schemas import Close, PlanCreate, TierChange, WriteResponse
from isp_ledger.application.access_log import plan_read
from isp_ledger.domain import privacy
from projections import current_plan

router = APIRouter(prefix="/v1/plans", tags=["plans"])


@router.post("", status_code=201, response_model=WriteResponse)
def open_plan(body: PlanCreate, user: CurrentUser, ledger: LedgerDep, options: WriteOptions) -> JSONResponse:
    """Open a plan for a pupil (one open plan per UPN)."""
    options.pop("if_match", None)
    result = ledger.commands.open_plan(
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


@router.get("", responses={200: {"model": PlanListing}})
def list_plans(
    user: CurrentUser,
    ledger: LedgerDep,
    read_side: ReadSideDep,
    setting_urn: Annotated[str | None, Query(description="6-digit URN of a setting")] = None,
    upn: Annotated[str | None, Query(description="a pupil's UPN")] = None,
    name: Annotated[str | None, Query(
        description="a pupil's name, or part of it: every word must be found in the given or family name, "
                    "ignoring case, accents and punctuation (\"zoe okafor\", \"oneill\")")] = None,
    tier: Annotated[Literal["targeted", "targeted_plus", "specialist"] | None, Query()] = None,
    status: Annotated[Literal["open", "closed"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(description="next_cursor from the previous page")] = None,
) -> JSONResponse:
    """Plans the caller may see, by pupil name, a page at a time (from the plan index read model); `name` searches
    by name, the other parameters filter exactly."""
    listing = reading.list_plans(ledger, read_side, user, setting_urn=setting_urn, upn=upn, name=name, tier=tier,
                         status=status, limit=limit, cursor=cursor)
    return JSONResponse({"plans": listing.plans, "next_cursor": listing.next_cursor},
                        headers=listing.freshness.headers())


@router.get("/{plan_id}", responses={200: {"model": PlanDocument}})
def get_plan(
    plan_id: PlanId,
    user: CurrentUser,
    ledger: LedgerDep,
    read_side: ReadSideDep,
    as_of: Annotated[dt.date | None, Query(description="the plan in force on this date (YYYY-MM-DD)")] = None,
    as_at: Annotated[
        dt.datetime | None, Query(description="the record exactly as it stood at this instant (ISO-8601 with offset)")
    ] = None,
) -> Response:
    """The plan document: as it stands, as in force on a date (`as_of`), as recorded at an instant (`as_at`).

    As it stands comes from the current-plan read model (after waiting for the caller's own last write);
    `as_of` and `as_at` are folded from the event log itself.
    """
    if as_at is not None:
        as_at = bounded_instant("as_at", as_at)
    if as_of is not None or as_at is not None:
        return JSONResponse(ledger.history.plan_document(user, plan_id, as_of=as_of, as_at=as_at))
    plan = ledger.plans.require_visible(user, plan_id)  # decided by the plan's own events, never a read model
    view, freshness = read_side.for_user(current_plan.CurrentPlans.name, user.user_id, plan_id)
    # An erased plan is read from its events, which read null without the key, whatever a read model kept.
    fresh = freshness.fresh and not privacy.is_erased(plan)
    stored = current_plan.read(view, plan_id, ledger.history.today()) if fresh else None
    if stored is None:  # not projected yet, or behind what is stored: the event log is the truth
        document = ledger.history.plan_document(user, plan_id)
        headers = {"ETag": f'"{document["version"]}"', "ISP-Ledger-Source": "event-log"}
        return JSONResponse(document, headers=headers)
    ledger.access_log.shown(user, plan, plan_read())
    headers = {"ETag": f'"{stored.version}"', "ISP-Ledger-Source": "read-model", **freshness.headers()}
    return Response(stored.json, media_type="application/json", headers=headers)


@router.post("/{plan_id}/tier", response_model=WriteResponse)
def change_tier(plan_id: PlanId, body: TierChange, user: CurrentUser, ledger: LedgerDep,
                options: WriteOptions) -> JSONResponse:
    """Move the plan to another tier of support (specialist needs an EHCP reference)."""
    return written(ledger.commands.change_tier(user, plan_id, tier=body.tier, ehcp_reference=body.ehcp_reference,
                                      reason=body.reason, agreed_on=body.agreed_on, **options))


@router.post("/{plan_id}/close", response_model=WriteResponse)
def close_plan(plan_id: PlanId, body: Close, user: CurrentUser, ledger: LedgerDep,
               options: WriteOptions) -> JSONResponse:
    """Close the plan. Its history stays; a new plan may then be opened for the pupil."""
    return written(ledger.commands.close_plan(user, plan_id, reason=body.reason, agreed_on=body.agreed_on, **options))


@router.get("/{plan_id}/events", response_model=None, responses={200: {"model": PlanEvents}})
def plan_events(plan_id: PlanId, user: CurrentUser, ledger: LedgerDep) -> dict[str, Any]:
    """Every event of the plan in order, exactly as stored and chained."""
    return {"events": ledger.history.plan_events(user, plan_id)}
