"""A setting's school calendar (CONTRACT.md §8): which weekdays are not school days.

School days are Monday to Friday, minus England's bank holidays, the setting's holidays (inclusive ranges: half
terms, Christmas, Easter) and single closure days (an INSET day, a snow day). A school enters only its own dates:
the bank holidays come from the ``holidays`` package (``holidays.country_holidays("GB", subdiv="ENG")``), which
its maintainers keep up to date with the ones proclaimed for a single year (a coronation, a jubilee), so nobody
types them and nobody computes Easter by hand. Planned sessions of provision are counted on school days only, a
session is recorded only on a school day, and a late entry is counted in school days, so the calendar decides
what a provision of "3 sessions a week" owes in a given fortnight.

An evidence bundle carries the calendar it counted with, bank holidays listed (``carried_json``), so that checking
it later, with another version of the package, counts the same days.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import holidays as holiday_package

from isp_ledger.domain.errors import FieldError, InvalidInput
from isp_ledger.domain.validation import MAX_HOLIDAY_DAYS, parse_date

MAX_HOLIDAYS = 200
MAX_CLOSURES = 400
SCHOOL_WEEK = 5  # Monday to Friday: a week of five school days delivers sessions_per_week in full
# What a school can mean: dates of this century, and no holiday longer than ten weeks.
EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2099, 12, 31)
LONGEST_HOLIDAY_DAYS = MAX_HOLIDAY_DAYS  # validation.py: a summer holiday is six or seven weeks
ONE_DAY = dt.timedelta(days=1)


@functools.lru_cache(maxsize=256)
def _england(year: int) -> dict[dt.date, str]:
    """England's bank holidays of one year, by the ``holidays`` package (each year worked out once)."""
    found = holiday_package.country_holidays("GB", subdiv="ENG", years=year)
    return {day: str(name) for day, name in found.items()}


@dataclass(frozen=True)
class BankHolidays:
    """England's bank holidays: from the ``holidays`` package (``listed`` is ``None``), or exactly those listed
    (as an evidence bundle carries them, or none at all)."""

    listed: tuple[tuple[dt.date, str], ...] | None = None

    @functools.cached_property
    def _by_day(self) -> dict[dt.date, str]:
        return dict(self.listed or ())

    def name_of(self, day: dt.date) -> str | None:
        """The bank holiday's name, or ``None`` when ``day`` is none."""
        if self.listed is None:
            return _england(day.year).get(day)
        return self._by_day.get(day)

    def between(self, start: dt.date, end: dt.date) -> list[tuple[dt.date, str]]:
        """Every bank holiday from ``start`` to ``end`` inclusive, in order."""
        if self.listed is not None:
            return sorted((d, n) for d, n in self.listed if start <= d <= end)
        found = []
        for year in range(start.year, end.year + 1):
            found += [(d, n) for d, n in _england(year).items() if start <= d <= end]
        return sorted(found)


ENGLAND = BankHolidays()
NO_BANK_HOLIDAYS = BankHolidays(())


@dataclass(frozen=True)
class SchoolCalendar:
    holidays: tuple[tuple[dt.date, dt.date], ...] = ()
    closures: frozenset[dt.date] = field(default_factory=frozenset)
    bank_holidays: BankHolidays = ENGLAND

    def is_school_day(self, day: dt.date) -> bool:
        if day.weekday() >= SCHOOL_WEEK or day in self.closures or self.bank_holidays.name_of(day) is not None:
            return False
        return not any(start <= day <= end for start, end in self.holidays)

    def school_days(self, start: dt.date, end: dt.date) -> list[dt.date]:
        """Every school day from ``start`` to ``end`` inclusive, in order."""
        days = []
        day = start
        while day <= end:
            if self.is_school_day(day):
                days.append(day)
            day += ONE_DAY
        return days

    def why_not_a_school_day(self, day: dt.date) -> str | None:
        """Why ``day`` is not a school day, in words ("a Saturday", "a bank holiday (Easter Monday)"), or ``None``
        when it is one."""
        if day.weekday() >= SCHOOL_WEEK:
            return f"a {day:%A}"
        bank_holiday = self.bank_holidays.name_of(day)
        if bank_holiday is not None:
            return f"a bank holiday ({bank_holiday})"
        if day in self.closures:
            return "a day the setting was closed"
        for start, end in self.holidays:
            if start <= day <= end:
                return f"in the setting's holiday from {say_date(start)} to {say_date(end)}"
        return None

    def as_json(self) -> dict[str, Any]:
        """What the setting entered (as stored, and as ``GET .../calendar`` shows it)."""
        return {
            "holidays": [{"start": s.isoformat(), "end": e.isoformat()} for s, e in self.holidays],
            "closures": [d.isoformat() for d in sorted(self.closures)],
        }

    def carried_json(self, start: dt.date, end: dt.date) -> dict[str, Any]:
        """The calendar as an evidence bundle carries it: what the setting entered, and the bank holidays from
        ``start`` to ``end`` listed, so that the bundle counts the same days wherever it is checked."""
        return {
            **self.as_json(),
            "bank_holidays": [{"date": d.isoformat(), "name": n} for d, n in self.bank_holidays.between(start, end)],
        }

    def carried(self, start: dt.date, end: dt.date) -> SchoolCalendar:
        """This calendar with the bank holidays from ``start`` to ``end`` listed (see :meth:`carried_json`)."""
        return SchoolCalendar(self.holidays, self.closures, BankHolidays(tuple(self.bank_holidays.between(start, end))))

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SchoolCalendar:
        """A calendar stored by :meth:`as_json` (already checked when it was set; England's bank holidays by the
        package), or carried by a bundle (:meth:`carried_json`: exactly the bank holidays it lists)."""
        listed = data.get("bank_holidays")
        return cls(
            tuple((dt.date.fromisoformat(h["start"]), dt.date.fromisoformat(h["end"])) for h in data["holidays"]),
            frozenset(dt.date.fromisoformat(d) for d in data["closures"]),
            ENGLAND if listed is None else BankHolidays(tuple(
                (dt.date.fromisoformat(b["date"]), str(b["name"])) for b in listed)),
        )


