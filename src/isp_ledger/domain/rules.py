"""Rules that look across fields or across the plan, shared by the commands that add and amend items and by
corrections of earlier entries. Each returns field errors (for 422) or raises :class:`RuleViolation` (409).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from isp_ledger.domain import codes
from isp_ledger.domain.errors import FieldError, RuleViolation
from isp_ledger.domain.records import VOIDED
from isp_ledger.domain.sections import LIVE_STATUSES, Section
from isp_ledger.domain.validation import add_months

MAX_REVIEW_INTERVAL_MONTHS = 12


def item_errors(section: str, state: dict[str, Any], tier: str) -> list[FieldError]:
    """Cross-field problems of one item as it would stand after a change."""
    errors = []
    if section == "provisions":
        if state.get("ends_on") and state["ends_on"] < state["starts_on"]:
            errors.append(FieldError("ends_on", f"must not be before starts_on ({state['starts_on']})"))
    elif section == "barriers":
        allowed = codes.NEED_TYPE_AREAS[state["need_type"]]
        if state["area_of_need"] not in allowed:
            errors.append(
                FieldError(
                    "need_type",
                    f"{state['need_type']} ({codes.NEED_TYPE_NAMES[state['need_type']]}) belongs to the area "
                    f"{' or '.join(allowed)}, not {state['area_of_need']}",
                )
            )
        if state["need_type"] == "NSA" and tier == "specialist" and state.get("status", "active") == "active":
            errors.append(
                FieldError("need_type", "NSA is valid only for SEN support, not beside an EHCP (specialist tier)")
            )
    elif section == "outcomes" and state["target_date"] < state["added_on"]:
        errors.append(FieldError("target_date", f"must not be before the outcome was set ({state['added_on']})"))
    return errors


def barrier_link_errors(
    barrier_ids: Iterable[str],
    barriers: dict[str, dict[str, Any]],
    agreed_on: str,
    *,
    require_active: bool = True,
) -> list[FieldError]:
    """Each linked barrier must be a barrier of this plan, identified by ``agreed_on``, and still active."""
    errors = []
    for barrier_id in barrier_ids:
        barrier = barriers.get(barrier_id)
        if barrier is None:
            errors.append(FieldError("barrier_ids", f"{barrier_id} is not a barrier of this plan"))
        elif barrier["status"] == VOIDED:
            errors.append(FieldError("barrier_ids", f"barrier {barrier_id} was struck out as recorded in error"))
        elif require_active and barrier["status"] != "active":
            errors.append(FieldError("barrier_ids", f"barrier {barrier_id} is {barrier['status']}, not active"))
        elif barrier["added_on"] > agreed_on:
            errors.append(
                FieldError(
                    "barrier_ids",
                    f"barrier {barrier_id} was identified on {barrier['added_on']}, after {agreed_on}",
                )
            )
    return errors


def tier_errors(tier: str, ehcp_reference: str | None) -> list[FieldError]:
    if tier == "specialist" and not ehcp_reference:
        return [FieldError("ehcp_reference", "is required for the specialist tier (the plan sits beside an EHCP)")]
    if tier != "specialist" and ehcp_reference:
        return [FieldError("ehcp_reference", "is only for the specialist tier; leave it out for this tier")]
    return []


def review_due_errors(from_day: str, next_review_due: str, field: str = "next_review_due") -> list[FieldError]:
    """A review falls due after ``from_day`` and at most 12 months later (plans are reviewed at least yearly)."""
    start = dt.date.fromisoformat(from_day)
    latest = add_months(start, MAX_REVIEW_INTERVAL_MONTHS)
    if next_review_due <= from_day:
        return [FieldError(field, f"must be after {from_day}")]
    if next_review_due > latest.isoformat():
        return [FieldError(field, f"must be within 12 months, on or before {latest.isoformat()}")]
    return []


def require_in_order(what: str, latest: str | None, agreed_on: str, correction_hint: Callable[[], str]) -> None:
    """``agreed_on`` never goes backwards on one item: refuse a change agreed before its latest decision."""
    if latest is not None and agreed_on < latest:
        raise RuleViolation(
            "agreed_on_goes_backwards",
            f"The latest recorded decision on this {what} was agreed on {latest}; a change agreed on "
            f"{agreed_on} would rewrite its history. If an earlier entry was wrong, record a correction "
            f"instead: {correction_hint()}",
        )


def require_live(section: Section, item: dict[str, Any]) -> None:
    """The item is still part of the plan: active, or paused (a paused provision may be amended or ended)."""
    if item["status"] == VOIDED:
        mark = item["voided"]
        raise RuleViolation(
            f"{section.noun}_voided",
            f"This {section.noun} was struck out as recorded in error (entry {mark['version']}, event "
            f"{mark['event_id']}); it is not part of the plan and can no longer change",
        )
    if item["status"] not in LIVE_STATUSES:
        raise RuleViolation(
            f"{section.noun}_not_active",
            f"This {section.noun} is {item['status']} (since {item['ended_on']}); it can no longer change",
        )


def require_pausable(section: Section) -> None:
    if section.paused is None:
        raise RuleViolation(f"{section.noun}_cannot_pause",
                            f"Only a provision can be paused; end this {section.noun} instead")
