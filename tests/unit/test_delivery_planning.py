"""Planned versus delivered provision (CONTRACT.md §8), worked out on exact numbers without a database.

Every rule of ``isp_ledger.domain.planning``: a provision of 3 sessions a week owes 3/5 of a session on each
school day it is in force; school days are weekdays minus the setting's holidays and closures; what was in force
is read as of each day. Also the rules of recording a session on a plan (``Plan.record_session``) and of a
setting's calendar. Tests are set in the autumn term of 2026; "today" is Friday 20 November 2026.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from typing import Any, cast

import pytest

from isp_ledger.domain.calendar import WEEKDAYS_ONLY, SchoolCalendar, clean_calendar
from isp_ledger.domain.errors import InvalidInput, RuleViolation
from isp_ledger.domain.plan import Plan
from isp_ledger.domain.planning import (
    SchoolDays,
    Session,
    Tally,
    plan_schedule,
    provision_schedule,
    shown,
    tally_provision,
)
from isp_ledger.domain.stamp import Actor, Stamp
from isp_ledger.domain.summaries import summarise
from isp_ledger.domain.view import plan_document
from isp_ledger.domain.wording import kind_of
from tests import samples

SENCO = Actor("u-senco", "Sam Senco", "senco")
TA = Actor("u-ta", "Tess Teacher", "teacher")
NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)
BY = Stamp(SENCO, NOW)
BY_TA = Stamp(TA, NOW)

HALF_TERM = {"start": "2026-10-26", "end": "2026-10-30"}  # Monday to Friday
AUTUMN = SchoolCalendar(((dt.date(2026, 10, 26), dt.date(2026, 10, 30)), (dt.date(2027, 5, 3), dt.date(2027, 5, 3))),
                        frozenset({dt.date(2026, 11, 13)}))  # half term, May Day bank holiday, an INSET day


def day(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


def plan_with_provision(**provision: Any) -> tuple[Plan, str]:
    """A plan opened on 1 September with 3 x 30-minute sessions a week from Monday 7 September."""
    plan = Plan.open(BY, pupil=samples.pupil(), setting_urn="123456", tier="targeted", agreed_on="2026-09-01")
    barrier = plan.add_item(BY, "barriers", samples.barrier(), agreed_on="2026-09-01")
    agreed_on = provision.pop("agreed_on", "2026-09-01")
    provision_id = plan.add_item(BY, "provisions", samples.provision([barrier], **provision), agreed_on=agreed_on)
    return plan, provision_id


def tally(plan: Plan, provision_id: str, start: str, end: str, calendar: SchoolCalendar = AUTUMN) -> dict[str, Any]:
    """The provision's report over ``start`` .. ``end``, sessions as recorded on the plan."""
    return provision_tally(plan, provision_id, start, end, calendar).as_json()


def provision_tally(plan: Plan, provision_id: str, start: str, end: str, calendar: SchoolCalendar = AUTUMN) -> Tally:
    sessions = [Session(r["data"]["provision_id"], day(r["agreed_on"]), r["data"]["status"], r["data"]["minutes"],
                        r["data"]["missed_reason"])
                for r in plan.facts["sessions"]
                if r["data"]["provision_id"] == provision_id and start <= r["agreed_on"] <= end]
    window = (day(start), day(end))
    tallies = tally_provision(
        provision_schedule(provision_id, plan.records[provision_id]), plan_schedule(plan.records["plan"]),
        sessions, *window, school_days=lambda _urn: SchoolDays(calendar, *window),
    )
    return tallies.get("", Tally())


def planned(report: dict[str, Any]) -> tuple[float, float]:
    return report["planned_sessions"], report["planned_minutes"]


def session(plan: Plan, provision_id: str, date: str, status: str = "delivered", **fields: Any) -> None:
    plan.record_session(BY_TA, provision_id, {"date": date, "status": status, **fields}, "s-1")


# ------------------------------------------------------------------ planned sessions


def test_a_full_week_owes_sessions_per_week() -> None:
    plan, provision = plan_with_provision()
    assert planned(tally(plan, provision, "2026-09-07", "2026-09-13")) == (3, 90)  # Monday to Sunday
    assert planned(tally(plan, provision, "2026-09-07", "2026-09-11")) == (3, 90)  # Monday to Friday
    assert planned(tally(plan, provision, "2026-09-12", "2026-09-13")) == (0, 0)  # a weekend owes nothing


