"""Field rules of the plan-level writes and of the facts recorded on a plan (reviews, progress, ...)."""

from __future__ import annotations

from typing import Any

from isp_ledger.domain import codes
from isp_ledger.domain.errors import FieldError
from isp_ledger.domain.stamp import Stamp
from isp_ledger.domain.validation import (
    LONG_TEXT,
    SHORT_TEXT,
    Attendees,
    Checker,
    Choice,
    Date,
    Integer,
    OptionalNumber,
    Text,
    Upn,
    parse_date,
)

PUPIL_FIELDS = {
    "upn": Upn(),
    "given_name": Text(SHORT_TEXT),
    "family_name": Text(SHORT_TEXT),
    "date_of_birth": Date(),
}
PROGRESS_FIELDS = {
    "measured_on": Date(),
    "value": OptionalNumber(),
    "note": Text(LONG_TEXT),
    "source": Text(SHORT_TEXT),
}
REVIEW_FIELDS = {
    "held_on": Date(),
    "attendees": Attendees(),
    "parent_views": Text(LONG_TEXT, allow_empty=True),
    "pupil_views": Text(LONG_TEXT, allow_empty=True),
    "summary": Text(LONG_TEXT),
    "next_review_due": Date(),
}
CONTRIBUTION_FIELDS = {
    "kind": Choice(codes.CONTRIBUTION_KINDS),
    "profession": Text(SHORT_TEXT, required=False),
    "text": Text(LONG_TEXT),
}
ACKNOWLEDGEMENT_FIELDS = {
    "version": Integer(1, 10**9),
    "response": Choice(codes.ACKNOWLEDGEMENT_RESPONSES),
    "comment": Text(LONG_TEXT, required=False),
}
REASON = Text(LONG_TEXT)
OPTIONAL_REASON = Text(LONG_TEXT, required=False)


def clean_agreed_on(check: Checker, by: Stamp, value: Any) -> str:
    """``agreed_on`` as recorded: today (London) by default, never after today."""
    today = by.today
    if value is None:
        return today.isoformat()
    try:
        day = parse_date(value)
    except ValueError as e:
        check.fail("agreed_on", str(e))
        return today.isoformat()
    if day > today:
        check.fail("agreed_on", f"must not be after today ({today.isoformat()}, Europe/London)")
    return day.isoformat()


def contribution_errors(cleaned: dict[str, Any]) -> list[FieldError]:
    if cleaned.get("kind") == "professional_advice" and not cleaned.get("profession"):
        return [FieldError("profession", "is required for professional advice (e.g. speech and language therapist)")]
    return []
