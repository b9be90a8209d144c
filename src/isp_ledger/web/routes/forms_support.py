"""What the plan's forms share: reading a posted form into the values a command takes, showing a refusal beside
the fields it is about, and loading the plan a form writes to.

Reading a form is the adapter's part only (text as typed, a GOV.UK date input's three boxes as one ISO date, a
number as a number); whether a value is allowed is the domain's, whose refusals (``InvalidInput``) come back
named by field and are shown beside the input, prefixed with the field's label ("Start date is required").
Who may open a form is asked of the application (``Plans.require_visible`` with the form's ``access.Action``),
never decided here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from starlette.datastructures import FormData

from isp_ledger.access import Action, User
from isp_ledger.application import Ledger
from isp_ledger.domain import codes, wording
from isp_ledger.domain.errors import InvalidInput, LedgerError, NotFound, StaleVersion
from isp_ledger.web.forms import FormErrors

STALE = "The plan changed since you opened this page: check the current plan and try again"
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")

def capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


# Plain-English names of the domain's codes, as the forms offer them.
AREA_LABELS = {code: capitalised(name) for code, name in wording.AREA_NAMES.items()}
NEED_TYPE_LABELS = {code: f"{capitalised(name)} ({code})" for code, name in codes.NEED_TYPE_NAMES.items()}
LOCATION_LABELS = {code: capitalised(name) for code, name in wording.LOCATION_NAMES.items()}
CATEGORY_LABELS = {code: capitalised(name) for code, name in wording.CATEGORY_NAMES.items()}
TIER_LABELS = dict(wording.TIER_NAMES)
OUTCOME_RESULT_LABELS = {"achieved": "Achieved", "discontinued": "Discontinued (not achieved)"}
CHOICES: dict[str, dict[str, str]] = {
    "area_of_need": AREA_LABELS, "need_type": NEED_TYPE_LABELS, "location": LOCATION_LABELS,
    "category": CATEGORY_LABELS, "tier": TIER_LABELS, "outcome": OUTCOME_RESULT_LABELS,
    "kind": dict(wording.CONTRIBUTION_NAMES),
    "response": {"agree": "Agree", "disagree": "Disagree", "seen": "Seen"},
    "method": {code: capitalised(name) for code, name in wording.RESPONSE_METHOD_NAMES.items()},
    "status": {"delivered": "Delivered", "missed": "Missed"},
    "missed_reason": {code: capitalised(name) for code, name in wording.MISSED_REASON_NAMES.items()},
}


def label_of(name: str) -> str:
    """A field as a form's label and its error messages name it: "Number of sessions a week"."""
    return capitalised(wording.FIELD_NAMES.get(name, name.replace("_", " ")))


@dataclass
class FormReader:
    """The posted form's values as a command takes them; what cannot even be read is an error of its field."""

    form: FormData
    labels: Mapping[str, str] = field(default_factory=dict)  # the form's own labels, for its error messages
    errors: FormErrors = field(default_factory=FormErrors)
    dates: set[str] = field(default_factory=set)  # the fields shown as date inputs (their errors link to -day)

    def raw(self) -> dict[str, Any]:
        """Everything as typed, to show the form again with its values kept (ticked boxes as lists)."""
        values: dict[str, Any] = {}
        for key in self.form:
            items = [v for v in self.form.getlist(key) if isinstance(v, str)]
            values[key] = items if len(items) > 1 or key.endswith("_ids") else (items[0] if items else "")
        return values

    def label(self, name: str) -> str:
        return self.labels.get(name) or label_of(name)

    def text(self, name: str) -> str | None:
        value = self.form.get(name)
        return value if isinstance(value, str) and value.strip() else None

    def choices(self, name: str) -> list[str]:
        return [v for v in self.form.getlist(name) if isinstance(v, str) and v]

    def date(self, name: str) -> str | None:
        """A GOV.UK date input (``name-day``, ``-month``, ``-year``) as ``YYYY-MM-DD``; ``None`` when left empty."""
        self.dates.add(name)
        parts = [(self.text(f"{name}-{part}") or "").strip() for part in ("day", "month", "year")]
        if not any(parts):
            return None
        day, month, year = parts
        if not all(p.isdigit() for p in parts) or len(year) != 4:
            self.fail(name, f"{self.label(name)} must be a real date, with a day, a month and a 4-digit year")
            return None
        try:
            return dt.date(int(year), int(month), int(day)).isoformat()
        except ValueError:
            self.fail(name, f"{self.label(name)} must be a real date")
            return None

    def number(self, name: str, *, whole: bool = False) -> int | float | None:
        text = (self.text(name) or "").strip()
        if not text:
            return None
        if not _NUMBER.match(text) or (whole and not text.lstrip("+-").isdigit()):
            self.fail(name, f"{self.label(name)} must be {'a whole number' if whole else 'a number'}, like 3")
            return None
        value = float(text)
        return int(value) if value.is_integer() else value

    def version(self) -> int | None:
        """The plan's version the person saw (sent back as If-Match)."""
        text = self.text("version") or ""
        return int(text) if text.isdigit() else None

    def fail(self, name: str, message: str) -> None:
        if name not in self.errors.fields:
            self.errors.fields[name] = message
            self.errors.summary.append({"text": message, "href": f"#{name}-day" if name in self.dates else f"#{name}"})


