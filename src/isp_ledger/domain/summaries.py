"""One line of plain English per event, for a parent reading the plan's history (timelines, evidence bundles).

"Provision amended: small-group phonics now 2 sessions a week (was 3). Reason: timetable change agreed with
parent." Each summary is made from the event and the plan just before it, so it can say what changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from isp_ledger.domain.events import PlanEvent
from isp_ledger.domain.grants import grants_of, spoken_date
from isp_ledger.domain.sections import SECTION_OF_EVENT
from isp_ledger.domain.state import PlanState
from isp_ledger.domain.wording import (
    AREA_NAMES,
    CONTRIBUTION_NAMES,
    EVENT_NAMES,
    FIELD_NAMES,
    LOCATION_NAMES,
    MISSED_REASON_NAMES,
    NEED_TYPE_NAMES,
    RESPONSE_METHOD_NAMES,
    RESPONSE_VERBS,
    ROLE_NAMES,
    TIER_NAMES,
)

MAX_QUOTE = 120


def summarise(event: PlanEvent, before: PlanState | None, data: dict[str, Any] | None = None) -> str:
    """The event in one line; ``before`` is the plan just before it (``None`` for the opening). ``data`` is
    ``event.data()``, when the caller has it already (it is only read)."""
    event_type = type(event).__name__
    if data is None:
        data = event.data()
    if event_type == "AcknowledgementRecorded":  # whose response it is depends on who recorded it
        text = _acknowledgement(data, before, event.actor)
    elif event_type in SECTION_OF_EVENT:
        text = _item(event_type, data, before)
    else:
        text = _SUMMARIES[event_type](data, before)
    if event.reason:
        text += f" Reason: {_sentence(event.reason)}"
    return text


def _item(event_type: str, data: dict[str, Any], before: PlanState | None) -> str:
    section = SECTION_OF_EVENT[event_type]
    noun = section.noun.capitalize()
    if event_type == section.added:
        return f"{noun} {section.added_verb}: {_describe_new(section.name, data, before)}."
    assert before is not None
    old = before.items[data["item_id"]]
    name = _short(old["description"])
    if event_type == section.amended:
        changes = data["changes"]
        parts = [_change(key, value, old.get(key), before) for key, value in changes.items()]
        return f"{noun} amended: {name} " + "; ".join(parts) + "."
    if event_type == section.paused:
        until = f" until {data['until']}" if data.get("until") else ""
        return f"{noun} paused: {name}{until}."
    if event_type == section.resumed:
        return f"{noun} resumed: {name}."
    result = f" ({data['outcome']})" if data.get("outcome") else ""
    return f"{noun} {section.ended_verb}{result}: {name}."


def _describe_new(section: str, data: dict[str, Any], before: PlanState | None) -> str:
    name = _short(data["description"])
    if section == "barriers":
        need = NEED_TYPE_NAMES.get(data["need_type"], data["need_type"])
        return f"{name} ({AREA_NAMES.get(data['area_of_need'], data['area_of_need'])}; {need})"
    if section == "provisions":
        group = "one-to-one" if data["group_size"] == 1 else f"in a group of {data['group_size']}"
        text = (f"{name}, {_number(data['sessions_per_week'])} {_plural(data['sessions_per_week'], 'session')} "
                f"a week of {data['minutes_per_session']} minutes, {group}, "
                f"{LOCATION_NAMES.get(data['location'], data['location'])}, by {_a(data['delivered_by'])}, "
                f"from {data['starts_on']}")
        if data.get("ends_on"):
            text += f" to {data['ends_on']}"
        return text
    if section == "adjustments":
        return f"{name} ({data['category']})"
    return f"{name}, by {data['target_date']}"


def _change(key: str, new: Any, old: Any, before: PlanState | None) -> str:
    label = FIELD_NAMES.get(key, key.replace("_", " "))
    new_text, old_text = _value(key, new, before), _value(key, old, before)
    if key == "sessions_per_week":
        return f"now {new_text} {_plural(new, 'session')} a week (was {old_text})"
    if key == "minutes_per_session":
        return f"now {new_text} minutes a session (was {old_text})"
    return f"{label} now {new_text} (was {old_text})"


def _value(key: str, value: Any, before: PlanState | None) -> str:
    if value is None or value == "":
        return "not set"
    if key == "barrier_ids" and before is not None:
        return ", ".join(_short(before.items[b]["description"]) if b in before.items else b for b in value)
    if key == "location":
        return str(LOCATION_NAMES.get(value, value))
    if key == "tier":
        return str(TIER_NAMES.get(value, value))
    if key == "missed_reason":
        return str(MISSED_REASON_NAMES.get(value, value))
    if key == "provision_id" and before is not None and value in before.items:
        return _short(before.items[value]["description"])
    if key == "area_of_need":
        return str(AREA_NAMES.get(value, value))
    if key == "method":
        return str(RESPONSE_METHOD_NAMES.get(value, value))
    if isinstance(value, (int, float)):
        return _number(value)
    if isinstance(value, list):
        return ", ".join(_short(str(v)) for v in value)
    return _short(str(value), limit=60)


def _opened(data: dict[str, Any], _before: PlanState | None) -> str:
    pupil = data["pupil"]
    name = _short(f"{pupil['given_name']} {pupil['family_name']}")
    text = f"Plan opened at the {TIER_NAMES[data['tier']]} tier for {name}"
    if data.get("ehcp_reference"):
        text += f" (EHCP {_short(data['ehcp_reference'])})"
    return text + f"; first review due {data['next_review_due']}."


def _tier(data: dict[str, Any], before: PlanState | None) -> str:
    old = TIER_NAMES[before.state["tier"]] if before else "?"
    text = f"Tier changed to {TIER_NAMES[data['tier']]} (was {old})"
    if data.get("ehcp_reference"):
        text += f"; EHCP {_short(data['ehcp_reference'])}"
    return text + "."


def _closed(_data: dict[str, Any], _before: PlanState | None) -> str:
    return "Plan closed."


def _progress(data: dict[str, Any], before: PlanState | None) -> str:
    outcome = before.items.get(data["outcome_id"], {}).get("description", "an outcome") if before else "an outcome"
    value = f" {_number(data['value'])}." if data.get("value") is not None else ""
    return (f"Progress towards {_short(outcome)} measured on {data['measured_on']}:{value} "
            f"{_sentence(data['note'])} Source: {_sentence(data['source'])}")


def _review(data: dict[str, Any], _before: PlanState | None) -> str:
    people = ", ".join(f"{_short(a['name'])} ({_short(a['role'])})" for a in data["attendees"])
    return f"Review held on {data['held_on']} with {people}; next review due {data['next_review_due']}."


def _contribution(data: dict[str, Any], _before: PlanState | None) -> str:
    name = CONTRIBUTION_NAMES[data["kind"]]
    if data.get("profession"):
        name += f" from {_a(data['profession'])}"
    return f"{name} added: {_quoted(data['text'])}."


def _acknowledgement(data: dict[str, Any], _before: PlanState | None, actor: dict[str, str] | None = None) -> str:
    """Whose response, and how: "Pat Okafor (parent) agreed with ..., in person; recorded by Sam Senco." A parent
    who recorded their own response is named as its author; an entry from before staff had to say whose response
    it was reads as it always did."""
    verb = RESPONSE_VERBS[data["response"]]
    by_parent = actor is not None and actor.get("role") == "parent"
    if not data.get("given_by") and not by_parent:
        text = f"Parent {verb} version {data['plan_version']} of the plan"
        if data.get("comment"):
            text += f": {_quoted(data['comment'])}"
        return text + "."
    who = _short(data["given_by"] if data.get("given_by") else (actor or {}).get("name", ""), limit=60)
    text = f"{who} (parent) {verb} version {data['plan_version']} of the plan"
    if data.get("method"):
        text += f", {RESPONSE_METHOD_NAMES.get(data['method'], data['method'])}"
    if data.get("comment"):
        text += f", saying {_quoted(data['comment'])}"
    if not by_parent and actor is not None:
        text += f"; recorded by {_short(actor.get('name', ''), limit=60)}"
    return text + "."


def _session(data: dict[str, Any], before: PlanState | None) -> str:
    """"Session delivered: small-group phonics, 30 minutes, by a teaching assistant." The minutes and who
    delivered it are the provision's own when the entry did not say."""
    provision = before.items.get(data["provision_id"], {}) if before else {}
    name = _short(provision.get("description", "a provision"))
    if data["status"] == "missed":
        text = f"Session missed: {name}. Reason: {MISSED_REASON_NAMES.get(data['missed_reason'], 'other')}."
    else:
        minutes = data["minutes"] if data.get("minutes") is not None else provision.get("minutes_per_session")
        by = data.get("delivered_by") or provision.get("delivered_by")
        text = f"Session delivered: {name}"
        if minutes is not None:
            text += f", {minutes} {_plural(minutes, 'minute')}"
        text += f", by {_a(by)}." if by else "."
    if data.get("note"):
        text += f" Note: {_sentence(data['note'])}"
    return text


