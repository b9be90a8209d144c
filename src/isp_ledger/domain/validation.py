"""Field rules a SENCO would expect, shared by every write and by corrections of earlier entries.

Each :class:`Field` turns an input value into the JSON-native value the ledger records (dates become ISO
strings), or raises ``ValueError`` with a message naming what is wrong. :class:`Checker` runs many of them and
reports every bad field at once, so one round trip shows the whole problem.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidLength, ValidationError
from stdnum.gb import upn as stdnum_upn

from isp_ledger.domain.errors import FieldError, InvalidInput

SHORT_TEXT = 200
MEDIUM_TEXT = 2_000
LONG_TEXT = 10_000

# The dates any record may name: wide enough for every pupil's life and far beyond, narrow enough that no date
# arithmetic (a year later, the next day, an instant in any time zone) can leave what the calendar can hold.
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2199, 12, 31)
# The dates a plan's own entries may name (a provision's start and end, an outcome's target, a review, a pause):
# within the pupil's life in SEND (0 to 25, CONTRACT.md §4) and no further ahead than a plan is ever made for.
OLDEST_AGE = 25
YEARS_AHEAD = 5
# The longest single holiday a school calendar takes: a summer holiday is six or seven weeks; a longer closure is
# entered as several.
MAX_HOLIDAY_DAYS = 70


class Field:
    """One input field: ``clean`` returns the recorded value or raises ``ValueError``."""

    required = True

    def clean(self, value: Any) -> Any:
        raise NotImplementedError


@dataclass(frozen=True)
class Text(Field):
    max_length: int = MEDIUM_TEXT
    required: bool = True
    allow_empty: bool = False

    def clean(self, value: Any) -> str | None:
        if value is None:
            if self.required:
                raise ValueError("is required")
            return None
        if not isinstance(value, str):
            raise ValueError("must be text")
        if "\x00" in value:
            raise ValueError("must not contain NUL characters")
        if not _is_unicode(value):
            raise ValueError("must be valid Unicode text (it contains a lone surrogate such as \\ud800)")
        if not value.strip() and not self.allow_empty:
            raise ValueError("must not be empty")
        if len(value) > self.max_length:
            raise ValueError(f"must be at most {self.max_length} characters (got {len(value)})")
        return value


def _is_unicode(value: str) -> bool:
    """Whether ``value`` can be stored as UTF-8: JSON may carry lone surrogates, which are no characters."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@dataclass(frozen=True)
class Choice(Field):
    options: tuple[str, ...]
    required: bool = True

    def clean(self, value: Any) -> str | None:
        if value is None:
            if self.required:
                raise ValueError("is required")
            return None
        if value not in self.options:
            raise ValueError(f"must be one of {', '.join(self.options)} (got {value!r})")
        return str(value)


@dataclass(frozen=True)
class Date(Field):
    required: bool = True

    def clean(self, value: Any) -> str | None:
        if value is None:
            if self.required:
                raise ValueError("is required")
            return None
        return parse_date(value).isoformat()


@dataclass(frozen=True)
class Integer(Field):
    minimum: int
    maximum: int

    def clean(self, value: Any) -> int:
        if value is None:
            raise ValueError("is required")
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                raise ValueError("must be a whole number")
        if not self.minimum <= value <= self.maximum:
            raise ValueError(f"must be between {self.minimum} and {self.maximum} (got {value})")
        return int(value)


@dataclass(frozen=True)
class PositiveNumber(Field):
    """A number more than 0 (or at least ``minimum``) and at most ``maximum``, with at most ``places`` decimal
    places when given."""

    maximum: float
    minimum: float | None = None
    places: int | None = None

    def clean(self, value: Any) -> int | float:
        if value is None:
            raise ValueError("is required")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError("must be a number")
        if self.minimum is None and not 0 < value <= self.maximum:
            raise ValueError(f"must be more than 0 and at most {self.maximum:g} (got {value:g})")
        if self.minimum is not None and not self.minimum <= value <= self.maximum:
            raise ValueError(f"must be from {self.minimum:g} to {self.maximum:g} (got {value:g})")
        if self.places is not None and abs(value * 10**self.places - round(value * 10**self.places)) > 1e-6:
            raise ValueError(f"must have at most {self.places} decimal places (got {value!r})")
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return round(value, self.places) if self.places is not None else value


@dataclass(frozen=True)
class OptionalNumber(Field):
    required: bool = False

    def clean(self, value: Any) -> int | float | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError("must be a number")
        if abs(value) >= 2**53:
            raise ValueError("is too large")
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value


@dataclass(frozen=True)
class IdList(Field):
    minimum: int = 1
    maximum: int = 20

    def clean(self, value: Any) -> list[str]:
        if value is None:
            raise ValueError("is required")
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError("must be a list of ids")
        if len(value) < self.minimum:
            raise ValueError(f"must name at least {self.minimum}")
        if len(value) > self.maximum:
            raise ValueError(f"must name at most {self.maximum}")
        if len(set(value)) != len(value):
            raise ValueError("must not name the same id twice")
        return list(value)


@dataclass(frozen=True)
class Attendees(Field):
    def clean(self, value: Any) -> list[dict[str, str]]:
        if not isinstance(value, list) or not value:
            raise ValueError("must list at least one attendee")
        if len(value) > 30:
            raise ValueError("must list at most 30 attendees")
        cleaned = []
        for i, person in enumerate(value):
            if not isinstance(person, Mapping) or set(person) != {"role", "name"}:
                raise ValueError(f"attendee {i + 1} must have exactly a role and a name")
            try:
                role = Text(SHORT_TEXT).clean(person["role"])
                name = Text(SHORT_TEXT).clean(person["name"])
            except ValueError as e:
                raise ValueError(f"attendee {i + 1}: {e}") from None
            cleaned.append({"role": str(role), "name": str(name)})
        return cleaned