def test_a_week_with_a_bank_holiday_owes_four_fifths() -> None:
    plan, provision = plan_with_provision()
    # Monday 3 May 2027 is a bank holiday: 4 school days, 4 x 3/5 = 2.4 sessions of 30 minutes.
    assert planned(tally(plan, provision, "2027-05-03", "2027-05-07")) == (2.4, 72)
    assert planned(tally(plan, provision, "2027-05-03", "2027-05-07", WEEKDAYS_ONLY)) == (3, 90)


def test_a_half_term_week_owes_nothing() -> None:
    plan, provision = plan_with_provision()
    assert planned(tally(plan, provision, "2026-10-26", "2026-10-30")) == (0, 0)
    assert planned(tally(plan, provision, "2026-10-19", "2026-11-06")) == (6, 180)  # three weeks, one of them off


def test_a_closure_day_owes_nothing() -> None:
    plan, provision = plan_with_provision()
    assert planned(tally(plan, provision, "2026-11-09", "2026-11-13")) == (2.4, 72)  # INSET day on Friday 13th
    assert planned(tally(plan, provision, "2026-11-13", "2026-11-13")) == (0, 0)


def test_an_amendment_applies_from_the_day_it_was_agreed() -> None:
    plan, provision = plan_with_provision()
    plan.amend_item(BY, "provisions", provision, {"sessions_per_week": 2, "minutes_per_session": 45},
                    agreed_on="2026-11-18", reason="Timetable change agreed with parent")
    # Monday and Tuesday at 3 x 30 minutes a week, Wednesday to Friday at 2 x 45 minutes.
    assert planned(tally(plan, provision, "2026-11-16", "2026-11-20")) == (2.4, 2 * 0.6 * 30 + 3 * 0.4 * 45)
    assert planned(tally(plan, provision, "2026-11-09", "2026-11-13")) == (2.4, 72)  # before: as agreed then
    assert planned(tally(plan, provision, "2026-11-23", "2026-11-27")) == (2, 90)  # after: as amended


def test_a_correction_of_the_sessions_a_week_changes_what_was_owed() -> None:
    plan, provision = plan_with_provision()
    agreed_event = plan.records[provision][0]["event_id"]
    plan.correct(BY, event_id=agreed_event, reason="It was agreed as 4 a week", changes={"sessions_per_week": 4})
    assert planned(tally(plan, provision, "2026-09-07", "2026-09-11")) == (4, 120)


def test_a_provision_starting_and_ending_within_the_window() -> None:
    plan, provision = plan_with_provision(starts_on="2026-09-09", ends_on="2026-09-22")
    # Wednesday 9 to Tuesday 22 September: 3 + 5 + 2 = 10 school days of the window 7 to 27 September.
    assert planned(tally(plan, provision, "2026-09-07", "2026-09-27")) == (6, 180)


def test_a_provision_owes_nothing_before_it_was_agreed_nor_from_the_day_it_ended() -> None:
    plan, provision = plan_with_provision(agreed_on="2026-09-10")  # starts_on 7 September, agreed on Thursday 10th
    assert planned(tally(plan, provision, "2026-09-07", "2026-09-11")) == (1.2, 36)
    plan.end_item(BY, "provisions", provision, reason="Targets met", agreed_on="2026-09-16")  # a Wednesday
    assert planned(tally(plan, provision, "2026-09-14", "2026-09-18")) == (1.2, 36)  # Monday and Tuesday only


def test_a_closed_plan_owes_nothing_from_the_day_it_closed() -> None:
    plan, provision = plan_with_provision()
    plan.close(BY, reason="Moved to a special school", agreed_on="2026-09-10")
    assert planned(tally(plan, provision, "2026-09-07", "2026-09-18")) == (1.8, 54)  # Monday to Wednesday


# ------------------------------------------------------------------ delivered, missed, unrecorded


def test_delivered_missed_by_reason_and_unrecorded() -> None:
    plan, provision = plan_with_provision()
    session(plan, provision, "2026-11-16", minutes=25)
    session(plan, provision, "2026-11-17")  # minutes not given: the provision's 30
    session(plan, provision, "2026-11-18", "missed", missed_reason="pupil_absent")
    session(plan, provision, "2026-11-19", "missed", missed_reason="staff_absent")
    report = tally(plan, provision, "2026-11-16", "2026-11-27")  # two weeks: 6 planned
    assert report == {
        "planned_sessions": 6, "delivered_sessions": 2, "missed_sessions": 2,
        "missed_by_reason": {"pupil_absent": 1, "staff_absent": 1, "timetable_clash": 0, "school_closed": 0,
                             "pupil_declined": 0, "other": 0},
        "unrecorded_sessions": 2, "extra_sessions": 0, "late_sessions": 0, "planned_minutes": 180,
        "delivered_minutes": 55, "delivery_rate": 0.33,
    }


