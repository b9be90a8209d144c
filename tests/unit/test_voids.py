"""Voids (CONTRACT.md §5): an entry recorded in error is struck out, kept in the history, marked, and counts for
nothing from then on; what others depend on cannot be struck out, and nothing is struck out twice."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pytest

from isp_ledger.domain.diff import diff_documents
from isp_ledger.domain.errors import InvalidInput, RuleViolation
from isp_ledger.domain.plan import Plan
from isp_ledger.domain.planning import plan_schedule, provision_schedule
from isp_ledger.domain.records import SESSIONS, is_voided
from isp_ledger.domain.stamp import Actor, Stamp
from isp_ledger.domain.summaries import summarise
from isp_ledger.domain.view import next_review_due, plan_document
from tests import samples

SENCO = Actor("u-senco", "Sam Senco", "senco")
BY = Stamp(SENCO, dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC))
LATER = Stamp(Actor("u-admin", "Ada Admin", "admin"), dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC))


def full_plan() -> tuple[Plan, dict[str, str]]:
    """Opened 1 Sep; a barrier, a provision, an adjustment and an outcome (2-10 Sep); a session, a parent's view,
    a progress measurement, an acknowledgement and a review in November."""
    plan = Plan.open(BY, pupil=samples.pupil(), setting_urn="123456", tier="targeted", agreed_on="2026-09-01")
    ids = {"barrier": plan.add_item(BY, "barriers", samples.barrier(), agreed_on="2026-09-02")}
    ids["provision"] = plan.add_item(BY, "provisions", samples.provision([ids["barrier"]]), agreed_on="2026-09-07")
    ids["adjustment"] = plan.add_item(BY, "adjustments", samples.adjustment([ids["barrier"]]), agreed_on="2026-09-08")
    ids["outcome"] = plan.add_item(BY, "outcomes", samples.outcome([ids["barrier"]]), agreed_on="2026-09-10")
    plan.record_session(BY, ids["provision"], {"date": "2026-11-16", "status": "delivered"}, "s-1")
    ids["contribution"] = plan.record_contribution(BY, {"kind": "parent_view", "text": "Reads at home"},
                                                   agreed_on="2026-11-17")
    ids["progress"] = plan.record_progress(BY, ids["outcome"], {"measured_on": "2026-11-18", "value": 12,
                                                                "note": "12/20", "source": "termly check"})
    ids["acknowledgement"] = plan.record_acknowledgement(BY, {"version": 5, "response": "agree",
                                                              "given_by": "Pat Okafor", "method": "in_person"})
    ids["review"] = plan.hold_review(BY, samples.review(held_on="2026-11-19", next_review_due="2027-03-19"))
    return plan, ids


def event_of(plan: Plan, entry_id: str) -> str:
    """The event id of the entry that added an item or recorded a fact with this id (or of the first session)."""
    if entry_id in plan.records:
        return str(plan.records[entry_id][0]["event_id"])
    if entry_id == "session":
        return str(plan.facts[SESSIONS][0]["event_id"])
    for recs in plan.facts.values():
        for record in recs:
            if entry_id in record["data"].values():
                return str(record["event_id"])
    raise AssertionError(entry_id)


def replay(events: Sequence[Any]) -> Plan:
    plan = None
    for event in events:
        plan = event.mutate(plan)
    assert isinstance(plan, Plan)
    return plan


FACTS = [("contribution", "contributions"), ("acknowledgement", "acknowledgements"), ("review", "reviews")]


@pytest.mark.parametrize(("entry", "kind"), FACTS)
def test_a_fact_struck_out_leaves_the_document_now_and_as_of_but_not_the_record_before(entry: str, kind: str) -> None:
    plan, ids = full_plan()
    plan.void(LATER, event_id=event_of(plan, ids[entry]), reason="Put on the wrong child's plan")
    events = plan.collect_events()

    assert [f["id"] for f in plan_document(plan)[kind]] == []  # type: ignore[index]
    assert [f["id"] for f in plan_document(plan, "2026-11-30")[kind]] == []  # type: ignore[index]
    before = replay(events[:-1])  # as at an instant before the void
    assert [f["id"] for f in plan_document(before)[kind]] == [ids[entry]]  # type: ignore[index]
    # The record of the entry stays where it was, marked with who struck it out, when and why.
    [record] = plan.facts[kind]
    assert is_voided(record)
    void: Any = events[-1]
    assert type(void).__name__ == "EntryVoided"
    assert record["voided"] == {"event_id": void.event_id, "version": void.originator_version,
                                "recorded_at": void.recorded_at, "actor": LATER.actor.as_dict(),
                                "reason": "Put on the wrong child's plan"}
    assert (void.voided_event_id, void.agreed_on) == (record["event_id"], "2026-11-23")
    assert replay(events).facts[kind] == plan.facts[kind]  # a replay of the events gives the same


def test_a_progress_measurement_struck_out_leaves_its_outcome() -> None:
    plan, ids = full_plan()
    plan.void(LATER, event_id=event_of(plan, ids["progress"]), reason="Another pupil's score")
    [outcome] = plan_document(plan)["outcomes"]  # type: ignore[index]
    assert outcome["id"] == ids["outcome"] and outcome["progress"] == []


def test_a_review_struck_out_no_longer_sets_when_the_next_is_due() -> None:
    plan, ids = full_plan()
    assert next_review_due(plan) == "2027-03-19"
    plan.void(LATER, event_id=event_of(plan, ids["review"]), reason="Held for another pupil")
    assert next_review_due(plan) == plan.state["initial_review_due"]
    assert plan_document(plan)["next_review_due"] == plan.state["initial_review_due"]  # type: ignore[index]


def test_a_session_struck_out_stays_among_the_sessions_marked_and_the_provision_is_still_owed() -> None:
    plan, ids = full_plan()
    plan.void(LATER, event_id=event_of(plan, "session"), reason="Logged twice")
    [session] = plan.facts[SESSIONS]
    assert is_voided(session) and session["voided"]["reason"] == "Logged twice"
    assert provision_schedule(ids["provision"], plan.records[ids["provision"]])  # the provision is untouched
    # The slot is free again: the session can be logged once more, as it should have been.
    plan.record_session(LATER, ids["provision"], {"date": "2026-11-16", "status": "missed",
                                                  "missed_reason": "pupil_absent"}, "s-2")


def test_an_item_struck_out_whole_leaves_every_view_and_can_no_longer_change() -> None:
    plan, ids = full_plan()
    plan.void(LATER, event_id=event_of(plan, ids["adjustment"]), reason="Agreed for another pupil")

    for as_of in (None, "2026-09-08", "2026-11-30"):
        assert plan_document(plan, as_of)["adjustments"] == []  # type: ignore[index]
    assert plan.items[ids["adjustment"]]["status"] == "voided"
    with pytest.raises(RuleViolation) as refused:
        plan.amend_item(LATER, "adjustments", ids["adjustment"], {"description": "Now this"})
    assert refused.value.rule == "adjustment_voided"
    with pytest.raises(RuleViolation):
        plan.end_item(LATER, "adjustments", ids["adjustment"], reason="gone")


def test_a_provision_struck_out_owes_nothing_and_takes_no_sessions() -> None:
    plan = Plan.open(BY, pupil=samples.pupil(), setting_urn="123456", tier="targeted", agreed_on="2026-09-01")
    barrier = plan.add_item(BY, "barriers", samples.barrier(), agreed_on="2026-09-02")
    provision = plan.add_item(BY, "provisions", samples.provision([barrier]), agreed_on="2026-09-07")
    plan.void(LATER, event_id=event_of(plan, provision), reason="Typed on the wrong plan")

    assert provision_schedule(provision, plan.records[provision]) == []
    assert plan_schedule(plan.records["plan"])  # the plan itself is untouched
    with pytest.raises(RuleViolation) as refused:
        plan.record_session(LATER, provision, {"date": "2026-11-16", "status": "delivered"}, "s-1")
    assert refused.value.rule == "provision_voided"


def test_a_barrier_struck_out_cannot_be_addressed() -> None:
    plan = Plan.open(BY, pupil=samples.pupil(), setting_urn="123456", tier="targeted", agreed_on="2026-09-01")
    barrier = plan.add_item(BY, "barriers", samples.barrier(), agreed_on="2026-09-02")
    plan.void(LATER, event_id=event_of(plan, barrier), reason="Not this pupil's")
    with pytest.raises(InvalidInput) as refused:
        plan.add_item(LATER, "provisions", samples.provision([barrier]))
    assert "struck out" in refused.value.errors[0].message


# ------------------------------------------------------------------ what cannot be struck out


@pytest.mark.parametrize(("entry", "dependant", "rule"), [
    ("barrier", "provision", "barrier_has_dependants"),
    ("provision", "session", "provision_has_dependants"),
    ("outcome", "progress", "outcome_has_dependants"),
])
def test_an_entry_others_depend_on_cannot_be_struck_out_until_they_are(entry: str, dependant: str, rule: str) -> None:
    plan, ids = full_plan()
    with pytest.raises(RuleViolation) as refused:
        plan.void(LATER, event_id=event_of(plan, ids[entry]), reason="Wrong plan")
    assert refused.value.rule == rule
    dependant_event = event_of(plan, ids.get(dependant, dependant))
    assert dependant_event in refused.value.detail  # the detail names what depends on it
    if entry == "barrier":  # everything that addresses it: provision, adjustment and outcome
        for other in ("adjustment", "outcome"):
            assert event_of(plan, ids[other]) in refused.value.detail
        return
    plan.void(LATER, event_id=dependant_event, reason="Wrong plan")
    plan.void(LATER, event_id=event_of(plan, ids[entry]), reason="Wrong plan")
    assert plan.items[ids[entry]]["status"] == "voided"


def test_a_barrier_addressed_only_by_an_ended_provision_still_cannot_be_struck_out() -> None:
    plan, ids = full_plan()
    for name in ("adjustment", "progress", "outcome"):
        plan.void(LATER, event_id=event_of(plan, ids[name]), reason="Wrong plan")
    plan.end_item(LATER, "provisions", ids["provision"], reason="Block finished")
    with pytest.raises(RuleViolation) as refused:
        plan.void(LATER, event_id=event_of(plan, ids["barrier"]), reason="Wrong plan")
    assert "(ended)" in refused.value.detail


@pytest.mark.parametrize("index", [0, 1])  # the opening, and a change of tier
def test_decisions_on_the_plan_cannot_be_struck_out(index: int) -> None:
    plan, _ = full_plan()
    plan.change_tier(LATER, tier="targeted_plus", ehcp_reference=None, reason="More support")
    with pytest.raises(RuleViolation) as refused:
        plan.void(LATER, event_id=plan.records["plan"][index]["event_id"], reason="x")
    assert refused.value.rule == "cannot_void"


def test_a_later_decision_on_an_item_cannot_be_struck_out() -> None:
    plan, ids = full_plan()
    plan.amend_item(LATER, "provisions", ids["provision"], {"sessions_per_week": 2})
    with pytest.raises(RuleViolation) as refused:
        plan.void(LATER, event_id=plan.records[ids["provision"]][1]["event_id"], reason="x")
    assert refused.value.rule == "cannot_void" and "correct" in refused.value.detail.lower()


def test_nothing_is_struck_out_twice_and_a_void_or_correction_is_never_struck_out_or_corrected() -> None:
    plan, ids = full_plan()
    target = event_of(plan, ids["contribution"])
    plan.void(LATER, event_id=target, reason="Wrong plan")
    void_id = plan.collect_events()[-1].event_id  # type: ignore[attr-defined]
    with pytest.raises(RuleViolation) as twice:
        plan.void(LATER, event_id=target, reason="Again")
    assert twice.value.rule == "already_voided" and void_id in twice.value.detail
    with pytest.raises(RuleViolation) as of_void:
        plan.void(LATER, event_id=void_id, reason="x")
    assert of_void.value.rule == "voiding_a_void"
    with pytest.raises(RuleViolation) as correcting_void:
        plan.correct(LATER, event_id=void_id, reason="x", changes={"reason": "y"})
    assert correcting_void.value.rule == "correcting_a_void"
    with pytest.raises(RuleViolation) as correcting_voided:
        plan.correct(LATER, event_id=target, reason="x", changes={"text": "other"})
    assert correcting_voided.value.rule == "correcting_a_voided_entry"

    plan.correct(LATER, event_id=event_of(plan, ids["review"]), reason="Typo", changes={"summary": "Fixed"})
    correction_id = plan.collect_events()[-1].event_id  # type: ignore[attr-defined]
    with pytest.raises(RuleViolation) as of_correction:
        plan.void(LATER, event_id=correction_id, reason="x")
    assert of_correction.value.rule == "voiding_a_correction"
    with pytest.raises(InvalidInput):
        plan.void(LATER, event_id="no-such-event", reason="x")


def test_an_entry_of_an_item_struck_out_cannot_be_corrected() -> None:
    plan, ids = full_plan()
    plan.amend_item(LATER, "adjustments", ids["adjustment"], {"description": "Front row"})
    plan.void(LATER, event_id=event_of(plan, ids["adjustment"]), reason="Wrong plan")
    with pytest.raises(RuleViolation) as refused:
        plan.correct(LATER, event_id=plan.records[ids["adjustment"]][1]["event_id"], reason="x",
                     changes={"description": "y"})
    assert refused.value.rule == "correcting_a_voided_entry"


@pytest.mark.parametrize(("changes", "void", "fields"), [
    ({"text": "x"}, True, {"changes", "void"}),
    (None, None, {"changes", "void"}),
    (None, False, {"void"}),
])
def test_a_correction_gives_either_changes_or_void(changes: Any, void: Any, fields: set[str]) -> None:
    plan, ids = full_plan()
    with pytest.raises(InvalidInput) as refused:
        plan.correct(LATER, event_id=event_of(plan, ids["contribution"]), reason="x", changes=changes, void=void)
    assert {e.field for e in refused.value.errors} == fields
    plan.correct(LATER, event_id=event_of(plan, ids["contribution"]), reason="Wrong child", void=True)
    assert plan_document(plan)["contributions"] == []  # type: ignore[index]


def test_a_void_needs_a_reason() -> None:
    plan, ids = full_plan()
    with pytest.raises(InvalidInput) as refused:
        plan.void(LATER, event_id=event_of(plan, ids["contribution"]), reason="  ")
    assert {e.field for e in refused.value.errors} == {"reason"}


# ------------------------------------------------------------------ what a reader sees of it


def test_the_diff_lists_what_was_struck_out_in_between_and_only_then() -> None:
    plan, ids = full_plan()
    before = plan_document(plan)
    plan.void(LATER, event_id=event_of(plan, ids["contribution"]), reason="Wrong plan")
    plan.void(LATER, event_id=event_of(plan, ids["adjustment"]), reason="Wrong plan")
    changes = diff_documents(before, plan_document(plan))  # type: ignore[arg-type]
    assert changes["contributions"] == {"added": [], "voided": [{"id": ids["contribution"]}]}
    assert changes["adjustments"]["voided"] == [{"id": ids["adjustment"],
                                                 "description": samples.adjustment([])["description"]}]
    assert "voided" not in changes["provisions"] and "voided" not in changes["reviews"]


# Entries are named as a correction names them (domain/record_wording.py), with no entry or version number.
@pytest.mark.parametrize(("entry", "words"), [
    ("session", "the delivered session of “Small-group phonics with a trained TA” on 16 November 2026"),
    ("contribution", "the parent's view added on 17 November 2026"),
    ("progress", "the progress towards “Reads CVC and CCVC words accurately” measured on 18 November 2026"),
    ("acknowledgement", "the parent's response of 20 November 2026"),
    ("review", "the review held on 19 November 2026"),
    ("adjustment", "the adjustment “Seated near the front, away from the door” as agreed on 8 September 2026"),
])
def test_the_summary_of_a_void_says_what_was_struck_out_and_why(entry: str, words: str) -> None:
    plan, ids = full_plan()
    target = event_of(plan, ids.get(entry, entry))
    events = plan.collect_events()
    plan.void(LATER, event_id=target, reason="Logged twice")
    [void] = plan.collect_events()
    assert summarise(void, replay(events)) == (  # type: ignore[arg-type]
        f"Struck out as recorded in error: {words}; it no longer counts. Reason: Logged twice.")
