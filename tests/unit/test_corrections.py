"""Corrections (CONTRACT.md §5): saying an earlier entry was recorded wrongly, without rewriting it.

After a correction the plan now, and as of any date, uses the corrected values; the record as it stood before
the correction (a prefix of the events) still shows the original; the original event itself never changes.
A correction is not an amendment: it is not a new decision, so it does not move the item's ``agreed_on``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pytest

from isp_ledger.domain.errors import InvalidInput, RuleViolation
from isp_ledger.domain.plan import Plan
from isp_ledger.domain.stamp import Actor, Stamp
from isp_ledger.domain.view import plan_document
from tests import samples

SENCO = Actor("u-senco", "Sam Senco", "senco")
BY = Stamp(SENCO, dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC))


def plan_with_provision() -> tuple[Plan, str, str]:
    """Opened 1 Sep; a barrier identified 2 Sep; 3 × 30-minute sessions a week agreed 10 Sep."""
    plan = Plan.open(BY, pupil=samples.pupil(), setting_urn="123456", tier="targeted", agreed_on="2026-09-01")
    barrier_id = plan.add_item(BY, "barriers", samples.barrier(), agreed_on="2026-09-02")
    provision_id = plan.add_item(BY, "provisions", samples.provision([barrier_id]), agreed_on="2026-09-10")
    return plan, barrier_id, provision_id


def event_id_of(plan: Plan, item_id: str, index: int = 0) -> str:
    return str(plan.records[item_id][index]["event_id"])


def replay(events: Sequence[Any]) -> Plan:
    plan = None
    for event in events:
        plan = event.mutate(plan)
    assert isinstance(plan, Plan)
    return plan


def provision_as_of(plan: Plan, provision_id: str, as_of: str | None = None) -> dict[str, Any] | None:
    doc = plan_document(plan, as_of)
    assert doc is not None
    return next((p for p in doc["provisions"] if p["id"] == provision_id), None)


def refused_fields(error: pytest.ExceptionInfo[InvalidInput]) -> set[str]:
    return {e.field for e in error.value.errors}


# ------------------------------------------------------------------ what a correction changes, and what not


def test_a_wrong_number_is_corrected_now_and_as_of_but_not_in_the_record_as_it_stood_before() -> None:
    plan, _, provision_id = plan_with_provision()
    plan.correct(BY, event_id=event_id_of(plan, provision_id), reason="Typed 3; the meeting agreed 2",
                 changes={"sessions_per_week": 2})
    events: Sequence[Any] = plan.collect_events()

    assert plan.items[provision_id]["sessions_per_week"] == 2
    assert plan.items[provision_id]["corrected"] is True
    assert provision_as_of(plan, provision_id, "2026-09-10")["sessions_per_week"] == 2  # type: ignore[index]
    before = replay(events[:-1])
    assert provision_as_of(before, provision_id)["sessions_per_week"] == 3  # type: ignore[index]
    assert provision_as_of(before, provision_id, "2026-09-10")["sessions_per_week"] == 3  # type: ignore[index]
    assert events[2].sessions_per_week == 3  # the original entry is kept as it was


def test_the_correction_says_what_it_corrects_who_made_it_why_and_what_it_replaced() -> None:
    plan, _, provision_id = plan_with_provision()
    original = event_id_of(plan, provision_id)
    plan.correct(BY, event_id=original, reason="Typed 3; the meeting agreed 2", changes={"sessions_per_week": 2})

    correction: Any = plan.collect_events()[-1]
    assert type(correction).__name__ == "CorrectionRecorded"
    assert (correction.corrected_event_id, correction.corrected_version) == (original, 3)
    assert (correction.changes, correction.previous) == ({"sessions_per_week": 2}, {"sessions_per_week": 3})
    assert (correction.actor["user_id"], correction.reason) == ("u-senco", "Typed 3; the meeting agreed 2")
    [note] = plan.records[provision_id][0]["corrections"]
    assert (note["event_id"], note["reason"]) == (correction.event_id, "Typed 3; the meeting agreed 2")


def test_a_correction_is_not_an_amendment() -> None:
    plan, _, provision_id = plan_with_provision()
    plan.amend_item(BY, "provisions", provision_id, {"minutes_per_session": 20}, agreed_on="2026-10-01")
    before = dict(plan.items[provision_id])

    # The first entry can still be corrected although a later decision was agreed since: no decision is made.
    plan.correct(BY, event_id=event_id_of(plan, provision_id), reason="Typo", changes={"location": "in_class"})

    after = plan.items[provision_id]
    assert after["location"] == "in_class"
    assert [r["type"] for r in plan.records[provision_id]] == ["ProvisionAgreed", "ProvisionAmended"]
    assert (after["agreed_on"], after["version"], after["recorded_at"]) == (
        before["agreed_on"], before["version"], before["recorded_at"]
    )


def test_correcting_an_amendment_changes_what_it_changed() -> None:
    plan, _, provision_id = plan_with_provision()
    plan.amend_item(BY, "provisions", provision_id, {"sessions_per_week": 5}, agreed_on="2026-10-01")
    plan.correct(BY, event_id=event_id_of(plan, provision_id, 1), reason="It was 4", changes={"sessions_per_week": 4})

    assert plan.items[provision_id]["sessions_per_week"] == 4
    assert provision_as_of(plan, provision_id, "2026-09-30")["sessions_per_week"] == 3  # type: ignore[index]

    with pytest.raises(InvalidInput) as refused:  # the amendment did not change the group size
        plan.correct(BY, event_id=event_id_of(plan, provision_id, 1), reason="x", changes={"group_size": 2})
    assert refused_fields(refused) == {"changes.group_size"}


def test_a_typo_in_the_pupils_name_is_corrected() -> None:
    plan, _, _ = plan_with_provision()
    plan.correct(BY, event_id=plan.records["plan"][0]["event_id"], reason="Misspelt",
                 changes={"pupil.family_name": "Okafor-Bello"})
    assert plan.state["pupil"]["family_name"] == "Okafor-Bello"
    assert plan.state["pupil"]["given_name"] == "Amara"


# ------------------------------------------------------------------ correcting agreed_on


def test_a_wrong_agreed_on_is_corrected_and_moves_the_item_in_as_of() -> None:
    plan, _, provision_id = plan_with_provision()
    plan.correct(BY, event_id=event_id_of(plan, provision_id), reason="The meeting was on the 5th",
                 changes={"agreed_on": "2026-09-05"})

    assert plan.items[provision_id]["agreed_on"] == "2026-09-05"
    assert provision_as_of(plan, provision_id, "2026-09-05") is not None
    assert provision_as_of(plan, provision_id, "2026-09-04") is None


def test_correcting_a_reviews_held_on_moves_its_agreed_on() -> None:
    plan, _, _ = plan_with_provision()
    plan.hold_review(BY, samples.review(held_on="2026-11-19", next_review_due="2027-03-19"))
    review = plan.facts["reviews"][0]
    plan.correct(BY, event_id=review["event_id"], reason="Held on the 18th", changes={"held_on": "2026-11-18"})

    doc = plan_document(plan, "2026-11-18")
    assert doc is not None and [r["agreed_on"] for r in doc["reviews"]] == ["2026-11-18"]


@pytest.mark.parametrize(
    ("item", "index", "agreed_on"),
    [
        ("provision", 1, "2026-09-09"),  # the amendment before the provision was agreed
        ("provision", 0, "2026-10-02"),  # the provision after its amendment
        ("barrier", 0, "2026-08-31"),  # before the plan was opened
    ],
)
def test_a_corrected_agreed_on_must_keep_the_record_in_order(item: str, index: int, agreed_on: str) -> None:
    plan, barrier_id, provision_id = plan_with_provision()
    plan.amend_item(BY, "provisions", provision_id, {"sessions_per_week": 4}, agreed_on="2026-10-01")
    item_id = provision_id if item == "provision" else barrier_id

    with pytest.raises(RuleViolation) as refused:
        plan.correct(BY, event_id=event_id_of(plan, item_id, index), reason="x", changes={"agreed_on": agreed_on})
    assert refused.value.rule == "correction_breaks_order"


def test_a_corrected_agreed_on_cannot_be_after_today() -> None:
    plan, _, provision_id = plan_with_provision()
    with pytest.raises(InvalidInput) as refused:
        plan.correct(BY, event_id=event_id_of(plan, provision_id), reason="x", changes={"agreed_on": "2026-11-21"})
    assert refused_fields(refused) == {"changes.agreed_on"}


def test_the_opening_cannot_be_corrected_to_after_the_first_entry() -> None:
    plan, _, _ = plan_with_provision()
    with pytest.raises(RuleViolation) as refused:
        plan.correct(BY, event_id=plan.records["plan"][0]["event_id"], reason="x", changes={"agreed_on": "2026-09-03"})
    assert refused.value.rule == "correction_breaks_order"


def test_a_provision_cannot_be_corrected_to_before_the_barrier_it_addresses_was_identified() -> None:
    plan, barrier_id, provision_id = plan_with_provision()  # barrier identified 2 Sep
    with pytest.raises(RuleViolation) as refused:
        plan.correct(BY, event_id=event_id_of(plan, provision_id), reason="x", changes={"agreed_on": "2026-09-01"})
    assert refused.value.rule == "correction_breaks_order"
    assert f"barrier {barrier_id} identified on 2026-09-02" in refused.value.detail


def test_a_barrier_cannot_be_corrected_to_after_provision_that_addresses_it() -> None:
    plan, barrier_id, _ = plan_with_provision()  # provision agreed 10 Sep
    with pytest.raises(RuleViolation) as refused:
        plan.correct(BY, event_id=event_id_of(plan, barrier_id), reason="x", changes={"agreed_on": "2026-09-11"})
    assert refused.value.rule == "correction_breaks_order"
    assert "ProvisionAgreed agreed on 2026-09-10" in refused.value.detail

    plan.correct(BY, event_id=event_id_of(plan, barrier_id), reason="Identified the day before",
                 changes={"agreed_on": "2026-09-09"})
    assert plan.items[barrier_id]["added_on"] == "2026-09-09"


# ------------------------------------------------------------------ what cannot be corrected


def test_a_field_the_entry_does_not_have_is_refused() -> None:
    plan, barrier_id, _ = plan_with_provision()
    with pytest.raises(InvalidInput) as refused:
        plan.correct(BY, event_id=event_id_of(plan, barrier_id), reason="x", changes={"sessions_per_week": 2})
    assert refused_fields(refused) == {"changes.sessions_per_week"}
    assert "correctable" in refused.value.errors[0].message


def test_an_unknown_event_is_refused() -> None:
    plan, _, _ = plan_with_provision()
    with pytest.raises(InvalidInput) as refused:
        plan.correct(BY, event_id="00000000-0000-0000-0000-000000000000", reason="x", changes={"reason": "y"})
    assert refused_fields(refused) == {"event_id"}


def test_an_event_of_another_plan_is_refused() -> None:
    plan, _, _ = plan_with_provision()
    other, _, provision_id = plan_with_provision()
    with pytest.raises(InvalidInput) as refused:
        plan.correct(BY, event_id=event_id_of(other, provision_id), reason="x", changes={"sessions_per_week": 2})
    assert refused_fields(refused) == {"event_id"}


def test_a_correction_cannot_itself_be_corrected() -> None:
    plan, _, provision_id = plan_with_provision()
    plan.correct(BY, event_id=event_id_of(plan, provision_id), reason="Typo", changes={"sessions_per_week": 2})
    correction_id = plan.records[provision_id][0]["corrections"][0]["event_id"]

    with pytest.raises(RuleViolation) as refused:
        plan.correct(BY, event_id=correction_id, reason="x", changes={"reason": "Another typo"})
    assert refused.value.rule == "correcting_a_correction"


@pytest.mark.parametrize(
    ("changes", "reason", "field"),
    [
        ({}, "Typo", "changes"),
        ({"sessions_per_week": 3}, "Typo", "changes"),  # the value it already has
        ({"sessions_per_week": 0}, "Typo", "changes.sessions_per_week"),  # the field's own rule
        ({"ends_on": "2026-09-06"}, "Typo", "changes.ends_on"),  # before starts_on
        ({"sessions_per_week": 2}, "", "reason"),
    ],
)
def test_a_correction_follows_the_rules_of_the_original_entry(changes: dict[str, Any], reason: str, field: str) -> None:
    plan, _, provision_id = plan_with_provision()
    with pytest.raises(InvalidInput) as refused:
        plan.correct(BY, event_id=event_id_of(plan, provision_id), reason=reason, changes=changes)
    assert refused_fields(refused) == {field}


def test_a_corrected_need_type_must_still_fit_the_area_of_need() -> None:
    plan, barrier_id, _ = plan_with_provision()
    with pytest.raises(InvalidInput) as refused:
        plan.correct(BY, event_id=event_id_of(plan, barrier_id), reason="x", changes={"need_type": "SEMH"})
    assert refused_fields(refused) == {"changes.need_type"}