def refused(error: LedgerError, *, names: Mapping[str, str] | None = None, dates: set[str] | None = None,
            labels: Mapping[str, str] | None = None, errors: FormErrors | None = None) -> FormErrors:
    """A command's refusal as the form's errors: each bad field beside its input (``names`` maps the domain's
    field names to the form's), a rule of the plan (409) in the summary, a stale version (412) as :data:`STALE`."""
    result = errors or FormErrors()
    if isinstance(error, StaleVersion):
        result.status = 412
        result.summary.append({"text": STALE})
        return result
    if not isinstance(error, InvalidInput):
        refusal = FormErrors.of(error)
        result.status = refusal.status
        result.summary.extend(refusal.summary)
        return result
    result.status = 422
    for problem in error.errors:
        if problem.field == "changes":  # about the form as a whole ("nothing differs ...")
            result.summary.append({"text": capitalised(problem.message)})
            continue
        name = (names or {}).get(problem.field, problem.field)
        label = (labels or {}).get(name) or (
            label_of(problem.field) if problem.field in wording.FIELD_NAMES else label_of(name))
        text = f"{label} {problem.message}"
        if name not in result.fields:
            result.fields[name] = text
            result.summary.append({"text": text, "href": f"#{name}-day" if name in (dates or set()) else f"#{name}"})
    return result


def stopped(reader: FormReader) -> LedgerError | None:
    """Refuse a form whose values could not be read, or that lost the version it was shown at."""
    if reader.version() is None:
        return InvalidInput.field("version", "is missing: open the form again from the plan")
    return None


@dataclass(frozen=True)
class PlanForm:
    """The plan a form is about, as the person may see it, and how to name it on the page."""

    document: dict[str, Any]
    setting: str  # its name with its URN (CONTRACT.md §4)

    @property
    def plan_id(self) -> str:
        return str(self.document["plan_id"])

    @property
    def version(self) -> int:
        return int(self.document["version"])

    @property
    def pupil_name(self) -> str:
        pupil = self.document["pupil"]
        if pupil.get("given_name") is None:
            return "Erased pupil"
        return f"{pupil['given_name']} {pupil['family_name']}"

    def item(self, section: str, item_id: str) -> dict[str, Any]:
        for item in self.document.get(section, []):
            if item["id"] == item_id:
                return dict(item)
        raise NotFound(f"No {section} item {item_id}")

    def live_barriers(self) -> list[dict[str, Any]]:
        return [b for b in self.document["barriers"] if b["status"] in ("active", "paused")]


def plan_form(ledger: Ledger, user: User, plan_id: UUID, action: Action) -> PlanForm:
    """The plan for a form that does ``action``: 404 if ``user`` may not see it, 403 if they may not do this.
    Reading it (to show current values and the pupil's name) is logged as any read of the plan is."""
    ledger.plans.require_visible(user, plan_id, action)
    document = ledger.history.plan_document(user, plan_id)
    return PlanForm(document, ledger.setting_details.shown(document["setting_urn"])["shown_as"])


def date_parts(value: str | None) -> dict[str, str]:
    """An ISO date as a date input's three boxes."""
    if not value:
        return {"day": "", "month": "", "year": ""}
    day = dt.date.fromisoformat(value)
    return {"day": str(day.day), "month": str(day.month), "year": str(day.year)}


def with_dates(values: dict[str, Any], dates: Mapping[str, str | None]) -> dict[str, Any]:
    """``values`` with each date given as its three boxes (``starts_on-day`` ...), as a form shows them."""
    shown = dict(values)
    for name, value in dates.items():
        for part, text in date_parts(value).items():
            shown[f"{name}-{part}"] = text
    return shown


def refused_form(error: LedgerError, reader: FormReader, plan: PlanForm,
                 names: Mapping[str, str] | None = None) -> tuple[FormErrors, int]:
    """:func:`refused`, labelled as the form labels its fields, and the version to show the form again at."""
    return again(refused(error, names=names, dates=reader.dates, labels=reader.labels), reader, plan)


def again(errors: FormErrors, reader: FormReader, plan: PlanForm) -> tuple[FormErrors, int]:
    """A refused form's errors, and the version it is shown again at: the plan's current version after a stale
    one (the person is told to check the plan, and their answers are kept), else still the version they saw."""
    return errors, plan.version if errors.status == 412 else reader.version() or plan.version
