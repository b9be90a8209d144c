"""One sentence of plain English per event, for a parent reading the plan's history (timelines, evidence bundles).

"Provision “Small-group phonics with a trained TA” changed: the number of sessions a week from 3 to 2. Reason:
Timetable change agreed with parent." Each summary is made from the event and the plan just before it, so it can
name what changed and what it was before. The words and the rules every sentence keeps are ``wording.py``'s; how a
correction names the entry it corrects and each field it changes is ``record_wording.py``'s.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from isp_ledger.domain.events import PlanEvent
from isp_ledger.domain.grants import grants_of
from isp_ledger.domain.record_wording import (
    amended_words,
    attendee,
    child_name,
    correction_summary,
    in_order,
    item_name,
    void_summary,
)
from isp_ledger.domain.sections import SECTION_OF_EVENT
from isp_ledger.domain.stamp import london_day
from isp_ledger.domain.state import PlanState
from isp_ledger.domain.wording import (
    AREA_NAMES,
    CATEGORY_NAMES,
    CONTRIBUTION_NAMES,
    LOCATION_NAMES,
    NEED_TYPE_NAMES,
    RESPONSE_METHOD_NAMES,
    RESPONSE_VERBS,
    ROLE_NAMES,
    TIER_NAMES,
    in_words,
    instant_in_words,
    joined,
    name_of,
    number,
    plural,
    quoted,
    sentence,
    shorten,
    with_article,
)


def summarise(event: PlanEvent, before: PlanState | None, data: dict[str, Any] | None = None) -> str:
    """The event in one sentence (two with its reason); ``before`` is the plan just before it (``None`` for the
    opening). ``data`` is ``event.data()``, when the caller has it already (it is only read)."""
    event_type = type(event).__name__
    if data is None:
        data = event.data()
    if event_type == "AcknowledgementRecorded":  # whose response it is depends on who recorded it
        text = _acknowledgement(data, before, event.actor)
    elif event_type in SECTION_OF_EVENT:
        text = _item(event_type, data, before, event.agreed_on)
    else:
        text = _SUMMARIES[event_type](data, before)
    text = sentence(text)
    if event.reason:
        text += f" Reason: {sentence(shorten(event.reason))}"
    return text


# ------------------------------------------------------------------------------------------------ items


def _item(event_type: str, data: dict[str, Any], before: PlanState | None, agreed_on: str) -> str:
    section = SECTION_OF_EVENT[event_type]
    if event_type == section.added:
        return _added(section.name, data, before)
    assert before is not None
    old = before.items[data["item_id"]]
    what = f"{section.noun.capitalize()} {name_of(old['description'])}"
    if event_type == section.amended:
        parts = [amended_words(key, value, old.get(key), before) for key, value in in_order(data["changes"])]
        return f"{what} changed: {'; '.join(parts)}"
    if event_type == section.paused:
        until = f"until {in_words(data['until'])}" if data.get("until") else "until it is restarted"
        return f"{what} paused from {in_words(agreed_on)} {until}"
    if event_type == section.resumed:
        return f"{what} restarted on {in_words(agreed_on)}"
    if data.get("outcome"):
        return f"{what} closed as {data['outcome']}"
    return f"{what} {section.ended_verb}"


def _added(section: str, data: dict[str, Any], before: PlanState | None) -> str:
    name = quoted(data["description"])
    if section == "barriers":
        area = AREA_NAMES.get(data["area_of_need"], data["area_of_need"])
        need = NEED_TYPE_NAMES.get(data["need_type"], data["need_type"])
        kind = area if need == area else f"{area}: {need}"
        return f"Barrier to learning identified: {name} ({kind})"
    if section == "provisions":
        weekly = data["sessions_per_week"]
        group = "one-to-one" if data["group_size"] == 1 else f"in a group of {data['group_size']}"
        text = (f"Provision agreed: {name}, {number(weekly)} {plural(weekly, 'session')} a week of "
                f"{data['minutes_per_session']} minutes, {group}, "
                f"{LOCATION_NAMES.get(data['location'], data['location'])}, by {with_article(data['delivered_by'])}, "
                f"from {in_words(data['starts_on'])}")
        return text + (f" to {in_words(data['ends_on'])}" if data.get("ends_on") else "")
    if section == "adjustments":
        return f"Reasonable adjustment agreed: {name} ({CATEGORY_NAMES.get(data['category'], data['category'])})"
    text = f"Outcome set: {name}"
    if data.get("baseline") and data.get("target"):
        text += f", from {quoted(data['baseline'])} to {quoted(data['target'])}"
    elif data.get("target"):
        text += f", aiming for {quoted(data['target'])}"
    text += f", by {in_words(data['target_date'])}"
    if not data.get("success_criteria"):
        text += "; how success will be judged is still to be agreed"
    return text


# ------------------------------------------------------------------------------------------------ the plan itself


def _opened(data: dict[str, Any], _before: PlanState | None) -> str:
    pupil = data["pupil"]
    given, family = pupil.get("given_name"), pupil.get("family_name")
    name = shorten(f"{given} {family}", 160) if given is not None or family is not None else (
        "the pupil (name erased)")
    text = f"Plan opened for {name} at the {TIER_NAMES[data['tier']]} tier"
    if data.get("ehcp_reference"):
        text += f", beside an Education, Health and Care Plan (EHCP reference {shorten(data['ehcp_reference'])})"
    return text + f"; the first review is due by {in_words(data['next_review_due'])}"


def _tier(data: dict[str, Any], before: PlanState | None) -> str:
    new = TIER_NAMES[data["tier"]]
    text = f"Support moved from the {TIER_NAMES[before.state['tier']]} tier to the {new} tier" if before \
        else f"Support moved to the {new} tier"
    if data.get("ehcp_reference"):
        text += f", beside an Education, Health and Care Plan (EHCP reference {shorten(data['ehcp_reference'])})"
    return text


def _closed(_data: dict[str, Any], _before: PlanState | None) -> str:
    return "Plan closed"


# ------------------------------------------------------------------------------------------------ facts


def _progress(data: dict[str, Any], before: PlanState | None) -> str:
    outcome = item_name(before, data["outcome_id"], "an outcome")
    measured = f", measured at {number(data['value'])}" if data.get("value") is not None else ""
    return (f"Progress towards the outcome {outcome} on {in_words(data['measured_on'])}{measured}: "
            f"{quoted(data['note'])} (source: {shorten(data['source'], 120)})")


def _review(data: dict[str, Any], _before: PlanState | None) -> str:
    attendees = data["attendees"]
    people = joined([attendee(a) for a in attendees]) if attendees is not None else "those who came (erased)"
    views = [who for who, key in (("the parent's", "parent_views"), ("the child's", "pupil_views"))
             if str(data.get(key) or "").strip()]
    text = f"Review held on {in_words(data['held_on'])} with {people}"
    if views:
        text += f"; {joined(views)} views are recorded"
    return (f"{text}. What was decided: {sentence(quoted(data['summary']))} "
            f"The next review is due by {in_words(data['next_review_due'])}")


def _contribution(data: dict[str, Any], before: PlanState | None) -> str:
    if data["kind"] == "pupil_voice":
        name = f"{child_name(before)}'s own views" if before is not None else "The child's own views"
    elif data["kind"] == "professional_advice" and data.get("profession"):
        name = f"Advice from {with_article(data['profession'])}"
    else:
        name = CONTRIBUTION_NAMES[data["kind"]]
    return f"{name[:1].upper()}{name[1:]} added: {quoted(data['text'])}"


def _acknowledgement(data: dict[str, Any], before: PlanState | None, actor: dict[str, str] | None = None) -> str:
    """Whose response, to the plan as it stood when, and how: "Pat Okafor (parent) agreed with the plan as it
    stood on 14 March 2026, in person; recorded by Sam Senco." A parent who recorded their own response is named
    as its author; an entry from before staff had to say whose response it was reads "Parent agreed ..."."""
    verb, when = RESPONSE_VERBS[data["response"]], _as_it_stood(before, data["plan_version"])
    by_parent = actor is not None and actor.get("role") == "parent"
    name = data.get("given_by") or (actor or {}).get("name") if by_parent or data.get("given_by") else None
    if not name:  # nobody named: an entry from before staff said whose response it was, or the name erased
        text = f"Parent {verb} the plan as it stood {when}"
        return text + (f": {quoted(data['comment'])}" if data.get("comment") else "")
    who = shorten(name, 60)
    text = f"{who} (parent) {verb} the plan as it stood {when}"
    if data.get("method"):
        text += f", {RESPONSE_METHOD_NAMES.get(data['method'], str(data['method']).replace('_', ' '))}"
    if data.get("comment"):
        text += f", saying {quoted(data['comment'])}"
    if not by_parent and actor is not None:
        text += f"; recorded by {shorten(actor.get('name', ''), 60)}"
    return text


def _as_it_stood(before: PlanState | None, version: int) -> str:
    """When the plan was as it was at ``version``: "on 14 March 2026", or "at 10:05 on 14 March 2026" when it
    changed again later that day."""
    recorded = _recorded_at(before, version) if before is not None else {}
    if version not in recorded:
        return "then"
    day = london_day(recorded[version])
    if version + 1 in recorded and london_day(recorded[version + 1]) == day:
        return f"at {instant_in_words(recorded[version])}"
    return f"on {in_words(day)}"


def _recorded_at(before: PlanState, version: int) -> dict[int, str]:
    """When versions ``version`` and ``version + 1`` of the plan were recorded (each event leaves its version on a
    record, on a note of a correction, or on the mark of a void)."""
    wanted, found = {version, version + 1}, {}
    every = [*before.records.values(), *before.facts.values()]
    for record in (r for records in every for r in records):
        for mark in (record, *record["corrections"], *([record["voided"]] if record.get("voided") else [])):
            if mark["version"] in wanted:
                found[mark["version"]] = mark["recorded_at"]
    return found


def _session(data: dict[str, Any], before: PlanState | None) -> str:
    """"Session of “Small-group phonics” delivered on 16 November 2026, 30 minutes, led by a teaching assistant
    (Mrs Patel)." The minutes are the provision's own when the entry did not say; who led it is named only when
    the entry names someone (the provision already says who delivers it)."""
    provision = before.items.get(data["provision_id"], {}) if before else {}
    what = f"Session of {name_of(provision['description'])}" if provision else "Session of a provision"
    day = in_words(data["date"])
    if data["status"] == "missed":
        text = f"{what} on {day} missed {_missed_because(data['missed_reason'], before)}"
    else:
        minutes = data["minutes"] if data.get("minutes") is not None else provision.get("minutes_per_session")
        text = f"{what} delivered on {day}"
        if minutes is not None:
            text += f", {minutes} {plural(minutes, 'minute')}"
        if data.get("delivered_by"):
            text += f", led by {with_article(data['delivered_by'])}"
    if data.get("note"):
        text = f"{sentence(text)} Note: {sentence(quoted(data['note']))}"
    return text


def _missed_because(reason: str | None, before: PlanState | None) -> str:
    child = child_name(before)
    return {
        "pupil_absent": f"because {child} was absent",
        "staff_absent": "because the member of staff was absent",
        "timetable_clash": "because of a timetable clash",
        "school_closed": "because the school was closed",
        "pupil_declined": f"because {child} did not want to take part",
    }.get(reason or "", "for another reason")


_SUMMARIES: dict[str, Callable[[dict[str, Any], PlanState | None], str]] = {
    "PlanOpened": _opened,
    "TierChanged": _tier,
    "PlanClosed": _closed,
    "ProgressRecorded": _progress,
    "ReviewHeld": _review,
    "ContributionRecorded": _contribution,
    "AcknowledgementRecorded": _acknowledgement,
    "CorrectionRecorded": correction_summary,
    "SessionRecorded": _session,
    "EntryVoided": void_summary,
}


# ------------------------------------------------------------------ access to the plan (CONTRACT.md §10)


def _access_given(data: dict[str, Any], _before: PlanState | None) -> str:
    """"Access given to Pat Khan (parent) until 31 July 2027." """
    text = f"Access given to {shorten(data['name'], 90)} ({ROLE_NAMES[data['relationship']]})"
    if data.get("expires_on"):
        text += f" until {in_words(data['expires_on'])}"
    return text + "."


def _access_revoked(data: dict[str, Any], before: PlanState | None) -> str:
    grant = next((g for g in grants_of(before) if g.grant_id == data["grant_id"]), None) if before else None
    who = f"{shorten(grant.name, 90)} ({ROLE_NAMES[grant.relationship]})" if grant else "someone"
    return f"Access revoked for {who}."


_SUMMARIES.update({"AccessGranted": _access_given, "AccessRevoked": _access_revoked})


# ------------------------------------------------------------------ erasure and legal holds (CONTRACT.md §11)


_SUMMARIES.update({
    "PlanErased": lambda _data, _before: "Erased the pupil's personal data",
    "LegalHoldSet": lambda _data, _before: "Set a legal hold",
    "LegalHoldLifted": lambda _data, _before: "Lifted the legal hold",
})
