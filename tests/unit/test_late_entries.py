"""Late entries (CONTRACT.md §8): a session recorded more than ``ISP_LEDGER_LATE_ENTRY_DAYS`` school days (5 by
default) after the day it happened, counted with the setting's calendar, on exact dates without a database."""

from __future__ import annotations

import datetime as dt

import pytest

from isp_ledger.config import ConfigError, Settings
from isp_ledger.domain.calendar import NOT_SET, WEEKDAYS_ONLY, SchoolCalendar
from isp_ledger.domain.delivery import is_late, late_sessions
from isp_ledger.domain.plan import Plan
from isp_ledger.domain.stamp import Actor, Stamp
from tests import samples

HALF_TERM = SchoolCalendar(((dt.date(2026, 10, 26), dt.date(2026, 10, 30)),))
SENCO = Actor("u-senco", "Sam Senco", "senco")
TA = Actor("u-ta", "Tess Teacher", "teacher")


def day(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


@pytest.mark.parametrize(("held", "recorded", "late"), [
    ("2026-11-16", "2026-11-16", False),  # the same day
    ("2026-11-16", "2026-11-23", False),  # Monday to Monday: 5 school days after
    ("2026-11-16", "2026-11-24", True),  # the 6th school day after
    ("2026-11-20", "2026-11-27", False),  # Friday to Friday: the weekends do not count
    ("2026-11-20", "2026-11-30", True),
    ("2026-10-22", "2026-11-02", False),  # Thursday before half term to the Monday after: 2 school days
    ("2026-10-22", "2026-11-06", True),  # 1 + 5 = 6 school days
    ("2026-11-16", "2026-11-15", False),  # recorded before it was held cannot happen; never late
])
def test_school_days_after_the_session_count_half_term_and_weekends_do_not(held: str, recorded: str,
                                                                            late: bool) -> None:
    assert is_late(day(held), day(recorded), HALF_TERM, 5) is late


def test_bank_holidays_do_not_count_against_staff() -> None:
    # Thursday 24 December 2026 to Monday 4 January 2027: the weekdays between are Christmas (observed Boxing Day
    # on the 28th) and New Year's Day, and 29-31 December. Without a calendar of holidays, 5 school days are 29,
    # 30, 31 December and 4 January (4), so a Tuesday 5 January entry is the 5th: on time; without bank
    # holidays it would be the 8th.
    assert not is_late(day("2026-12-24"), day("2027-01-05"), NOT_SET, 5)
    assert is_late(day("2026-12-24"), day("2027-01-05"), WEEKDAYS_ONLY, 5)


def test_the_number_of_school_days_is_a_setting() -> None:
    assert is_late(day("2026-11-16"), day("2026-11-18"), HALF_TERM, 1)
    assert not is_late(day("2026-11-16"), day("2026-11-24"), HALF_TERM, 10)
    assert Settings.from_env({}).late_entry_days == 5
    assert Settings.from_env({"ISP_LEDGER_LATE_ENTRY_DAYS": "10"}).late_entry_days == 10
    for bad in ("0", "-1", "five", "61"):
        with pytest.raises(ConfigError) as refused:
            Settings.from_env({"ISP_LEDGER_LATE_ENTRY_DAYS": bad})
        assert str(refused.value).startswith("ISP_LEDGER_LATE_ENTRY_DAYS")


def test_a_plans_late_sessions_are_counted_by_the_date_as_corrected() -> None:
    plan = Plan.open(Stamp(SENCO, dt.datetime(2026, 9, 1, 9, tzinfo=dt.UTC)), pupil=samples.pupil(),
                     setting_urn="123456", tier="targeted")
    by = Stamp(SENCO, dt.datetime(2026, 9, 1, 10, tzinfo=dt.UTC))
    barrier = plan.add_item(by, "barriers", samples.barrier())
    provision = plan.add_item(by, "provisions", samples.provision([barrier]))
    typed_up = Stamp(TA, dt.datetime(2026, 11, 20, 15, tzinfo=dt.UTC))  # Friday 20 November
    for held in ("2026-11-02", "2026-11-12", "2026-11-13"):
        plan.record_session(typed_up, provision, {"date": held, "status": "delivered"}, "s-1",
                            calendar_of=lambda _urn: HALF_TERM)
    first, second, third = (r["event_id"] for r in plan.facts["sessions"])
    calendars: list[str] = []

    def calendar_of(urn: str) -> SchoolCalendar:
        calendars.append(urn)
        return HALF_TERM

    # The 2nd: 14 school days later; the 12th: 6; the 13th: 5 (on time).
    assert late_sessions(plan, calendar_of, 5) == {first, second}
    assert set(calendars) == {"123456"}
    plan.correct(Stamp(SENCO, dt.datetime(2026, 11, 20, 16, tzinfo=dt.UTC)), event_id=second,
                 reason="It was the Monday after", changes={"date": "2026-11-16"})
    assert late_sessions(plan, calendar_of, 5) == {first}  # 4 school days before it was recorded
    assert third not in late_sessions(plan, calendar_of, 5)
