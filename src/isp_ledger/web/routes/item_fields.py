"""The fields of each kind of item on its form: which input shows each field of CONTRACT.md §4, with the label
and hint a parent and a SENCO both read, and how a posted form becomes the item's fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from isp_ledger.web.routes.forms_support import FormReader, with_dates


@dataclass(frozen=True)
class Noun:
    a: str  # "a need"
    the: str  # "the need"
    end_verb: str  # "Mark as met", as the end form's heading and button say it
    end_hint: str


NOUNS = {
    "barriers": Noun("a need", "the need", "Close", "Close a need when it no longer makes learning harder."),
    "provisions": Noun("provision", "the provision", "End", "End provision that stops: its sessions are no longer "
                                                            "expected from the day it ends."),
    "adjustments": Noun("an adjustment", "the adjustment", "Withdraw", "Withdraw an adjustment that is no longer "
                                                                       "made."),
    "outcomes": Noun("an outcome", "the outcome", "Close", "Close an outcome once it is achieved, or when it is "
                                                          "no longer worked towards."),
}


@dataclass(frozen=True)
class Input:
    name: str
    widget: str  # area, text, whole, number, date, radios, select, barriers
    label: str
    hint: str | None = None


_DESCRIPTION_HINTS = {
    "barriers": "What makes learning harder for the pupil, in words their parents would use",
    "provisions": "What is done, for example small-group phonics with a teaching assistant",
    "adjustments": "What is done differently in everyday teaching, for example a seat near the front",
    "outcomes": "What the pupil will be able to do",
}
_BARRIER_HINT = "Tick each need it helps with"

FIELDS: dict[str, list[Input]] = {
    "barriers": [
        Input("description", "area", "What makes learning harder", _DESCRIPTION_HINTS["barriers"]),
        Input("area_of_need", "radios", "Area of need", "The broad area of need, as in the SEND Code of Practice"),
        Input("need_type", "select", "Type of need", "As recorded in the school census"),
        Input("evidence", "area", "Evidence", "How the need was identified: assessments, observations, reports"),
    ],
    "provisions": [
        Input("description", "area", "Provision", _DESCRIPTION_HINTS["provisions"]),
        Input("barrier_ids", "barriers", "Needs it addresses", _BARRIER_HINT),
        Input("delivered_by", "text", "Who delivers it", "A role, for example teaching assistant"),
        Input("sessions_per_week", "number", "Sessions a week",
              "From 0.05 to 35. For example 3, or 0.5 for once a fortnight"),
        Input("minutes_per_session", "whole", "Minutes each session", "From 1 to 480"),
        Input("group_size", "whole", "Group size", "Number of pupils in the group, 1 for one-to-one"),
        Input("location", "radios", "Where it happens"),
        Input("starts_on", "date", "Start date", "For example, 7 9 2026"),
        Input("ends_on", "date", "End date (optional)", "Leave blank if it has no planned end"),
        Input("evidence_basis", "area", "Evidence it is based on (optional)",
              "For example, the research or programme it follows"),
    ],
    "adjustments": [
        Input("description", "area", "Adjustment", _DESCRIPTION_HINTS["adjustments"]),
        Input("category", "radios", "Kind of adjustment"),
        Input("barrier_ids", "barriers", "Needs it addresses", _BARRIER_HINT),
    ],
    "outcomes": [
        Input("description", "area", "Outcome", _DESCRIPTION_HINTS["outcomes"]),
        Input("success_criteria", "area", "How success will be judged",
              "What will show the outcome is achieved. You can add this later"),
        Input("barrier_ids", "barriers", "Needs it is about", _BARRIER_HINT),
        Input("target_date", "date", "Target date", "For example, 20 7 2027"),
        Input("baseline", "text", "Starting point (optional)", "For example, reads 20 words a minute"),
        Input("target", "text", "Target (optional)", "For example, reads 60 words a minute"),
    ],
}


def read_fields(reader: FormReader, kind: str) -> dict[str, Any]:
    """The item's fields from the posted form (an empty optional field: left out, so it stays as it was)."""
    fields: dict[str, Any] = {}
    for spec in FIELDS[kind]:
        if spec.widget == "barriers":
            fields[spec.name] = reader.choices(spec.name)
        elif spec.widget == "date":
            fields[spec.name] = reader.date(spec.name)
        elif spec.widget in ("whole", "number"):
            fields[spec.name] = reader.number(spec.name, whole=spec.widget == "whole")
        elif spec.name == "success_criteria":  # may be empty: the quality report lists it until it is filled in
            fields[spec.name] = reader.form.get(spec.name) or ""
        else:
            fields[spec.name] = reader.text(spec.name)
    return {name: value for name, value in fields.items() if value is not None}


def item_values(kind: str, item: dict[str, Any]) -> dict[str, Any]:
    """An item's current values as its form shows them."""
    values: dict[str, Any] = {}
    dates: dict[str, Any] = {}
    for spec in FIELDS[kind]:
        value = item.get(spec.name)
        if spec.widget == "date":
            dates[spec.name] = value
        elif spec.widget == "barriers":
            values[spec.name] = list(value or [])
        elif value is not None:
            values[spec.name] = f"{value:g}" if isinstance(value, float) else str(value)
    return with_dates(values, dates)


COMMON_LABELS = {"agreed_on": "Date it was agreed", "reason": "Why it changed"}
END_LABELS = {"agreed_on": "Date it was agreed", "reason": "Reason", "outcome": "Whether the outcome was achieved"}


def form_labels(kind: str) -> dict[str, str]:
    """Each input's label as its error messages name it ("Start date is required")."""
    return {**COMMON_LABELS, **{spec.name: spec.label.removesuffix(" (optional)") for spec in FIELDS[kind]}}
