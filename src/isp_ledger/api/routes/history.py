"""A plan's history as people read it: the timeline, and what changed between two points (CONTRACT.md §6)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from isp_ledger import queries
from isp_ledger.api.deps import CurrentUser, LedgerDep, PlanId
from isp_ledger.api.params import bounded_instant
from isp_ledger.api.read_side import ReadSideDep
from isp_ledger.api.reads import PlanDiff, Timeline
from isp_ledger.domain.errors import InvalidInput
from isp_ledger.domain.validation import parse_date
from isp_ledger.domain.wording import KINDS
from projections.plan_index import decode_cursor, encode_cursor

router = APIRouter(prefix="/v1/plans", tags=["history"])
MAX_VERSION = 2**62  # cursors name a version; anything beyond what any store can hold was not given out by us


@router.get("/{plan_id}/timeline", responses={200: {"model": Timeline}})
def plan_timeline(
    plan_id: PlanId,
    user: CurrentUser,
    ledger: LedgerDep,
    read_side: ReadSideDep,
    from_: Annotated[dt.date | None, Query(alias="from", description="recorded on or after (YYYY-MM-DD)")] = None,
    to: Annotated[dt.date | None, Query(description="recorded on or before (YYYY-MM-DD)")] = None,
    kind: Annotated[str | None, Query(description=f"comma-separated, of: {', '.join(KINDS)}")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(description="next_cursor from the previous page")] = None,
) -> JSONResponse:
    """The plan's history, newest first, one plain-English line per entry."""
    kinds = [k.strip() for k in kind.split(",") if k.strip()] if kind else None
    unknown = [k for k in kinds or [] if k not in KINDS]
    if unknown:
        raise InvalidInput.field("kind", f"unknown kind {', '.join(unknown)}; use {', '.join(KINDS)}")
    if from_ is not None and to is not None and from_ > to:
        raise InvalidInput.field("from", "must not be after 'to'")
    before_version = None
    if cursor is not None:
        try:
            (before_version,) = decode_cursor(cursor)
            if type(before_version) is not int or not 1 <= before_version <= MAX_VERSION:
                raise ValueError(before_version)
        except (ValueError, TypeError):
            raise InvalidInput.field("cursor", "cursor is not one this service gave out") from None
    answer, freshness = queries.plan_timeline(ledger, read_side, user, plan_id, recorded_from=from_, recorded_to=to,
                                              kinds=kinds, limit=limit, before_version=before_version)
    next_version = answer.pop("next_version")
    answer["next_cursor"] = encode_cursor([next_version]) if next_version is not None else None
    return JSONResponse(answer, headers=freshness.headers())


POINT = ("a version number, a date (YYYY-MM-DD, Europe/London), or an instant (ISO-8601 with offset, e.g. "
         "2026-09-01T00:00:00+01:00)")


@router.get("/{plan_id}/diff", response_model=None, responses={200: {"model": PlanDiff}})
def plan_diff(
    plan_id: PlanId,
    user: CurrentUser,
    ledger: LedgerDep,
    from_: Annotated[str | None, Query(
        alias="from", description=f"{POINT}; a date means the record as it stood when that day began (so the "
                                  "changes recorded that day are included); default: before the plan opened")] = None,
    to: Annotated[str | None, Query(
        description=f"{POINT}; a date means the record as it stood at the end of that day; default: the plan as it "
                    "stands")] = None,
) -> dict[str, Any]:
    """What changed in the record between two points, per section: items added, amended (field: before and
    after) and ended; plan-level changes; reviews, contributions, acknowledgements and progress recorded.

    Dates read as the timeline's do: `from=2026-09-01&to=2026-09-30` is every change recorded in September
    (London days), whatever the day it was agreed."""
    return ledger.history.plan_diff(user, plan_id, _point("from", from_), _point("to", to))


def _point(name: str, value: str | None) -> int | dt.date | dt.datetime | None:
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return int(value)
    if len(value) == 10:  # a date, as the timeline takes
        try:
            return parse_date(value)
        except ValueError as e:
            raise InvalidInput.field(name, str(e)) from None
    try:
        instant = dt.datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput.field(name, f"must be {POINT}") from None
    return bounded_instant(name, instant)
