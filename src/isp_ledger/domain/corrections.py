"""Corrections (CONTRACT.md §5): saying that an earlier entry was recorded wrongly, without rewriting it.

A correction names one earlier event and the corrected values of some of its fields. It is checked by the
same field rules as the original write, and by the plan's ordering rules on the record as it would stand
corrected: ``agreed_on`` still never goes backwards on one item, nothing predates the plan's opening, and links
still point at barriers of this plan. The original event stays in the log; folds use the corrected values.
"""

from __future__ import annotations

import itertools
from typing import Any

from isp_ledger.domain import codes, delivery, fields, records, rules
from isp_ledger.domain.errors import FieldError, InvalidInput, RuleViolation
from isp_ledger.domain.privacy import require_not_erased
from isp_ledger.domain.records import AGREED_ON_FIELD, Record
from isp_ledger.domain.sections import BARRIERS, SECTION_OF_EVENT, SECTIONS
from isp_ledger.domain.stamp import Stamp
from isp_ledger.domain.state import Located, PlanState
from isp_ledger.domain.validation import (
    LONG_TEXT,
    SHORT_TEXT,
    Checker,
    Choice,
    Date,
    Field,
    Text,
    plan_dates,
    pupil_age_error,
)


def correctable_fields(record: Record) -> dict[str, Field]:
    """The fields of an entry that a correction may change."""
    event_type = record["type"]
    specs: dict[str, Field]
    section = SECTION_OF_EVENT.get(event_type)
    if section is not None:
        if event_type == section.added:
            specs = dict(section.fields)
        elif event_type == section.amended:
            specs = {name: section.fields[name] for name in record["data"]["changes"]}
        elif section.name == "outcomes" and event_type == section.ended:
            specs = {"outcome": Choice(("achieved", "discontinued"))}
        elif event_type == section.paused:
            specs = {"until": Date(required=False)}
        else:
            specs = {}
    elif event_type == "PlanOpened":
        specs = {f"pupil.{name}": spec for name, spec in fields.PUPIL_FIELDS.items()}
        specs.update(
            tier=Choice(codes.TIERS),
            ehcp_reference=Text(SHORT_TEXT, required=False),
            next_review_due=Date(),
        )
    elif event_type == "TierChanged":
        specs = {"tier": Choice(codes.TIERS), "ehcp_reference": Text(SHORT_TEXT, required=False)}
    elif event_type == "ProgressRecorded":
        specs = dict(fields.PROGRESS_FIELDS)
    elif event_type == "ReviewHeld":
        specs = dict(fields.REVIEW_FIELDS)
    elif event_type == "ContributionRecorded":
        specs = dict(fields.CONTRIBUTION_FIELDS)
    elif event_type == delivery.SESSION_EVENT:
        specs = {**delivery.SESSION_FIELDS, "provision_id": Text(SHORT_TEXT)}
    elif event_type == "AcknowledgementRecorded":
        specs = {"response": fields.ACKNOWLEDGEMENT_FIELDS["response"],
                 "comment": fields.ACKNOWLEDGEMENT_FIELDS["comment"]}
        if record["actor"]["role"] != "parent":  # whose response and how, filled in or put right, never removed
            specs.update(given_by=Text(SHORT_TEXT), method=Choice(codes.ACKNOWLEDGEMENT_METHODS))
    else:
        specs = {}
    if event_type not in AGREED_ON_FIELD:
        specs["agreed_on"] = Date()
    specs["reason"] = Text(LONG_TEXT, required=event_type in _REASON_REQUIRED)
    return specs


_REASON_REQUIRED = {s.ended for s in SECTIONS.values()} | {s.paused for s in SECTIONS.values() if s.paused} | {
    "TierChanged", "PlanClosed"}


