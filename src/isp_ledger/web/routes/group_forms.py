"""Making, changing and retiring a setting's groups (``/settings/{urn}/groups/new``, ``.../{group_id}/edit``,
``.../{group_id}/retire``): name, who leads it, and its members, ticked from the setting's open plans' provisions in
force today ("Amira K. — Phonics catch-up, 3×20 min").

The setting's SENCO and administrators may (``access.require_can_manage_setting``, as ``ledger.groups`` asks it);
the candidates come from the plan index (each listed plan logged as the API logs a listing) and the plans
themselves. A change sends the version the form showed: a group changed meanwhile comes back as the same form.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from isp_ledger import access, reading
from isp_ledger.access import User
from isp_ledger.application import Ledger
from isp_ledger.domain import delivery
from isp_ledger.domain.errors import FieldError, InvalidInput, LedgerError, RuleViolation, StaleVersion
from isp_ledger.domain.stamp import london_date
from isp_ledger.read_side import ReadSide
from isp_ledger.web.deps import FormFields, LedgerDep, PageUser, ReadSideDep
from isp_ledger.web.errors import PageRoute
from isp_ledger.web.forms import FormErrors
from isp_ledger.web.routes.groups import member_label, ticked_boxes
from isp_ledger.web.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

MAX_PLANS = 1000  # a setting's open plans, read a page at a time
STALE = "The group changed since you opened this page. Check it as it is now, then try again."


def candidates(ledger: Ledger, read_side: ReadSide, user: User, setting_urn: str) -> list[dict[str, str]]:
    """Each open plan's provisions in force today, as checkboxes: ``{"key": "plan:provision", "label": ...}``."""
    today = london_date(ledger.clock.now()).isoformat()
    rows: list[dict[str, str]] = []
    cursor = None
    while len(rows) < MAX_PLANS:
        listing = reading.list_plans(ledger, read_side, user, setting_urn=setting_urn, status="open", limit=200,
                                     cursor=cursor)
        for row in listing.plans:
            try:
                plan = ledger.plans.require_visible(user, UUID(row["plan_id"]))
            except LedgerError:
                continue
            for item_id in plan.section_items["provisions"]:
                item = plan.items[item_id]
                if delivery.provision_refusal(plan, item_id, today) is not None:
                    continue
                member = {"visible": True, "pupil": row["pupil"], "provision": {"description": item["description"]}}
                rows.append({"key": f"{row['plan_id']}:{item_id}", "label": member_label(member, item)})
        cursor = listing.next_cursor
        if cursor is None:
            break
    return rows


def _form_page(request: Request, ledger: Ledger, read_side: ReadSide, user: User, setting_urn: str, *,
               group: dict[str, Any] | None = None, status: int = 200, errors: FormErrors | None = None,
               form: dict[str, str] | None = None, ticked: set[str] | None = None) -> Response:
    access.require_can_manage_setting(user, setting_urn, "its groups")
    choices = candidates(ledger, read_side, user, setting_urn)
    if group is not None:  # its members first, whether or not still in force
        offered = {c["key"] for c in choices}
        choices = [{"key": f"{m['plan_id']}:{m['provision_id']}", "label": member_label(m, None)}
                   for m in group["members"] if f"{m['plan_id']}:{m['provision_id']}" not in offered] + choices
    if form is None:
        form = {"name": group["name"], "led_by": group["led_by"] or "", "version": str(group["version"])} if group \
            else {}
        ticked = {f"{m['plan_id']}:{m['provision_id']}" for m in group["members"]} if group else set()
    return render(request, "groups/form.html", status_code=status, user=user,
                  title=f"Change {group['name']}" if group else "Create a group", group=group,
                  setting_urn=setting_urn, choices=choices, form=form, ticked=ticked or set(),
                  errors=errors or FormErrors())


def _errors(error: LedgerError) -> FormErrors:
    if isinstance(error, InvalidInput):  # members.3.plan_id and the like: said of the members' checkboxes
        error = InvalidInput([FieldError("members", f"Members: {p.message}") if p.field.startswith("members")
                              else FieldError(p.field, f"{'Name' if p.field == 'name' else 'Led by'} {p.message}")
                              for p in error.errors])
    errors = FormErrors.of(error, {"members": "members"})
    if isinstance(error, StaleVersion):
        errors.summary = [{"text": STALE}]
    return errors


