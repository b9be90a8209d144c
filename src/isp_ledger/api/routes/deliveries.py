"""Delivery of provision (CONTRACT.md §8): logging sessions, and planned versus delivered for one plan.

A setting's calendar and its delivery report are under ``/v1/settings`` (``settings.py``).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from isp_ledger.api.deps import CurrentUser, LedgerDep, PlanId, WriteOptions
from isp_ledger.api.params import bounded_dates
from isp_ledger.api.read_side import ReadSideDep
from isp_ledger.api.reports import PlanDelivery
from isp_ledger.api.schemas import DeliveryCreate, DeliveryWritten
from isp_ledger.application import Ledger
from isp_ledger.application.access_log import delivery_read
from isp_ledger.domain.errors import InvalidInput
from isp_ledger.domain.stamp import london_date
from projections import delivery

router = APIRouter(tags=["delivery"])

MAX_WINDOW_DAYS = 3_700  # ten school years and then some: enough for any report, bounded for the server
FROM = Query(alias="from", description="first day of the period (YYYY-MM-DD); default: the 1 September before 'to'")
TO = Query(description="last day of the period, inclusive (YYYY-MM-DD); default: today")


@router.post("/v1/deliveries", status_code=201, response_model=DeliveryWritten)
def record_session(body: DeliveryCreate, user: CurrentUser, ledger: LedgerDep, options: WriteOptions) -> JSONResponse:
    """Log one session of provision, delivered or missed, for one pupil or a group: each entry is a pupil's plan
    and provision. Every entry is recorded, in one transaction, or none is (the refusal names the entry)."""
    if "if_match" in options:
        raise InvalidInput.field("If-Match", "names one plan's version; a session may be for several plans, so it "
                                             "is not taken here")
    session = body.model_dump(mode="json", exclude={"entries"})
    entries = [entry.model_dump() for entry in body.entries]
    result = ledger.commands.record_session(user, entries=entries, session=session,
                                            idempotency=options.get("idempotency"))
    headers = {"Idempotent-Replayed": "true"} if result.replayed else None
    return JSONResponse(result.body, status_code=result.status_code, headers=headers)


@router.get("/v1/plans/{plan_id}/delivery", responses={200: {"model": PlanDelivery}})
def plan_delivery(
    plan_id: PlanId,
    user: CurrentUser,
    ledger: LedgerDep,
    read_side: ReadSideDep,
    from_: Annotated[dt.date | None, FROM] = None,
    to: Annotated[dt.date | None, TO] = None,
) -> JSONResponse:
    """Per provision of the plan: sessions planned (by the setting's calendar, up to today at the latest:
    ``counted_to``), delivered, missed (by reason), unrecorded and extra, late entries, minutes planned and
    delivered, and the delivery rate. Months are measured apart and shown figures add up: see the README."""
    start, end = window(ledger, from_, to)
    plan = ledger.plans.require_visible(user, plan_id)  # decided by the plan's own events, never a read model
    view, freshness = read_side.for_user(delivery.Delivery.name, user.user_id, plan_id)
    report = delivery.plan_report(view, plan_id, start, end, ledger.calendars.school_calendar, **counting(ledger))
    ledger.access_log.shown(user, plan, delivery_read(start, end))
    return JSONResponse(report, headers=freshness.headers())


def counting(ledger: Ledger) -> dict[str, Any]:
    """What a delivery report counts by besides its window: today (planned sessions are counted up to it at the
    latest) and the school days after which a session's entry is late."""
    return {"today": london_date(ledger.clock.now()), "late_entry_days": ledger.calendars.late_entry_days}


def window(ledger: Ledger, start: dt.date | None, end: dt.date | None) -> tuple[dt.date, dt.date]:
    """A report's period: ``to`` defaults to today (Europe/London), ``from`` to the start of that school year."""
    bounded_dates(("from", start), ("to", end))
    end = end or london_date(ledger.clock.now())
    start = start or dt.date(end.year if end.month >= 9 else end.year - 1, 9, 1)
    if start > end:
        raise InvalidInput.field("from", "must not be after 'to'")
    if (end - start).days > MAX_WINDOW_DAYS:
        raise InvalidInput.field("from", f"the period may be at most {MAX_WINDOW_DAYS} days long")
    return start, end
