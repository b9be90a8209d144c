"""Delivery of provision (CONTRACT.md §8): logging sessions, and planned versus delivered for one plan.

A setting's calendar and its delivery report are under ``/v1/settings`` (``settings.py``).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from isp_ledger import queries
from isp_ledger.api.deps import CurrentUser, LedgerDep, PlanId, WriteOptions
from isp_ledger.api.params import bounded_dates
from isp_ledger.api.read_side import ReadSideDep
from isp_ledger.api.reports import PlanDelivery
from isp_ledger.api.schemas import DeliveryCreate, DeliveryWritten
from isp_ledger.domain.errors import InvalidInput

router = APIRouter(tags=["delivery"])

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
    bounded_dates(("from", from_), ("to", to))
    start, end = queries.window(ledger, from_, to)
    report, freshness = queries.plan_delivery(ledger, read_side, user, plan_id, start=start, end=end)
    return JSONResponse(report, headers=freshness.headers())
