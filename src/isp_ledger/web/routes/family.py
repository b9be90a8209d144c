"""What families do with a plan (CONTRACT.md §13): say whether they agree with it (``/plans/{id}/respond``) and add
their views, their child's views, or a professional's advice (``/plans/{id}/views/new?kind=...``).

Who may do which is the application's (``access.py`` through ``Plans.require_visible``): the form is shown only to
someone who may send it, and the write is checked again when it is sent. A response names the version of the plan
the person read, and is sent with it as ``if_match``: if the plan changed meanwhile, the form comes back saying so,
with a link to what changed, instead of recording agreement with a plan they have not seen.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from starlette.responses import Response

from isp_ledger import access
from isp_ledger.access import Action, User
from isp_ledger.application import Ledger
from isp_ledger.domain import codes
from isp_ledger.domain.errors import InvalidInput, LedgerError, NotFound, StaleVersion
from isp_ledger.domain.fields import records_own_response
from isp_ledger.domain.wording import RESPONSE_METHOD_NAMES
from isp_ledger.web.deps import FormFields, LedgerDep, PageUser
from isp_ledger.web.errors import PageRoute
from isp_ledger.web.forms import FormErrors
from isp_ledger.web.notices import redirect_with_notice
from isp_ledger.web.routes.family_reads import day_of
from isp_ledger.web.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

# What each field is called in a sentence of an error message, and what to say when a required one is missing.
LABELS = {"response": "Your answer", "comment": "Your comment", "given_by": "The parent's name",
          "method": "How they gave it", "text": "What you write", "profession": "Your profession",
          "version": "The version of the plan"}
MISSING = {"response": "Select whether you agree with the plan",
           "given_by": "Enter the name of the parent whose response this is",
           "method": "Select how the parent gave their response",
           "text": "Enter the views or advice to add",
           "profession": "Enter your profession, for example speech and language therapist"}
DATE_HELP = "The date must be a real date, with the year in 4 digits, for example 27 3 2026"
# Each kind of contribution: the page's heading, for the person whose own views they are and for staff recording
# them, the text box's label, and the notice shown once added.
KINDS: dict[str, dict[str, str]] = {
    "parent_view": {"own": "Add your views", "staff": "Add a parent's views", "label": "Views",
                    "hint": "What is going well, what worries you, and what you would like to change. Write it as "
                            "you would say it: it is kept with the plan, in your words.",
                    "done": "views-added"},
    "pupil_voice": {"own": "Add your child's views", "staff": "Add the pupil's views", "label": "Views",
                    "hint": "What your child says about school and the help they get, in their own words if you "
                            "can: what they like, what is hard, and what would help.",
                    "done": "child-views-added"},
    "professional_advice": {"own": "Add professional advice", "staff": "Add professional advice",
                            "label": "Advice",
                            "hint": "Your advice and recommendations for the school: what to do, how often, and "
                                    "what to look for.",
                            "done": "advice-added"},
}


def field_errors(error: LedgerError, stale_link: str | None = None) -> FormErrors:
    """The form's errors for a refusal, each in words a parent reads (never a field's internal name)."""
    if isinstance(error, StaleVersion):
        errors = FormErrors(status=412)
        errors.summary.append({"text": "The plan changed since you opened this page: read the changes, then tell "
                                       "us if you agree", "href": stale_link or "#main-content"})
        return errors
    if not isinstance(error, InvalidInput):
        return FormErrors.of(error)
    errors = FormErrors(status=422)
    for problem in error.errors:
        name = problem.field
        if name == "agreed_on":
            date_error(errors, f"The date {problem.message}")
        elif problem.message.startswith("is required") and name in MISSING:
            errors.add(name, MISSING[name])
        else:
            errors.add(name, f"{LABELS.get(name, 'This answer')} {problem.message}")
    return errors


def given_on(form: dict[str, str]) -> str | None:
    """The date staff say a parent gave their response or views (``agreed_on``), from the form's three boxes, as
    ISO text: ``None`` when all are empty (today); ``ValueError`` when they make no date. Whether the date may be
    recorded (not after today, not before the plan) is the domain's to say."""
    parts = [form.get(f"agreed_on-{part}", "").strip() for part in ("day", "month", "year")]
    if not any(parts):
        return None
    if not all(part.isdigit() for part in parts) or len(parts[2]) != 4:
        raise ValueError(DATE_HELP)
    day, month, year = (int(part) for part in parts)
    return dt.date(year, month, day).isoformat()  # ValueError for 31 2 2026


def date_error(errors: FormErrors | None, message: str) -> FormErrors:
    errors = errors if errors is not None else FormErrors(status=422)
    errors.add("agreed_on", message)
    errors.summary[-1]["href"] = "#agreed_on-day"  # the date's first box
    return errors


