"""The rules of recording a session (CONTRACT.md §8), on a plan without a database: only on a school day of the
setting, never twice for the same slot, never both delivered and missed; a second session on one day needs each
its ``starts_at``; an entry voided as recorded in error no longer stands in the way. "Today" is Friday 20 November
2026.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from isp_ledger.domain.calendar import NOT_SET, SchoolCalendar
from isp_ledger.domain.errors import InvalidInput, RuleViolation
from isp_ledger.domain.plan import Plan
from isp_ledger.domain.stamp import Actor, Stamp
from tests import samples

SENCO = Stamp(Actor("u-senco", "Sam Senco", "senco"), dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC))
TA = Stamp(Actor("u-ta", "Tess Teacher", "teacher"), dt.datetime(2026, 11, 20, 15, tzinfo=dt.UTC))
# Half term 26-30 October, an INSET day on Friday 13 November.
AUTUMN = SchoolCalendar(((dt.date(2026, 10, 26), dt.date(2026, 10, 30)),), frozenset({dt.date(2026, 11, 13)}))


def plan_with_provision() -> tuple[Plan, str]:
    plan = Plan.open(SENCO, pupil=samples.pupil(), setting_urn="123456", tier="targeted", agreed_on="2026-09-01")
    barrier = plan.add_item(SENCO, "barriers", samples.barrier(), agreed_on="2026-09-01")
    return plan, plan.add_item(SENCO, "provisions", samples.provision([barrier]), agreed_on="2026-09-01")


def record(plan: Plan, provision: str, date: str, status: str = "delivered", *,
           calendar: SchoolCalendar = AUTUMN, **fields: Any) -> str:
    """Record a session; returns its event id."""
    plan.record_session(TA, provision, {"date": date, "status": status, **fields}, "s-1",
                        calendar_of=lambda _urn: calendar)
    return str(plan.facts["sessions"][-1]["event_id"])


def refused(plan: Plan, provision: str, date: str, status: str = "delivered", *,
            calendar: SchoolCalendar = AUTUMN, **fields: Any) -> RuleViolation:
    before = len(plan.facts["sessions"])
    with pytest.raises(RuleViolation) as refusal:
        record(plan, provision, date, status, calendar=calendar, **fields)
    assert len(plan.facts["sessions"]) == before, "a refused session records nothing"
    return refusal.value


# ------------------------------------------------------------------ school days only


@pytest.mark.parametrize(("date", "why"), [
    ("2026-11-14", "14 November 2026 was a Saturday"),
    ("2026-11-15", "15 November 2026 was a Sunday"),
    ("2026-10-28", "28 October 2026 was in the setting's holiday from 26 October 2026 to 30 October 2026"),
    ("2026-11-13", "13 November 2026 was a day the setting was closed"),
])
def test_no_session_on_a_day_that_is_not_a_school_day(date: str, why: str) -> None:
    plan, provision = plan_with_provision()
    for status, reason in (("delivered", None), ("missed", "pupil_absent")):  # "absent" in half term, too
        refusal = refused(plan, provision, date, status, missed_reason=reason)
        assert refusal.rule == "not_a_school_day"
        assert refusal.detail.startswith(why), refusal.detail
        assert "setting 123456" in refusal.detail and "/v1/settings/123456/calendar" in refusal.detail


def test_no_session_on_a_bank_holiday_nobody_entered() -> None:
    plan, provision = plan_with_provision()
    # Monday 31 August 2026 (the late summer bank holiday) is before the plan; Boxing Day is on a Saturday in 2026,
    # so the bank holiday is Monday 28 December: the calendar of a setting that entered nothing knows it.
    late = Stamp(TA.actor, dt.datetime(2027, 1, 8, 15, tzinfo=dt.UTC))
    with pytest.raises(RuleViolation) as refusal:
        plan.record_session(late, provision, {"date": "2026-12-28", "status": "delivered"}, "s-1",
                            calendar_of=lambda _urn: NOT_SET)
    assert refusal.value.rule == "not_a_school_day"
    assert refusal.value.detail.startswith("28 December 2026 was a bank holiday (Boxing Day (observed))")
    plan.record_session(late, provision, {"date": "2026-12-29", "status": "delivered"}, "s-2",
                        calendar_of=lambda _urn: NOT_SET)  # no school holiday was entered: a school day


def test_the_calendar_is_the_one_of_the_plans_setting() -> None:
    plan, provision = plan_with_provision()
    asked: list[str] = []

    def calendar_of(urn: str) -> SchoolCalendar:
        asked.append(urn)
        return AUTUMN

    plan.record_session(TA, provision, {"date": "2026-11-16", "status": "delivered"}, "s-1", calendar_of=calendar_of)
    assert asked == ["123456"]


# ------------------------------------------------------------------ one session per slot


def test_the_same_session_recorded_twice_is_refused_naming_the_first() -> None:
    plan, provision = plan_with_provision()
    first = record(plan, provision, "2026-11-16")
    refusal = refused(plan, provision, "2026-11-16")
    assert refusal.rule == "session_already_recorded"
    assert f"entry 4 (event {first}), recorded as delivered" in refusal.detail
    assert "16 November 2026" in refusal.detail
    assert f'"event_id": "{first}"' in refusal.detail and '"void": true' in refusal.detail
    assert "give each its starts_at" in refusal.detail


def test_delivered_and_missed_for_the_same_slot_contradict() -> None:
    plan, provision = plan_with_provision()
    first = record(plan, provision, "2026-11-16", "missed", missed_reason="pupil_absent")
    refusal = refused(plan, provision, "2026-11-16", "delivered")
    assert refusal.rule == "session_contradicts_record"
    assert f"already entry 4 (event {first}), recorded as missed: it cannot also be delivered" in refusal.detail
    assert '"void": true' in refusal.detail


def test_two_sessions_on_one_day_each_with_the_time_it_started() -> None:
    plan, provision = plan_with_provision()
    record(plan, provision, "2026-11-16", starts_at="09:15")
    record(plan, provision, "2026-11-16", starts_at="13:30")
    assert [r["data"]["starts_at"] for r in plan.facts["sessions"]] == ["09:15", "13:30"]
    assert refused(plan, provision, "2026-11-16", starts_at="13:30").rule == "session_already_recorded"
    assert refused(plan, provision, "2026-11-16").rule == "session_already_recorded"  # which one would it be?
    assert refused(plan, provision, "2026-11-16", "missed", missed_reason="other",
                   starts_at="09:15").rule == "session_contradicts_record"
    # A session recorded without a time stands in the way of any other that day, until it is given its time.
    other = record(plan, provision, "2026-11-17")
    refusal = refused(plan, provision, "2026-11-17", starts_at="14:00")
    assert refusal.rule == "session_already_recorded" and other in refusal.detail
    plan.correct(SENCO, event_id=other, reason="It was the morning session", changes={"starts_at": "09:15"})
    record(plan, provision, "2026-11-17", starts_at="14:00")


def test_another_provision_or_another_day_is_another_session() -> None:
    plan, provision = plan_with_provision()
    barrier = plan.section_items["barriers"][0]
    spelling = plan.add_item(SENCO, "provisions", samples.provision([barrier], description="Spelling"),
                             agreed_on="2026-09-01")
    record(plan, provision, "2026-11-16")
    record(plan, spelling, "2026-11-16")
    record(plan, provision, "2026-11-17")
    assert len(plan.facts["sessions"]) == 3


def test_a_voided_entry_no_longer_stands_in_the_way() -> None:
    plan, provision = plan_with_provision()
    first = record(plan, provision, "2026-11-16", "missed", missed_reason="pupil_absent")
    # As a void (CONTRACT.md §5) leaves the record: kept, marked "voided", counting for nothing.
    voided = {**plan.facts["sessions"][0], "voided": {"event_id": "e-void", "version": 5, "reason": "Wrong child",
                                                      "recorded_at": "2026-11-20T15:00:00+00:00",
                                                      "actor": SENCO.actor.as_dict()}}
    plan.facts["sessions"][0] = voided
    record(plan, provision, "2026-11-16", "delivered")
    assert [r["event_id"] == first for r in plan.facts["sessions"]] == [True, False]


@pytest.mark.parametrize("starts_at", ["9:15", "24:00", "12:60", "noon", "09:15:00", ""])
def test_starts_at_is_a_time_of_day(starts_at: str) -> None:
    plan, provision = plan_with_provision()
    with pytest.raises(InvalidInput) as invalid:
        record(plan, provision, "2026-11-16", starts_at=starts_at)
    assert [e.field for e in invalid.value.errors] == ["starts_at"]


def test_a_session_without_starts_at_is_stored_as_before() -> None:
    plan, provision = plan_with_provision()
    plan.collect_events()
    record(plan, provision, "2026-11-16")
    [event] = plan.collect_events()
    assert "starts_at" not in event.data()  # type: ignore[attr-defined]
