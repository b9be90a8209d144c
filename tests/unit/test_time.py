"""The ledger's two time axes (CONTRACT.md §3): ``agreed_on``, when a decision was made, and ``recorded_at``,
when the ledger stored it.

"As of" a date is the plan in force then, as now known: every change agreed on or before it. "As at" an
instant is the record as it stood then: a prefix of the plan's events, replayed. These tests replay the
events the plan triggered, in memory, as the application does from the store.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pytest

from isp_ledger.domain.errors import RuleViolation
from isp_ledger.domain.plan import Plan
from isp_ledger.domain.stamp import Actor, Stamp, format_instant, is_backdated, london_date, london_day
from isp_ledger.domain.view import plan_document
from tests import samples

SENCO = Actor("u-senco", "Sam Senco", "senco")
TEACHER = Actor("u-teacher", "Tess Teacher", "teacher")


def at(day: int, hour: int = 10, month: int = 11, actor: Actor = SENCO) -> Stamp:
    """A command received on ``day`` ``month`` 2026 at ``hour``:00 UTC."""
    return Stamp(actor, dt.datetime(2026, month, day, hour, 0, tzinfo=dt.UTC))


def open_plan(agreed_on: str = "2026-09-01") -> Plan:
    return Plan.open(at(1), pupil=samples.pupil(), setting_urn="123456", tier="targeted", agreed_on=agreed_on,
                     next_review_due="2027-07-01")


def plan_with_provision() -> tuple[Plan, str, str]:
    """A plan opened 1 Sep, a barrier identified 2 Sep and provision of 3 sessions a week agreed 3 Sep."""
    plan = open_plan()
    barrier_id = plan.add_item(at(2), "barriers", samples.barrier(), agreed_on="2026-09-02")
    provision_id = plan.add_item(at(3), "provisions", samples.provision([barrier_id]), agreed_on="2026-09-03")
    return plan, barrier_id, provision_id


def replay(events: Sequence[Any]) -> Plan:
    """The plan as a prefix of its events makes it: the record as it stood when the last of them was stored."""
    plan = None
    for event in events:
        plan = event.mutate(plan)
    assert isinstance(plan, Plan)
    return plan


def document(plan: Plan, as_of: str | None = None) -> dict[str, Any]:
    doc = plan_document(plan, as_of)
    assert doc is not None
    return doc


def provision_in(doc: dict[str, Any], provision_id: str) -> dict[str, Any] | None:
    return next((p for p in doc["provisions"] if p["id"] == provision_id), None)


# ------------------------------------------------------------------ agreed_on never goes backwards


def test_a_change_agreed_before_the_latest_decision_on_an_item_is_refused_and_points_to_corrections() -> None:
    plan, _, provision_id = plan_with_provision()
    plan.amend_item(at(10), "provisions", provision_id, {"sessions_per_week": 4}, agreed_on="2026-11-10",
                    reason="Autumn review")

    with pytest.raises(RuleViolation) as refused:
        plan.amend_item(at(11), "provisions", provision_id, {"minutes_per_session": 20}, agreed_on="2026-11-09")

    assert refused.value.rule == "agreed_on_goes_backwards"
    assert "2026-11-10" in refused.value.detail
    assert "correction" in refused.value.detail and f"/v1/plans/{plan.id}/corrections" in refused.value.detail


def test_ending_an_item_before_its_latest_decision_is_refused() -> None:
    plan, _, provision_id = plan_with_provision()
    with pytest.raises(RuleViolation) as refused:
        plan.end_item(at(11), "provisions", provision_id, reason="Stopped", agreed_on="2026-09-02")
    assert refused.value.rule == "agreed_on_goes_backwards"


def test_a_second_change_agreed_the_same_day_is_in_order() -> None:
    plan, _, provision_id = plan_with_provision()
    plan.amend_item(at(3, 11), "provisions", provision_id, {"sessions_per_week": 4}, agreed_on="2026-09-03")
    assert plan.items[provision_id]["sessions_per_week"] == 4


def test_the_order_is_per_item_so_another_item_may_be_back_dated_further() -> None:
    plan, barrier_id, provision_id = plan_with_provision()
    plan.amend_item(at(10), "provisions", provision_id, {"sessions_per_week": 4}, agreed_on="2026-11-10")

    plan.amend_item(at(11), "barriers", barrier_id, {"evidence": "Phonics screening: 22/40; BPVS: 85"},
                    agreed_on="2026-09-20")
    assert plan.items[barrier_id]["agreed_on"] == "2026-09-20"


def test_plan_level_changes_never_go_backwards_either() -> None:
    plan = open_plan()
    plan.change_tier(at(10), tier="targeted_plus", ehcp_reference=None, reason="EP involved", agreed_on="2026-10-10")
    with pytest.raises(RuleViolation) as refused:
        plan.close(at(11), reason="Left", agreed_on="2026-10-09")
    assert refused.value.rule == "agreed_on_goes_backwards"


def test_nothing_can_be_agreed_before_the_plan_was_opened() -> None:
    plan = open_plan("2026-09-01")
    with pytest.raises(RuleViolation) as refused:
        plan.add_item(at(2), "barriers", samples.barrier(), agreed_on="2026-08-31")
    assert refused.value.rule == "before_plan_opened"


# ------------------------------------------------------------------ recorded_at and back-dating


def test_each_item_shows_when_its_latest_change_was_agreed_and_recorded() -> None:
    plan, _, provision_id = plan_with_provision()
    plan.amend_item(at(12, 15), "provisions", provision_id, {"sessions_per_week": 4}, agreed_on="2026-11-10")

    provision = plan.items[provision_id]
    assert provision["agreed_on"] == "2026-11-10"
    assert provision["recorded_at"] == "2026-11-12T15:00:00.000000+00:00"
    assert provision["added_on"] == "2026-09-03"


def test_recorded_at_strictly_increases_even_if_the_clock_stands_still_or_steps_back() -> None:
    plan = open_plan()
    plan.add_item(at(5), "barriers", samples.barrier(), agreed_on="2026-09-01")
    plan.add_item(at(5), "barriers", samples.barrier(), agreed_on="2026-09-01")
    plan.add_item(at(4), "barriers", samples.barrier(), agreed_on="2026-09-01")

    stamps = [event.timestamp for event in plan.collect_events()]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)


@pytest.mark.parametrize(
    ("agreed_on", "recorded_at", "backdated"),
    [
        ("2026-11-20", "2026-11-20T10:00:00+00:00", False),
        ("2026-11-19", "2026-11-20T10:00:00+00:00", True),
        # 23:30 UTC on 14 July is already 15 July in London (BST): agreed on the 14th is back-dated...
        ("2026-07-14", "2026-07-14T23:30:00+00:00", True),
        ("2026-07-15", "2026-07-14T23:30:00+00:00", False),
        # ...but in winter London is on UTC, and the 14th is still today.
        ("2026-12-14", "2026-12-14T23:30:00+00:00", False),
    ],
)
def test_an_entry_agreed_before_the_london_date_it_was_recorded_is_back_dated(
    agreed_on: str, recorded_at: str, backdated: bool
) -> None:
    assert is_backdated(agreed_on, recorded_at) is backdated
    assert is_backdated(agreed_on, dt.datetime.fromisoformat(recorded_at)) is backdated


def test_an_entry_recorded_just_after_midnight_in_summer_defaults_to_the_london_date_and_is_not_back_dated() -> None:
    plan = Plan.open(at(1, month=7), pupil=samples.pupil(), setting_urn="123456", tier="targeted")
    by = Stamp(SENCO, dt.datetime(2026, 7, 14, 23, 30, tzinfo=dt.UTC))
    barrier_id = plan.add_item(by, "barriers", samples.barrier())

    record = plan.records[barrier_id][-1]
    assert record["agreed_on"] == "2026-07-15"
    assert not is_backdated(record["agreed_on"], record["recorded_at"])


# ------------------------------------------------------------------ as of a date


def test_as_of_a_date_before_the_plan_was_opened_there_is_no_plan() -> None:
    assert plan_document(open_plan("2026-09-01"), "2026-08-31") is None
    assert document(open_plan("2026-09-01"), "2026-09-01")["opened_on"] == "2026-09-01"


def test_as_of_a_date_shows_only_the_changes_agreed_by_then() -> None:
    plan, barrier_id, provision_id = plan_with_provision()
    plan.amend_item(at(10), "provisions", provision_id, {"sessions_per_week": 4}, agreed_on="2026-10-10")
    plan.end_item(at(10), "barriers", barrier_id, reason="Resolved", agreed_on="2026-11-01")
    plan.change_tier(at(10), tier="targeted_plus", ehcp_reference=None, reason="SaLT", agreed_on="2026-11-05")
    plan.close(at(12), reason="Left the school", agreed_on="2026-11-12")

    before = document(plan, "2026-09-02")
    assert [b["id"] for b in before["barriers"]] == [barrier_id] and before["provisions"] == []

    autumn = document(plan, "2026-10-09")
    assert provision_in(autumn, provision_id)["sessions_per_week"] == 3  # type: ignore[index]
    assert autumn["barriers"][0]["status"] == "active"
    assert (autumn["tier"], autumn["status"]) == ("targeted", "open")

    later = document(plan, "2026-11-06")
    assert provision_in(later, provision_id)["sessions_per_week"] == 4  # type: ignore[index]
    assert later["barriers"][0]["status"] == "resolved"
    assert (later["tier"], later["status"]) == ("targeted_plus", "open")

    assert document(plan, "2026-11-12")["status"] == "closed"


def test_as_of_includes_a_back_dated_change_recorded_later() -> None:
    plan, _, provision_id = plan_with_provision()
    # Recorded on 20 November, but agreed with the parent at a meeting on 1 October.
    plan.amend_item(at(20), "provisions", provision_id, {"sessions_per_week": 5}, agreed_on="2026-10-01",
                    reason="Agreed at the parents' meeting")

    assert provision_in(document(plan, "2026-10-01"), provision_id)["sessions_per_week"] == 5  # type: ignore[index]
    assert provision_in(document(plan, "2026-09-30"), provision_id)["sessions_per_week"] == 3  # type: ignore[index]


def test_as_of_shows_the_reviews_held_and_the_review_then_due() -> None:
    plan = open_plan()
    plan.hold_review(at(20), samples.review(held_on="2026-11-19", next_review_due="2027-03-19"))

    assert document(plan, "2026-11-18")["reviews"] == []
    assert document(plan, "2026-11-18")["next_review_due"] == "2027-07-01"
    assert document(plan, "2026-11-19")["next_review_due"] == "2027-03-19"


# ------------------------------------------------------------------ as at an earlier version


def test_replaying_every_event_gives_the_same_plan() -> None:
    plan, _, provision_id = plan_with_provision()
    plan.amend_item(at(10), "provisions", provision_id, {"sessions_per_week": 4}, agreed_on="2026-10-10")
    plan.hold_review(at(20), samples.review())
    expected = document(plan)

    assert document(replay(plan.collect_events())) == expected


def test_as_at_an_earlier_version_the_record_does_not_yet_show_a_back_dated_change() -> None:
    plan, _, provision_id = plan_with_provision()
    plan.amend_item(at(20), "provisions", provision_id, {"sessions_per_week": 5}, agreed_on="2026-10-01")
    events = plan.collect_events()

    as_at_3 = replay(events[:3])  # the record on 3 September, before the back-dated amendment was recorded
    assert as_at_3.version == 3
    assert provision_in(document(as_at_3), provision_id)["sessions_per_week"] == 3  # type: ignore[index]
    # Both together: what the record said on 3 September about the plan in force on 1 October.
    assert provision_in(document(as_at_3, "2026-10-01"), provision_id)["sessions_per_week"] == 3  # type: ignore[index]
    # What the record says now about 1 October.
    assert provision_in(document(replay(events), "2026-10-01"), provision_id)["sessions_per_week"] == 5  # type: ignore[index]


# ------------------------------------------------------------------ every event says who, when and why


def test_every_event_carries_its_actor_agreed_on_reason_and_an_event_id() -> None:
    plan, _, provision_id = plan_with_provision()
    plan.amend_item(at(10, actor=TEACHER), "provisions", provision_id, {"minutes_per_session": 20},
                    agreed_on="2026-11-09", reason="Shorter sessions hold attention better")
    plan.end_item(at(11), "provisions", provision_id, reason="Target met")

    events: Sequence[Any] = plan.collect_events()
    assert [type(e).__name__ for e in events] == [
        "PlanOpened", "BarrierIdentified", "ProvisionAgreed", "ProvisionAmended", "ProvisionEnded"
    ]
    amended, ended = events[3], events[4]
    assert amended.actor == {"user_id": "u-teacher", "name": "Tess Teacher", "role": "teacher"}
    assert (amended.agreed_on, amended.reason) == ("2026-11-09", "Shorter sessions hold attention better")
    assert (ended.actor["user_id"], ended.agreed_on, ended.reason) == ("u-senco", "2026-11-11", "Target met")
    assert events[1].reason is None  # no reason was given
    assert all(e.actor and e.agreed_on for e in events)
    assert len({e.event_id for e in events}) == len(events)


def test_an_amendment_records_only_the_fields_it_changed() -> None:
    plan, _, provision_id = plan_with_provision()
    plan.amend_item(at(10), "provisions", provision_id, {"sessions_per_week": 4, "group_size": 4})

    amended: Any = plan.collect_events()[-1]
    assert amended.changes == {"sessions_per_week": 4}


def test_the_london_day_of_a_recorded_instant_is_right_across_both_clock_changes() -> None:
    """``london_day`` caches per UTC hour: every quarter of an hour of two years, BST's starts and ends
    included, gives the date ``london_date`` gives."""
    instant = dt.datetime(2025, 1, 1, 0, 7, 31, 123456, tzinfo=dt.UTC)
    while instant.year < 2027:
        assert london_day(format_instant(instant)) == london_date(instant).isoformat(), instant
        instant += dt.timedelta(minutes=15)
    # around midnight either side of the clocks going forward and back (2026-03-29 and 2026-10-25)
    assert london_day("2026-03-28T23:59:59.999999+00:00") == "2026-03-28"
    assert london_day("2026-06-01T23:00:00.000000+00:00") == "2026-06-02"
    assert london_day("2026-10-24T23:30:00.000000+00:00") == "2026-10-25"
    assert london_day("2026-10-25T23:30:00.000000+00:00") == "2026-10-25"
