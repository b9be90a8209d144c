"""A setting's reports: reviews due and quality gaps (CONTRACT.md §6)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from isp_ledger import access
from isp_ledger.api.deps import CurrentUser, LedgerDep
from isp_ledger.api.readside import ReadSideDep
from isp_ledger.domain.errors import InvalidInput
from isp_ledger.domain.stamp import london_date
from isp_ledger.domain.validation import Urn
from projections import quality, reviews_due

router = APIRouter(prefix="/v1/settings", tags=["settings"])


def _urn(urn: str) -> str:
    try:
        return Urn().clean(urn)
    except ValueError as e:
        raise InvalidInput.field("urn", str(e)) from None


@router.get("/{urn}/reviews-due")
def reviews_due_report(urn: str, user: CurrentUser, ledger: LedgerDep, read_side: ReadSideDep) -> JSONResponse:
    """Open plans whose review is overdue or due within 30 days, soonest first."""
    urn = _urn(urn)
    access.require_staff_of(user, urn)
    view, freshness = read_side.for_user(reviews_due.ReviewsDue.name, user.user_id)
    today = london_date(ledger.clock.now())
    plans = reviews_due.report(view, urn, today)
    return JSONResponse({"setting_urn": urn, "as_of": today.isoformat(), "plans": plans},
                        headers=freshness.headers())


@router.get("/{urn}/quality")
def quality_report(urn: str, user: CurrentUser, ledger: LedgerDep, read_side: ReadSideDep) -> JSONResponse:
    """Per open plan, the gaps a SENCO must fix."""
    urn = _urn(urn)
    access.require_staff_of(user, urn)
    view, freshness = read_side.for_user(quality.Quality.name, user.user_id)
    today = london_date(ledger.clock.now())
    plans = quality.report(view, urn, today)
    return JSONResponse({"setting_urn": urn, "as_of": today.isoformat(), "plans": plans},
                        headers=freshness.headers())
