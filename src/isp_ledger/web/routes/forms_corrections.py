"""Correcting an entry and striking one out as recorded in error (CONTRACT.md §5), as forms.

The correction form shows the entry as recorded and the fields the domain lets a correction change
(``corrections.correctable_fields``), each with its current value; only the fields changed are sent. The void
form says plainly what voiding means; one the domain refuses (other entries depend on it) comes back with the
rule's words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from starlette.responses import Response

from isp_ledger.access import Action, User
from isp_ledger.application import Ledger
from isp_ledger.domain import validation, wording
from isp_ledger.domain.corrections import correctable_fields
from isp_ledger.domain.errors import LedgerError, NotFound
from isp_ledger.domain.record_wording import describe_entry
from isp_ledger.domain.records import Record, current_value
from isp_ledger.domain.sections import SECTION_OF_EVENT
from isp_ledger.domain.state import Located
from isp_ledger.web.deps import LedgerDep, PageUser, PostedForm
from isp_ledger.web.errors import PageRoute
from isp_ledger.web.forms import FormErrors
from isp_ledger.web.notices import redirect_with_notice
from isp_ledger.web.routes.forms_entries import attendee_rows, attendee_values
from isp_ledger.web.routes.forms_support import (
    CHOICES,
    FormReader,
    PlanForm,
    label_of,
    plan_form,
    refused_form,
    stopped,
    with_dates,
)
from isp_ledger.web.routes.item_fields import Input, form_labels
from isp_ledger.web.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

OWN_REASON = {"reason": "Why it is being corrected", "entry_reason": "Reason given in the entry"}


def _input_name(key: str) -> str:
    return "entry_reason" if key == "reason" else key.replace(".", "__")


def _widget(spec: validation.Field) -> str:
    if isinstance(spec, validation.Text):
        return "area" if spec.max_length > validation.SHORT_TEXT else "text"
    return {validation.Choice: "radios", validation.Date: "date", validation.Integer: "whole",
            validation.IdList: "barriers", validation.Attendees: "attendees"}.get(
        type(spec), "number" if isinstance(spec, validation.PositiveNumber | validation.OptionalNumber) else "text")


@dataclass(frozen=True)
class Entry:
    """The entry a form corrects or strikes out: where it is kept, and how a sentence names it."""

    located: Located
    what: str  # "the provision “Small-group phonics” as agreed on 7 September 2026"

    @property
    def record(self) -> Record:
        return self.located.record


def _entry(ledger: Ledger, user: User, plan_id: UUID, event_id: str) -> tuple[PlanForm, Entry]:
    plan = plan_form(ledger, user, plan_id, Action.CORRECT)
    stored = ledger.plans.current(plan_id)
    located = stored.locate(event_id)
    if located is None:
        raise NotFound(f"No entry {event_id} on this plan")
    return plan, Entry(located, describe_entry(located, stored))


def _inputs(entry: Entry) -> list[Input]:
    """The fields to correct, labelled as the item's own form labels them (else as the history names them)."""
    section = SECTION_OF_EVENT.get(entry.record["type"])
    labels = {**(form_labels(section.name) if section else {}), "reason": OWN_REASON["entry_reason"]}
    return [Input(_input_name(key), _widget(spec), labels.get(key) or label_of(key))
            for key, spec in correctable_fields(entry.record).items()]


def _current(entry: Entry) -> dict[str, Any]:
    record = entry.record
    values: dict[str, Any] = {}
    dates: dict[str, Any] = {}
    for key, spec in correctable_fields(record).items():
        value, name = current_value(record, key), _input_name(key)
        widget = _widget(spec)
        if widget == "date":
            dates[name] = value
        elif widget == "attendees":
            values.update(attendee_values(list(value or [])))
        elif widget == "barriers":
            values[name] = list(value or [])
        elif value is not None:
            values[name] = f"{value:g}" if isinstance(value, float) else str(value)
    return with_dates(values, dates)


