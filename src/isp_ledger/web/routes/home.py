"""The page after signing in (``/``): staff see their setting's plans and can search them by name or UPN;
parents, professionals and complaint handlers see the plans shared with them. Every row shown is logged as read,
exactly as the API logs it (``reading.list_plans``, ``PlanGrants.granted_to``).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from isp_ledger import access, reading
from isp_ledger.domain.errors import InvalidInput
from isp_ledger.domain.validation import Upn
from isp_ledger.web import actions
from isp_ledger.web.deps import LedgerDep, PageUser, ReadSideDep
from isp_ledger.web.errors import PageRoute
from isp_ledger.web.forms import FormErrors
from isp_ledger.web.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

PAGE_SIZE = 50
TIERS = {"targeted": "Targeted", "targeted_plus": "Targeted plus", "specialist": "Specialist"}
RELATIONSHIPS = {"parent": "Parent", "professional": "Professional", "complaint_handler": "Complaint handler"}


@router.get("/")
def home(request: Request, user: PageUser, ledger: LedgerDep, read_side: ReadSideDep, q: str | None = None,
         cursor: str | None = None) -> Response:
    if user.role in access.GRANTEE_ROLES:
        plans = ledger.grants.granted_to(user)
        return render(request, "home/granted.html", title="Your plans", plans=plans, tiers=TIERS,
                      relationships=RELATIONSHIPS)
    search = (q or "").strip()
    errors = FormErrors()
    listing = None
    try:
        upn = _as_upn(search)
        listing = reading.list_plans(ledger, read_side, user, upn=upn, name=search if search and not upn else None,
                                     limit=PAGE_SIZE, cursor=cursor or None)
    except InvalidInput as e:
        errors = FormErrors.of(e, {"name": "q", "upn": "q", "cursor": "q"})
    setting = ledger.setting_details.shown(user.setting_urn)["shown_as"] if user.setting_urn else None
    title = "Plans" if setting is None else f"Plans of {setting}"
    return render(request, "home/plans.html", status_code=200 if not errors else errors.status, title=title,
                  may_open=actions.may_open_plans(user),
                  search=search, errors=errors, plans=listing.plans if listing else [],
                  next_cursor=listing.next_cursor if listing else None, tiers=TIERS)


def _as_upn(text: str) -> str | None:
    """The search as a UPN, if it is one (13 characters with a valid check letter); else it is a name."""
    if len(text.replace(" ", "")) != 13:
        return None
    try:
        return Upn().clean(text.replace(" ", "").upper())
    except ValueError:
        return None