NOT_SET = SchoolCalendar()  # a setting that entered no calendar: Monday to Friday but England's bank holidays
WEEKDAYS_ONLY = SchoolCalendar(bank_holidays=NO_BANK_HOLIDAYS)


def say_date(day: dt.date) -> str:
    """A date as a sentence says it: "14 March 2026"."""
    return f"{day.day} {day:%B %Y}"


def clean_calendar(holidays: Any, closures: Any) -> SchoolCalendar:
    """A calendar from a request, every bad field named at once (``holidays.2.end``, ``closures.0``).

    Holidays are kept in the order of their start dates; overlapping ranges are allowed (a bank holiday inside a
    half term is simply a holiday twice). Closures are a set: naming a day twice is harmless.
    """
    errors: list[FieldError] = []
    ranges: list[tuple[dt.date, dt.date]] = []
    if not isinstance(holidays, list):
        errors.append(FieldError("holidays", "must be a list of {start, end} date ranges"))
    elif len(holidays) > MAX_HOLIDAYS:
        errors.append(FieldError("holidays", f"must list at most {MAX_HOLIDAYS} ranges"))
    else:
        for index, holiday in enumerate(holidays):
            found = _holiday(f"holidays.{index}", holiday, errors)
            if found is not None:
                ranges.append(found)
    days: set[dt.date] = set()
    if not isinstance(closures, list):
        errors.append(FieldError("closures", "must be a list of dates"))
    elif len(closures) > MAX_CLOSURES:
        errors.append(FieldError("closures", f"must list at most {MAX_CLOSURES} days"))
    else:
        for index, value in enumerate(closures):
            day = _date(f"closures.{index}", value, errors)
            if day is not None:
                days.add(day)
    if errors:
        raise InvalidInput(errors)
    return SchoolCalendar(tuple(sorted(ranges)), frozenset(days))


def _holiday(where: str, value: Any, errors: list[FieldError]) -> tuple[dt.date, dt.date] | None:
    if not isinstance(value, Mapping) or set(value) != {"start", "end"}:
        errors.append(FieldError(where, "must be an object with exactly a start and an end date"))
        return None
    start = _date(f"{where}.start", value["start"], errors)
    end = _date(f"{where}.end", value["end"], errors)
    if start is None or end is None:
        return None
    if end < start:
        errors.append(FieldError(f"{where}.end", f"must not be before start ({start.isoformat()})"))
        return None
    if (end - start).days >= LONGEST_HOLIDAY_DAYS:
        errors.append(FieldError(f"{where}.end", f"a holiday lasts at most ten weeks ({LONGEST_HOLIDAY_DAYS} days); "
                                                 f"this one runs from {start.isoformat()} to {end.isoformat()}: enter "
                                                 "a longer closure as several holidays"))
        return None
    return start, end


def _date(where: str, value: Any, errors: list[FieldError]) -> dt.date | None:
    try:
        day = parse_date(value)
    except ValueError as e:
        errors.append(FieldError(where, str(e)))
        return None
    if not EARLIEST <= day <= LATEST:
        errors.append(FieldError(where, f"must be between {EARLIEST.isoformat()} and {LATEST.isoformat()} "
                                        f"(got {day.isoformat()})"))
        return None
    return day
