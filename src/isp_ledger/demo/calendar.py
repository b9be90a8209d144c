"""A real-looking English school calendar for any school year, as a maintained primary school publishes it.

Three terms from early September to late July; a week's half term at the end of October, in mid-February and at
the end of May; two weeks at Christmas and two around Easter; five INSET (staff training) days when pupils stay at
home: the first two days of September, the first day of the spring term, the Monday after the May half term and
the last day of the autumn term. England's bank holidays are never school days and are not entered: the ledger
counts them itself (``isp_ledger.domain.calendar``, by the ``holidays`` package), and Easter, which the Easter
holidays surround, is found from the same package's Good Friday. Local authorities set slightly different dates;
these follow the usual pattern (for 2025-26: term from 1 September, half term 27-31 October, Christmas 22
December to 4 January, half term 16-20 February, Easter 30 March to 10 April, half term 25-29 May, last day 22
July).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from isp_ledger.domain.calendar import ENGLAND

DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Holiday:
    name: str
    start: dt.date
    end: dt.date  # inclusive

    def as_json(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}


@dataclass(frozen=True)
class SchoolYear:
    """One school year: ``start_year`` 2025 is 2025-26."""

    start_year: int
    first_day: dt.date  # the autumn term's first day (an INSET day)
    last_day: dt.date  # the summer term's last day
    holidays: tuple[Holiday, ...]
    inset_days: tuple[dt.date, ...]

    @property
    def name(self) -> str:
        return f"{self.start_year}-{(self.start_year + 1) % 100:02d}"

    def holiday_on(self, day: dt.date) -> Holiday | None:
        return next((h for h in self.holidays if h.start <= day <= h.end), None)

    def is_school_day(self, day: dt.date) -> bool:
        return (self.first_day <= day <= self.last_day and day.weekday() < 5 and day not in self.inset_days
                and self.holiday_on(day) is None and ENGLAND.name_of(day) is None)

    def review_windows(self) -> tuple[dt.date, dt.date, dt.date]:
        """The Mondays of the weeks when this school holds its termly reviews: mid-November, early March, late
        June (a week before the summer reports go home)."""
        return (_monday_on_or_before(dt.date(self.start_year, 11, 17)),
                _monday_on_or_before(dt.date(self.start_year + 1, 3, 9)),
                _monday_on_or_before(dt.date(self.start_year + 1, 6, 29)))


def school_year(start_year: int) -> SchoolYear:
    """The school year that starts in September of ``start_year``."""
    year, next_year = start_year, start_year + 1
    first_day = _weekday_on_or_after(dt.date(year, 9, 1))
    october = _monday_on_or_before(dt.date(year, 10, 27))  # the last full week of October
    christmas = _monday_on_or_before(dt.date(year, 12, 23))
    spring_term = dt.date(next_year, 1, 2)
    if spring_term.weekday() >= 3:  # never back for a day or two before a weekend
        spring_term = _monday_on_or_after(spring_term)
    while ENGLAND.name_of(spring_term) is not None:
        spring_term += DAY  # the New Year bank holiday, moved from a weekend to the Monday
    february = _monday_on_or_after(dt.date(next_year, 2, 15))  # the third Monday of February
    easter = easter_sunday(next_year)
    whitsun = _monday_on_or_before(dt.date(next_year, 5, 31))  # the late May bank holiday's week
    last_day = dt.date(next_year, 7, 22)
    while last_day.weekday() >= 5:
        last_day -= DAY
    holidays = (
        Holiday("October half term", october, october + 4 * DAY),
        Holiday("Christmas holidays", christmas, spring_term - DAY),
        Holiday("February half term", february, february + 4 * DAY),
        Holiday("Easter holidays", easter - 6 * DAY, easter + 5 * DAY),
        Holiday("May half term", whitsun, whitsun + 4 * DAY),
        Holiday("Summer holidays", last_day + DAY, dt.date(next_year, 8, 31)),
    )
    second_day = _weekday_on_or_after(first_day + DAY)
    inset = (first_day, second_day, spring_term, whitsun + 7 * DAY, christmas - 3 * DAY)
    return SchoolYear(start_year, first_day, last_day, holidays, tuple(sorted(inset)))


def school_year_of(day: dt.date) -> int:
    """The start year of the school year ``day`` belongs to (the summer holiday belongs to the year before)."""
    return day.year if day.month >= 9 else day.year - 1


def easter_sunday(year: int) -> dt.date:
    """Easter Sunday: two days after Good Friday, a bank holiday of England (the ``holidays`` package)."""
    good_friday = next(day for day, name in ENGLAND.between(dt.date(year, 3, 1), dt.date(year, 4, 30))
                       if name == "Good Friday")
    return good_friday + 2 * DAY


def _weekday_on_or_after(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day += DAY
    return day


def _monday_on_or_after(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=(7 - day.weekday()) % 7)


def _monday_on_or_before(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())