def test_unrecorded_is_never_negative() -> None:
    plan, provision = plan_with_provision(sessions_per_week=1)
    for date in ("2026-11-16", "2026-11-17", "2026-11-18"):
        session(plan, provision, date)
    report = tally(plan, provision, "2026-11-16", "2026-11-20")
    assert (report["planned_sessions"], report["delivered_sessions"]) == (1, 3)
    assert (report["unrecorded_sessions"], report["delivery_rate"]) == (0, 3)


def test_a_total_sums_each_provisions_unrecorded_sessions() -> None:
    plan, phonics = plan_with_provision(sessions_per_week=1)
    barrier = plan.section_items["barriers"][0]
    spelling = plan.add_item(BY, "provisions", samples.provision([barrier], sessions_per_week=2),
                             agreed_on="2026-09-01")
    for date in ("2026-11-16", "2026-11-17", "2026-11-18"):
        session(plan, phonics, date)  # 3 delivered of 1 planned
    total = Tally()
    for provision in (phonics, spelling):  # spelling: 2 planned, none recorded
        total.add(provision_tally(plan, provision, "2026-11-16", "2026-11-20"))
    shown_total = total.as_json()
    assert (shown_total["planned_sessions"], shown_total["delivered_sessions"]) == (3, 3)
    assert shown_total["unrecorded_sessions"] == 2  # not 3 - 3 = 0: phonics' extra sessions are not spelling's


def test_numbers_are_exact_until_shown_rounded_half_up_to_two_places() -> None:
    plan, provision = plan_with_provision(sessions_per_week=2.5, minutes_per_session=25)
    session(plan, provision, "2026-11-16")
    report = tally(plan, provision, "2026-11-16", "2026-11-18")  # 3 days x 2.5/5 = 1.5 sessions, 37.5 minutes
    assert (report["planned_sessions"], report["planned_minutes"], report["unrecorded_sessions"]) == (1.5, 37.5, 0.5)
    assert report["delivery_rate"] == 0.67  # 1 / 1.5
    assert shown(Fraction(1, 8)) == 0.13  # half up, not to even
    assert shown(Fraction(2, 3)) == 0.67
    assert Tally().as_json()["delivery_rate"] is None  # nothing planned: no rate


# ------------------------------------------------------------------ recording a session on a plan


def test_a_session_is_recorded_on_the_plan_dated_the_day_it_happened() -> None:
    plan, provision = plan_with_provision()
    plan.collect_events()
    document = plan_document(plan)
    plan.record_session(BY_TA, provision, {"date": "2026-11-16", "status": "delivered", "note": "Good focus"}, "s-9")
    [event] = plan.collect_events()
    assert type(event).__name__ == "SessionRecorded"
    assert (event.agreed_on, event.session_id, event.provision_id, event.minutes) == (  # type: ignore[attr-defined]
        "2026-11-16", "s-9", provision, None)
    after = plan_document(plan)
    assert after is not None and document is not None
    assert {k: v for k, v in after.items() if k not in ("version", "recorded_at")} == \
        {k: v for k, v in document.items() if k not in ("version", "recorded_at")}  # the document is unchanged
    assert kind_of("SessionRecorded") == "delivery"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"date": "2026-11-21", "status": "delivered"}, "date"),  # tomorrow
        ({"date": "16/11/2026", "status": "delivered"}, "date"),
        ({"date": "2026-11-16", "status": "cancelled"}, "status"),
        ({"date": "2026-11-16", "status": "missed"}, "missed_reason"),
        ({"date": "2026-11-16", "status": "missed", "missed_reason": "snow"}, "missed_reason"),
        ({"date": "2026-11-16", "status": "missed", "missed_reason": "other", "minutes": 10}, "minutes"),
        ({"date": "2026-11-16", "status": "delivered", "missed_reason": "other"}, "missed_reason"),
        ({"date": "2026-11-16", "status": "delivered", "minutes": 0}, "minutes"),
        ({"date": "2026-11-16", "status": "delivered", "minutes": 481}, "minutes"),
        ({"date": "2026-11-16", "status": "delivered", "room": "library"}, "room"),
    ],
)
def test_session_fields_are_checked(fields: dict[str, Any], field: str) -> None:
    plan, provision = plan_with_provision()
    with pytest.raises(InvalidInput) as refused:
        plan.record_session(BY_TA, provision, fields, "s-1")
    assert field in {e.field for e in refused.value.errors}
    assert len(plan.pending_events) == 3  # opened, barrier, provision: nothing more


