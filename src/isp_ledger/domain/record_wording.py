"""How a sentence names an entry of a plan's record and the values of its fields: "the provision “Small-group
phonics” as agreed on 7 September 2026", "the length of each session was corrected from 30 minutes to 25
minutes". The summaries of corrections and of entries struck out are made here; every other summary is
``summaries.py``'s, which uses the same words for the fields an amendment changes.
"""

from __future__ import annotations

from typing import Any

from isp_ledger.domain.sections import SECTION_OF_EVENT
from isp_ledger.domain.state import Located, PlanState
from isp_ledger.domain.wording import (
    AREA_NAMES,
    CATEGORY_NAMES,
    CONTRIBUTION_NAMES,
    DATE_FIELDS,
    ERASED_WORDS,
    FIELD_NAMES,
    LOCATION_NAMES,
    MISSED_REASON_NAMES,
    NEED_TYPE_NAMES,
    PLURAL_FIELDS,
    RESPONSE_METHOD_NAMES,
    TIER_NAMES,
    in_words,
    joined,
    name_of,
    number,
    plural,
    quoted,
    shorten,
)


def in_order(changes: dict[str, Any]) -> list[tuple[str, Any]]:
    """Changed fields in the order people read them (stored events keep their keys sorted)."""
    order = {name: index for index, name in enumerate(FIELD_NAMES)}
    return sorted(changes.items(), key=lambda change: order.get(change[0], len(order)))


def field_words(key: str) -> str:
    """A field as a sentence names it (every field has words: a test holds it; a field added without would still
    read, never stop the timeline)."""
    return FIELD_NAMES.get(key, key.replace("_", " "))


def amended_words(key: str, new: Any, old: Any, before: PlanState) -> str:
    """"the number of sessions a week from 3 to 2"."""
    label = field_words(key)
    if old is None and new is None:  # both erased (CONTRACT.md §11): that it changed is all that is left
        return f"the {label} changed"
    if old is None or old == "":
        return f"the {label} set to {value_words(key, new, before)} (there was none before)"
    if new is None or new == "":
        return f"the {label} ({value_words(key, old, before)}) removed"
    return f"the {label} from {value_words(key, old, before)} to {value_words(key, new, before)}"


def value_words(key: str, value: Any, before: PlanState | None) -> str:
    """A field's value as a sentence says it: dates in words, codes by their names in quotation marks, someone's
    own words quoted, the items an id names by their descriptions."""
    if value is None:  # erased (CONTRACT.md §11)
        return ERASED_WORDS
    if key in DATE_FIELDS:
        return in_words(value)
    code_names = CODE_NAMES.get(key)
    if code_names is not None:
        return f"“{code_names.get(value, str(value).replace('_', ' '))}”"
    if key == "barrier_ids":
        return joined([item_name(before, b, "a barrier") for b in value])
    if key == "provision_id":
        return item_name(before, value, "a provision")
    if key == "attendees":
        return joined([attendee(a) for a in value])
    if key == "group_size":
        return "one-to-one" if value == 1 else f"groups of {value}"
    if key in ("minutes_per_session", "minutes"):
        return f"{value} {plural(value, 'minute')}"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return quoted(str(value))
    return number(value)


CODE_NAMES: dict[str, dict[str, str]] = {
    "location": LOCATION_NAMES, "tier": TIER_NAMES, "area_of_need": AREA_NAMES, "need_type": NEED_TYPE_NAMES,
    "category": CATEGORY_NAMES, "missed_reason": MISSED_REASON_NAMES, "kind": CONTRIBUTION_NAMES,
    "response": {}, "status": {}, "outcome": {}, "method": RESPONSE_METHOD_NAMES,
}


def item_name(before: PlanState | None, item_id: str, unknown: str) -> str:
    item = before.items.get(item_id) if before is not None else None
    return name_of(item["description"]) if item else unknown


def attendee(person: dict[str, str]) -> str:
    """"Sarah Dixon (parent, mum)": a role written with brackets of its own keeps them out of the name's."""
    role = shorten(person["role"], 80).replace(" (", ", ").replace("(", "").replace(")", "")
    return f"{shorten(person['name'], 80)} ({role})"


def child_name(before: PlanState | None) -> str:
    """The child's first name, as people would say it in a sentence about them."""
    if before is None or not before.state.get("pupil") or before.state["pupil"].get("given_name") is None:
        return "the child"
    return shorten(str(before.state["pupil"]["given_name"]), 60)


# ------------------------------------------------------------------------------------------------ corrections


def correction_summary(data: dict[str, Any], before: PlanState | None) -> str:
    located = before.locate(data["corrected_event_id"]) if before else None
    what = describe_entry(located, before) if located is not None else "an earlier entry"
    given = located is not None and located.is_fact  # a view, a response: given on a day rather than agreed
    changes = [_corrected(key, data["previous"].get(key), value, before, given=given)
               for key, value in in_order(data["changes"])]
    return f"Correction to {what}: {'; '.join(changes)}"


def _corrected(key: str, old: Any, new: Any, before: PlanState | None, *, given: bool = False) -> str:
    label = "date it was given" if key == "agreed_on" and given else field_words(key)
    was = "were" if key in PLURAL_FIELDS else "was"
    if old is None or old == "":
        return f"the {label} {was} corrected to {value_words(key, new, before)} (none had been recorded)"
    if new is None or new == "":
        return f"the {label} ({value_words(key, old, before)}) {was} removed"
    return f"the {label} {was} corrected from {value_words(key, old, before)} to {value_words(key, new, before)}"


def describe_entry(located: Located, before: PlanState | None) -> str:
    """An entry of the record as a sentence names it: "the provision “Small-group phonics” as agreed on 7
    September 2026", "the review held on 19 November 2026"."""
    record = located.record
    event_type, data, day = record["type"], record["data"], in_words(record["agreed_on"])
    section = SECTION_OF_EVENT.get(event_type)
    if section is not None:
        named = f"the {section.noun} {item_name(before, located.key, 'an item')}"
        return {
            section.added: f"{named} as {section.added_verb} on {day}",
            section.amended: f"the change of {day} to {named}",
            section.ended: f"the record that {named} was {section.ended_verb} on {day}",
            section.paused: f"the pause of {named} from {day}",
            section.resumed: f"the restart of {named} on {day}",
        }[event_type]
    if event_type == "SessionRecorded":
        provision = item_name(before, data["provision_id"], "a provision")
        return f"the {data['status']} session of {provision} on {day}"
    if event_type == "ProgressRecorded":
        return f"the progress towards {item_name(before, data['outcome_id'], 'an outcome')} measured on {day}"
    if event_type == "ContributionRecorded":
        kind = {"parent_view": "parent's view", "pupil_voice": f"{child_name(before)}'s own views",
                "professional_advice": "professional advice"}.get(data["kind"], "view")
        return f"the {kind} added on {day}"
    return {
        "PlanOpened": f"the opening of the plan on {day}",
        "TierChanged": f"the change of tier on {day}",
        "PlanClosed": f"the closing of the plan on {day}",
        "ReviewHeld": f"the review held on {day}",
        "AcknowledgementRecorded": f"the parent's response of {day}",
    }.get(event_type, f"the entry of {day}")


def void_summary(data: dict[str, Any], before: PlanState | None) -> str:
    """"Struck out as recorded in error: the missed session of “Small-group phonics” on 3 November 2026; it no
    longer counts." The reason follows, as for every entry."""
    located = before.locate(data["voided_event_id"]) if before else None
    what = describe_entry(located, before) if located is not None else "an earlier entry"
    return f"Struck out as recorded in error: {what}; it no longer counts"
