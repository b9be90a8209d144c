"""The one-line summaries as the ledger wrote them in 2026, kept to check the evidence bundles made then.

A bundle shows a summary of each entry, and the offline check (``verify.py``) recomputes every summary from the
chained events and compares: so a bundle must be checked with the words of the service that made it. Bundles of
format version 1 (made before issue 11 rewrote the wording, ``domain/summaries.py``) are checked with these words,
which never change: every table they use is frozen here, not taken from the domain's tables of today.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from isp_ledger.domain.events import PlanEvent
from isp_ledger.domain.state import PlanState


@dataclass(frozen=True)
class _Section:
    name: str
    noun: str
    added: str
    amended: str
    ended: str
    added_verb: str
    ended_verb: str
    paused: str | None = None
    resumed: str | None = None


_SECTIONS = (
    _Section("barriers", "barrier", "BarrierIdentified", "BarrierAmended", "BarrierResolved", "identified",
             "resolved"),
    _Section("provisions", "provision", "ProvisionAgreed", "ProvisionAmended", "ProvisionEnded", "agreed", "ended",
             "ProvisionPaused", "ProvisionResumed"),
    _Section("adjustments", "adjustment", "AdjustmentAgreed", "AdjustmentAmended", "AdjustmentWithdrawn", "agreed",
             "withdrawn"),
    _Section("outcomes", "outcome", "OutcomeSet", "OutcomeAmended", "OutcomeClosed", "set", "closed"),
)
_SECTION_OF_EVENT = {event_type: s for s in _SECTIONS
                     for event_type in (s.added, s.amended, s.ended, s.paused, s.resumed) if event_type}

TIER_NAMES = {"targeted": "Targeted", "targeted_plus": "Targeted Plus", "specialist": "Specialist"}
AREA_NAMES = {"communication_and_interaction": "communication and interaction",
              "cognition_and_learning": "cognition and learning", "semh": "social, emotional and mental health",
              "sensory_and_physical": "sensory and/or physical"}
NEED_TYPE_NAMES = {
    "SPLD": "specific learning difficulty", "MLD": "moderate learning difficulty", "SLD": "severe learning difficulty",
    "PMLD": "profound and multiple learning difficulty", "SEMH": "social, emotional and mental health",
    "SLCN": "speech, language and communication needs", "HI": "hearing impairment", "VI": "vision impairment",
    "MSI": "multi-sensory impairment", "PD": "physical disability", "ASD": "autistic spectrum disorder",
    "OTH": "other difficulty or disability", "NSA": "SEN support but no specialist assessment of type of need",
}
LOCATION_NAMES = {"in_class": "in class", "withdrawal": "withdrawn from class", "external": "off site",
                  "online": "online"}
MISSED_REASON_NAMES = {code: code.replace("_", " ") for code in (
    "pupil_absent", "staff_absent", "timetable_clash", "school_closed", "pupil_declined", "other")}
CONTRIBUTION_NAMES = {"parent_view": "Parent's view", "pupil_voice": "Pupil's voice",
                      "professional_advice": "Professional advice"}
RESPONSE_VERBS = {"agree": "agreed with", "disagree": "disagreed with", "seen": "saw"}
FIELD_NAMES = {
    "sessions_per_week": "sessions a week", "minutes_per_session": "minutes a session", "group_size": "group size",
    "delivered_by": "delivered by", "starts_on": "start date", "ends_on": "end date",
    "evidence_basis": "evidence basis", "barrier_ids": "barriers addressed", "area_of_need": "area of need",
    "need_type": "need type", "success_criteria": "success criteria", "target_date": "target date",
    "agreed_on": "date agreed", "held_on": "date held", "next_review_due": "next review due",
    "parent_views": "parent's views", "pupil_views": "pupil's views", "measured_on": "date measured",
    "ehcp_reference": "EHCP reference", "pupil.given_name": "given name", "pupil.family_name": "family name",
    "pupil.date_of_birth": "date of birth", "pupil.upn": "UPN", "missed_reason": "reason missed",
    "provision_id": "provision",
}
EVENT_NAMES = {
    "PlanOpened": "plan opened", "TierChanged": "tier changed", "PlanClosed": "plan closed",
    "ProgressRecorded": "progress recorded", "ReviewHeld": "review held", "ContributionRecorded": "contribution",
    "AcknowledgementRecorded": "acknowledgement", "CorrectionRecorded": "correction", "SessionRecorded": "session",
    **{s.added: f"{s.noun} {s.added_verb}" for s in _SECTIONS},
    **{s.amended: f"{s.noun} amended" for s in _SECTIONS},
    **{s.ended: f"{s.noun} {s.ended_verb}" for s in _SECTIONS},
    **{s.paused: f"{s.noun} paused" for s in _SECTIONS if s.paused},
    **{s.resumed: f"{s.noun} resumed" for s in _SECTIONS if s.resumed},
}

MAX_QUOTE = 120


def summarise(event: PlanEvent, before: PlanState | None, data: dict[str, Any] | None = None) -> str:
    """The event in one line, as the ledger of 2026 wrote it; ``before`` is the plan just before it."""
    event_type = type(event).__name__
    if data is None:
        data = event.data()
    text = _item(event_type, data, before) if event_type in _SECTION_OF_EVENT else _SUMMARIES[event_type](data, before)
    if event.reason:
        text += f" Reason: {_sentence(event.reason)}"
    return text


def _item(event_type: str, data: dict[str, Any], before: PlanState | None) -> str:
    section = _SECTION_OF_EVENT[event_type]
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


def _acknowledgement(data: dict[str, Any], _before: PlanState | None) -> str:
    verb = RESPONSE_VERBS[data["response"]]
    text = f"Parent {verb} version {data['plan_version']} of the plan"
    if data.get("comment"):
        text += f": {_quoted(data['comment'])}"
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
