"""Opening a plan (``/plans/new``): a SENCO for a pupil of their setting, an administrator for any setting.

Who may open one is ``access.require_can_open``'s to say; the fields' rules are the domain's (``Plan.open``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from isp_ledger import access
from isp_ledger.access import User
from isp_ledger.application import Ledger
from isp_ledger.domain.errors import LedgerError
from isp_ledger.web.deps import LedgerDep, PageUser, PostedForm
from isp_ledger.web.errors import PageRoute
from isp_ledger.web.forms import FormErrors
from isp_ledger.web.notices import redirect_with_notice
from isp_ledger.web.routes.forms_support import TIER_LABELS, FormReader, refused, with_dates
from isp_ledger.web.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

LABELS = {"upn": "UPN", "given_name": "First name", "family_name": "Family name", "date_of_birth": "Date of birth",
          "setting_urn": "Setting's URN", "tier": "Tier of support", "ehcp_reference": "EHCP reference",
          "next_review_due": "When the first review is due", "agreed_on": "Date the plan was agreed"}
NAMES = {"pupil.upn": "upn", "pupil.given_name": "given_name", "pupil.family_name": "family_name",
         "pupil.date_of_birth": "date_of_birth"}


def _may_open(user: User) -> None:
    """Refuse the form to anyone who may open no plan: a SENCO opens them for their own setting, an
    administrator for any (asked of ``access``, the one place that decides)."""
    if user.role != "admin":
        access.require_can_open(user, user.setting_urn or "")


def _page(request: Request, user: User, ledger: Ledger, values: dict[str, Any], errors: FormErrors) -> Response:
    fixed = ledger.setting_details.shown(user.setting_urn)["shown_as"] if user.setting_urn else None
    return render(request, "forms/open_plan.html", status_code=errors.status if errors else 200,
                  title="Open a plan", values=values, errors=errors, tiers=TIER_LABELS, action="/plans/new",
                  button="Open the plan", back="/", back_text="Cancel and go back to your plans", plan=None,
                  version=None, fixed_setting=fixed if user.role != "admin" else None)


@router.get("/plans/new")
def open_plan_form(request: Request, user: PageUser, ledger: LedgerDep) -> Response:
    _may_open(user)
    values = with_dates({}, {"agreed_on": ledger.history.today()})
    return _page(request, user, ledger, values, FormErrors())


@router.post("/plans/new")
def open_plan(request: Request, form: PostedForm, user: PageUser, ledger: LedgerDep) -> Response:
    _may_open(user)
    reader = FormReader(form, labels=LABELS)
    setting = user.setting_urn if user.role != "admin" else (reader.text("setting_urn") or "").strip()
    pupil = {"upn": (reader.text("upn") or "").strip().upper() or None, "given_name": reader.text("given_name"),
             "family_name": reader.text("family_name"), "date_of_birth": reader.date("date_of_birth")}
    next_review_due, agreed_on = reader.date("next_review_due"), reader.date("agreed_on")
    if not reader.errors:
        try:
            result = ledger.commands.open_plan(
                user, pupil=pupil, setting_urn=setting or "", tier=reader.text("tier"),  # type: ignore[arg-type]
                ehcp_reference=reader.text("ehcp_reference"), next_review_due=next_review_due, agreed_on=agreed_on)
        except LedgerError as e:
            errors = refused(e, names=NAMES, dates=reader.dates, labels=LABELS)
            return _page(request, user, ledger, reader.raw(), errors)
        return redirect_with_notice(f"/plans/{result.body['plan_id']}", "plan-opened", request)
    return _page(request, user, ledger, reader.raw(), reader.errors)