def prepare_correction(
    plan: PlanState, by: Stamp, event_id: str, changes: dict[str, Any]
) -> tuple[Record, dict[str, Any], dict[str, Any]]:
    """Check a correction; return the corrected record, the cleaned changes and the values they replace."""
    require_not_erased(plan)
    located = plan.locate(event_id)
    if located is None:
        if plan.is_correction(event_id):
            raise RuleViolation(
                "correcting_a_correction",
                "That event is itself a correction; correct the original entry again instead",
            )
        if plan.is_void(event_id):
            raise RuleViolation(
                "correcting_a_void",
                "That entry struck out another as recorded in error; a void cannot be corrected",
            )
        raise InvalidInput.field("event_id", "no event with this id in this plan")
    record = located.record
    struck = record if records.is_voided(record) else located.records[0] if not located.is_fact else None
    if struck is not None and records.is_voided(struck):
        mark = struck[records.VOIDED]
        raise RuleViolation(
            "correcting_a_voided_entry",
            f"That entry {'was' if struck is record else 'belongs to an item that was'} struck out as recorded in "
            f"error (entry {mark['version']}, event {mark['event_id']}); it counts for nothing and cannot be "
            "corrected",
        )
    if not isinstance(changes, dict):
        raise InvalidInput.field("changes", "must be an object of field: corrected value")

    check = Checker("changes.", dates=plan_dates(plan.state["pupil"]["date_of_birth"], by.today))
    specs = correctable_fields(record)
    if not changes:
        raise InvalidInput.field("changes", "name at least one field to correct")
    cleaned: dict[str, Any] = {}
    for key, value in changes.items():
        if key not in specs:
            allowed = ", ".join(specs) or "none"
            check.fail(key, f"cannot be corrected on a {record['type']} entry (correctable: {allowed})")
            continue
        # The pupil's own date of birth is what the window of a plan's dates is drawn from (its rule is their age).
        cleaned[key] = check.clean(key, specs[key], value, windowed=not key.startswith("pupil."))
    check.done()
    cleaned = {k: v for k, v in cleaned.items() if v != records.current_value(record, k)}
    if not cleaned:
        raise InvalidInput.field("changes", "nothing differs from the entry as recorded")

    corrected = records.patch(record, cleaned)
    errors = _field_errors(plan, by, located, corrected)
    if errors:
        raise InvalidInput([FieldError(f"changes.{e.field}", e.message) for e in errors])
    _check_order(plan, located, corrected)
    previous = {k: records.current_value(record, k) for k in cleaned}
    return corrected, cleaned, previous


def _field_errors(plan: PlanState, by: Stamp, located: Located, corrected: Record) -> list[FieldError]:
    """The rules of the original write, applied to the entry as corrected."""
    original = located.record
    event_type, data = corrected["type"], corrected["data"]
    errors: list[FieldError] = []
    agreed = corrected["agreed_on"]
    if agreed > by.today.isoformat():
        errors.append(FieldError(AGREED_ON_FIELD.get(event_type, "agreed_on"), "must not be after today"))
    section = SECTION_OF_EVENT.get(event_type)
    if section is not None:
        recs = [corrected if r["event_id"] == corrected["event_id"] else r for r in located.records]
        state = records.fold_item(located.key, recs)
        assert state is not None
        errors += rules.item_errors(section.name, state, plan.state["tier"])
        if event_type == section.paused and data["until"] and data["until"] < agreed:
            errors.append(FieldError("until", f"must not be before the pause was agreed ({agreed})"))
        links = data.get("changes", data).get("barrier_ids")
        if links is not None and links != records.current_value(original, "barrier_ids"):
            errors += rules.barrier_link_errors(links, plan.barriers(), agreed, require_active=False)
    elif event_type in ("PlanOpened", "TierChanged"):
        errors += rules.tier_errors(data["tier"], data["ehcp_reference"])
        if event_type == "PlanOpened":
            errors += rules.review_due_errors(agreed, data["next_review_due"])
            if (age := pupil_age_error(data["pupil"]["date_of_birth"], agreed)) is not None:
                errors.append(age)
    elif event_type == "ReviewHeld":
        errors += rules.review_due_errors(data["held_on"], data["next_review_due"])
    elif event_type == "ContributionRecorded":
        if data["kind"] == "professional_advice" and not data.get("profession"):
            errors.append(FieldError("profession", "is required for professional advice"))
    elif event_type == delivery.SESSION_EVENT:
        errors += delivery.session_errors(data)
        where = (data["date"], data["provision_id"])
        if where != (original["data"]["date"], original["data"]["provision_id"]):
            refusal = delivery.provision_refusal(plan, data["provision_id"], data["date"])
            if refusal is not None:
                errors.append(FieldError("provision_id" if refusal[0] == "not_a_provision" else "date", refusal[1]))
        clash = delivery.same_slot(plan, data["provision_id"], data["date"], data.get("starts_at"),
                                   other_than=original["event_id"])
        if clash is not None:  # corrected onto a session already recorded: it would be counted twice
            errors.append(FieldError("date", f"another session of this provision is recorded that day (entry "
                                             f"{clash['version']}, event {clash['event_id']}); give each its "
                                             "starts_at, or void the one recorded in error"))
    elif event_type == "ProgressRecorded":
        outcome = plan.items[data["outcome_id"]]
        if agreed < outcome["added_on"]:
            errors.append(FieldError("measured_on", f"must not be before the outcome was set ({outcome['added_on']})"))
    return errors


