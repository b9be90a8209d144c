"""The forms of what is recorded on a plan besides its items (CONTRACT.md §4): a review, progress towards an
outcome, and closing the plan.

A review's attendees are rows of role and name, enough for a meeting without JavaScript; empty rows are ignored.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from starlette.responses import Response

from isp_ledger.access import Action
from isp_ledger.domain.errors import LedgerError
from isp_ledger.web.deps import LedgerDep, PageUser, PostedForm
from isp_ledger.web.errors import PageRoute
from isp_ledger.web.forms import FormErrors
from isp_ledger.web.notices import redirect_with_notice
from isp_ledger.web.routes.forms_support import (
    FormReader,
    PlanForm,
    plan_form,
    refused_form,
    stopped,
    with_dates,
)
from isp_ledger.web.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

ATTENDEE_ROWS = 6
REVIEW_LABELS = {"held_on": "Date the review was held", "attendees": "Who attended:",
                 "parent_views": "What the parents said", "pupil_views": "What the pupil said",
                 "summary": "Summary of what was decided", "next_review_due": "When the next review is due"}
PROGRESS_LABELS = {"measured_on": "Date progress was measured", "value": "Measurement",
                   "note": "What progress was made", "source": "Where this comes from"}
CLOSE_LABELS = {"reason": "Why the plan is closing", "agreed_on": "Date it was agreed"}


def attendee_rows(reader: FormReader) -> list[dict[str, str]]:
    """The attendees typed in the rows (``attendee-1-role``, ``attendee-1-name``, ...), empty rows left out; a
    row with only one of the two is kept, for the domain to say what is missing."""
    rows = []
    index = 1
    while f"attendee-{index}-role" in reader.form or f"attendee-{index}-name" in reader.form:
        role, name = reader.text(f"attendee-{index}-role"), reader.text(f"attendee-{index}-name")
        if role or name:
            rows.append({"role": role or "", "name": name or ""})
        index += 1
    return rows


def attendee_values(people: list[dict[str, str]], rows: int = ATTENDEE_ROWS) -> dict[str, str]:
    values = {}
    for index in range(1, max(rows, len(people) + 2) + 1):
        person = people[index - 1] if index <= len(people) else {"role": "", "name": ""}
        values[f"attendee-{index}-role"], values[f"attendee-{index}-name"] = person["role"], person["name"]
    return values


def _review_page(request: Request, plan: PlanForm, values: dict[str, Any], errors: FormErrors,
                 version: int) -> Response:
    rows = 1
    while f"attendee-{rows + 1}-role" in values:
        rows += 1
    return render(request, "forms/review.html", status_code=errors.status if errors else 200,
                  title="Record a review", plan=plan, values=values, errors=errors, rows=rows,
                  action=f"/plans/{plan.plan_id}/reviews/new", version=version, button="Record the review",
                  back=f"/plans/{plan.plan_id}")


@router.get("/plans/{plan_id}/reviews/new")
def review_form(request: Request, plan_id: UUID, user: PageUser, ledger: LedgerDep) -> Response:
    plan = plan_form(ledger, user, plan_id, Action.EDIT)
    values = with_dates(attendee_values([]), {"held_on": ledger.history.today()})
    return _review_page(request, plan, values, FormErrors(), plan.version)


@router.post("/plans/{plan_id}/reviews/new")
def record_review(request: Request, form: PostedForm, plan_id: UUID, user: PageUser, ledger: LedgerDep) -> Response:
    plan = plan_form(ledger, user, plan_id, Action.EDIT)
    reader = FormReader(form, labels=REVIEW_LABELS)
    fields = {"held_on": reader.date("held_on"), "attendees": attendee_rows(reader),
              "parent_views": reader.form.get("parent_views") or "",
              "pupil_views": reader.form.get("pupil_views") or "",
              "summary": reader.text("summary"), "next_review_due": reader.date("next_review_due")}
    values = {**attendee_values([]), **reader.raw()}
    if not reader.errors:
        try:
            if error := stopped(reader):
                raise error
            ledger.commands.hold_review(user, plan_id, {k: v for k, v in fields.items() if v is not None},
                                        if_match=reader.version())
        except LedgerError as e:
            return _review_page(request, plan, values, *refused_form(e, reader, plan))
        return redirect_with_notice(f"/plans/{plan_id}", "review-recorded", request)
    return _review_page(request, plan, values, reader.errors, reader.version() or plan.version)


def _progress_page(request: Request, plan: PlanForm, outcome: dict[str, Any], values: dict[str, Any],
                   errors: FormErrors, version: int) -> Response:
    return render(request, "forms/progress.html", status_code=errors.status if errors else 200,
                  title="Record progress", plan=plan, outcome=outcome, values=values, errors=errors,
                  action=f"/plans/{plan.plan_id}/outcomes/{outcome['id']}/progress", version=version,
                  button="Record progress", back=f"/plans/{plan.plan_id}")


@router.get("/plans/{plan_id}/outcomes/{item_id}/progress")
def progress_form(request: Request, plan_id: UUID, item_id: str, user: PageUser, ledger: LedgerDep) -> Response:
    plan = plan_form(ledger, user, plan_id, Action.RECORD_PROGRESS)
    values = with_dates({}, {"measured_on": ledger.history.today()})
    return _progress_page(request, plan, plan.item("outcomes", item_id), values, FormErrors(), plan.version)


@router.post("/plans/{plan_id}/outcomes/{item_id}/progress")
def record_progress(request: Request, form: PostedForm, plan_id: UUID, item_id: str, user: PageUser,
                          ledger: LedgerDep) -> Response:
    plan = plan_form(ledger, user, plan_id, Action.RECORD_PROGRESS)
    outcome = plan.item("outcomes", item_id)
    reader = FormReader(form, labels=PROGRESS_LABELS)
    fields = {"measured_on": reader.date("measured_on"), "value": reader.number("value"),
              "note": reader.text("note"), "source": reader.text("source")}
    if not reader.errors:
        try:
            if error := stopped(reader):
                raise error
            ledger.commands.record_progress(user, plan_id, item_id,
                                            {k: v for k, v in fields.items() if v is not None},
                                            if_match=reader.version())
        except LedgerError as e:
            return _progress_page(request, plan, outcome, reader.raw(), *refused_form(e, reader, plan))
        return redirect_with_notice(f"/plans/{plan_id}", "progress-recorded", request)
    return _progress_page(request, plan, outcome, reader.raw(), reader.errors, reader.version() or plan.version)


def _close_page(request: Request, plan: PlanForm, values: dict[str, Any], errors: FormErrors,
                version: int) -> Response:
    return render(request, "forms/close.html", status_code=errors.status if errors else 200,
                  title="Close the plan", plan=plan, values=values, errors=errors,
                  action=f"/plans/{plan.plan_id}/close", version=version, button="Yes, close the plan",
                  button_classes="govuk-button--warning", back=f"/plans/{plan.plan_id}",
                  back_text="No, go back to the plan")


@router.get("/plans/{plan_id}/close")
def close_form(request: Request, plan_id: UUID, user: PageUser, ledger: LedgerDep) -> Response:
    plan = plan_form(ledger, user, plan_id, Action.EDIT)
    return _close_page(request, plan, with_dates({}, {"agreed_on": ledger.history.today()}), FormErrors(),
                       plan.version)


@router.post("/plans/{plan_id}/close")
def close_plan(request: Request, form: PostedForm, plan_id: UUID, user: PageUser, ledger: LedgerDep) -> Response:
    plan = plan_form(ledger, user, plan_id, Action.EDIT)
    reader = FormReader(form, labels=CLOSE_LABELS)
    agreed_on = reader.date("agreed_on")
    if not reader.errors:
        try:
            if error := stopped(reader):
                raise error
            ledger.commands.close_plan(user, plan_id, reason=reader.text("reason"),  # type: ignore[arg-type]
                                       agreed_on=agreed_on, if_match=reader.version())
        except LedgerError as e:
            return _close_page(request, plan, reader.raw(), *refused_form(e, reader, plan))
        return redirect_with_notice(f"/plans/{plan_id}", "plan-closed", request)
    return _close_page(request, plan, reader.raw(), reader.errors, reader.version() or plan.version)