@pytest.mark.parametrize(
    ("provision", "date", "rule"),
    [
        ({"starts_on": "2026-09-14"}, "2026-09-11", "provision_not_started"),  # before starts_on
        ({"agreed_on": "2026-09-10"}, "2026-09-09", "provision_not_started"),  # before it was agreed
        ({"ends_on": "2026-10-23"}, "2026-11-02", "provision_ended"),  # after ends_on
    ],
)
def test_a_session_outside_the_provision_is_refused(provision: dict[str, Any], date: str, rule: str) -> None:
    plan, provision_id = plan_with_provision(**provision)
    with pytest.raises(RuleViolation) as refused:
        session(plan, provision_id, date)
    assert refused.value.rule == rule


def test_an_ended_provision_takes_sessions_only_from_before_it_ended() -> None:
    plan, provision = plan_with_provision()
    plan.end_item(BY, "provisions", provision, reason="Targets met", agreed_on="2026-11-18")
    session(plan, provision, "2026-11-17")  # logged late, while it was in force
    with pytest.raises(RuleViolation) as refused:
        session(plan, provision, "2026-11-18")
    assert refused.value.rule == "provision_ended"


def test_unknown_provision_and_closed_plan() -> None:
    plan, provision = plan_with_provision()
    barrier = plan.section_items["barriers"][0]
    for not_a_provision in ("no-such-id", barrier):
        with pytest.raises(InvalidInput) as refused:
            session(plan, not_a_provision, "2026-11-16")
        assert [e.field for e in refused.value.errors] == ["provision_id"]
    plan.close(BY, reason="Left the school")
    with pytest.raises(RuleViolation) as closed:
        session(plan, provision, "2026-11-16")
    assert closed.value.rule == "plan_closed"


def test_a_session_can_be_corrected() -> None:
    plan, provision = plan_with_provision()
    session(plan, provision, "2026-11-16")
    recorded = plan.facts["sessions"][0]["event_id"]
    plan.correct(BY, event_id=recorded, reason="Logged for the wrong day, and she was absent",
                 changes={"date": "2026-11-17", "status": "missed", "missed_reason": "pupil_absent"})
    record = plan.facts["sessions"][0]
    assert (record["agreed_on"], record["data"]["status"], record["data"]["missed_reason"]) == (
        "2026-11-17", "missed", "pupil_absent")
    with pytest.raises(InvalidInput) as refused:  # a missed session has no minutes
        plan.correct(BY, event_id=recorded, reason="x", changes={"minutes": 20})
    assert [e.field for e in refused.value.errors] == ["changes.minutes"]
    with pytest.raises(InvalidInput) as before_start:
        plan.correct(BY, event_id=recorded, reason="x", changes={"date": "2026-09-04"})
    assert [e.field for e in before_start.value.errors] == ["changes.date"]


def test_summaries_say_what_happened() -> None:
    plan, provision = plan_with_provision(description="Small-group phonics")
    session(plan, provision, "2026-11-16")
    session(plan, provision, "2026-11-17", minutes=20, delivered_by="class teacher", note="Covered for the TA")
    session(plan, provision, "2026-11-18", "missed", missed_reason="pupil_absent")
    first, second, third = cast(list[Plan.Event], plan.collect_events()[-3:])
    # The provision says who delivers it; a session names who led it only when its entry does.
    assert summarise(first, plan) == "Session of “Small-group phonics” delivered on 16 November 2026, 30 minutes."
    assert summarise(second, plan) == ("Session of “Small-group phonics” delivered on 17 November 2026, 20 minutes, "
                                       "led by a class teacher. Note: “Covered for the TA”.")
    assert summarise(third, plan) == ("Session of “Small-group phonics” on 18 November 2026 missed because Amara "
                                      "was absent.")


# ------------------------------------------------------------------ the calendar


def test_a_calendar_is_checked_field_by_field() -> None:
    calendar = clean_calendar([HALF_TERM, {"start": "2026-12-21", "end": "2027-01-01"}], ["2026-11-13", "2026-11-13"])
    assert calendar.closures == {dt.date(2026, 11, 13)}
    assert not calendar.is_school_day(dt.date(2026, 10, 28))
    assert calendar.is_school_day(dt.date(2026, 11, 12))
    with pytest.raises(InvalidInput) as refused:
        clean_calendar([HALF_TERM, {"start": "2026-12-21", "end": "2026-12-20"}, {"start": "2026-02-30", "end": "x"},
                        {"start": "2026-12-21"}],
                       ["2026-11-13", "13/11/2026"])
    assert [e.field for e in refused.value.errors] == [
        "holidays.1.end", "holidays.2.start", "holidays.2.end", "holidays.3", "closures.1"]