@dataclass(frozen=True)
class Upn(Field):
    def clean(self, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise ValueError("is required")
        try:
            return str(stdnum_upn.validate(value))
        except InvalidLength:
            raise ValueError("must be 13 characters: a check letter and 12 more") from None
        except InvalidChecksum:
            raise ValueError("check letter does not match; please re-check the UPN") from None
        except InvalidComponent:
            raise ValueError("characters 2-4 are not a known local authority number") from None
        except ValidationError:
            raise ValueError(
                "is not a valid UPN: a check letter, 11 digits and a final digit or letter"
            ) from None


@dataclass(frozen=True)
class Urn(Field):
    def clean(self, value: Any) -> str:
        if not isinstance(value, str) or len(value) != 6 or not value.isdigit():
            raise ValueError("must be a 6-digit school Unique Reference Number")
        return value


def parse_date(value: Any) -> dt.date:
    """An ISO ``YYYY-MM-DD`` date from 1900 to 2199, from a string or a date; ``ValueError`` otherwise."""
    if isinstance(value, dt.datetime):
        raise ValueError("must be a date (YYYY-MM-DD), not a date and time")
    day = None
    if isinstance(value, dt.date):
        day = value
    elif isinstance(value, str) and len(value) == 10:
        with contextlib.suppress(ValueError):
            day = dt.date.fromisoformat(value)
    if day is None:
        raise ValueError(f"must be a date in the form YYYY-MM-DD (got {value!r})")
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise ValueError(f"must be a date from {EARLIEST_DATE.isoformat()} to {LATEST_DATE.isoformat()} "
                         f"(got {day.isoformat()})")
    return day


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class DateWindow:
    """The dates a plan's entries may name (see :func:`plan_dates`)."""

    earliest: dt.date
    latest: dt.date
    why: str

    def error(self, day: str) -> str | None:
        if day < self.earliest.isoformat():
            return f"must not be before {self.earliest.isoformat()} ({self.why})"
        if day > self.latest.isoformat():
            return f"must not be after {self.latest.isoformat()} ({self.why})"
        return None


def plan_dates(date_of_birth: str, today: dt.date) -> DateWindow:
    """The dates a pupil's plan may name: from their birth to the day before their 26th birthday (SEND covers ages
    0 to 25), and at most five years after today."""
    born = dt.date.fromisoformat(date_of_birth)
    last_in_send = add_years(born, OLDEST_AGE + 1) - dt.timedelta(days=1)
    ahead = add_years(today, YEARS_AHEAD)
    if ahead < last_in_send:
        return DateWindow(born, ahead, f"a plan's dates are at most {YEARS_AHEAD} years ahead")
    return DateWindow(born, last_in_send, f"a plan's dates fall between the pupil's birth and their {OLDEST_AGE + 1}th "
                                          "birthday")


def pupil_age_error(date_of_birth: str, on: str) -> FieldError | None:
    """Why a pupil born on ``date_of_birth`` cannot have a plan agreed ``on`` that day (SEND covers 0 to 25)."""
    born = dt.date.fromisoformat(date_of_birth)
    if on < date_of_birth:
        return FieldError("agreed_on", f"must not be before the pupil's date of birth ({date_of_birth})")
    if on >= add_years(born, OLDEST_AGE + 1).isoformat():
        return FieldError("pupil.date_of_birth", f"makes the pupil older than {OLDEST_AGE} on {on}, the day the plan "
                                                 f"was agreed; a plan covers ages 0 to {OLDEST_AGE}")
    return None


def add_years(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` later (29 February becomes 28 February in a year that has none)."""
    return add_months(day, 12 * years)


class Checker:
    """Collects field errors so that one refusal lists every bad field. Given ``dates``, every date field it
    cleans must also fall within them (the dates a plan's entries may name)."""

    def __init__(self, prefix: str = "", *, dates: DateWindow | None = None) -> None:
        self.prefix = prefix
        self.dates = dates
        self.errors: list[FieldError] = []

    def clean(self, field: str, spec: Field, value: Any, *, windowed: bool = True) -> Any:
        """``value`` as ``spec`` records it (and, unless not ``windowed``, a date within ``dates``)."""
        try:
            cleaned = spec.clean(value)
        except ValueError as e:
            self.fail(field, str(e))
            return None
        if windowed and self.dates is not None and isinstance(spec, Date) and cleaned is not None:
            problem = self.dates.error(cleaned)
            if problem is not None:
                self.fail(field, problem)
        return cleaned

    def fail(self, field: str, message: str) -> None:
        self.errors.append(FieldError(self.prefix + field, message))

    def clean_all(self, specs: Mapping[str, Field], values: Mapping[str, Any]) -> dict[str, Any]:
        """Every field of ``specs`` from ``values``; unknown names in ``values`` are refused."""
        for name in values:
            if name not in specs:
                self.fail(name, "is not a field here")
        return {name: self.clean(name, spec, values.get(name)) for name, spec in specs.items()}

    def clean_some(self, specs: Mapping[str, Field], values: Mapping[str, Any]) -> dict[str, Any]:
        """Only the fields given, as for an amendment; at least one must be given."""
        if not values:
            self.fail("changes", "name at least one field to change")
        cleaned = {}
        for name, value in values.items():
            if name not in specs:
                self.fail(name, "is not a field that can be changed here")
                continue
            cleaned[name] = self.clean(name, specs[name], value)
        return cleaned

    def done(self) -> None:
        if self.errors:
            raise InvalidInput(self.errors)
