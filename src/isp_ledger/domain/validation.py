"""Field rules a SENCO would expect, shared by every write and by corrections of earlier entries.

Each :class:`Field` turns an input value into the JSON-native value the ledger records (dates become ISO
strings), or raises ``ValueError`` with a message naming what is wrong. :class:`Checker` runs many of them and
reports every bad field at once, so one round trip shows the whole problem.
"""

from __future__ import annotations

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
    maximum: float

    def clean(self, value: Any) -> int | float:
        if value is None:
            raise ValueError("is required")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError("must be a number")
        if not 0 < value <= self.maximum:
            raise ValueError(f"must be more than 0 and at most {self.maximum:g} (got {value:g})")
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value


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
    """An ISO ``YYYY-MM-DD`` date, from a string or a date; ``ValueError`` otherwise."""
    if isinstance(value, dt.datetime):
        raise ValueError("must be a date (YYYY-MM-DD), not a date and time")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and len(value) == 10:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"must be a date in the form YYYY-MM-DD (got {value!r})")


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


class Checker:
    """Collects field errors so that one refusal lists every bad field."""

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix
        self.errors: list[FieldError] = []

    def clean(self, field: str, spec: Field, value: Any) -> Any:
        try:
            return spec.clean(value)
        except ValueError as e:
            self.fail(field, str(e))
            return None

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
