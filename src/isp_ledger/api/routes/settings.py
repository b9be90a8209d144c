"""A setting's details: its name and local authority (CONTRACT.md §4); its reports: reviews due and quality gaps
(§6); its school calendar and planned versus delivered provision (§8). Every report names the setting as people
are shown it (``setting``: its name with its URN)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from isp_ledger import queries
from isp_ledger.api.deps import CurrentUser, LedgerDep
from isp_ledger.api.params import bounded_dates
from isp_ledger.api.read_side import ReadSideDep
from isp_ledger.api.reports import (
    Calendar,
    CalendarHistory,
    QualityReport,
    ReviewsDue,
    SettingDelivery,
    SettingDetails,
)
from isp_ledger.api.routes.deliveries import FROM, TO
from isp_ledger.api.schemas import CalendarUpdate, SettingUpdate
from isp_ledger.domain.errors import InvalidInput
from isp_ledger.domain.validation import Urn

router = APIRouter(prefix="/v1/settings", tags=["settings"])


def clean_urn(urn: str) -> str:
    try:
        return Urn().clean(urn)
    except ValueError as e:
        raise InvalidInput.field("urn", str(e)) from None


@router.get("/{urn}/reviews-due", responses={200: {"model": ReviewsDue}})
def reviews_due_report(urn: str, user: CurrentUser, ledger: LedgerDep, read_side: ReadSideDep) -> JSONResponse:
    """Open plans whose review is overdue or due within 30 days, soonest first."""
    answer, freshness = queries.reviews_due_report(ledger, read_side, user, clean_urn(urn))
    return JSONResponse(answer, headers=freshness.headers())


@router.get("/{urn}/quality", responses={200: {"model": QualityReport}})
def quality_report(urn: str, user: CurrentUser, ledger: LedgerDep, read_side: ReadSideDep) -> JSONResponse:
    """Per open plan, the gaps a SENCO must fix on the day asked, each with a stable code: a provision delivered
    at under 75% of its planned sessions over the last six school weeks is judged by the delivery figures."""
    answer, freshness = queries.quality_report(ledger, read_side, user, clean_urn(urn))
    return JSONResponse(answer, headers=freshness.headers())


@router.get("/{urn}", response_model=SettingDetails)
def get_setting(urn: str, user: CurrentUser, ledger: LedgerDep) -> dict[str, Any]:
    """The setting's name and local authority, with its version and who last changed them (version 0, no name,
    when none were ever set); ``shown_as`` is the setting as people are shown it."""
    return ledger.setting_details.details(user, clean_urn(urn))


@router.put("/{urn}", response_model=SettingDetails)
def put_setting(urn: str, body: SettingUpdate, user: CurrentUser, ledger: LedgerDep) -> dict[str, Any]:
    """Set the setting's name (required) and local authority (its SENCO or an administrator). Earlier versions are
    kept; bundles, timelines and reports show the current name with the URN."""
    fields = body.model_dump(mode="json")
    return ledger.setting_details.set_details(user, clean_urn(urn), name=fields.get("name"),
                                              local_authority=fields.get("local_authority"))


@router.get("/{urn}/calendar", response_model=Calendar)
def get_calendar(urn: str, user: CurrentUser, ledger: LedgerDep) -> dict[str, Any]:
    """The setting's school calendar: holidays (inclusive ranges) and closure days, with its version and who
    last changed it (version 0, no holidays, when none was ever set: every weekday is a school day)."""
    return ledger.calendars.setting_calendar(user, clean_urn(urn))


@router.put("/{urn}/calendar", response_model=Calendar)
def put_calendar(urn: str, body: CalendarUpdate, user: CurrentUser, ledger: LedgerDep) -> dict[str, Any]:
    """Replace the setting's calendar (its SENCO or an administrator). Earlier versions are kept; the delivery
    reports use the current one."""
    urn = clean_urn(urn)
    return ledger.calendars.set_calendar(user, urn, holidays=[h.model_dump(mode="json") for h in body.holidays],
                               closures=[d.isoformat() for d in body.closures])


@router.get("/{urn}/calendar/history", response_model=CalendarHistory)
def calendar_history(urn: str, user: CurrentUser, ledger: LedgerDep) -> dict[str, Any]:
    """Every version of the setting's calendar, newest first."""
    urn = clean_urn(urn)
    return {"setting_urn": urn, "versions": ledger.calendars.calendar_history(user, urn)}


@router.get("/{urn}/delivery", responses={200: {"model": SettingDelivery}})
def delivery_report(
    urn: str,
    user: CurrentUser,
    ledger: LedgerDep,
    read_side: ReadSideDep,
    from_: Annotated[dt.date | None, FROM] = None,
    to: Annotated[dt.date | None, TO] = None,
) -> JSONResponse:
    """Planned versus delivered provision across the setting: in total, by provision type (the broad area of
    need of the barriers it addresses), by location, by tier, and per plan."""
    urn = clean_urn(urn)
    bounded_dates(("from", from_), ("to", to))
    start, end = queries.window(ledger, from_, to)
    report, freshness = queries.setting_delivery(ledger, read_side, user, urn, start=start, end=end)
    return JSONResponse(report, headers=freshness.headers())
