"""A setting's calendar counts England's bank holidays without anyone typing them (the ``holidays`` package): the
calendar of a setting that entered nothing, the one a school entered, and the one an evidence bundle carries (the
bank holidays listed, so that a later check counts the same days). Dates a school cannot mean are refused."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from isp_ledger.domain.calendar import NOT_SET, WEEKDAYS_ONLY, SchoolCalendar, clean_calendar
from isp_ledger.domain.errors import InvalidInput
from isp_ledger.domain.planning import SchoolDays

ENGLAND_2027 = [  # as proclaimed: the substitute days when Christmas and Boxing Day fall at a weekend
    ("2027-01-01", "New Year's Day"), ("2027-03-26", "Good Friday"), ("2027-03-29", "Easter Monday"),
    ("2027-05-03", "May Day"), ("2027-05-31", "Spring Bank Holiday"), ("2027-08-30", "Late Summer Bank Holiday"),
    ("2027-12-27", "Christmas Day (observed)"), ("2027-12-28", "Boxing Day (observed)"),
]


def day(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


def test_no_bank_holiday_of_england_is_a_school_day() -> None:
    for date, _ in ENGLAND_2027:
        assert not NOT_SET.is_school_day(day(date)), date
        assert WEEKDAYS_ONLY.is_school_day(day(date)), date  # a calendar of weekdays only, for comparison
    assert NOT_SET.is_school_day(day("2027-03-25")) and NOT_SET.is_school_day(day("2027-03-30"))
    assert [(d.isoformat(), name) for d, name in NOT_SET.bank_holidays.between(day("2027-01-01"),
                                                                               day("2027-12-31"))
            if d.weekday() < 5] == ENGLAND_2027
    assert NOT_SET.why_not_a_school_day(day("2027-03-29")) == "a bank holiday (Easter Monday)"


def test_a_school_enters_only_its_own_dates() -> None:
    entered = clean_calendar([{"start": "2027-02-15", "end": "2027-02-19"}], ["2027-01-04"])
    # The week of Easter Monday owes four fifths; the half-term week nothing; the INSET day is a closure.
    assert SchoolDays(entered, day("2027-03-29"), day("2027-04-02")).count(day("2027-03-29"), day("2027-04-02")) == 4
    assert entered.school_days(day("2027-02-15"), day("2027-02-19")) == []
    assert not entered.is_school_day(day("2027-01-04")) and entered.is_school_day(day("2027-01-05"))
    # What was entered is what is stored and shown: the bank holidays are the package's, not part of it.
    assert entered.as_json() == {"holidays": [{"start": "2027-02-15", "end": "2027-02-19"}],
                                 "closures": ["2027-01-04"]}
    assert SchoolCalendar.from_json(entered.as_json()) == entered


def test_a_bundle_carries_the_bank_holidays_it_counted_with() -> None:
    entered = clean_calendar([{"start": "2027-02-15", "end": "2027-02-19"}], [])
    carried = entered.carried_json(day("2027-03-01"), day("2027-06-30"))
    assert carried["bank_holidays"] == [
        {"date": "2027-03-26", "name": "Good Friday"}, {"date": "2027-03-29", "name": "Easter Monday"},
        {"date": "2027-05-03", "name": "May Day"}, {"date": "2027-05-31", "name": "Spring Bank Holiday"}]
    read_back = SchoolCalendar.from_json(carried)
    # Checked later, it counts exactly the days listed, whatever the package then says.
    assert read_back.school_days(day("2027-03-01"), day("2027-06-30")) == entered.school_days(
        day("2027-03-01"), day("2027-06-30"))
    assert read_back.is_school_day(day("2027-08-30"))  # not listed: the bundle's period never reached it
    assert read_back.carried(day("2027-03-01"), day("2027-06-30")) == read_back
    assert SchoolCalendar.from_json({**carried, "bank_holidays": []}).is_school_day(day("2027-03-29"))


@pytest.mark.parametrize(("holidays", "closures", "field"), [
    ([{"start": "2026-10-26", "end": "9999-10-30"}], [], "holidays.0.end"),  # ten thousand years
    ([{"start": "2026-07-20", "end": "2027-09-01"}], [], "holidays.0.end"),  # more than a year
    ([{"start": "0001-01-01", "end": "0001-01-02"}], [], "holidays.0.start"),
    ([], ["9999-12-31"], "closures.0"),
    ([], ["1999-12-31"], "closures.0"),
])
def test_dates_no_school_means_are_refused(holidays: list[dict[str, Any]], closures: list[str], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        clean_calendar(holidays, closures)
    assert field in [e.field for e in refused.value.errors]
    assert clean_calendar([{"start": "2026-07-23", "end": "2026-09-01"}], ["2099-12-31"])  # a summer; the century
