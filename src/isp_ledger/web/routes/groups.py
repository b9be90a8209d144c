"""A setting's saved groups (CONTRACT.md §8) for its staff: the live groups (``/settings/{urn}/groups``), and logging
a session from one (``.../{group_id}/session``), the teaching assistant's most frequent task: every member ticked,
today's date, one button.

The rules are the application's (``ledger.groups``): who may read and log, and every refusal of a session (a
weekend, a session already recorded, a provision ended), which comes back as the same form naming the pupil. After
saving, the groups list says how many pupils were recorded (``?saved=N-M``: two numbers, never words from a link).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from isp_ledger import access
from isp_ledger.access import User
from isp_ledger.application import Ledger
from isp_ledger.domain.codes import MISSED_REASONS
from isp_ledger.domain.errors import FieldError, Forbidden, InvalidInput, LedgerError, RuleViolation
from isp_ledger.domain.stamp import london_date
from isp_ledger.web.deps import FormFields, LedgerDep, PageUser
from isp_ledger.web.errors import PageRoute
from isp_ledger.web.forms import FormErrors
from isp_ledger.web.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

ABSENT_REASONS = {"pupil_absent": "Pupil absent", "staff_absent": "Staff absent",
                  "timetable_clash": "Timetable clash", "school_closed": "School closed",
                  "pupil_declined": "Pupil declined", "other": "Another reason"}
assert set(ABSENT_REASONS) == set(MISSED_REASONS)
NOTICES = {"group-created": "Group created", "group-changed": "Group changed", "group-retired": "Group retired"}
SAVED = re.compile(r"^(\d{1,3})-(\d{1,3})$")
MEMBER_ERROR = re.compile(r"^members\.(\d+) \(plan [0-9a-f-]+\): ")
SESSION_NAMES = {"date": "date-day", "starts_at": "starts_at", "minutes": "minutes", "note": "note",
                 "absent_reason": "absent_reason"}


def may_manage(user: User, setting_urn: str) -> bool:
    """Whether the page shows "Create a group" and "Change": asked of ``access.py``, which decides it."""
    try:
        access.require_can_manage_setting(user, setting_urn, "its groups")
    except Forbidden:
        return False
    return True


def member_label(member: dict[str, Any], plan: dict[str, Any] | None) -> str:
    """"Amira K. — Phonics catch-up, 3×20 min", from what the caller may see."""
    pupil = member.get("pupil") or {}
    if not member.get("visible") or pupil.get("family_name") is None:
        return "A pupil you cannot see" if not member.get("visible") else "Erased pupil"
    name = f"{pupil['given_name']} {pupil['family_name'][:1]}."
    description = (member.get("provision") or {}).get("description") or "provision"
    if plan and plan.get("sessions_per_week") and plan.get("minutes_per_session"):
        return f"{name} — {description}, {plan['sessions_per_week']}×{plan['minutes_per_session']} min"
    return f"{name} — {description}"


def _provision_terms(ledger: Ledger, user: User, member: dict[str, Any]) -> dict[str, Any] | None:
    if not member.get("visible"):
        return None
    try:
        plan = ledger.plans.require_visible(user, UUID(member["plan_id"]))
    except LedgerError:
        return None
    item = plan.items.get(member["provision_id"]) or {}
    return {"sessions_per_week": item.get("sessions_per_week"), "minutes_per_session": item.get("minutes_per_session")}


@router.get("/settings/{setting_urn}/groups")
def groups_list(request: Request, setting_urn: str, user: PageUser, ledger: LedgerDep,
                saved: str | None = None, done: str | None = None) -> Response:
    groups = ledger.groups.list(user, setting_urn)
    counts = SAVED.match(saved or "")
    notice = NOTICES.get(done or "")
    if counts:
        present, absent = int(counts.group(1)), int(counts.group(2))
        notice = f"Session saved for {present + absent} pupil{'' if present + absent == 1 else 's'}" + (
            f" ({absent} absent)" if absent else "")
    return render(request, "groups/list.html", user=user, title="Groups", groups=groups, setting_urn=setting_urn,
                  setting=ledger.setting_details.shown(setting_urn)["shown_as"], notice=notice,
                  may_manage=may_manage(user, setting_urn))


def _session_page(request: Request, ledger: Ledger, user: User, setting_urn: str, group_id: UUID, *,
                  status: int = 200, errors: FormErrors | None = None, form: dict[str, str] | None = None,
                  ticked: set[str] | None = None) -> Response:
    group = ledger.groups.get(user, setting_urn, group_id)
    if group["retired"]:
        raise RuleViolation("group_retired", f"Group '{group['name']}' was retired; it can no longer be used")
    today = london_date(ledger.clock.now())
    members = [{**m, "key": f"{m['plan_id']}:{m['provision_id']}",
                "label": member_label(m, _provision_terms(ledger, user, m))} for m in group["members"]]
    values = form or {"date-day": str(today.day), "date-month": str(today.month), "date-year": str(today.year)}
    return render(request, "groups/session.html", status_code=status, user=user,
                  title=f"Log a session: {group['name']}", group=group,
                  members=members, setting_urn=setting_urn, form=values,
                  ticked={m["key"] for m in members} if ticked is None else ticked,
                  reasons=ABSENT_REASONS, errors=errors or FormErrors())


@router.get("/settings/{setting_urn}/groups/{group_id}/session")
def session_form(request: Request, setting_urn: str, group_id: UUID, user: PageUser, ledger: LedgerDep) -> Response:
    access.require_role_may(user, access.Action.RECORD_DELIVERY)
    return _session_page(request, ledger, user, setting_urn, group_id)


async def ticked_boxes(request: Request) -> list[str]:
    """The values of the ticked "attended" checkboxes (``FormFields`` keeps one value a name)."""
    return [value for value in (await request.form()).getlist("attended") if isinstance(value, str)]


@router.post("/settings/{setting_urn}/groups/{group_id}/session")
def save_session(request: Request, setting_urn: str, group_id: UUID, user: PageUser, ledger: LedgerDep,
                 form: FormFields, ticked: Annotated[list[str], Depends(ticked_boxes)]) -> Response:
    try:
        date = _date(form)
        attended = [{"plan_id": key.partition(":")[0], "provision_id": key.partition(":")[2]} for key in ticked]
        result = ledger.groups.log_session(
            user, setting_urn, group_id, date=date, attended=attended, starts_at=form.get("starts_at") or None,
            minutes=_minutes(form.get("minutes", "")), absent_reason=form.get("absent_reason") or None,
            note=form.get("note") or None)
    except (InvalidInput, RuleViolation) as e:
        group = ledger.groups.get(user, setting_urn, group_id)
        errors = FormErrors.of(_named(e, group), SESSION_NAMES)
        return _session_page(request, ledger, user, setting_urn, group_id, status=errors.status, errors=errors,
                             form=form, ticked=set(ticked))
    entries = result.body["entries"]
    present = sum(1 for entry in entries if entry["status"] == "delivered")
    return RedirectResponse(f"/settings/{setting_urn}/groups?saved={present}-{len(entries) - present}",
                            status_code=303)


def _named(error: LedgerError, group: dict[str, Any]) -> LedgerError:
    """A refusal naming ``members.N`` (as the API does) said with that member's pupil and provision instead."""
    labels = [member_label(m, None) for m in group["members"]]
    if isinstance(error, RuleViolation):
        found = MEMBER_ERROR.match(error.detail)
        if found and int(found.group(1)) < len(labels):
            return RuleViolation(error.rule, f"{labels[int(found.group(1))]}: {error.detail[found.end():]}")
        return error
    assert isinstance(error, InvalidInput)
    problems = []
    for problem in error.errors:
        parts = problem.field.split(".")
        if parts[0] == "members" and len(parts) > 2 and parts[1].isdigit() and int(parts[1]) < len(labels):
            field = parts[2] if parts[2] in SESSION_NAMES else "attended"
            problems.append(FieldError(field, f"{labels[int(parts[1])]}: {parts[2]} {problem.message}"))
        elif parts[0] == "date":
            problems.append(FieldError("date", f"Date {problem.message}"))
        else:
            problems.append(problem)
    return InvalidInput(problems)


def _date(form: dict[str, str]) -> str:
    parts = [form.get(f"date-{part}", "").strip() for part in ("day", "month", "year")]
    try:
        return dt.date(int(parts[2]), int(parts[1]), int(parts[0])).isoformat()
    except ValueError:
        raise InvalidInput.field("date", "Enter the date of the session as a real date, such as 19 11 2026") \
            from None


def _minutes(text: str) -> int | str | None:
    text = text.strip()
    if not text:
        return None
    return int(text) if text.isdigit() else text  # not a number: the application refuses it, naming the field
