"""A setting's reports for its staff (CONTRACT.md §13): the plans whose review is due or overdue
(``/settings/{urn}/reviews-due``) and the gaps in each plan a SENCO must fix (``/settings/{urn}/quality``).
Who may see them (the setting's staff and administrators) is decided by ``queries`` through ``access.py``; every
row shown is logged in its plan's access log there, as for the API.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from isp_ledger import queries
from isp_ledger.domain import wording
from isp_ledger.domain.errors import NotFound
from isp_ledger.domain.validation import Urn
from isp_ledger.web.deps import LedgerDep, PageUser, ReadSideDep
from isp_ledger.web.errors import PageRoute
from isp_ledger.web.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _urn(urn: str) -> str:
    try:
        return Urn().clean(urn)
    except ValueError:
        raise NotFound(f"No setting {urn}") from None  # an address that names no setting is not a page


@router.get("/settings/{urn}/reviews-due")
def reviews_due_page(request: Request, urn: str, user: PageUser, ledger: LedgerDep,
                     read_side: ReadSideDep) -> Response:
    report, _freshness = queries.reviews_due_report(ledger, read_side, user, _urn(urn))
    return render(request, "read/reviews_due.html", title="Reviews due", report=report,
                  tiers=wording.TIER_NAMES)


@router.get("/settings/{urn}/quality")
def quality_page(request: Request, urn: str, user: PageUser, ledger: LedgerDep, read_side: ReadSideDep) -> Response:
    report, _freshness = queries.quality_report(ledger, read_side, user, _urn(urn))
    return render(request, "read/quality.html", title="Gaps to fix in plans", report=report,
                  tiers=wording.TIER_NAMES)