def _correction(data: dict[str, Any], before: PlanState | None) -> str:
    located = before.locate(data["corrected_event_id"]) if before else None
    what = "an earlier entry"
    if located is not None:
        record = located.record
        what = f"the {EVENT_NAMES.get(record['type'], record['type'])} entry of {record['agreed_on']} " \
               f"(version {record['version']})"
    changes = "; ".join(
        f"{FIELD_NAMES.get(k, k.replace('_', ' '))} {_value(k, data['previous'].get(k), before)} → "
        f"{_value(k, v, before)}"
        for k, v in data["changes"].items()
    )
    return f"Correction to {what}: {changes}."


def _voided(data: dict[str, Any], before: PlanState | None) -> str:
    """"Struck out as recorded in error: the session of 3 November 2026 for “Small-group phonics” (entry 12)."
    The reason follows, as for every entry."""
    located = before.locate(data["voided_event_id"]) if before else None
    if before is None or located is None:
        return f"Struck out as recorded in error: entry {data['voided_version']}."
    record = located.record
    day = dt.date.fromisoformat(record["agreed_on"])
    on = f"{day.day} {day:%B %Y}"
    event_type, fact = record["type"], record["data"]
    section = SECTION_OF_EVENT.get(event_type)
    if section is not None:
        what = f"the {section.noun} {_quoted(before.items[located.key]['description'])}, {section.added_verb} on {on}"
    elif event_type == "SessionRecorded":
        provision = before.items.get(fact["provision_id"], {}).get("description", "a provision")
        what = f"the session of {on} for {_quoted(provision)} ({fact['status']})"
    elif event_type == "ContributionRecorded":
        what = f"the {CONTRIBUTION_NAMES[fact['kind']].lower()} added on {on}"
    elif event_type == "AcknowledgementRecorded":
        what = f"the parent's response of {on}"
    elif event_type == "ReviewHeld":
        what = f"the review held on {on}"
    elif event_type == "ProgressRecorded":
        what = f"the progress measured on {on}"
    else:
        what = f"the {EVENT_NAMES.get(event_type, 'entry')} of {on}"
    return f"Struck out as recorded in error: {what} (entry {record['version']}); it no longer counts."