def _optional(form: dict[str, str], name: str) -> str | None:
    value = form.get(name, "")
    return value if value.strip() else None


# ------------------------------------------------------------------ "Do you agree with this plan?"


@router.get("/plans/{plan_id}/respond")
def respond_form(request: Request, plan_id: UUID, user: PageUser, ledger: LedgerDep) -> Response:
    return _respond_page(request, user, ledger, plan_id, {}, FormErrors())


@router.post("/plans/{plan_id}/respond")
def respond(request: Request, plan_id: UUID, user: PageUser, ledger: LedgerDep, form: FormFields) -> Response:
    seen = form.get("version", "")
    fields: dict[str, Any] = {"version": int(seen) if seen.isdigit() else seen,
                              "response": _optional(form, "response"), "comment": _optional(form, "comment")}
    agreed_on = None
    if not records_own_response(user.role):
        fields.update(given_by=_optional(form, "given_by"), method=_optional(form, "method"))
        try:
            agreed_on = given_on(form)
        except ValueError:
            return _respond_page(request, user, ledger, plan_id, form, date_error(None, DATE_HELP))
    try:
        ledger.commands.record_acknowledgement(user, plan_id, fields, agreed_on=agreed_on,
                                               if_match=int(seen) if seen.isdigit() else None)
    except LedgerError as e:
        if _not_a_form_error(e):
            raise
        changes = f"/plans/{plan_id}/changes?from={seen}" if seen.isdigit() else None
        return _respond_page(request, user, ledger, plan_id, form, field_errors(e, changes))
    return redirect_with_notice(f"/plans/{plan_id}", "response-recorded", request)


def _respond_page(request: Request, user: User, ledger: Ledger, plan_id: UUID, values: dict[str, str],
                  errors: FormErrors) -> Response:
    ledger.plans.require_visible(user, plan_id, Action.RECORD_ACKNOWLEDGEMENT)  # before anything is read
    plan = ledger.history.plan_document(user, plan_id)  # logged: the form names the pupil and the version
    own = records_own_response(user.role)
    return render(request, "family/respond.html", status_code=200 if not errors else errors.status,
                  title="Do you agree with this plan?" if own else "Record a parent's response to the plan",
                  plan=plan, own=own, values=values, errors=errors,
                  methods=[(code, RESPONSE_METHOD_NAMES[code]) for code in codes.ACKNOWLEDGEMENT_METHODS],
                  last_changed=day_of(plan["recorded_at"]))


# ------------------------------------------------------------------ views and advice


@router.get("/plans/{plan_id}/views/new")
def views_form(request: Request, plan_id: UUID, user: PageUser, ledger: LedgerDep, kind: str = "") -> Response:
    return _views_page(request, user, ledger, plan_id, kind, {}, FormErrors())


@router.post("/plans/{plan_id}/views/new")
def add_views(request: Request, plan_id: UUID, user: PageUser, ledger: LedgerDep, form: FormFields,
              kind: str = "") -> Response:
    wording = _kind(kind)
    fields = {"kind": kind, "text": _optional(form, "text"),
              "profession": _optional(form, "profession") if kind == "professional_advice" else None}
    try:
        agreed_on = None if records_own_response(user.role) else given_on(form)
    except ValueError:
        return _views_page(request, user, ledger, plan_id, kind, form, date_error(None, DATE_HELP))
    try:
        ledger.commands.record_contribution(user, plan_id, fields, agreed_on=agreed_on)
    except LedgerError as e:
        if _not_a_form_error(e):
            raise
        return _views_page(request, user, ledger, plan_id, kind, form, field_errors(e))
    return redirect_with_notice(f"/plans/{plan_id}", wording["done"], request)


def _views_page(request: Request, user: User, ledger: Ledger, plan_id: UUID, kind: str, values: dict[str, str],
                errors: FormErrors) -> Response:
    wording = _kind(kind)
    ledger.plans.require_visible(user, plan_id, access.contribution_action(kind))
    plan = ledger.history.plan_document(user, plan_id)  # logged: the page names the pupil
    own = records_own_response(user.role)
    return render(request, "family/views.html", status_code=200 if not errors else errors.status,
                  title=wording["own" if own else "staff"], plan=plan, kind=kind, wording=wording, values=values,
                  errors=errors, own=own)


def _kind(kind: str) -> dict[str, str]:
    """The wording of a kind of contribution; an address naming no kind there is is no page."""
    if kind not in KINDS:
        raise NotFound(f"No kind of contribution {kind!r}")
    return KINDS[kind]


def _not_a_form_error(error: LedgerError) -> bool:
    """A refusal the error pages answer (not found, forbidden, erased...), rather than the form with its errors:
    the form is for what the person can put right (a field, a changed plan, a rule of the plan)."""
    return FormErrors.of(error).status not in (409, 412, 422)
