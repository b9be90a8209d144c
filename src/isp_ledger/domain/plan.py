"""The Individual Support Plan as an event-sourced aggregate.

Every change is its own past-tense event carrying its actor, ``agreed_on`` and reason; the server's instant
is the event's ``timestamp`` (``recorded_at``). Commands check every rule first and only then trigger events,
so a refused command leaves the plan untouched. Event-applying code uses nothing but the event.

State is kept as change records (see ``records.py``), so the same plan answers "what is in force now", "what
was in force on a date" and, replayed to an earlier version, "what did the record say at an instant".
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from functools import cache
from typing import Any, NamedTuple
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from isp_ledger.domain import codes, delivery, records, rules
from isp_ledger.domain.corrections import prepare_correction
from isp_ledger.domain.errors import FieldError, InvalidInput, NotFound, RuleViolation
from isp_ledger.domain.fields import (
    ACKNOWLEDGEMENT_FIELDS,
    CONTRIBUTION_FIELDS,
    OPTIONAL_REASON,
    PROGRESS_FIELDS,
    PUPIL_FIELDS,
    REASON,
    REVIEW_FIELDS,
)
from isp_ledger.domain.records import FACT_KINDS, Record, is_paused_on
from isp_ledger.domain.sections import LIVE_STATUSES, SECTION_OF_EVENT, SECTIONS, Section
from isp_ledger.domain.stamp import ONE_MICROSECOND, Stamp, format_instant
from isp_ledger.domain.validation import SHORT_TEXT, Checker, Choice, Date, Text, Urn, parse_date

GENESIS_HASH = "0" * 64

# Fields every event carries besides its own data (the library's three, plus who, when agreed, and why).
ENVELOPE_FIELDS = frozenset(
    {"originator_id", "originator_version", "timestamp", "originator_topic", "event_id", "actor", "agreed_on",
     "reason"}
)
FACT_ID_FIELD = {
    "ReviewHeld": "review_id",
    "ContributionRecorded": "contribution_id",
    "AcknowledgementRecorded": "acknowledgement_id",
    "ProgressRecorded": "progress_id",
}


@cache
def data_fields(event_class: type) -> tuple[str, ...]:
    """The names of an event class's own data fields (everything but the envelope)."""
    return tuple(f.name for f in dataclasses.fields(event_class) if f.name not in ENVELOPE_FIELDS)