def _correct_page(request: Request, plan: PlanForm, entry: Entry, values: dict[str, Any], errors: FormErrors,
                  version: int) -> Response:
    record = entry.record
    rows = sum(1 for key in values if key.startswith("attendee-") and key.endswith("-role"))
    return render(request, "forms/correct.html", status_code=errors.status if errors else 200,
                  title="Correct an entry", plan=plan, record=record, what=entry.what, inputs=_inputs(entry),
                  choices=CHOICES, barriers={b["id"]: b["description"] for b in plan.document["barriers"]},
                  rows=rows, roles=wording.ROLE_NAMES, values=values, errors=errors, version=version,
                  button="Save the correction",
                  action=f"/plans/{plan.plan_id}/entries/{record['event_id']}/correct", back=f"/plans/{plan.plan_id}")


@router.get("/plans/{plan_id}/entries/{event_id}/correct")
def correct_form(request: Request, plan_id: UUID, event_id: str, user: PageUser, ledger: LedgerDep) -> Response:
    plan, entry = _entry(ledger, user, plan_id, event_id)
    return _correct_page(request, plan, entry, _current(entry), FormErrors(), plan.version)


@router.post("/plans/{plan_id}/entries/{event_id}/correct")
def correct(request: Request, form: PostedForm, plan_id: UUID, event_id: str, user: PageUser,
            ledger: LedgerDep) -> Response:
    plan, entry = _entry(ledger, user, plan_id, event_id)
    reader = FormReader(form, labels={**OWN_REASON, **{i.name: i.label for i in _inputs(entry)}})
    record, changes, names = entry.record, {}, {"reason": "reason"}
    for key, spec in correctable_fields(record).items():
        name, widget = _input_name(key), _widget(spec)
        names[f"changes.{key}"] = name
        value: Any
        if widget == "date":
            value = reader.date(name)
        elif widget in ("whole", "number"):
            value = reader.number(name, whole=widget == "whole")
        elif widget == "barriers":
            value = reader.choices(name)
        elif widget == "attendees":
            value = attendee_rows(reader)
        else:
            value = reader.text(name)
        before = current_value(record, key)
        if value != before and not (value is None and before in (None, "")):
            changes[key] = value
    values = {**_current(entry), **reader.raw()}
    if not reader.errors:
        try:
            if error := stopped(reader):
                raise error
            ledger.commands.correct(user, plan_id, event_id=event_id, reason=reader.text("reason"),  # type: ignore[arg-type]
                                    changes=changes, if_match=reader.version())
        except LedgerError as e:
            errors, version = refused_form(e, reader, plan, names)
            return _correct_page(request, plan, entry, values, errors, version)
        return redirect_with_notice(f"/plans/{plan_id}", "entry-corrected", request)
    return _correct_page(request, plan, entry, values, reader.errors, reader.version() or plan.version)


def _void_page(request: Request, plan: PlanForm, entry: Entry, values: dict[str, Any], errors: FormErrors,
               version: int) -> Response:
    record = entry.record
    return render(request, "forms/void.html", status_code=errors.status if errors else 200,
                  title="Strike out an entry recorded in error", plan=plan, record=record, what=entry.what,
                  roles=wording.ROLE_NAMES, values=values,
                  errors=errors, version=version, button="Strike it out", button_classes="govuk-button--warning",
                  action=f"/plans/{plan.plan_id}/entries/{record['event_id']}/void", back=f"/plans/{plan.plan_id}")


@router.get("/plans/{plan_id}/entries/{event_id}/void")
def void_form(request: Request, plan_id: UUID, event_id: str, user: PageUser, ledger: LedgerDep) -> Response:
    plan, entry = _entry(ledger, user, plan_id, event_id)
    return _void_page(request, plan, entry, {}, FormErrors(), plan.version)


@router.post("/plans/{plan_id}/entries/{event_id}/void")
def void(request: Request, form: PostedForm, plan_id: UUID, event_id: str, user: PageUser,
         ledger: LedgerDep) -> Response:
    plan, entry = _entry(ledger, user, plan_id, event_id)
    reader = FormReader(form)
    try:
        if error := stopped(reader):
            raise error
        ledger.commands.correct(user, plan_id, event_id=event_id, reason=reader.text("reason"),  # type: ignore[arg-type]
                                void=True, if_match=reader.version())
    except LedgerError as e:
        return _void_page(request, plan, entry, reader.raw(), *refused_form(e, reader, plan))
    return redirect_with_notice(f"/plans/{plan_id}", "entry-voided", request)
