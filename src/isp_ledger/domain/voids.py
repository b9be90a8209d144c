"""Voids (CONTRACT.md §5): striking out an entry recorded in error, without deleting it.

``{"event_id", "reason", "void": true}`` says an entry should never have been recorded (a session logged twice, a
parent's view put on the wrong child's plan). The entry stays in the history, marked with who struck it out, when
and why, and from then on counts for nothing: not in the plan document, nor as of any date, nor in the delivery
figures. The record as it stood before the void (``as_at``) still shows it.

What can be struck out, and what cannot:

* a session of provision, a contribution, a progress measurement, a parent's acknowledgement and a review: each
  stands alone, so nothing else is left without it (a review struck out no longer sets when the next falls due);
* an item (barrier, provision, adjustment, outcome) whole, by naming the entry that added it, when nothing recorded
  depends on it: no item addresses the barrier (now or in any earlier version of its terms: void those first), no
  session is recorded against the provision, no progress is measured towards the outcome (void those first);
* not the plan's opening (close the plan instead), a tier change or a closure, nor a later decision on an item (an
  amendment, pause, resumption or end): each is a decision others were recorded after, so a correction fixes its
  details, or a new decision replaces it;
* not a correction or a void (correct the original entry again), nor an entry struck out already.

A correction of a voided entry is refused too (``corrections.py``), as is any change to an item struck out. Like a
correction, a void may be recorded on a closed plan: the record was wrong whether or not the plan is still open.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from isp_ledger.domain.errors import FieldError, InvalidInput, RuleViolation
from isp_ledger.domain.privacy import require_not_erased
from isp_ledger.domain.records import SESSION_EVENT, SESSIONS, VOIDED, Record, is_voided
from isp_ledger.domain.sections import BARRIERS, OUTCOMES, PROVISIONS, SECTION_OF_EVENT, SECTIONS
from isp_ledger.domain.stamp import london_day
from isp_ledger.domain.state import PlanState

# Facts that stand alone: nothing else recorded refers to them.
STANDALONE = frozenset({SESSION_EVENT, "ContributionRecorded", "ProgressRecorded", "AcknowledgementRecorded",
                        "ReviewHeld"})

_PLAN_DECISIONS = {
    "PlanOpened": "The opening of the plan cannot be struck out: close the plan instead (and correct its details "
                  "if they were recorded wrongly)",
    "TierChanged": "A change of tier is a decision on the plan and cannot be struck out: correct it if it was "
                   "recorded wrongly, or change the tier again",
    "PlanClosed": "The closure of the plan cannot be struck out: correct it if it was recorded wrongly, or open a "
                  "new plan for the pupil",
}


def is_void_request(changes: Any, void: Any) -> bool:
    """Whether a request to the corrections says ``"void": true`` (strike the entry out) rather than giving
    ``changes`` (correct some of its fields): exactly one of the two, or :class:`InvalidInput`."""
    if void is not None and changes is not None:
        raise InvalidInput([
            FieldError("void", "give either changes (to correct the entry) or void (to strike it out), not both"),
            FieldError("changes", "give either changes (to correct the entry) or void (to strike it out), not both"),
        ])
    if void is None and changes is None:
        raise InvalidInput([FieldError("changes", "give the corrected fields (or void instead)"),
                            FieldError("void", "true strikes the entry out as recorded in error (or give changes "
                                               "instead)")])
    if void is not None and void is not True:
        raise InvalidInput.field("void", "must be true to strike the entry out; leave it out to correct the entry "
                                         "with changes")
    return void is True


def prepare_void(plan: PlanState, event_id: str) -> Record:
    """Check that the entry ``event_id`` may be struck out; return its record (or raise why not)."""
    require_not_erased(plan)
    located = plan.locate(event_id)
    if located is None:
        if plan.is_correction(event_id):
            raise RuleViolation("voiding_a_correction", "That entry is a correction; a correction cannot be struck "
                                "out: correct the original entry again instead")
        if plan.is_void(event_id):
            raise RuleViolation("voiding_a_void", "That entry already struck out another as recorded in error; it "
                                "cannot itself be struck out")
        raise InvalidInput.field("event_id", "no event with this id in this plan")
    record = located.record
    if is_voided(record):
        raise RuleViolation("already_voided", f"{_entry(record)} was already struck out as recorded in error "
                            f"{_by(record[VOIDED])}")
    event_type = record["type"]
    if event_type in STANDALONE:
        return record
    if event_type in _PLAN_DECISIONS:
        raise RuleViolation("cannot_void", _PLAN_DECISIONS[event_type])
    section = SECTION_OF_EVENT.get(event_type)
    if section is None:
        raise RuleViolation("cannot_void", f"{_entry(record)} cannot be struck out")
    if event_type != section.added:
        raise RuleViolation(
            "cannot_void",
            f"{_entry(record)} is a decision on a {section.noun} that others were recorded after; it cannot be "
            f"struck out. Correct it if it was recorded wrongly, or record the decision that replaces it. To strike "
            f"out the whole {section.noun}, name the entry that added it",
        )
    dependants = _dependants(plan, located.key, section.name)
    if dependants:
        raise RuleViolation(
            f"{section.noun}_has_dependants",
            f"The {section.noun} '{plan.items[located.key]['description']}' cannot be struck out while other entries "
            f"depend on it: {'; '.join(dependants)}. Strike those out first if they too were recorded in error",
        )
    return record


def _dependants(plan: PlanState, item_id: str, section: str) -> list[str]:
    """The entries, not struck out, that depend on the item."""
    if section == BARRIERS.name:
        found = []
        for other, recs in plan.records.items():
            if other in (item_id, "plan") or not recs or is_voided(recs[0]):
                continue
            if any(item_id in _links(r) for r in recs if not is_voided(r)):
                item, noun = plan.items[other], SECTIONS[plan.item_section[other]].noun
                found.append(f"the {noun} '{item['description']}' ({item['status']}) addresses it (entry "
                             f"{recs[0]['version']}, event {recs[0]['event_id']})")
        return found
    if section == PROVISIONS.name:
        sessions = [r for r in plan.facts.get(SESSIONS, [])
                    if not is_voided(r) and r["data"]["provision_id"] == item_id]
        return [f"{len(sessions)} session{'s' if len(sessions) != 1 else ''} recorded for it ("
                + ", ".join(f"{_day(r['data']['date'])}: entry {r['version']}, event {r['event_id']}"
                            for r in sessions[:5]) + (", …" if len(sessions) > 5 else "") + ")"] if sessions else []
    if section == OUTCOMES.name:
        measured = [r for r in plan.facts["progress"] if not is_voided(r) and r["data"]["outcome_id"] == item_id]
        return [f"progress measured towards it on {_day(r['agreed_on'])} (entry {r['version']}, event "
                f"{r['event_id']})" for r in measured]
    return []


def _links(record: Record) -> list[str]:
    data: dict[str, Any] = record["data"].get("changes", record["data"])
    return list(data.get("barrier_ids") or ())


def _entry(record: Record) -> str:
    return f"The entry of {_day(record['agreed_on'])} (entry {record['version']})"


def _by(mark: dict[str, Any]) -> str:
    when = _day(london_day(mark["recorded_at"]))
    return f"by {mark['actor']['name']} on {when} (entry {mark['version']}, event {mark['event_id']})"


def _day(iso: str) -> str:
    day = dt.date.fromisoformat(iso)
    return f"{day.day} {day:%B %Y}"