def _check_order(plan: PlanState, located: Located, corrected: Record) -> None:
    """A corrected date must keep the record in order: nothing before the opening, no item going backwards."""
    original = located.record
    if corrected["agreed_on"] == original["agreed_on"]:
        return
    if original["type"] == "PlanOpened":
        earliest = min(
            (r["agreed_on"] for r in _all_records(plan) if r["event_id"] != original["event_id"]),
            default=None,
        )
        if earliest is not None and corrected["agreed_on"] > earliest:
            raise RuleViolation(
                "correction_breaks_order",
                f"The plan cannot have opened on {corrected['agreed_on']}: entries agreed on {earliest} follow it",
            )
        return
    opened = plan.state["opened_on"]
    if corrected["agreed_on"] < opened:
        raise RuleViolation(
            "correction_breaks_order",
            f"The plan was opened on {opened}; a corrected date of {corrected['agreed_on']} would predate it",
        )
    if located.is_fact:
        return  # a review, contribution, acknowledgement or progress entry stands alone
    dates = [corrected["agreed_on"] if r["event_id"] == original["event_id"] else r["agreed_on"]
             for r in located.records]
    if any(a > b for a, b in itertools.pairwise(dates)):
        raise RuleViolation(
            "correction_breaks_order",
            f"A corrected date of {corrected['agreed_on']} would put this entry out of order with the other "
            f"decisions on the same {'plan' if located.key == 'plan' else 'item'} (agreed on {', '.join(dates)})",
        )
    _require_barriers_first(plan, located.key, corrected)


def _require_barriers_first(plan: PlanState, key: str, corrected: Record) -> None:
    """A barrier is identified no later than any entry that addresses it, as every write requires."""
    day = corrected["agreed_on"]
    if corrected["type"] == BARRIERS.added:
        clashes = [f"{r['type']} agreed on {r['agreed_on']}" for recs in plan.records.values() for r in recs
                   if key in _links(r) and r["agreed_on"] < day]
    else:
        barriers = plan.barriers()
        clashes = [f"barrier {b} identified on {barriers[b]['added_on']}" for b in _links(corrected)
                   if b in barriers and barriers[b]["added_on"] > day]
    if clashes:
        raise RuleViolation(
            "correction_breaks_order",
            f"A corrected date of {day} would put this entry out of order with the barriers it concerns: "
            f"{'; '.join(clashes)}",
        )


def _links(record: Record) -> list[str]:
    data = record["data"].get("changes", record["data"])
    return list(data.get("barrier_ids") or ())


def _all_records(plan: PlanState) -> list[Record]:
    every = [r for recs in plan.records.values() for r in recs]
    every += [r for recs in plan.facts.values() for r in recs]
    return every
