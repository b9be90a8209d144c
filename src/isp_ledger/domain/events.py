"""The events of a plan: every change to it is one of these, in the past tense, with its who, when and why.

Each event carries the library's three (``originator_id``, ``originator_version``, ``timestamp``, the instant it
was recorded) and the ledger's envelope (``event_id``, ``actor``, ``agreed_on``, ``reason``); the rest is its own
data. The aggregate (``plan.py``) names each class as its own (``Plan.ProvisionAgreed``), as the library expects of
an aggregate's events; the stored form names an event by its type alone (``"ProvisionAgreed"``, see
``storage/mapper.py``), so stored history does not depend on where these classes live.

Never change what a stored event means: give the class a new ``class_version`` with a static
``upcast_vN_vN+1(data)`` that turns the data of version N (the envelope's ``data``, in place) into that of N+1, in
the library's manner, and test it on the stored fixture (``tests/fixtures``). Storage records the class version
of each new event whose class is past version 1 and upcasts older events as it reads them (``storage/mapper.py``),
so events stored before keep their exact bytes and hashes. A field added this way is ``None`` on every event
stored before it existed, and is stored only when it is given (``added_fields``).
"""

from __future__ import annotations

import dataclasses
from functools import cache
from typing import Any

from eventsourcing.domain import Aggregate

from isp_ledger.domain.stamp import format_instant
from isp_ledger.domain.state import PlanState

# Fields every event carries besides its own data (the library's three, plus who, when agreed, and why).
ENVELOPE_FIELDS = frozenset(
    {"originator_id", "originator_version", "timestamp", "originator_topic", "event_id", "actor", "agreed_on",
     "reason"}
)


@cache
def data_fields(event_class: type) -> tuple[str, ...]:
    """The names of an event class's own data fields (everything but the envelope)."""
    return tuple(f.name for f in dataclasses.fields(event_class) if f.name not in ENVELOPE_FIELDS)


@cache
def added_fields(event_class: type) -> frozenset[str]:
    """The fields a later class version added, with ``None`` as their default: stored only when given, so that
    an event that does not use them is stored exactly as before they existed."""
    return frozenset(f.name for f in dataclasses.fields(event_class)
                     if f.name not in ENVELOPE_FIELDS and f.default is None)


class PlanEvent(Aggregate.Event):
    """Any event of a plan (``Plan.Event``)."""

    event_id: str
    actor: dict[str, str]
    agreed_on: str
    reason: str | None

    def data(self) -> dict[str, Any]:
        added = added_fields(type(self))
        return {name: value for name in data_fields(type(self))
                if (value := getattr(self, name)) is not None or name not in added}

    @property
    def recorded_at(self) -> str:
        """``timestamp`` in the one textual form the ledger records and hashes (as stored, for an event
        read back from storage)."""
        stored: str | None = self.__dict__.get("stored_recorded_at")
        return stored if stored is not None else format_instant(self.timestamp)

    def apply(self, aggregate: Any) -> None:
        plan: PlanState = aggregate
        plan.note(self)


class PlanOpened(PlanEvent, Aggregate.Created):
    pupil: dict[str, str]
    setting_urn: str
    tier: str
    ehcp_reference: str | None
    next_review_due: str


class TierChanged(PlanEvent):
    tier: str
    ehcp_reference: str | None


class PlanClosed(PlanEvent):
    pass


class BarrierIdentified(PlanEvent):
    item_id: str
    description: str
    area_of_need: str
    need_type: str
    evidence: str


class BarrierAmended(PlanEvent):
    item_id: str
    changes: dict[str, Any]


class BarrierResolved(PlanEvent):
    item_id: str


class ProvisionAgreed(PlanEvent):
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


class ProvisionAmended(PlanEvent):
    item_id: str
    changes: dict[str, Any]


class ProvisionEnded(PlanEvent):
    item_id: str


class ProvisionPaused(PlanEvent):
    """A provision stopped for a while without being ended (``until``: the last day of the pause, if set)."""

    item_id: str
    until: str | None


class ProvisionResumed(PlanEvent):
    item_id: str


class AdjustmentAgreed(PlanEvent):
    item_id: str
    description: str
    category: str
    barrier_ids: list[str]


class AdjustmentAmended(PlanEvent):
    item_id: str
    changes: dict[str, Any]


class AdjustmentWithdrawn(PlanEvent):
    item_id: str


class OutcomeSet(PlanEvent):
    item_id: str
    description: str
    success_criteria: str | None
    barrier_ids: list[str]
    target_date: str
    baseline: str | None
    target: str | None


class OutcomeAmended(PlanEvent):
    item_id: str
    changes: dict[str, Any]


class OutcomeClosed(PlanEvent):
    item_id: str
    outcome: str