_SUMMARIES: dict[str, Callable[[dict[str, Any], PlanState | None], str]] = {
    "PlanOpened": _opened,
    "TierChanged": _tier,
    "PlanClosed": _closed,
    "ProgressRecorded": _progress,
    "ReviewHeld": _review,
    "ContributionRecorded": _contribution,
    "AcknowledgementRecorded": _acknowledgement,
    "CorrectionRecorded": _correction,
    "SessionRecorded": _session,
    "EntryVoided": _voided,
}


def _short(text: str, limit: int = MAX_QUOTE) -> str:
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def _a(noun: str) -> str:
    """A role with its article, on one line: "a teaching assistant", "an educational psychologist"."""
    noun = _short(noun, limit=60)
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def _quoted(text: str) -> str:
    return f"“{_short(text)}”"


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    if len(text) > MAX_QUOTE * 2:
        text = text[: MAX_QUOTE * 2 - 1].rstrip() + "…"
    return text if text.endswith((".", "!", "?", "…")) else text + "."


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def _plural(value: Any, word: str) -> str:
    return word if value == 1 else word + "s"


# ------------------------------------------------------------------ access to the plan (CONTRACT.md §10)


def _access_given(data: dict[str, Any], _before: PlanState | None) -> str:
    """"Access given to Pat Khan (parent) until 31 July 2027." """
    text = f"Access given to {_short(data['name'])} ({ROLE_NAMES[data['relationship']]})"
    if data.get("expires_on"):
        text += f" until {spoken_date(data['expires_on'])}"
    return text + "."


def _access_revoked(data: dict[str, Any], before: PlanState | None) -> str:
    grant = next((g for g in grants_of(before) if g.grant_id == data["grant_id"]), None) if before else None
    who = f"{_short(grant.name)} ({ROLE_NAMES[grant.relationship]})" if grant else "someone"
    return f"Access revoked for {who}."


_SUMMARIES.update({"AccessGranted": _access_given, "AccessRevoked": _access_revoked})
