"""The rules of the facts recorded on a plan: progress towards an outcome, reviews, contributions and parents'
acknowledgements. A fact stands alone (nothing else is agreed about it later), but it must fit the plan: the plan
open, the fact no later than today and no earlier than the plan's opening, and progress only on an outcome in
force when it was measured.

Each function checks one command's input against the plan as it stands and returns the fields to record (or raises
:class:`InvalidInput` or :class:`RuleViolation`); the aggregate (``plan.py``) records the event.
"""

from __future__ import annotations

from typing import Any

from isp_ledger.domain import rules
from isp_ledger.domain.errors import RuleViolation
from isp_ledger.domain.fields import (
    ACKNOWLEDGEMENT_FIELDS,
    CONTRIBUTION_FIELDS,
    PROGRESS_FIELDS,
    REVIEW_FIELDS,
    acknowledgement_errors,
    clean_agreed_on,
    contribution_errors,
)
from isp_ledger.domain.sections import SECTIONS
from isp_ledger.domain.stamp import Stamp
from isp_ledger.domain.state import PlanState
from isp_ledger.domain.validation import Checker, plan_dates


def check_progress(plan: PlanState, by: Stamp, outcome_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    """A measurement of progress towards one of the plan's outcomes (``measured_on`` is its ``agreed_on``)."""
    plan.require_open()
    plan.require_item("outcomes", outcome_id)
    outcome = plan.items[outcome_id]
    check = Checker(dates=plan_dates(plan.state["pupil"]["date_of_birth"], by.today))
    cleaned = check.clean_all(PROGRESS_FIELDS, fields)
    measured = cleaned["measured_on"]
    if measured and measured > by.today.isoformat():
        check.fail("measured_on", f"must not be after today ({by.today.isoformat()})")
    check.done()
    rules.require_live(SECTIONS["outcomes"], outcome)
    if measured < outcome["added_on"]:
        raise RuleViolation(
            "before_outcome_set",
            f"This outcome was set on {outcome['added_on']}; progress measured on {measured} predates it "
            "(record a starting point as the outcome's baseline instead)",
        )
    return cleaned


def check_review(plan: PlanState, by: Stamp, fields: dict[str, Any]) -> dict[str, Any]:
    """A review once held (``held_on`` is its ``agreed_on``), setting when the next falls due."""
    plan.require_open()
    check = Checker(dates=plan_dates(plan.state["pupil"]["date_of_birth"], by.today))
    cleaned = check.clean_all(REVIEW_FIELDS, fields)
    held = cleaned["held_on"]
    if held and held > by.today.isoformat():
        check.fail("held_on", f"must not be after today ({by.today.isoformat()}); record a review once held")
    if held and cleaned["next_review_due"]:
        check.errors.extend(rules.review_due_errors(held, cleaned["next_review_due"]))
    check.done()
    plan.require_after_opening(held)
    return cleaned


def check_contribution(
    plan: PlanState, by: Stamp, fields: dict[str, Any], agreed_on: Any
) -> tuple[str, dict[str, Any]]:
    """A parent's view, the pupil's voice or a professional's advice; returns its ``agreed_on`` and fields."""
    plan.require_open()
    check = Checker()
    agreed = clean_agreed_on(check, by, agreed_on)
    cleaned = check.clean_all(CONTRIBUTION_FIELDS, fields)
    check.errors.extend(contribution_errors(cleaned))
    check.done()
    plan.require_after_opening(agreed)
    return agreed, cleaned


def check_acknowledgement(
    plan: PlanState, by: Stamp, fields: dict[str, Any], agreed_on: Any, plan_version: int
) -> tuple[str, dict[str, Any]]:
    """A parent's response to one version of the plan (at most ``plan_version``, the version it is at); returns its
    ``agreed_on`` and fields, the version responded to as ``plan_version``. Recorded by staff, it names the parent
    and how they gave it (``given_by``, ``method``); recorded by a parent, it is theirs."""
    plan.require_open()
    check = Checker()
    agreed = clean_agreed_on(check, by, agreed_on)
    cleaned = check.clean_all(ACKNOWLEDGEMENT_FIELDS, fields)
    responded_to = cleaned.pop("version")
    if responded_to and responded_to > plan_version:
        check.fail("version", f"the plan has no version {responded_to} (it is at version {plan_version})")
    check.errors.extend(acknowledgement_errors(cleaned, by.actor.role))
    check.done()
    plan.require_after_opening(agreed)
    return agreed, {"plan_version": responded_to, **cleaned}
