"""Sessions of provision, delivered or missed (CONTRACT.md §8): their fields, and when a provision can have one.

A session is recorded on each pupil's plan, dated by the day it happened (its ``agreed_on``), so that what was
delivered sits in the same hash-chained history as what was agreed, and a correction can fix it like any entry.
A provision can have a session only on a day it was in force: agreed by then, not yet ended, not paused, and
within its ``starts_on`` .. ``ends_on`` as they stood that day. That is the same "as of" reading the planned-sessions
report uses, so a session is never recorded against a day the report says nothing was owed for that reason.

A session is one of a kind (:func:`session_refusal`): only on a school day of the setting (no session happens on a
Saturday, a bank holiday or in half term); one session of a provision for a pupil on a date, unless each is given
the time it started (``starts_at``), so that the same register typed in twice is refused rather than counted twice;
and a session is never recorded both delivered and missed. An entry recorded in error is struck out with a void
(CONTRACT.md §5) and then no longer stands in the way.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from isp_ledger.domain.calendar import SchoolCalendar, say_date
from isp_ledger.domain.codes import MISSED_REASONS
from isp_ledger.domain.codes import SESSION_STATUSES as STATUSES
from isp_ledger.domain.errors import FieldError, InvalidInput
from isp_ledger.domain.planning import in_force_on, plan_schedule
from isp_ledger.domain.records import SESSION_EVENT, SESSIONS, Record, fold_item, is_paused_on, is_voided
from isp_ledger.domain.sections import LIVE_STATUSES
from isp_ledger.domain.stamp import london_day
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


@dataclass(frozen=True)
class TimeOfDay(Text):
    """A time of day, ``HH:MM`` on the 24-hour clock (London time)."""

    max_length: int = 5
    required: bool = False

    PATTERN = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")

    def clean(self, value: Any) -> str | None:
        cleaned = super().clean(value)
        if cleaned is not None and not self.PATTERN.match(cleaned):
            raise ValueError(f"must be a time of day as HH:MM on the 24-hour clock, such as 13:30 (got {value!r})")
        return cleaned


SESSION_FIELDS: dict[str, Field] = {
    "date": Date(),
    "starts_at": TimeOfDay(),
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


def session_refusal(plan: PlanState, provision_id: str, session: dict[str, Any],
                    calendar: SchoolCalendar) -> tuple[str, str] | None:
    """Why this session (as cleaned by :func:`clean_session`) of a provision in force that day cannot be recorded
    on the plan, by the calendar of the setting that day (a rule and a sentence), or ``None``.

    ``not_a_school_day``: nothing is delivered on a weekend, a bank holiday, a holiday or a closure day.
    ``session_already_recorded``: the provision already has a session for this pupil on that date at the same
    ``starts_at`` (or, when either was recorded without one, on that date at all). ``session_contradicts_record``:
    that session was recorded with the other status (delivered against missed). The detail names the entry
    already recorded and says how to strike it out if it was recorded in error.
    """
    day = dt.date.fromisoformat(session["date"])
    why_not = calendar.why_not_a_school_day(day)
    if why_not is not None:
        return ("not_a_school_day",
                f"{say_date(day)} was {why_not}, not a school day of setting {plan.setting_urn}: no session of "
                "provision is recorded on it. If the school was open that day, its calendar needs correcting first "
                f"(PUT /v1/settings/{plan.setting_urn}/calendar)")
    existing = same_slot(plan, provision_id, session["date"], session.get("starts_at"))
    if existing is None:
        return None
    data = existing["data"]
    recorded = (f"entry {existing['version']} (event {existing['event_id']}), recorded as "
                f"{data['status']}{' at ' + data['starts_at'] if data.get('starts_at') else ''}")
    void = (f"If that entry was recorded in error, strike it out first: POST /v1/plans/{plan.id}/corrections "
            f'with {{"event_id": "{existing["event_id"]}", "reason": "...", "void": true}}')
    if data["status"] != session["status"]:
        return ("session_contradicts_record",
                f"This session on {say_date(day)} is already {recorded}: it cannot also be {session['status']}. "
                f"{void}, or correct it")
    if session.get("starts_at") and data.get("starts_at"):
        second = ""
    else:
        second = " To record a second session that day, give each its starts_at (HH:MM), correcting the first."
    return ("session_already_recorded",
            f"A session of this provision on {say_date(day)} is already recorded: {recorded}.{second} {void}")


def same_slot(plan: PlanState, provision_id: str, date: str, starts_at: str | None,
              other_than: str | None = None) -> Record | None:
    """The session of the provision already recorded (and not voided) on ``date`` at ``starts_at``: at the same
    time, or on that date at all when either has no time given. ``other_than``: the event id of a session being
    corrected, which is no clash with itself."""
    for record in plan.facts.get(SESSIONS, ()):
        data = record["data"]
        if data["provision_id"] != provision_id or data["date"] != date or is_voided(record):
            continue
        if record["event_id"] == other_than:
            continue
        if starts_at is None or data.get("starts_at") is None or data.get("starts_at") == starts_at:
            return record
    return None


# ------------------------------------------------------------------------------------------------ late entries

ONE_DAY = dt.timedelta(days=1)


def is_late(day: dt.date, recorded_on: dt.date, calendar: SchoolCalendar, late_entry_days: int) -> bool:
    """Whether a session held on ``day`` and recorded on ``recorded_on`` (the London date of its ``recorded_at``)
    is a late entry: recorded more than ``late_entry_days`` school days after its date, counted with the setting's
    calendar (``ISP_LEDGER_LATE_ENTRY_DAYS``, 5 by default). The school days counted are those after the session's
    day, up to and including the day it was recorded: recorded the same day or the next school day is on time;
    recorded on the sixth school day after it, late. Weekends and holidays in between do not count against staff."""
    if (recorded_on - day).days <= late_entry_days:
        return False  # fewer calendar days than the limit: it cannot hold more school days
    counted = 0
    current = day + ONE_DAY
    while current <= recorded_on:
        if calendar.is_school_day(current):
            counted += 1
            if counted > late_entry_days:
                return True
        current += ONE_DAY
    return False


def late_sessions(plan: PlanState, calendar_of: Callable[[str], SchoolCalendar], late_entry_days: int) -> set[str]:
    """The event ids of the plan's sessions that are late entries, each by the calendar of the setting the plan
    was in on the session's day (a voided session too: it was still entered late)."""
    terms = plan_schedule(plan.records["plan"])
    late = set()
    for record in plan.facts.get(SESSIONS, ()):
        day = dt.date.fromisoformat(record["data"]["date"])
        setting_urn = (in_force_on(terms, day) or terms[0]).setting_urn
        if is_late(day, dt.date.fromisoformat(london_day(record["recorded_at"])), calendar_of(setting_urn),
                   late_entry_days):
            late.add(record["event_id"])
    return late
