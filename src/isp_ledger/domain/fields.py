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
    # Whose response it is and how it was given: required when staff record it on a parent's behalf
    # (``acknowledgement_errors``), left out when a parent records their own.
    "given_by": Text(SHORT_TEXT, required=False),
    "method": Choice(codes.ACKNOWLEDGEMENT_METHODS, required=False),
}
# Setting details (``PUT /v1/settings/{urn}``): what people see beside the URN. The longest school names in
# England's register (GIAS) run to about 120 characters; a local authority's name is shorter.
SETTING_FIELDS = {
    "name": Text(150),
    "local_authority": Text(100, required=False),
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


def records_own_response(role: str) -> bool:
    """Whether someone of ``role`` recording a response to the plan gives their own (a parent, through their
    account), rather than recording a parent's on their behalf (staff, who then name the parent and the method)."""
    return role == "parent"


def acknowledgement_errors(cleaned: dict[str, Any], role: str) -> list[FieldError]:
    """Whose response, and how it was given (CONTRACT.md §4). A parent recording their own response through their
    account is its author, so names neither; anyone else records it on a parent's behalf and must name both."""
    errors = []
    if records_own_response(role):
        for name in ("given_by", "method"):
            if cleaned.get(name) is not None:
                errors.append(FieldError(name, "is for staff recording a parent's response on their behalf; a "
                                               "response you record yourself is in your own name"))
        return errors
    if cleaned.get("given_by") is None:
        errors.append(FieldError("given_by", "is required when staff record a parent's response: the name of the "
                                             "parent whose response it is"))
    if cleaned.get("method") is None:
        errors.append(FieldError("method", "is required when staff record a parent's response: how the parent gave "
                                           f"it ({', '.join(codes.ACKNOWLEDGEMENT_METHODS)})"))
    return errors


def clean_setting_details(name: Any, local_authority: Any) -> dict[str, str | None]:
    """A setting's name and local authority as stored: trimmed, on one line, every bad field named at once."""
    check = Checker()
    cleaned = check.clean_all(SETTING_FIELDS, {"name": name, "local_authority": local_authority})
    for field, value in cleaned.items():
        if isinstance(value, str) and ("\n" in value or "\r" in value):
            check.fail(field, "must be on one line")
    check.done()
    return {field: " ".join(value.split()) if isinstance(value, str) else None for field, value in cleaned.items()}


def setting_shown_as(setting_urn: str, name: str | None) -> str:
    """A setting as people read it: its name with its URN, or, when no name was set, "the setting with URN ..."."""
    return f"{name} (URN {setting_urn})" if name else f"the setting with URN {setting_urn}"


def contribution_errors(cleaned: dict[str, Any]) -> list[FieldError]:
    if cleaned.get("kind") == "professional_advice" and not cleaned.get("profession"):
        return [FieldError("profession", "is required for professional advice (e.g. speech and language therapist)")]
    return []