class ProgressRecorded(PlanEvent):
    progress_id: str
    outcome_id: str
    measured_on: str
    value: float | None
    note: str
    source: str


class ReviewHeld(PlanEvent):
    review_id: str
    held_on: str
    attendees: list[dict[str, str]]
    parent_views: str
    pupil_views: str
    summary: str
    next_review_due: str


class ContributionRecorded(PlanEvent):
    contribution_id: str
    kind: str
    profession: str | None
    text: str


class AcknowledgementRecorded(PlanEvent):
    """A parent's response to a version of the plan. Version 2: ``given_by`` (the parent's name) and ``method``
    (how it was given) when staff record it on a parent's behalf; ``None`` otherwise."""

    acknowledgement_id: str
    plan_version: int
    response: str
    comment: str | None
    given_by: str | None = None
    method: str | None = None

    class_version = 2

    @staticmethod
    def upcast_v1_v2(data: dict[str, Any]) -> None:
        data["given_by"] = None
        data["method"] = None


class SessionRecorded(PlanEvent):
    """One pupil's part in a session of provision; a group's entries share the ``session_id``. Version 2:
    ``starts_at`` ("HH:MM", London time) when the session's time of day was given; ``None`` otherwise."""

    session_id: str
    provision_id: str
    date: str
    status: str
    minutes: int | None
    missed_reason: str | None
    delivered_by: str | None
    note: str | None
    starts_at: str | None = None

    class_version = 2

    @staticmethod
    def upcast_v1_v2(data: dict[str, Any]) -> None:
        data["starts_at"] = None


class CorrectionRecorded(PlanEvent):
    corrected_event_id: str
    corrected_version: int
    changes: dict[str, Any]
    previous: dict[str, Any]


class EntryVoided(PlanEvent):
    """An earlier entry struck out as recorded in error (CONTRACT.md §5): it stays in the history, marked, and
    counts for nothing from then on. The envelope's ``reason`` says why; ``agreed_on`` is the day it was said."""

    voided_event_id: str
    voided_version: int


EVENT_CLASSES: tuple[type[PlanEvent], ...] = (
    PlanOpened, TierChanged, PlanClosed,
    BarrierIdentified, BarrierAmended, BarrierResolved,
    ProvisionAgreed, ProvisionAmended, ProvisionEnded, ProvisionPaused, ProvisionResumed,
    AdjustmentAgreed, AdjustmentAmended, AdjustmentWithdrawn,
    OutcomeSet, OutcomeAmended, OutcomeClosed,
    ProgressRecorded, ReviewHeld, ContributionRecorded, AcknowledgementRecorded, SessionRecorded, CorrectionRecorded,
    EntryVoided,
)


# ------------------------------------------------------------------ access to the plan (CONTRACT.md §10)
# New types, so no class_version: a grant and its revocation are entries in the plan's history like any other, so a
# panel can see who could see the plan when.


class AccessGranted(PlanEvent):
    """Someone the plan is shared with given access: a parent, a professional or a complaint handler. ``name`` is
    the grantee's as it was when access was given (the history keeps it whatever becomes of the account);
    ``expires_on``: the last day (Europe/London) of access, if it ends."""

    grant_id: str
    user_id: str
    name: str
    relationship: str
    expires_on: str | None


class AccessRevoked(PlanEvent):
    """A grant of access ended before its time (why, if given, in the envelope's ``reason``)."""

    grant_id: str


ACCESS_EVENT_CLASSES: tuple[type[PlanEvent], ...] = (AccessGranted, AccessRevoked)
EVENT_CLASSES = (*EVENT_CLASSES, *ACCESS_EVENT_CLASSES)


# ------------------------------------------------------------------ privacy (CONTRACT.md §11)
# New types, so no class_version. None carries personal data: an erasure's reason is kept readable outside the
# pupil's key (``personal.CLEAR_REASONS``), so it must name no one; a legal hold's reason is sealed like any other.


class PlanErased(PlanEvent):
    """The pupil's personal data erased: their data key destroyed in the same transaction, so every personal value
    of the plan, in every event, snapshot and read model, reads ``null`` from then on. The envelope says who, when
    and why (the reason stays readable, outside the pupil's key)."""


class LegalHoldSet(PlanEvent):
    """A legal hold set on the plan: it is not erased, by retention or by anyone, until the hold is lifted."""


class LegalHoldLifted(PlanEvent):
    """The plan's legal hold lifted: retention applies to it again."""


PRIVACY_EVENT_CLASSES: tuple[type[PlanEvent], ...] = (PlanErased, LegalHoldSet, LegalHoldLifted)
EVENT_CLASSES = (*EVENT_CLASSES, *PRIVACY_EVENT_CLASSES)
