"""A setting's school calendar (CONTRACT.md §8): which weekdays are not school days.

School days are Monday to Friday, minus the setting's holidays (inclusive ranges: half terms, Christmas, bank
holidays) and single closure days (an INSET day, a snow day). Planned sessions of provision are counted on school
days only, so the calendar decides what a provision of "3 sessions a week" owes in a given fortnight.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from isp_ledger.domain.errors import FieldError, InvalidInput
from isp_ledger.domain.validation import MAX_HOLIDAY_DAYS, parse_date

MAX_HOLIDAYS = 200
MAX_CLOSURES = 400
SCHOOL_WEEK = 5  # Monday to Friday: a week of five school days delivers sessions_per_week in full


@dataclass(frozen=True)
class SchoolCalendar:
    holidays: tuple[tuple[dt.date, dt.date], ...] = ()
    closures: frozenset[dt.date] = field(default_factory=frozenset)

    def is_school_day(self, day: dt.date) -> bool:
        if day.weekday() >= SCHOOL_WEEK or day in self.closures:
            return False
        return not any(start <= day <= end for start, end in self.holidays)

    def school_days(self, start: dt.date, end: dt.date) -> list[dt.date]:
        """Every school day from ``start`` to ``end`` inclusive, in order."""
        days = []
        day = start
        while day <= end:
            if self.is_school_day(day):
                days.append(day)
            day += dt.timedelta(days=1)
        return days

    def as_json(self) -> dict[str, Any]:
        return {
            "holidays": [{"start": s.isoformat(), "end": e.isoformat()} for s, e in self.holidays],
            "closures": [d.isoformat() for d in sorted(self.closures)],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SchoolCalendar:
        """A calendar stored by :meth:`as_json` (already checked when it was set)."""
        return cls(
            tuple((dt.date.fromisoformat(h["start"]), dt.date.fromisoformat(h["end"])) for h in data["holidays"]),
            frozenset(dt.date.fromisoformat(d) for d in data["closures"]),
        )


WEEKDAYS_ONLY = SchoolCalendar()


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
    if (end - start).days >= MAX_HOLIDAY_DAYS:
        errors.append(FieldError(f"{where}.end", f"a holiday is at most {MAX_HOLIDAY_DAYS} days long; enter a longer "
                                                 "closure as several holidays"))
        return None
    return start, end


def _date(where: str, value: Any, errors: list[FieldError]) -> dt.date | None:
    try:
        return parse_date(value)
    except ValueError as e:
        errors.append(FieldError(where, str(e)))
        return None