class Plan(Aggregate):
    """One child's Individual Support Plan, with its whole history."""

    class Event(Aggregate.Event):
        event_id: str
        actor: dict[str, str]
        agreed_on: str
        reason: str | None

        def data(self) -> dict[str, Any]:
            return {name: getattr(self, name) for name in data_fields(type(self))}

        @property
        def recorded_at(self) -> str:
            """``timestamp`` in the one textual form the ledger records and hashes (as stored, for an event
            read back from storage)."""
            stored: str | None = self.__dict__.get("stored_recorded_at")
            return stored if stored is not None else format_instant(self.timestamp)

        def apply(self, aggregate: Any) -> None:
            plan: Plan = aggregate
            plan._note(self)

    class PlanOpened(Event, Aggregate.Created):
        pupil: dict[str, str]
        setting_urn: str
        tier: str
        ehcp_reference: str | None
        next_review_due: str

    class TierChanged(Event):
        tier: str
        ehcp_reference: str | None

    class PlanClosed(Event):
        pass

    class BarrierIdentified(Event):
        item_id: str
        description: str
        area_of_need: str
        need_type: str
        evidence: str

    class BarrierAmended(Event):
        item_id: str
        changes: dict[str, Any]

    class BarrierResolved(Event):
        item_id: str

    class ProvisionAgreed(Event):
        item_id: str
        description: str
        barrier_ids: list[str]
        delivered_by: str
        group_size: int
        sessions_per_week: float
        minutes_per_session: int
        location: str
        starts_on: str
        ends_on: str | None
        evidence_basis: str | None

    class ProvisionAmended(Event):
        item_id: str
        changes: dict[str, Any]

    class ProvisionEnded(Event):
        item_id: str

    class ProvisionPaused(Event):
        """A provision stopped for a while without being ended (``until``: the last day of the pause, if set)."""

        item_id: str
        until: str | None

    class ProvisionResumed(Event):
        item_id: str

    class AdjustmentAgreed(Event):
        item_id: str
        description: str
        category: str
        barrier_ids: list[str]

    class AdjustmentAmended(Event):
        item_id: str
        changes: dict[str, Any]

    class AdjustmentWithdrawn(Event):
        item_id: str

    class OutcomeSet(Event):
        item_id: str
        description: str
        success_criteria: str | None
        barrier_ids: list[str]
        target_date: str
        baseline: str | None
        target: str | None

    class OutcomeAmended(Event):
        item_id: str
        changes: dict[str, Any]

    class OutcomeClosed(Event):
        item_id: str
        outcome: str

    class ProgressRecorded(Event):
        progress_id: str
        outcome_id: str
        measured_on: str
        value: float | None
        note: str
        source: str

    class ReviewHeld(Event):
        review_id: str
        held_on: str
        attendees: list[dict[str, str]]
        parent_views: str
        pupil_views: str
        summary: str
        next_review_due: str

    class ContributionRecorded(Event):
        contribution_id: str
        kind: str
        profession: str | None
        text: str

    class AcknowledgementRecorded(Event):
        acknowledgement_id: str
        plan_version: int
        response: str
        comment: str | None

    class SessionRecorded(Event):
        """One pupil's part in a session of provision; a group's entries share the ``session_id``."""

        session_id: str
        provision_id: str
        date: str
        status: str
        minutes: int | None
        missed_reason: str | None
        delivered_by: str | None
        note: str | None

    class CorrectionRecorded(Event):
        corrected_event_id: str
        corrected_version: int
        changes: dict[str, Any]
        previous: dict[str, Any]

    def __init__(self) -> None:
        self.records: dict[str, list[Record]] = {"plan": []}
        self.section_items: dict[str, list[str]] = {name: [] for name in SECTIONS}
        self.item_section: dict[str, str] = {}
        # Sessions of provision are kept beside the facts, so that corrections find them, but are not part of
        # the plan document (FACT_KINDS lists the document's facts): a delivery report shows them.
        self.facts: dict[str, list[Record]] = {kind: [] for kind in (*FACT_KINDS.values(), delivery.SESSIONS)}
        self.items: dict[str, dict[str, Any]] = {}  # item_id -> current state
        self.state: dict[str, Any] = {}  # plan-level current state
        # The hash of the latest stored event. Storage computes it (the chain covers the stored form) and
        # keeps it here, so that the next event can name its predecessor without reading it back.
        self.head_hash = GENESIS_HASH
        self.snapshot_version = 0  # the version of the latest snapshot, also kept by storage

    def frozen_state(self) -> dict[str, Any]:
        """A copy of the plan's state that later events will not change, made without copying records.

        Events only ever append to the lists and replace entries in the dicts below; the records and item
        states themselves are never changed in place (a correction replaces a record). So copying the
        containers, not their contents, is enough.
        """
        state = dict(vars(self))
        state.pop("_pending_events", None)
        for name in ("records", "facts", "section_items"):
            state[name] = {key: list(values) for key, values in state[name].items()}
        state["items"] = dict(self.items)
        state["item_section"] = dict(self.item_section)
        return state

    # ------------------------------------------------------------------ reading

    @property
    def plan_id(self) -> UUID:
        return self.id

    @property
    def is_open(self) -> bool:
        return bool(self.state["status"] == "open")

    @property
    def setting_urn(self) -> str:
        return str(self.state["setting_urn"])

    @property
    def upn(self) -> str:
        return str(self.state["pupil"]["upn"])

    def section_of(self, item_id: str) -> Section | None:
        name = self.item_section.get(item_id)
        return SECTIONS[name] if name else None

    def locate(self, event_id: str) -> Located | None:
        """Where the record of an event is kept (a scan: only corrections need it, and they are rare)."""
        for key, recs in self.records.items():
            for index, record in enumerate(recs):
                if record["event_id"] == event_id:
                    return Located(key, recs, index)
        for kind, recs in self.facts.items():
            for index, record in enumerate(recs):
                if record["event_id"] == event_id:
                    return Located(f"{kind}:{index}", recs, index)
        return None

    def is_correction(self, event_id: str) -> bool:
        every = [*self.records.values(), *self.facts.values()]
        return any(note["event_id"] == event_id for recs in every for r in recs for note in r["corrections"])

    def barriers(self) -> dict[str, dict[str, Any]]:
        return {i: self.items[i] for i in self.section_items["barriers"]}

    # ------------------------------------------------------------------ applying events

    def _note(self, event: Plan.Event) -> None:
        """Keep the event's change record where it belongs and refresh what it changed."""
        event_type = type(event).__name__
        data = event.data()
        if event_type == "CorrectionRecorded":
            self._correct(event, data)
        elif event_type in FACT_KINDS:
            self.facts[FACT_KINDS[event_type]].append(self._make_record(event, event_type, data))
        elif event_type == delivery.SESSION_EVENT:
            # setdefault: a snapshot taken before sessions existed has no list for them
            self.facts.setdefault(delivery.SESSIONS, []).append(self._make_record(event, event_type, data))
        elif event_type in SECTION_OF_EVENT:
            key = data.pop("item_id")
            section = SECTION_OF_EVENT[event_type]
            if event_type == section.added:
                self.records[key] = []
                self.section_items[section.name].append(key)
                self.item_section[key] = section.name
            self.records[key].append(self._make_record(event, event_type, data))
            self._refresh(key)
        else:
            self.records["plan"].append(self._make_record(event, event_type, data))
            self._refresh("plan")
        # Replayed events carry the hash storage computed for them; newly triggered ones get theirs on save.
        stored_hash = event.__dict__.get("stored_hash")
        if stored_hash is not None:
            self.head_hash = stored_hash

    @staticmethod
    def _make_record(event: Plan.Event, event_type: str, data: dict[str, Any]) -> Record:
        return records.make_record(
            event_type=event_type,
            version=event.originator_version,
            event_id=event.event_id,
            agreed_on=event.agreed_on,
            recorded_at=event.recorded_at,
            reason=event.reason,
            actor=event.actor,
            data=data,
        )

    def _correct(self, event: Plan.Event, data: dict[str, Any]) -> None:
        located = self.locate(data["corrected_event_id"])
        assert located is not None, "a correction names an event of this plan"
        note = {
            "version": event.originator_version,
            "event_id": event.event_id,
            "recorded_at": event.recorded_at,
            "actor": event.actor,
            "reason": event.reason,
            "changes": data["changes"],
            "previous": data["previous"],
        }
        record = located.record
        patched = records.patch(record, data["changes"])
        patched["corrections"] = [*record["corrections"], note]
        located.records[located.index] = patched
        if not located.is_fact:
            self._refresh(located.key)

    def _refresh(self, key: str) -> None:
        if key == "plan":
            self.state = records.fold_plan(self.records["plan"]) or {}
        else:
            item = records.fold_item(key, self.records[key])
            assert item is not None
            self.items[key] = item

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
        agreed = _agreed_on(check, by, agreed_on)
        pupil_checker = Checker("pupil.")
        cleaned_pupil = pupil_checker.clean_all(PUPIL_FIELDS, pupil)
        check.errors.extend(pupil_checker.errors)
        urn = check.clean("setting_urn", Urn(), setting_urn)
        tier_value = check.clean("tier", Choice(codes.TIERS), tier)
        reference = check.clean("ehcp_reference", Text(SHORT_TEXT, required=False), ehcp_reference)
        due = check.clean("next_review_due", Date(required=False), next_review_due)
        if cleaned_pupil.get("date_of_birth") and agreed and cleaned_pupil["date_of_birth"] > by.today.isoformat():
            check.fail("pupil.date_of_birth", "must not be in the future")
        if tier_value:
            check.errors.extend(rules.tier_errors(tier_value, reference))
        if agreed:
            if due is None:
                # A termly review unless told otherwise: the Code of Practice expects parents of children on
                # SEN support to be met three times a year.
                due = records_add_weeks(agreed, 12)
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
        self._require_open()
        check = Checker()
        agreed = _agreed_on(check, by, agreed_on)
        tier_value = check.clean("tier", Choice(codes.TIERS), tier)
        reference = check.clean("ehcp_reference", Text(SHORT_TEXT, required=False), ehcp_reference)
        why = check.clean("reason", REASON, reason)
        if tier_value:
            check.errors.extend(rules.tier_errors(tier_value, reference))
        check.done()
        self._require_after_opening(agreed)
        rules.require_in_order("plan", self._latest_agreed("plan"), agreed, self._correction_hint)
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
        self._require_open()
        check = Checker()
        agreed = _agreed_on(check, by, agreed_on)
        why = check.clean("reason", REASON, reason)
        check.done()
        self._require_after_opening(agreed)
        rules.require_in_order("plan", self._latest_agreed("plan"), agreed, self._correction_hint)
        self._trigger(self.PlanClosed, by, agreed, why)

    # ------------------------------------------------------------------ commands: items in sections

    def add_item(
        self, by: Stamp, section_name: str, fields: dict[str, Any], *, agreed_on: Any = None,
        reason: str | None = None,
    ) -> str:
        self._require_open()
        section = SECTIONS[section_name]
        check = Checker()
        agreed = _agreed_on(check, by, agreed_on)
        why = check.clean("reason", OPTIONAL_REASON, reason)
        cleaned = check.clean_all(section.fields, fields)
        if not check.errors:
            state = {**cleaned, "added_on": agreed}
            check.errors.extend(rules.item_errors(section.name, state, self.state["tier"]))
            if section.links_barriers:
                check.errors.extend(rules.barrier_link_errors(cleaned["barrier_ids"], self.barriers(), agreed))
        check.done()
        self._require_after_opening(agreed)
        item_id = str(uuid4())
        event_class = getattr(self, section.added)
        self._trigger(event_class, by, agreed, why, item_id=item_id, **cleaned)
        return item_id

    def amend_item(
        self, by: Stamp, section_name: str, item_id: str, changes: dict[str, Any], *, agreed_on: Any = None,
        reason: str | None = None,
    ) -> None:
        section, current, check, agreed, why = self._item_change(by, section_name, item_id, agreed_on, reason,
                                                                 OPTIONAL_REASON)
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
        self._require_active(section, current)
        rules.require_in_order(section.noun, current["agreed_on"], agreed, self._correction_hint)
        self._trigger(getattr(self, section.amended), by, agreed, why, item_id=item_id, changes=cleaned)

    def end_item(
        self, by: Stamp, section_name: str, item_id: str, *, reason: str, outcome: str | None = None,
        agreed_on: Any = None,
    ) -> None:
        section, current, check, agreed, why = self._item_change(by, section_name, item_id, agreed_on, reason,
                                                                 REASON)
        extra: dict[str, Any] = {}
        if section.name == "outcomes":
            extra["outcome"] = check.clean("outcome", Choice(codes.OUTCOME_RESULTS), outcome)
        elif outcome is not None:
            check.fail("outcome", f"only outcomes take an outcome when closed, not a {section.noun}")
        check.done()
        self._require_active(section, current)
        rules.require_in_order(section.noun, current["agreed_on"], agreed, self._correction_hint)
        self._trigger(getattr(self, section.ended), by, agreed, why, item_id=item_id, **extra)

    def pause_item(
        self, by: Stamp, section_name: str, item_id: str, *, reason: str, until: Any = None, agreed_on: Any = None,
    ) -> None:
        """Stop a provision for a while from ``agreed_on``, until it is resumed or through ``until``: it owes no
        sessions meanwhile and none can be recorded against it, but it stays the plan's provision."""
        section, current, check, agreed, why = self._item_change(by, section_name, item_id, agreed_on, reason,
                                                                 REASON)
        last_day = check.clean("until", Date(required=False), until)
        if last_day and last_day < agreed:
            check.fail("until", f"must not be before agreed_on ({agreed}), the first day of the pause")
        check.done()
        self._require_pausable(section)
        self._require_active(section, current)
        rules.require_in_order(section.noun, current["agreed_on"], agreed, self._correction_hint)
        if is_paused_on(current, agreed):
            until_text = f"until {current['paused_until']}" if current.get("paused_until") else "until resumed"
            raise RuleViolation(
                f"{section.noun}_already_paused",
                f"This {section.noun} was paused on {current['paused_on']} ({until_text}); only an active "
                f"{section.noun} can be paused. Resume it first, or correct the pause if its dates were wrong: "
                f"{self._correction_hint()}",
            )
        assert section.paused is not None
        self._trigger(getattr(self, section.paused), by, agreed, why, item_id=item_id, until=last_day)

    def resume_item(
        self, by: Stamp, section_name: str, item_id: str, *, reason: str | None = None, agreed_on: Any = None,
    ) -> None:
        """Restart a paused provision from ``agreed_on`` (also after a pause with an ``until`` date ran out, to
        record that it has restarted)."""
        section, current, check, agreed, why = self._item_change(by, section_name, item_id, agreed_on, reason,
                                                                 OPTIONAL_REASON)
        check.done()
        self._require_pausable(section)
        self._require_active(section, current)
        if current["status"] != "paused":
            raise RuleViolation(
                f"{section.noun}_not_paused",
                f"This {section.noun} is {current['status']}, not paused; only a paused {section.noun} can be "
                "resumed",
            )
        rules.require_in_order(section.noun, current["agreed_on"], agreed, self._correction_hint)
        assert section.resumed is not None
        self._trigger(getattr(self, section.resumed), by, agreed, why, item_id=item_id)

    # ------------------------------------------------------------------ commands: facts

    def record_progress(self, by: Stamp, outcome_id: str, fields: dict[str, Any]) -> str:
        self._require_open()
        self._require_item("outcomes", outcome_id)
        outcome = self.items[outcome_id]
        check = Checker()
        cleaned = check.clean_all(PROGRESS_FIELDS, fields)
        measured = cleaned["measured_on"]
        if measured and measured > by.today.isoformat():
            check.fail("measured_on", f"must not be after today ({by.today.isoformat()})")
        check.done()
        self._require_active(SECTIONS["outcomes"], outcome)
        if measured < outcome["added_on"]:
            raise RuleViolation(
                "before_outcome_set",
                f"This outcome was set on {outcome['added_on']}; progress measured on {measured} predates it "
                "(record a starting point as the outcome's baseline instead)",
            )
        progress_id = str(uuid4())
        self._trigger(
            self.ProgressRecorded, by, measured, None, progress_id=progress_id, outcome_id=outcome_id, **cleaned
        )
        return progress_id

    def hold_review(self, by: Stamp, fields: dict[str, Any]) -> str:
        self._require_open()
        check = Checker()
        cleaned = check.clean_all(REVIEW_FIELDS, fields)
        held = cleaned["held_on"]
        if held and held > by.today.isoformat():
            check.fail("held_on", f"must not be after today ({by.today.isoformat()}); record a review once held")
        if held and cleaned["next_review_due"]:
            check.errors.extend(rules.review_due_errors(held, cleaned["next_review_due"]))
        check.done()
        self._require_after_opening(held)
        review_id = str(uuid4())
        self._trigger(self.ReviewHeld, by, held, None, review_id=review_id, **cleaned)
        return review_id

    def record_contribution(self, by: Stamp, fields: dict[str, Any], *, agreed_on: Any = None) -> str:
        self._require_open()
        check = Checker()
        agreed = _agreed_on(check, by, agreed_on)
        cleaned = check.clean_all(CONTRIBUTION_FIELDS, fields)
        check.errors.extend(_contribution_errors(cleaned))
        check.done()
        self._require_after_opening(agreed)
        contribution_id = str(uuid4())
        self._trigger(self.ContributionRecorded, by, agreed, None, contribution_id=contribution_id, **cleaned)
        return contribution_id

    def record_acknowledgement(self, by: Stamp, fields: dict[str, Any], *, agreed_on: Any = None) -> str:
        self._require_open()
        check = Checker()
        agreed = _agreed_on(check, by, agreed_on)
        cleaned = check.clean_all(ACKNOWLEDGEMENT_FIELDS, fields)
        plan_version = cleaned.pop("version")
        if plan_version and plan_version > self.version:
            check.fail("version", f"the plan has no version {plan_version} (it is at version {self.version})")
        check.done()
        self._require_after_opening(agreed)
        acknowledgement_id = str(uuid4())
        self._trigger(
            self.AcknowledgementRecorded,
            by,
            agreed,
            None,
            acknowledgement_id=acknowledgement_id,
            plan_version=plan_version,
            **cleaned,
        )
        return acknowledgement_id

    def record_session(self, by: Stamp, provision_id: str, session: dict[str, Any], session_id: str) -> None:
        """Record this pupil's part in a session of provision, delivered or missed (``session`` as for
        :func:`delivery.clean_session`; a group's entries share ``session_id``)."""
        self._require_open()
        cleaned = delivery.clean_session(session, by.today.isoformat())
        refusal = delivery.provision_refusal(self, provision_id, cleaned["date"])
        if refusal is not None:
            rule, detail = refusal
            if rule == "not_a_provision":
                raise InvalidInput.field("provision_id", detail)
            raise RuleViolation(rule, detail)
        self._trigger(self.SessionRecorded, by, cleaned["date"], None, session_id=session_id,
                      provision_id=provision_id, **cleaned)

    # ------------------------------------------------------------------ commands: corrections

    def correct(self, by: Stamp, *, event_id: str, reason: str, changes: dict[str, Any]) -> None:
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

    # ------------------------------------------------------------------ helpers

    def _trigger(self, event_class: type[Plan.Event], by: Stamp, agreed_on: str, reason: str | None,
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

    def _require_open(self) -> None:
        if not self.is_open:
            raise RuleViolation("plan_closed", "This plan is closed; open a new plan for the pupil instead")

    def _item_change(
        self, by: Stamp, section_name: str, item_id: str, agreed_on: Any, reason: str | None, reason_field: Text,
    ) -> tuple[Section, dict[str, Any], Checker, str, str | None]:
        """What every change to an existing item starts with: the plan open, the item there, and ``agreed_on``
        and ``reason`` checked. Returns the section, the item as it stands, the checker (for the command's own
        fields), the date agreed and the reason."""
        self._require_open()
        section = self._require_item(section_name, item_id)
        check = Checker()
        agreed = _agreed_on(check, by, agreed_on)
        why = check.clean("reason", reason_field, reason)
        return section, self.items[item_id], check, agreed, why

    def _require_item(self, section_name: str, item_id: str) -> Section:
        section = SECTIONS[section_name]
        if self.item_section.get(item_id) != section_name:
            raise NotFound(f"This plan has no {section.noun} {item_id}")
        return section

    @staticmethod
    def _require_pausable(section: Section) -> None:
        if section.paused is None:
            raise RuleViolation(f"{section.noun}_cannot_pause",
                                f"Only a provision can be paused; end this {section.noun} instead")

    @staticmethod
    def _require_active(section: Section, item: dict[str, Any]) -> None:
        """The item is still part of the plan: active, or paused (a paused provision may be amended or ended)."""
        if item["status"] not in LIVE_STATUSES:
            raise RuleViolation(
                f"{section.noun}_not_active",
                f"This {section.noun} is {item['status']} (since {item['ended_on']}); it can no longer change",
            )

    def _require_after_opening(self, agreed_on: str) -> None:
        opened = self.state["opened_on"]
        if agreed_on < opened:
            raise RuleViolation(
                "before_plan_opened",
                f"This plan was opened on {opened}; an entry agreed on {agreed_on} would predate it. If the "
                f"plan's opening date was recorded wrongly, correct it first: {self._correction_hint()}",
            )

    def _latest_agreed(self, key: str) -> str | None:
        recs = self.records[key]
        return str(recs[-1]["agreed_on"]) if recs else None

    def _correction_hint(self) -> str:
        return f"POST /v1/plans/{self.id}/corrections with the event_id of the entry to correct"


class Located(NamedTuple):
    """Where an event's record is kept: under ``key`` (``"plan"``, an item id, or ``"reviews:3"``)."""

    key: str
    records: list[Record]
    index: int

    @property
    def record(self) -> Record:
        return self.records[self.index]

    @property
    def is_fact(self) -> bool:
        return ":" in self.key


def _agreed_on(check: Checker, by: Stamp, value: Any) -> str:
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


def _contribution_errors(cleaned: dict[str, Any]) -> list[FieldError]:
    if cleaned.get("kind") == "professional_advice" and not cleaned.get("profession"):
        return [FieldError("profession", "is required for professional advice (e.g. speech and language therapist)")]
    return []


def records_add_weeks(day: str, weeks: int) -> str:
    return (dt.date.fromisoformat(day) + dt.timedelta(weeks=weeks)).isoformat()


__all__ = ["GENESIS_HASH", "InvalidInput", "Plan"]
