"""Request and response bodies of the HTTP API.

These fix the *shape* of each request (names, JSON types, nothing extra). The rules a SENCO would expect
(valid UPN, census codes, ranges, linked barriers...) live in the domain and are applied to every write,
so a correction is checked exactly like the original entry.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


Day = dt.date
Text = str


class Decision(Body):
    """Fields every change may carry: when it was agreed and why."""

    agreed_on: Day | None = Field(None, description="date the decision was made (Europe/London); default today")
    reason: Text | None = Field(None, description="why; recommended for every change")


class Pupil(Body):
    upn: str = Field(description="13-character Unique Pupil Number, with its check letter")
    given_name: Text
    family_name: Text
    date_of_birth: Day


class PlanCreate(Body):
    pupil: Pupil
    setting_urn: str = Field(description="6-digit Unique Reference Number of the school or setting")
    tier: Literal["targeted", "targeted_plus", "specialist"]
    ehcp_reference: str | None = Field(None, description="required for the specialist tier")
    next_review_due: Day | None = Field(None, description="default: 12 weeks after agreed_on; at most 12 months")
    agreed_on: Day | None = None


class TierChange(Decision):
    tier: Literal["targeted", "targeted_plus", "specialist"]
    ehcp_reference: str | None = None
    reason: Text


class Close(Decision):
    reason: Text


class End(Decision):
    reason: Text
    outcome: Literal["achieved", "discontinued"] | None = Field(None, description="outcomes only")


class Pause(Decision):
    reason: Text
    until: Day | None = Field(None, description="last day of the pause (inclusive); default: until resumed")


class Resume(Decision):
    """Restart a paused provision from ``agreed_on``; ``reason`` optional."""


class BarrierCreate(Decision):
    description: Text
    area_of_need: Literal["communication_and_interaction", "cognition_and_learning", "semh", "sensory_and_physical"]
    need_type: str = Field(description="school census SEN need type, e.g. SPLD, SLCN, ASD")
    evidence: Text


class BarrierPatch(Decision):
    description: Text | None = None
    area_of_need: str | None = None
    need_type: str | None = None
    evidence: Text | None = None


class ProvisionCreate(Decision):
    description: Text
    barrier_ids: list[str] = Field(description="at least one active barrier of this plan")
    delivered_by: Text = Field(description='a role, e.g. "teaching assistant"')
    group_size: int = Field(description="1 = one-to-one")
    sessions_per_week: float = Field(description="more than 0")
    minutes_per_session: int = Field(description="1 to 480")
    location: Literal["in_class", "withdrawal", "external", "online"]
    starts_on: Day
    ends_on: Day | None = None
    evidence_basis: Text | None = None


class ProvisionPatch(Decision):
    description: Text | None = None
    barrier_ids: list[str] | None = None
    delivered_by: Text | None = None
    group_size: int | None = None
    sessions_per_week: float | None = None
    minutes_per_session: int | None = None
    location: str | None = None
    starts_on: Day | None = None
    ends_on: Day | None = None
    evidence_basis: Text | None = None


class AdjustmentCreate(Decision):
    description: Text
    category: Literal["environment", "curriculum", "routines", "assessment", "communication", "other"]
    barrier_ids: list[str]


class AdjustmentPatch(Decision):
    description: Text | None = None
    category: str | None = None
    barrier_ids: list[str] | None = None


class OutcomeCreate(Decision):
    description: Text
    success_criteria: Text | None = Field(None, description="how everyone will know it is achieved")
    barrier_ids: list[str]
    target_date: Day
    baseline: Text | None = None
    target: Text | None = None


class OutcomePatch(Decision):
    description: Text | None = None
    success_criteria: Text | None = None
    barrier_ids: list[str] | None = None
    target_date: Day | None = None
    baseline: Text | None = None
    target: Text | None = None


class ProgressCreate(Body):
    measured_on: Day = Field(description="the date of the measurement; also the entry's agreed_on")
    value: float | None = None
    note: Text
    source: Text = Field(description='where the measurement comes from, e.g. "phonics screening check"')


class Attendee(Body):
    role: Text
    name: Text


class ReviewCreate(Body):
    held_on: Day = Field(description="the date of the review meeting; also the entry's agreed_on")
    attendees: list[Attendee]
    parent_views: Text
    pupil_views: Text
    summary: Text
    next_review_due: Day = Field(description="at most 12 months after held_on")


class ContributionCreate(Body):
    kind: Literal["parent_view", "pupil_voice", "professional_advice"]
    profession: Text | None = Field(None, description="required for professional advice")
    text: Text
    agreed_on: Day | None = None


class AcknowledgementCreate(Body):
    version: int = Field(description="the version of the plan being responded to")
    response: Literal["agree", "disagree", "seen"]
    comment: Text | None = None
    agreed_on: Day | None = None


class CorrectionCreate(Body):
    event_id: str = Field(description="the event whose entry was recorded wrongly")
    reason: Text
    changes: dict[str, Any] = Field(description="field: corrected value; agreed_on and reason may be corrected too")


class DeliveryEntry(Body):
    plan_id: str
    provision_id: str = Field(description="a provision of that plan, in force on the session's date")


class DeliveryCreate(Body):
    entries: list[DeliveryEntry] = Field(description="each pupil's plan and provision the session was for")
    date: Day = Field(description="the day of the session; also each entry's agreed_on; not after today")
    status: Literal["delivered", "missed"]
    minutes: int | None = Field(None, description="delivered sessions only; default: the provision's minutes")
    missed_reason: Literal[
        "pupil_absent", "staff_absent", "timetable_clash", "school_closed", "pupil_declined", "other"
    ] | None = Field(None, description="required when missed")
    delivered_by: Text | None = Field(None, description="who ran it, if not the provision's usual deliverer")
    note: Text | None = None


class DeliveryEntryWritten(BaseModel):
    plan_id: str
    provision_id: str
    version: int
    event_id: str
    recorded_at: str


class DeliveryWritten(BaseModel):
    session_id: str
    entries: list[DeliveryEntryWritten]


class Holiday(Body):
    start: Day
    end: Day = Field(description="inclusive; not before start")


class CalendarUpdate(Body):
    holidays: list[Holiday] = Field(description="inclusive date ranges: half terms, holidays, bank holidays")
    closures: list[Day] = Field(description="single days the setting is closed (INSET days, snow days)")


class WriteResponse(BaseModel):
    plan_id: str
    version: int
    event_id: str
    recorded_at: str
    item_id: str | None = None


class Verification(BaseModel):
    ok: bool
    events_checked: int
    head_hash: str | None = None
    head_version: int | None = None
    first_bad_version: int | None = None
    detail: str | None = None
    log_position: int | None = Field(None, description="the transparency log's latest entry for the plan")
    log_version: int | None = Field(None, description="the plan version that entry records (on PostgreSQL it may "
                                                      "trail head_version for a few milliseconds)")
    log_entry_hash: str | None = None
    first_bad_log_position: int | None = Field(None, description="the log entry the problem was found with")


class Me(BaseModel):
    user_id: str
    name: str
    role: str
    setting_urn: str | None
