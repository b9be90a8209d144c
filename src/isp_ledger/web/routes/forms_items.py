"""The forms of a plan's items (CONTRACT.md §4): add, change and end a need (barrier), a provision, an
adjustment or an outcome, and record progress towards an outcome.

Each form posts the plan's version the person saw (If-Match); a change sends only the fields that differ from
the item as it was shown. Every rule (which barriers a provision may address, dates in order, back-dating) is the
domain's, shown beside the field it is about.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from starlette.responses import Response

from isp_ledger.access import Action
from isp_ledger.domain.errors import LedgerError, NotFound
from isp_ledger.domain.sections import SECTIONS
from isp_ledger.web.deps import LedgerDep, PageUser, PostedForm
from isp_ledger.web.errors import PageRoute
from isp_ledger.web.forms import FormErrors
from isp_ledger.web.notices import redirect_with_notice
from isp_ledger.web.routes.forms_support import (
    CHOICES,
    FormReader,
    PlanForm,
    plan_form,
    refused_form,
    stopped,
    with_dates,
)
from isp_ledger.web.routes.item_fields import END_LABELS, FIELDS, NOUNS, form_labels, item_values, read_fields
from isp_ledger.web.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _section(kind: str) -> str:
    if kind not in SECTIONS:
        raise NotFound(f"No section {kind}")
    return kind


def _item_page(request: Request, plan: PlanForm, kind: str, item: dict[str, Any] | None, values: dict[str, Any],
               errors: FormErrors, version: int) -> Response:
    noun = NOUNS[kind]
    barriers = {b["id"]: b["description"] for b in plan.live_barriers()}
    if item is not None:  # a barrier this item addresses, since ended, is still shown (to be unticked)
        barriers.update({b["id"]: f"{b['description']} (no longer in place)" for b in plan.document["barriers"]
                         if b["id"] in item.get("barrier_ids", ()) and b["id"] not in barriers})
    path = f"/plans/{plan.plan_id}/{kind}/" + (f"{item['id']}/edit" if item else "new")
    return render(request, "forms/item.html", status_code=errors.status if errors else 200,
                  title=f"Change {noun.the}" if item else f"Add {noun.a}", noun=noun, kind=kind, plan=plan,
                  fields=FIELDS[kind], choices=CHOICES, barriers=barriers, values=values, errors=errors,
                  editing=item is not None, action=path, version=version,
                  button="Save the change" if item else f"Add {noun.a}", back=f"/plans/{plan.plan_id}")


@router.get("/plans/{plan_id}/{kind}/new")
def add_item_form(request: Request, plan_id: UUID, kind: str, user: PageUser, ledger: LedgerDep) -> Response:
    plan = plan_form(ledger, user, plan_id, Action.EDIT)
    values = with_dates({}, {"agreed_on": ledger.history.today()})
    return _item_page(request, plan, _section(kind), None, values, FormErrors(), plan.version)


@router.post("/plans/{plan_id}/{kind}/new")
def add_item(request: Request, form: PostedForm, plan_id: UUID, kind: str, user: PageUser,
             ledger: LedgerDep) -> Response:
    plan = plan_form(ledger, user, plan_id, Action.EDIT)
    kind = _section(kind)
    reader = FormReader(form, labels=form_labels(kind))
    fields = read_fields(reader, kind)
    agreed_on = reader.date("agreed_on")
    if not reader.errors:
        try:
            if error := stopped(reader):
                raise error
            ledger.commands.add_item(user, plan_id, kind, fields, agreed_on=agreed_on, if_match=reader.version())
        except LedgerError as e:
            return _item_page(request, plan, kind, None, reader.raw(), *refused_form(e, reader, plan))
        return redirect_with_notice(f"/plans/{plan_id}", f"{kind}-added", request)
    return _item_page(request, plan, kind, None, reader.raw(), reader.errors, reader.version() or plan.version)


@router.get("/plans/{plan_id}/{kind}/{item_id}/edit")
def change_item_form(request: Request, plan_id: UUID, kind: str, item_id: str, user: PageUser,
                     ledger: LedgerDep) -> Response:
    plan = plan_form(ledger, user, plan_id, Action.EDIT)
    item = plan.item(_section(kind), item_id)
    values = with_dates(item_values(kind, item), {"agreed_on": ledger.history.today()})
    return _item_page(request, plan, kind, item, values, FormErrors(), plan.version)


@router.post("/plans/{plan_id}/{kind}/{item_id}/edit")
def change_item(request: Request, form: PostedForm, plan_id: UUID, kind: str, item_id: str, user: PageUser,
                      ledger: LedgerDep) -> Response:
    plan = plan_form(ledger, user, plan_id, Action.EDIT)
    item = plan.item(_section(kind), item_id)
    reader = FormReader(form, labels=form_labels(kind))
    fields = read_fields(reader, kind)
    agreed_on, reason = reader.date("agreed_on"), reader.text("reason")
    if not reader.errors:
        changes = {name: value for name, value in fields.items() if not _same(value, item.get(name))}
        try:
            if error := stopped(reader):
                raise error
            ledger.commands.amend_item(user, plan_id, kind, item_id, changes, agreed_on=agreed_on, reason=reason,
                                       if_match=reader.version())
        except LedgerError as e:
            errors, version = refused_form(e, reader, plan)
            return _item_page(request, plan, kind, item, reader.raw(), errors, version)
        return redirect_with_notice(f"/plans/{plan_id}", f"{kind}-changed", request)
    return _item_page(request, plan, kind, item, reader.raw(), reader.errors, reader.version() or plan.version)


def _same(new: Any, old: Any) -> bool:
    if isinstance(new, list) and isinstance(old, list):
        return sorted(new) == sorted(old)
    return bool(new == old)


def _end_page(request: Request, plan: PlanForm, kind: str, item: dict[str, Any], values: dict[str, Any],
              errors: FormErrors, version: int) -> Response:
    noun = NOUNS[kind]
    return render(request, "forms/end_item.html", status_code=errors.status if errors else 200,
                  title=f"{noun.end_verb} {noun.the}", noun=noun, kind=kind, item=item, plan=plan, values=values,
                  errors=errors, choices=CHOICES, action=f"/plans/{plan.plan_id}/{kind}/{item['id']}/end",
                  version=version, button=f"{noun.end_verb} {noun.the}", back=f"/plans/{plan.plan_id}")


@router.get("/plans/{plan_id}/{kind}/{item_id}/end")
def end_item_form(request: Request, plan_id: UUID, kind: str, item_id: str, user: PageUser,
                  ledger: LedgerDep) -> Response:
    plan = plan_form(ledger, user, plan_id, Action.EDIT)
    item = plan.item(_section(kind), item_id)
    values = with_dates({}, {"agreed_on": ledger.history.today()})
    return _end_page(request, plan, kind, item, values, FormErrors(), plan.version)


@router.post("/plans/{plan_id}/{kind}/{item_id}/end")
def end_item(request: Request, form: PostedForm, plan_id: UUID, kind: str, item_id: str, user: PageUser,
                   ledger: LedgerDep) -> Response:
    plan = plan_form(ledger, user, plan_id, Action.EDIT)
    item = plan.item(_section(kind), item_id)
    reader = FormReader(form, labels=END_LABELS)
    agreed_on = reader.date("agreed_on")
    if not reader.errors:
        try:
            if error := stopped(reader):
                raise error
            ledger.commands.end_item(user, plan_id, kind, item_id, reason=reader.text("reason"),  # type: ignore[arg-type]
                                     outcome=reader.text("outcome") if kind == "outcomes" else None,
                                     agreed_on=agreed_on, if_match=reader.version())
        except LedgerError as e:
            errors, version = refused_form(e, reader, plan)
            return _end_page(request, plan, kind, item, reader.raw(), errors, version)
        return redirect_with_notice(f"/plans/{plan_id}", f"{kind}-ended", request)
    return _end_page(request, plan, kind, item, reader.raw(), reader.errors, reader.version() or plan.version)
