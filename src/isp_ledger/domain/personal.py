"""Which parts of a plan's record are personal (CONTRACT.md §11), and how a record is split into them.

Everything a person wrote about the pupil (every free-text field), and everything that names or identifies the pupil
or their family (names, date of birth, UPN, EHC plan reference, a parent's name), is *personal*: it is stored only
encrypted under the pupil's own key, and is gone for good when that key is destroyed. What stays in clear is the
record's structure: ids, codes, dates, numbers of sessions and minutes, the versions a correction points to.

The rule is an allow-list of field names (:data:`CLEAR_FIELDS`), applied to every level of a record: a field whose
name is not on it is personal, so a field added later is encrypted until someone decides otherwise. A nested object
(``pupil``, a correction's ``changes``) is split field by field in the same way; a list not on the list (review
``attendees``) is personal as a whole. An actor (``user_id``, ``name``, ``role``) who is school staff stays in clear,
as the record's actors do.

:func:`split` turns a record into its clear part, where each personal value is ``null``, and the personal values
alone; :func:`merge` puts them back. Without the personal part (after an erasure) the clear part is the record as
its readers then see it: the same fields, each personal one ``null``.
"""

from __future__ import annotations

from typing import Any

CLEAR_FIELDS = frozenset({
    # ids, and the record's own structure: where an entry was recorded and corrected, when an item was added
    "id", "recorded_in_version", "corrected", "added_on", "initial_review_due", "erased", "voided",
    "plan_id", "item_id", "progress_id", "outcome_id", "review_id", "contribution_id", "acknowledgement_id",
    "session_id", "provision_id", "grant_id", "user_id", "event_id", "barrier_ids", "corrected_event_id",
    "voided_event_id",
    # versions and counts
    "version", "plan_version", "corrected_version", "voided_version", "group_size", "sessions_per_week",
    "minutes_per_session", "minutes",
    # codes
    "setting_urn", "tier", "area_of_need", "need_type", "category", "status", "kind", "response", "method",
    "relationship", "outcome", "missed_reason", "location", "role", "type",
    # dates and times
    "next_review_due", "starts_on", "ends_on", "target_date", "measured_on", "held_on", "date", "until",
    "expires_on", "starts_at", "opened_on", "closed_on", "agreed_on", "recorded_at",
})

# Events whose reason stays readable outside the pupil's key, so must name no personal data: an erasure's (who erased
# the plan, when and why is kept after the key is gone).
CLEAR_REASONS = frozenset({"PlanErased"})

# Roles whose people are school staff: their names stay in clear as the actors of the record (CONTRACT.md §11);
# the name of anyone else who writes to a plan (a parent, a professional) is personal.
STAFF_ROLES = frozenset({"admin", "senco", "teacher"})


def split(record: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The record's clear part (each personal value ``null``) and its personal values (``{}`` if none)."""
    clear: dict[str, Any] = {}
    personal: dict[str, Any] = {}
    for name, value in record.items():
        if isinstance(value, dict):
            if value.get("role") in STAFF_ROLES and "user_id" in value:  # a member of staff as an actor: in clear
                clear[name] = value
                continue
            clear[name], inner = split(value)
            if inner:
                personal[name] = inner
        elif name in CLEAR_FIELDS or value is None:
            clear[name] = value
        else:
            clear[name] = None
            personal[name] = value
    return clear, personal


def merge(clear: dict[str, Any], personal: dict[str, Any] | None) -> dict[str, Any]:
    """The record whose parts :func:`split` gave (the clear part alone, with ``personal`` ``None`` or empty)."""
    if not personal:
        return clear
    merged = dict(clear)
    for name, value in personal.items():
        inner = merged.get(name)
        merged[name] = merge(inner, value) if isinstance(inner, dict) and isinstance(value, dict) else value
    return merged


def actor_split(actor: dict[str, str]) -> tuple[dict[str, Any], str | None]:
    """An actor as kept in clear, and the name kept under the pupil's key (``None`` for staff, whose names stay)."""
    if actor.get("role") in STAFF_ROLES:
        return actor, None
    return {**actor, "name": None}, actor.get("name")