def _members(ticked: list[str]) -> list[dict[str, str]]:
    return [{"plan_id": key.partition(":")[0], "provision_id": key.partition(":")[2]} for key in ticked]


Ticked = Annotated[list[str], Depends(ticked_boxes)]


@router.get("/settings/{setting_urn}/groups/new")
def new_group(request: Request, setting_urn: str, user: PageUser, ledger: LedgerDep,
              read_side: ReadSideDep) -> Response:
    return _form_page(request, ledger, read_side, user, setting_urn)


@router.post("/settings/{setting_urn}/groups/new")
def create_group(request: Request, setting_urn: str, user: PageUser, ledger: LedgerDep, read_side: ReadSideDep,
                 form: FormFields, ticked: Ticked) -> Response:
    try:
        ledger.groups.create(user, setting_urn, name=form.get("name", ""), led_by=form.get("led_by") or None,
                             members=_members(ticked))
    except (InvalidInput, RuleViolation) as e:
        errors = _errors(e)
        return _form_page(request, ledger, read_side, user, setting_urn, status=errors.status, errors=errors,
                          form=form, ticked=set(ticked))
    return RedirectResponse(f"/settings/{setting_urn}/groups?done=group-created", status_code=303)


@router.get("/settings/{setting_urn}/groups/{group_id}/edit")
def edit_group(request: Request, setting_urn: str, group_id: UUID, user: PageUser, ledger: LedgerDep,
               read_side: ReadSideDep) -> Response:
    access.require_can_manage_setting(user, setting_urn, "its groups")
    group = ledger.groups.get(user, setting_urn, group_id)
    return _form_page(request, ledger, read_side, user, setting_urn, group=group)


@router.post("/settings/{setting_urn}/groups/{group_id}/edit")
def change_group(request: Request, setting_urn: str, group_id: UUID, user: PageUser, ledger: LedgerDep,
                 read_side: ReadSideDep, form: FormFields, ticked: Ticked) -> Response:
    try:
        ledger.groups.change(user, setting_urn, group_id, name=form.get("name", ""),
                             led_by=form.get("led_by") or None, members=_members(ticked), if_match=_version(form))
    except (InvalidInput, RuleViolation, StaleVersion) as e:
        errors = _errors(e)
        group = ledger.groups.get(user, setting_urn, group_id)
        return _form_page(request, ledger, read_side, user, setting_urn, group=group, status=errors.status,
                          errors=errors, form=form, ticked=set(ticked))
    return RedirectResponse(f"/settings/{setting_urn}/groups?done=group-changed", status_code=303)


@router.get("/settings/{setting_urn}/groups/{group_id}/retire")
def retire_confirm(request: Request, setting_urn: str, group_id: UUID, user: PageUser, ledger: LedgerDep) -> Response:
    return _retire_page(request, setting_urn, group_id, user, ledger, None)


def _retire_page(request: Request, setting_urn: str, group_id: UUID, user: User, ledger: Ledger,
                 errors: FormErrors | None) -> Response:
    access.require_can_manage_setting(user, setting_urn, "its groups")
    group = ledger.groups.get(user, setting_urn, group_id)
    return render(request, "groups/retire.html", status_code=errors.status if errors else 200, user=user,
                  title=f"Retire {group['name']}", group=group, setting_urn=setting_urn,
                  errors=errors or FormErrors())


@router.post("/settings/{setting_urn}/groups/{group_id}/retire")
def retire_group(request: Request, setting_urn: str, group_id: UUID, user: PageUser, ledger: LedgerDep,
                 form: FormFields) -> Response:
    try:
        ledger.groups.retire(user, setting_urn, group_id, if_match=_version(form))
    except (RuleViolation, StaleVersion) as e:
        return _retire_page(request, setting_urn, group_id, user, ledger, _errors(e))
    return RedirectResponse(f"/settings/{setting_urn}/groups?done=group-retired", status_code=303)


def _version(form: dict[str, str]) -> int | None:
    try:
        return int(form.get("version", ""))
    except ValueError:
        return None
