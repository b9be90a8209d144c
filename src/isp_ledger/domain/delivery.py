"""Sessions of provision, delivered or missed (CONTRACT.md §8): their fields, and when a provision can have one.

A session is recorded on each pupil's plan, dated by the day it happened (its ``agreed_on``), so that what was
delivered sits in the same hash-chained history as what was agreed, and a correction can fix it like any entry.
A provision can have a session only on a day it was in force: agreed by then, not yet ended, not paused, and
within its ``starts_on`` .. ``ends_on`` as they stood that day. That is the same "as of" reading the planned-sessions
report uses, so a session is never recorded against a day the report says nothing was owed for that reason.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from isp_ledger.domain.codes import MISSED_REASONS
from isp_ledger.domain.codes import SESSION_STATUSES as STATUSES
from isp_ledger.domain.errors import FieldError, InvalidInput
from isp_ledger.domain.records import SESSION_EVENT, SESSIONS, fold_item, is_paused_on, is_voided
from isp_ledger.domain.sections import LIVE_STATUSES
from isp_ledger.domain.state import PlanState
from isp_ledger.domain.validation import LONG_TEXT, SHORT_TEXT, Checker, Choice, Date, Field, Integer, Text

# Kept here too, where readers of sessions look for them.
__all__ = ["MISSED_REASONS", "SESSIONS", "SESSION_EVENT", "STATUSES"]

MAX_ENTRIES = 60  # a session for a whole class, with room to spare


@dataclass(frozen=True)
class OrNone(Field):
    """A field that may be left out (``None``); when given, ``spec`` checks it."""

    spec: Field
    required: bool = False

    def clean(self, value: Any) -> Any:
        return None if value is None else self.spec.clean(value)


SESSION_FIELDS: dict[str, Field] = {
    "date": Date(),
    "status": Choice(STATUSES),
    "minutes": OrNone(Integer(1, 480)),
    "missed_reason": Choice(MISSED_REASONS, required=False),
    "delivered_by": Text(SHORT_TEXT, required=False),
    "note": Text(LONG_TEXT, required=False),
}


def clean_session(fields: dict[str, Any], today: str) -> dict[str, Any]:
    """The session's fields as recorded (shared by every entry of a group), or :class:`InvalidInput`."""
    check = Checker()
    cleaned = check.clean_all(SESSION_FIELDS, fields)
    if cleaned["date"] and cleaned["date"] > today:
        check.fail("date", f"must not be after today ({today}, Europe/London); record a session once it is held")
    check.errors.extend(session_errors(cleaned))
    check.done()
    return cleaned


def session_errors(data: dict[str, Any]) -> list[FieldError]:
    """A missed session says why and has no minutes; a delivered one has no reason for being missed."""
    errors = []
    if data.get("status") == "missed":
        if not data.get("missed_reason"):
            errors.append(FieldError("missed_reason", f"is required when a session was missed: one of "
                                                      f"{', '.join(MISSED_REASONS)}"))
        if data.get("minutes") is not None:
            errors.append(FieldError("minutes", "only a delivered session has minutes; leave it out when missed"))
    elif data.get("status") == "delivered" and data.get("missed_reason"):
        errors.append(FieldError("missed_reason", "only a missed session has a reason for being missed"))
    return errors


def clean_entries(entries: Any) -> list[tuple[uuid.UUID, str]]:
    """The ``(plan_id, provision_id)`` of each entry of a session; duplicates and bad ids are :class:`InvalidInput`."""
    if not isinstance(entries, list) or not entries:
        raise InvalidInput.field("entries", "must list at least one {plan_id, provision_id}")
    if len(entries) > MAX_ENTRIES:
        raise InvalidInput.field("entries", f"must list at most {MAX_ENTRIES} pupils' provisions")
    errors: list[FieldError] = []
    cleaned: list[tuple[uuid.UUID, str]] = []
    seen: dict[tuple[uuid.UUID, str], int] = {}
    for index, entry in enumerate(entries):
        where = f"entries.{index}"
        if not isinstance(entry, dict) or set(entry) != {"plan_id", "provision_id"}:
            errors.append(FieldError(where, "must be an object with exactly a plan_id and a provision_id"))
            continue
        try:
            plan_id = uuid.UUID(str(entry["plan_id"]))
        except ValueError:
            errors.append(FieldError(f"{where}.plan_id", "must be a plan id"))
            continue
        provision_id = entry["provision_id"]
        if not isinstance(provision_id, str) or not provision_id.strip() or len(provision_id) > SHORT_TEXT:
            errors.append(FieldError(f"{where}.provision_id", "must be a provision id"))
            continue
        key = (plan_id, provision_id)
        if key in seen:
            errors.append(FieldError(where, f"names the same plan and provision as entry {seen[key]}; a pupil "
                                            "attends a session once"))
            continue
        seen[key] = index
        cleaned.append(key)
    if errors:
        raise InvalidInput(errors)
    return cleaned


def provision_refusal(plan: PlanState, provision_id: str, day: str) -> tuple[str, str] | None:
    """Why the plan's provision could not have had a session on ``day`` (a rule and a sentence), or ``None``.

    The rule ``not_a_provision`` means the id names no provision of this plan at all.
    """
    if plan.item_section.get(provision_id) != "provisions":
        return "not_a_provision", f"{provision_id} is not a provision of this plan"
    records = plan.records[provision_id]
    if is_voided(records[0]):
        return ("provision_voided", f"Provision '{plan.items[provision_id]['description']}' was struck out as "
                "recorded in error; it has no sessions")
    item = fold_item(provision_id, records, day)
    name = f"Provision '{(item or plan.items[provision_id])['description']}'"
    if item is None:
        return ("provision_not_started",
                f"{name} was agreed on {records[0]['agreed_on']}; it had no sessions on {day}. If it was agreed "
                "earlier than recorded, correct the date it was agreed first")
    if item["status"] not in LIVE_STATUSES:
        return ("provision_ended",
                f"{name} was ended on {item['ended_on']}; from that day it has no sessions (this one is on {day})")
    if day < item["starts_on"]:
        return "provision_not_started", f"{name} starts on {item['starts_on']}; a session on {day} predates it"
    if item.get("ends_on") and day > item["ends_on"]:
        return "provision_ended", f"{name} ends on {item['ends_on']}; a session on {day} is after it ended"
    if is_paused_on(item, day):
        until = f"until {item['paused_until']}" if item.get("paused_until") else "until resumed"
        return ("provision_paused",
                f"{name} was paused on {item['paused_on']} ({until}; reason: {item['paused_reason']}); it had no "
                f"sessions on {day}. If it restarted earlier, resume it from the day it restarted first")
    return None
