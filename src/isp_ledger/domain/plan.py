"""The Individual Support Plan as an event-sourced aggregate: its events and its commands.

Every change is its own past-tense event (``events.py``) carrying its actor, ``agreed_on`` and reason; the server's
instant is the event's ``timestamp`` (``recorded_at``). Commands check every rule first and only then trigger
events, so a refused command leaves the plan untouched. Event-applying code uses nothing but the event.

The plan's state is kept as change records (``state.py``, ``records.py``), so the same plan answers "what is in
force now", "what was in force on a date" and, replayed to an earlier version, "what did the record say at an
instant". The rules of facts (``facts.py``), sessions (``delivery.py``) and corrections (``corrections.py``) read
that state; the commands on the plan itself and on the items of its sections are here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeAlias
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from isp_ledger.domain import codes, delivery, events, facts, grants, privacy, rules
from isp_ledger.domain.calendar import NOT_SET, SchoolCalendar
from isp_ledger.domain.corrections import prepare_correction
from isp_ledger.domain.errors import InvalidInput, RuleViolation
from isp_ledger.domain.fields import OPTIONAL_REASON, PUPIL_FIELDS, REASON, clean_agreed_on
from isp_ledger.domain.records import fold_plan, is_paused_on
from isp_ledger.domain.sections import SECTIONS, Section
from isp_ledger.domain.stamp import ONE_MICROSECOND, Stamp
from isp_ledger.domain.state import GENESIS_HASH, Located, PlanState
from isp_ledger.domain.validation import (
    SHORT_TEXT,
    Checker,
    Choice,
    Date,
    DateWindow,
    Text,
    Urn,
    plan_dates,
    pupil_age_error,
)
from isp_ledger.domain.voids import is_void_request, prepare_void


class Plan(privacy.Privacy, grants.Sharing, PlanState, Aggregate):
    """One child's Individual Support Plan, with its whole history."""

    # The plan's events, named as the aggregate's own (the library's manner, and ``Plan.ProvisionAgreed`` in code).
    # ``Plan.Event`` is a type readers annotate with; an annotation in the class body would make the library turn
    # the aggregate into a dataclass, so only the type checker sees it as an alias.
    if TYPE_CHECKING:
        Event: TypeAlias = events.PlanEvent
    else:
        Event = events.PlanEvent
    PlanOpened = events.PlanOpened
    TierChanged = events.TierChanged
    PlanClosed = events.PlanClosed
    BarrierIdentified = events.BarrierIdentified
    BarrierAmended = events.BarrierAmended
    BarrierResolved = events.BarrierResolved
    ProvisionAgreed = events.ProvisionAgreed
    ProvisionAmended = events.ProvisionAmended
    ProvisionEnded = events.ProvisionEnded
    ProvisionPaused = events.ProvisionPaused
    ProvisionResumed = events.ProvisionResumed
    AdjustmentAgreed = events.AdjustmentAgreed
    AdjustmentAmended = events.AdjustmentAmended
    AdjustmentWithdrawn = events.AdjustmentWithdrawn
    OutcomeSet = events.OutcomeSet
    OutcomeAmended = events.OutcomeAmended
    OutcomeClosed = events.OutcomeClosed
    ProgressRecorded = events.ProgressRecorded
    ReviewHeld = events.ReviewHeld
    ContributionRecorded = events.ContributionRecorded
    AcknowledgementRecorded = events.AcknowledgementRecorded
    SessionRecorded = events.SessionRecorded
    CorrectionRecorded = events.CorrectionRecorded
    EntryVoided = events.EntryVoided
    AccessGranted, AccessRevoked = events.AccessGranted, events.AccessRevoked  # Sharing's commands (grants.py)
    PlanErased, LegalHoldSet, LegalHoldLifted = events.PRIVACY_EVENT_CLASSES  # Privacy's commands (privacy.py)

    def __init__(self) -> None:
        super().__init__()

    @property
    def plan_id(self) -> UUID:
        return self.id

    # ------------------------------------------------------------------ commands: the plan itself

    @classmethod
    def open(
        cls,
        by: Stamp,
        *,
        pupil: dict[str, Any],
        setting_urn: str,
        tier: str,
        ehcp_reference: str | None = None,
        next_review_due: dt.date | str | None = None,
        agreed_on: dt.date | str | None = None,
        plan_id: UUID | None = None,
    ) -> Plan:
        check = Checker()
        agreed = clean_agreed_on(check, by, agreed_on)
        pupil_checker = Checker("pupil.")
        cleaned_pupil = pupil_checker.clean_all(PUPIL_FIELDS, pupil)
        check.errors.extend(pupil_checker.errors)
        urn = check.clean("setting_urn", Urn(), setting_urn)
        tier_value = check.clean("tier", Choice(codes.TIERS), tier)
        reference = check.clean("ehcp_reference", Text(SHORT_TEXT, required=False), ehcp_reference)
        due = check.clean("next_review_due", Date(required=False), next_review_due)
        born = cleaned_pupil.get("date_of_birth")
        if born and born > by.today.isoformat():
            check.fail("pupil.date_of_birth", "must not be in the future")
        elif born and agreed and (age := pupil_age_error(born, agreed)) is not None:
            check.fail(age.field, age.message)
        if tier_value:
            check.errors.extend(rules.tier_errors(tier_value, reference))
        if agreed:
            if due is None:
                # A termly review unless told otherwise: the Code of Practice expects parents of children on
                # SEN support to be met three times a year.
                due = (dt.date.fromisoformat(agreed) + dt.timedelta(weeks=12)).isoformat()
            check.errors.extend(rules.review_due_errors(agreed, due))
        check.done()
        return cls._create(
            cls.PlanOpened,
            id=plan_id or uuid4(),
            timestamp=by.now,
            event_id=str(uuid4()),
            actor=by.actor.as_dict(),
            agreed_on=agreed,
            reason=None,
            pupil=cleaned_pupil,
            setting_urn=urn,
            tier=tier_value,
            ehcp_reference=reference,
            next_review_due=due,
        )

    def change_tier(
        self, by: Stamp, *, tier: str, ehcp_reference: str | None, reason: str, agreed_on: Any = None
    ) -> None:
        self.require_open()
        check = Checker()
        agreed = clean_agreed_on(check, by, agreed_on)
        tier_value = check.clean("tier", Choice(codes.TIERS), tier)
        reference = check.clean("ehcp_reference", Text(SHORT_TEXT, required=False), ehcp_reference)
        why = check.clean("reason", REASON, reason)
        if tier_value:
            check.errors.extend(rules.tier_errors(tier_value, reference))
        check.done()
        self.require_after_opening(agreed)
        rules.require_in_order("plan", self.latest_agreed("plan"), agreed, self.correction_hint)
        if tier_value == self.state["tier"] and reference == self.state["ehcp_reference"]:
            raise RuleViolation("no_change", f"The plan is already at the {tier_value} tier")
        if tier_value == "specialist":
            nsa = [b for b in self.barriers().values() if b["status"] == "active" and b["need_type"] == "NSA"]
            if nsa:
                raise RuleViolation(
                    "nsa_beside_ehcp",
                    "The plan has active barriers with need type NSA, which is valid only for SEN support; "
                    "amend their need type before moving the plan to the specialist tier",
                )
        self._trigger(self.TierChanged, by, agreed, why, tier=tier_value, ehcp_reference=reference)

    def close(self, by: Stamp, *, reason: str, agreed_on: Any = None) -> None:
        self.require_open()
        check = Checker()
        agreed = clean_agreed_on(check, by, agreed_on)
        why = check.clean("reason", REASON, reason)
        check.done()
        self.require_after_opening(agreed)
        rules.require_in_order("plan", self.latest_agreed("plan"), agreed, self.correction_hint)
        self._trigger(self.PlanClosed, by, agreed, why)

    # ------------------------------------------------------------------ commands: items in sections

    def add_item(
        self, by: Stamp, section_name: str, fields: dict[str, Any], *, agreed_on: Any = None,
        reason: str | None = None,
    ) -> str:
        self.require_open()
        section = SECTIONS[section_name]
        check = Checker(dates=self.dates(by))
        agreed = clean_agreed_on(check, by, agreed_on)
        why = check.clean("reason", OPTIONAL_REASON, reason)
        cleaned = check.clean_all(section.fields, fields)
        if not check.errors:
            state = {**cleaned, "added_on": agreed}
            check.errors.extend(rules.item_errors(section.name, state, self.state["tier"]))
            if section.links_barriers:
                check.errors.extend(rules.barrier_link_errors(cleaned["barrier_ids"], self.barriers(), agreed))
        check.done()
        self.require_after_opening(agreed)
        item_id = str(uuid4())
        event_class = getattr(self, section.added)
        self._trigger(event_class, by, agreed, why, item_id=item_id, **cleaned)
        return item_id

    def amend_item(
        self, by: Stamp, section_name: str, item_id: str, changes: dict[str, Any], *, agreed_on: Any = None,
        reason: str | None = None,
    ) -> None:
        section, current, check, agreed, why = self._item_change(
            by, section_name, item_id, agreed_on=agreed_on, reason=reason, reason_field=OPTIONAL_REASON)
        cleaned = check.clean_some(section.fields, changes)
        if not check.errors:
            cleaned = {k: v for k, v in cleaned.items() if v != current.get(k)}
            if not cleaned:
                check.fail("changes", f"nothing differs from the {section.noun} as it stands")
        if not check.errors:
            check.errors.extend(rules.item_errors(section.name, {**current, **cleaned}, self.state["tier"]))
            if "barrier_ids" in cleaned:
                check.errors.extend(rules.barrier_link_errors(cleaned["barrier_ids"], self.barriers(), agreed))
        check.done()
        rules.require_live(section, current)
        rules.require_in_order(section.noun, current["agreed_on"], agreed, self.correction_hint)
        self._trigger(getattr(self, section.amended), by, agreed, why, item_id=item_id, changes=cleaned)

    def end_item(
        self, by: Stamp, section_name: str, item_id: str, *, reason: str, outcome: str | None = None,
        agreed_on: Any = None,
    ) -> None:
        section, current, check, agreed, why = self._item_change(
            by, section_name, item_id, agreed_on=agreed_on, reason=reason, reason_field=REASON)
        extra: dict[str, Any] = {}
        if section.name == "outcomes":
            extra["outcome"] = check.clean("outcome", Choice(codes.OUTCOME_RESULTS), outcome)
        elif outcome is not None:
            check.fail("outcome", f"only outcomes take an outcome when closed, not a {section.noun}")
        check.done()
        rules.require_live(section, current)
        rules.require_in_order(section.noun, current["agreed_on"], agreed, self.correction_hint)
        self._trigger(getattr(self, section.ended), by, agreed, why, item_id=item_id, **extra)

    def pause_item(
        self, by: Stamp, section_name: str, item_id: str, *, reason: str, until: Any = None, agreed_on: Any = None,
    ) -> None:
        """Stop a provision for a while from ``agreed_on``, until it is resumed or through ``until``: it owes no
        sessions meanwhile and none can be recorded against it, but it stays the plan's provision."""
        section, current, check, agreed, why = self._item_change(
            by, section_name, item_id, agreed_on=agreed_on, reason=reason, reason_field=REASON)
        last_day = check.clean("until", Date(required=False), until)
        if last_day and last_day < agreed:
            check.fail("until", f"must not be before agreed_on ({agreed}), the first day of the pause")
        check.done()
        rules.require_pausable(section)
        rules.require_live(section, current)
        rules.require_in_order(section.noun, current["agreed_on"], agreed, self.correction_hint)
        if is_paused_on(current, agreed):
            until_text = f"until {current['paused_until']}" if current.get("paused_until") else "until resumed"
            raise RuleViolation(
                f"{section.noun}_already_paused",
                f"This {section.noun} was paused on {current['paused_on']} ({until_text}); only an active "
                f"{section.noun} can be paused. Resume it first, or correct the pause if its dates were wrong: "
                f"{self.correction_hint()}",
            )
        assert section.paused is not None
        self._trigger(getattr(self, section.paused), by, agreed, why, item_id=item_id, until=last_day)

    def resume_item(
        self, by: Stamp, section_name: str, item_id: str, *, reason: str | None = None, agreed_on: Any = None,
    ) -> None:
        """Restart a paused provision from ``agreed_on`` (also after a pause with an ``until`` date ran out, to
        record that it has restarted)."""
        section, current, check, agreed, why = self._item_change(
            by, section_name, item_id, agreed_on=agreed_on, reason=reason, reason_field=OPTIONAL_REASON)
        check.done()
        rules.require_pausable(section)
        rules.require_live(section, current)
        if current["status"] != "paused":
            raise RuleViolation(
                f"{section.noun}_not_paused",
                f"This {section.noun} is {current['status']}, not paused; only a paused {section.noun} can be "
                "resumed",
            )
        rules.require_in_order(section.noun, current["agreed_on"], agreed, self.correction_hint)
        assert section.resumed is not None
        self._trigger(getattr(self, section.resumed), by, agreed, why, item_id=item_id)

    # ------------------------------------------------------------------ commands: facts (rules in facts.py)

    def record_progress(self, by: Stamp, outcome_id: str, fields: dict[str, Any]) -> str:
        cleaned = facts.check_progress(self, by, outcome_id, fields)
        progress_id = str(uuid4())
        self._trigger(self.ProgressRecorded, by, cleaned["measured_on"], None, progress_id=progress_id,
                      outcome_id=outcome_id, **cleaned)
        return progress_id

    def hold_review(self, by: Stamp, fields: dict[str, Any]) -> str:
        cleaned = facts.check_review(self, by, fields)
        review_id = str(uuid4())
        self._trigger(self.ReviewHeld, by, cleaned["held_on"], None, review_id=review_id, **cleaned)
        return review_id

    def record_contribution(self, by: Stamp, fields: dict[str, Any], *, agreed_on: Any = None) -> str:
        agreed, cleaned = facts.check_contribution(self, by, fields, agreed_on)
        contribution_id = str(uuid4())
        self._trigger(self.ContributionRecorded, by, agreed, None, contribution_id=contribution_id, **cleaned)
        return contribution_id

    def record_acknowledgement(self, by: Stamp, fields: dict[str, Any], *, agreed_on: Any = None) -> str:
        agreed, cleaned = facts.check_acknowledgement(self, by, fields, agreed_on, self.version)
        acknowledgement_id = str(uuid4())
        self._trigger(self.AcknowledgementRecorded, by, agreed, None, acknowledgement_id=acknowledgement_id,
                      **cleaned)
        return acknowledgement_id

    def record_session(self, by: Stamp, provision_id: str, session: dict[str, Any], session_id: str, *,
                       calendar_of: Callable[[str], SchoolCalendar] = lambda urn: NOT_SET) -> None:
        """Record this pupil's part in a session of provision, delivered or missed (``session`` as for
        :func:`delivery.clean_session`; a group's entries share ``session_id``). ``calendar_of`` gives a setting's
        school calendar by its URN: a session is recorded only on a school day of the setting the plan was in."""
        self.require_open()
        cleaned = delivery.clean_session(session, by.today.isoformat())
        refusal = delivery.provision_refusal(self, provision_id, cleaned["date"])
        if refusal is None:
            in_force = fold_plan(self.records["plan"], cleaned["date"])
            setting_urn = in_force["setting_urn"] if in_force else self.setting_urn
            refusal = delivery.session_refusal(self, provision_id, cleaned, calendar_of(setting_urn))
        if refusal is not None:
            rule, detail = refusal
            if rule == "not_a_provision":
                raise InvalidInput.field("provision_id", detail)
            raise RuleViolation(rule, detail)
        self._trigger(self.SessionRecorded, by, cleaned["date"], None, session_id=session_id,
                      provision_id=provision_id, **cleaned)

    # ------------------------------------------------------------------ commands: corrections

    def correct(self, by: Stamp, *, event_id: str, reason: str, changes: dict[str, Any] | None = None,
                void: bool | None = None) -> None:
        """Correct some fields of an earlier entry (``changes``), or, with ``void`` true instead, strike it out as
        recorded in error (:meth:`void`)."""
        if is_void_request(changes, void):
            self.void(by, event_id=event_id, reason=reason)
            return
        assert changes is not None
        check = Checker()
        why = check.clean("reason", REASON, reason)
        check.done()
        target, cleaned, previous = prepare_correction(self, by, event_id, changes)
        self._trigger(
            self.CorrectionRecorded,
            by,
            by.today.isoformat(),
            why,
            corrected_event_id=event_id,
            corrected_version=target["version"],
            changes=cleaned,
            previous=previous,
        )

    def void(self, by: Stamp, *, event_id: str, reason: str) -> None:
        """Strike out an entry recorded in error (rules in ``voids.py``): it stays in the history, marked, and
        counts for nothing from now on."""
        check = Checker()
        why = check.clean("reason", REASON, reason)
        check.done()
        target = prepare_void(self, event_id)
        self._trigger(self.EntryVoided, by, by.today.isoformat(), why, voided_event_id=event_id,
                      voided_version=target["version"])

    # ------------------------------------------------------------------ helpers

    def dates(self, by: Stamp) -> DateWindow:
        """The dates this plan's entries may name (``validation.plan_dates``)."""
        return plan_dates(self.state["pupil"]["date_of_birth"], by.today)

    def _trigger(self, event_class: type[events.PlanEvent], by: Stamp, agreed_on: str, reason: str | None,
                 **data: Any) -> None:
        # recorded_at strictly increases along a plan, so "the record at an instant" is a prefix of its events.
        recorded_at = max(by.now, self.modified_on + ONE_MICROSECOND)
        self.trigger_event(
            event_class,
            timestamp=recorded_at,
            event_id=str(uuid4()),
            actor=by.actor.as_dict(),
            agreed_on=agreed_on,
            reason=reason,
            **data,
        )

    def _item_change(
        self, by: Stamp, section_name: str, item_id: str, *, agreed_on: Any, reason: str | None, reason_field: Text,
    ) -> tuple[Section, dict[str, Any], Checker, str, str | None]:
        """What every change to an existing item starts with: the plan open, the item there, and ``agreed_on``
        and ``reason`` checked. Returns the section, the item as it stands, the checker (for the command's own
        fields), the date agreed and the reason."""
        self.require_open()
        section = self.require_item(section_name, item_id)
        check = Checker(dates=self.dates(by))
        agreed = clean_agreed_on(check, by, agreed_on)
        why = check.clean("reason", reason_field, reason)
        return section, self.items[item_id], check, agreed, why


__all__ = ["GENESIS_HASH", "InvalidInput", "Located", "Plan"]
