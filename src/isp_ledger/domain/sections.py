"""The four sections of a plan that hold items with a life of their own: barriers, provisions, adjustments and
outcomes. Each item is added, amended and ended by its own events; this module says which, and what fields it has.
A provision may also be paused and resumed (an exam fortnight, a TA's leave) without ending it.
"""

from __future__ import annotations

from dataclasses import dataclass

from isp_ledger.domain import codes
from isp_ledger.domain.validation import (
    LONG_TEXT,
    MEDIUM_TEXT,
    SHORT_TEXT,
    Choice,
    Date,
    Field,
    IdList,
    Integer,
    PositiveNumber,
    Text,
)


@dataclass(frozen=True)
class Section:
    name: str  # as in the URL: barriers, provisions, adjustments, outcomes
    noun: str  # one item, in plain English
    added: str  # event types
    amended: str
    ended: str
    ended_status: str  # the item's status once ended ("" when the end request chooses it, as for outcomes)
    added_verb: str  # for summaries: "Barrier identified"
    ended_verb: str
    fields: dict[str, Field]
    paused: str | None = None  # event types, for the sections whose items can be paused (provisions)
    resumed: str | None = None

    @property
    def links_barriers(self) -> bool:
        return "barrier_ids" in self.fields


BARRIERS = Section(
    name="barriers",
    noun="barrier",
    added="BarrierIdentified",
    amended="BarrierAmended",
    ended="BarrierResolved",
    ended_status="resolved",
    added_verb="identified",
    ended_verb="resolved",
    fields={
        "description": Text(MEDIUM_TEXT),
        "area_of_need": Choice(codes.AREAS_OF_NEED),
        "need_type": Choice(codes.NEED_TYPES),
        "evidence": Text(LONG_TEXT),
    },
)

PROVISIONS = Section(
    name="provisions",
    noun="provision",
    added="ProvisionAgreed",
    amended="ProvisionAmended",
    ended="ProvisionEnded",
    ended_status="ended",
    added_verb="agreed",
    ended_verb="ended",
    fields={
        "description": Text(MEDIUM_TEXT),
        "barrier_ids": IdList(),
        "delivered_by": Text(SHORT_TEXT),
        "group_size": Integer(1, 40),
        # From once in 20 weeks to seven a school day, in hundredths (1.5 a week; 0.33, once in three weeks).
        "sessions_per_week": PositiveNumber(35, minimum=0.05, places=2),
        "minutes_per_session": Integer(1, 480),
        "location": Choice(codes.LOCATIONS),
        "starts_on": Date(),
        "ends_on": Date(required=False),
        "evidence_basis": Text(MEDIUM_TEXT, required=False),
    },
    paused="ProvisionPaused",
    resumed="ProvisionResumed",
)

ADJUSTMENTS = Section(
    name="adjustments",
    noun="adjustment",
    added="AdjustmentAgreed",
    amended="AdjustmentAmended",
    ended="AdjustmentWithdrawn",
    ended_status="withdrawn",
    added_verb="agreed",
    ended_verb="withdrawn",
    fields={
        "description": Text(MEDIUM_TEXT),
        "category": Choice(codes.ADJUSTMENT_CATEGORIES),
        "barrier_ids": IdList(),
    },
)

OUTCOMES = Section(
    name="outcomes",
    noun="outcome",
    added="OutcomeSet",
    amended="OutcomeAmended",
    ended="OutcomeClosed",
    ended_status="",
    added_verb="set",
    ended_verb="closed",
    fields={
        "description": Text(MEDIUM_TEXT),
        # May be left empty when the outcome is first set; the quality report lists it until it is filled in.
        "success_criteria": Text(MEDIUM_TEXT, required=False, allow_empty=True),
        "barrier_ids": IdList(),
        "target_date": Date(),
        "baseline": Text(SHORT_TEXT, required=False),
        "target": Text(SHORT_TEXT, required=False),
    },
)

SECTIONS: dict[str, Section] = {s.name: s for s in (BARRIERS, PROVISIONS, ADJUSTMENTS, OUTCOMES)}
SECTION_OF_EVENT: dict[str, Section] = {
    event_type: s for s in SECTIONS.values() for event_type in (s.added, s.amended, s.ended, s.paused, s.resumed)
    if event_type is not None
}
# An item in one of these statuses is still part of the plan: it can be amended or ended, and it still supports
# its barriers. Every other status is an end (resolved, ended, withdrawn, achieved, discontinued).
LIVE_STATUSES = ("active", "paused")
