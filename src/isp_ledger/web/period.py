"""Dates asked for in a read page's address: typed into GOV.UK date inputs (``as_of-day``, ``as_of-month``,
``as_of-year``) or given whole in a link (``as_of=2026-03-03``). A date that is no date is a message for the
field, shown beside it, never a guess.

GOV.UK's date input is three boxes; no library reads them back into a date, so this small module does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from isp_ledger.domain.validation import parse_date
from isp_ledger.web.forms import FormErrors


@dataclass
class DateField:
    """One date of a form: what was typed (to show again) and the date, if it is one."""

    name: str
    day: str = ""
    month: str = ""
    year: str = ""
    value: dt.date | None = None
    error: str | None = None

    def items(self) -> list[dict[str, str]]:
        """The three boxes as ``govukDateInput`` takes them, with the values typed."""
        error = " govuk-input--error" if self.error else ""
        return [{"name": "day", "classes": f"govuk-input--width-2{error}", "value": self.day},
                {"name": "month", "classes": f"govuk-input--width-2{error}", "value": self.month},
                {"name": "year", "classes": f"govuk-input--width-4{error}", "value": self.year}]

    @property
    def iso(self) -> str | None:
        return self.value.isoformat() if self.value else None


@dataclass
class DateForm:
    dates: dict[str, DateField] = field(default_factory=dict)
    errors: FormErrors = field(default_factory=FormErrors)

    def __getitem__(self, name: str) -> DateField:
        return self.dates[name]


def read_dates(query: Mapping[str, str], labels: Mapping[str, str]) -> DateForm:
    """The dates ``labels`` names (field name -> how the page calls it, "the start date") from the query."""
    form = DateForm()
    for name, label in labels.items():
        date = DateField(name)
        whole = (query.get(name) or "").strip()
        parts = [(query.get(f"{name}-{part}") or "").strip() for part in ("day", "month", "year")]
        if whole:
            try:
                date.value = parse_date(whole)
                date.day, date.month, date.year = str(date.value.day), str(date.value.month), str(date.value.year)
            except ValueError:
                date.day, date.month, date.year = "", "", ""
                date.error = f"Enter {label} as a real date, for example 3 3 2026"
        elif any(parts):
            date.day, date.month, date.year = parts
            date.value, date.error = _from_parts(parts, label)
        if date.error:
            form.errors.add(f"{name}-day", date.error)
        form.dates[name] = date
    return form


def _from_parts(parts: list[str], label: str) -> tuple[dt.date | None, str | None]:
    day, month, year = parts
    missing = [name for name, value in zip(("day", "month", "year"), parts, strict=True) if not value]
    if missing:
        return None, f"{label.capitalize()} must include a {' and a '.join(missing)}"
    if not (day.isdigit() and month.isdigit() and year.isdigit()) or len(year) != 4:
        return None, f"Enter {label} as numbers, for example 3 3 2026"
    try:
        return parse_date(f"{int(year):04d}-{int(month):02d}-{int(day):02d}"), None
    except ValueError:
        return None, f"{label.capitalize()} must be a real date, for example 3 3 2026"
