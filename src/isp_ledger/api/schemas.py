"""Request bodies of the HTTP API, and the answers of its writes.

A request's shape is the domain's. The bodies of items, facts and sessions are made from the field specifications
the domain checks them with (``domain/sections.py``, ``domain/fields.py``, ``domain/delivery.py``; see
``specs.py``); the few fields a command takes as its own arguments (``agreed_on``, ``reason``, ``tier``...) are
documented with the same kinds of specification, their choices taken from ``domain/codes.py``. The bodies fix the
JSON shape (names, JSON types, nothing extra); the domain checks the values, so a correction is checked exactly
like the original entry. ``tests/unit/test_schemas.py`` proves that what is documented is what the domain does.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from isp_ledger.api import specs
from isp_ledger.domain import codes, fields, groups
from isp_ledger.domain.delivery import MAX_ENTRIES, SESSION_FIELDS
from isp_ledger.domain.sections import SECTIONS
from isp_ledger.domain.validation import SHORT_TEXT, Choice, Date, Text, Urn


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Dated(Body):
    """A change the caller may date: by default it was agreed today."""

    agreed_on: dt.date | None = specs.field(
        Date(required=False), "date the decision was made (Europe/London), not after today; default today")


class Decision(Dated):
    """Fields every change may carry: when it was agreed and why."""

    reason: str | None = specs.field(fields.OPTIONAL_REASON, "why; recommended for every change")


class Reasoned(Dated):
    """A change that must say why (an end, a pause, a new tier, a closure)."""

    reason: str = specs.field(fields.REASON, "why")


# What the generated bodies' fields mean, beyond what their specification says (length, range, choices).
HELP = {
    "upn": "13-character Unique Pupil Number, with its check letter",
    "need_type": "school census SEN need type: "
    + "; ".join(f"{code} ({name})" for code, name in codes.NEED_TYPE_NAMES.items()),
    "barrier_ids": "barriers of this plan, each active, that this addresses",
    "delivered_by": 'a role, e.g. "teaching assistant"',
    "group_size": "1 = one-to-one",
    "ends_on": "the last day the provision is in force",
    "success_criteria": "how everyone will know it is achieved; the quality report lists an outcome without",
    "measured_on": "the date of the measurement; also the entry's agreed_on",
    "source": 'where the measurement comes from, e.g. "phonics screening check"',
    "held_on": "the date of the review meeting; also the entry's agreed_on",
    "next_review_due": "at most 12 months after held_on",
    "profession": "required for professional advice",
    "version": "the version of the plan being responded to",
    "given_by": "the parent whose response it is: required when staff record it on a parent's behalf, left out "
    "when a parent records their own",
    "method": "how the parent gave it: required with given_by, left out when a parent records their own",
    "name": "the setting's name, as parents know it",
    "local_authority": "the local authority the setting is in, e.g. Kent",
}
SESSION_HELP = {
    "date": "the day of the session; also each entry's agreed_on; not after today",
    "starts_at": "the time it started (HH:MM): needed only to record two sessions of a provision on one day",
    "minutes": "delivered sessions only; default: the provision's minutes",
    "missed_reason": "required when missed",
    "delivered_by": "who ran it, if not the provision's usual deliverer",
}


def _section_bodies(name: str) -> tuple[type[Decision], type[Decision]]:
    """What adds an item to a section, and what amends one (only the fields given)."""
    section = SECTIONS[name]
    noun = section.noun.capitalize()
    create = specs.model(f"{noun}Create", section.fields, base=Decision, descriptions=HELP,
                         doc=f"A new {section.noun}, with when it was agreed and why.")
    patch = specs.model(f"{noun}Patch", section.fields, base=Decision, descriptions=HELP, optional=True,
                        doc=f"The fields of a {section.noun} that change, and when and why.")
    return create, patch


BarrierCreate, BarrierPatch = _section_bodies("barriers")
ProvisionCreate, ProvisionPatch = _section_bodies("provisions")
AdjustmentCreate, AdjustmentPatch = _section_bodies("adjustments")
OutcomeCreate, OutcomePatch = _section_bodies("outcomes")


class DeliveryEntry(Body):
    plan_id: str = Field(description="a plan's id")
    provision_id: str = Field(description="a provision of that plan, in force on the session's date")


class Session(Body):
    entries: list[DeliveryEntry] = Field(description="each pupil's plan and provision the session was for",
                                         json_schema_extra={"minItems": 1, "maxItems": MAX_ENTRIES})


# Bodies made from the domain's specifications. Routes read their own fields only through ``model_dump``, so to
# the type checker each is its base.
if TYPE_CHECKING:
    Pupil = Body
    ProgressCreate = Body
    ReviewCreate = Body
    ContributionCreate = Dated
    AcknowledgementCreate = Dated
    DeliveryCreate = Session
    SettingUpdate = Body
else:
    Pupil = specs.model("Pupil", fields.PUPIL_FIELDS, base=Body, descriptions=HELP, doc="The pupil the plan is for.")
    ProgressCreate = specs.model("ProgressCreate", fields.PROGRESS_FIELDS, base=Body, descriptions=HELP,
                                 doc="A measurement of progress towards an outcome.")
    ReviewCreate = specs.model("ReviewCreate", fields.REVIEW_FIELDS, base=Body, descriptions=HELP,
                               doc="A review meeting: who came, the parent's and pupil's views, the next review.")
    ContributionCreate = specs.model("ContributionCreate", fields.CONTRIBUTION_FIELDS, base=Dated,
                                     descriptions=HELP,
                                     doc="A parent's view, the pupil's voice, or professional advice.")
    AcknowledgementCreate = specs.model("AcknowledgementCreate", fields.ACKNOWLEDGEMENT_FIELDS, base=Dated,
                                        descriptions=HELP, doc="A parent's response to one version of the plan.")
    DeliveryCreate = specs.model("DeliveryCreate", SESSION_FIELDS, base=Session, descriptions=SESSION_HELP,
                                 doc="One session of provision, delivered or missed, for one pupil or a group.")
    SettingUpdate = specs.model("SettingUpdate", fields.SETTING_FIELDS, base=Body, descriptions=HELP,
                                doc="The setting's details, shown with its URN wherever the setting is shown.")

class GroupWrite(Body):
    """A setting's group of pupils' provisions that meet together: its whole content, to make it or replace it."""

    name: str = specs.field(groups.NAME, "unique among the setting's live groups, e.g. 'Year 2 phonics, Tue/Thu'")
    members: list[DeliveryEntry] = Field(description="each pupil's plan (an open plan of the setting) and provision "
                                                     "(in force today); no pupil's name is kept in the group",
                                         json_schema_extra={"minItems": 1, "maxItems": groups.MAX_MEMBERS})
    led_by: str | None = specs.field(groups.LED_BY, "who usually runs it (staff, not a pupil)")


class GroupSessionCreate(Body):
    """A session of a group: delivered for the members who attended, missed for the others."""

    date: dt.date = specs.field(SESSION_FIELDS["date"], SESSION_HELP["date"])
    attended: list[DeliveryEntry] = Field(description="the members who attended (empty if nobody did); every other "
                                                      "member is recorded as missed")
    absent_reason: str | None = specs.field(groups.ABSENT_REASON, "why the others missed it; default pupil_absent")
    starts_at: str | None = specs.field(SESSION_FIELDS["starts_at"], SESSION_HELP["starts_at"])
    minutes: int | None = specs.field(SESSION_FIELDS["minutes"], "for those who attended; default: each "
                                                                 "provision's minutes")
    note: str | None = specs.field(SESSION_FIELDS["note"])
    delivered_by: str | None = specs.field(SESSION_FIELDS["delivered_by"], SESSION_HELP["delivered_by"])


TIER = Choice(codes.TIERS)
EHCP_REFERENCE = Text(SHORT_TEXT, required=False)


class PlanCreate(Dated):
    pupil: Pupil
    setting_urn: str = specs.field(Urn(), "6-digit Unique Reference Number of the school or setting")
    tier: str = specs.field(TIER)
    ehcp_reference: str | None = specs.field(EHCP_REFERENCE, "required for the specialist tier")
    next_review_due: dt.date | None = specs.field(
        Date(required=False), "default: 12 weeks after agreed_on; at most 12 months after it")


class TierChange(Reasoned):
    tier: str = specs.field(TIER)
    ehcp_reference: str | None = specs.field(EHCP_REFERENCE, "required for the specialist tier")


class Close(Reasoned):
    pass


class End(Reasoned):
    outcome: str | None = specs.field(Choice(codes.OUTCOME_RESULTS, required=False),
                                      "outcomes only, and required for them")


class Pause(Reasoned):
    until: dt.date | None = specs.field(Date(required=False),
                                        "last day of the pause (inclusive); default: until resumed")


class Resume(Decision):
    """Restart a paused provision from ``agreed_on``; ``reason`` optional."""


class CorrectionCreate(Body):
    """A correction (``changes``) or a void (``"void": true``): exactly one of the two."""

    event_id: str = Field(description="the event whose entry was recorded wrongly")
    reason: str = specs.field(fields.REASON, "why the entry was wrong")
    changes: dict[str, Any] | None = Field(None, description="field: corrected value, each checked as the field of "
                                                             "the original entry; agreed_on and reason may be "
                                                             "corrected too. Not with void")
    void: StrictBool | None = Field(None, description="true: the entry was recorded in error altogether (a session "
                                                      "logged twice, a view on the wrong child's plan); it stays in "
                                                      "the history, marked, and counts for nothing. Not with changes")


class Holiday(Body):
    start: dt.date
    end: dt.date = Field(description="inclusive; not before start")


class CalendarUpdate(Body):
    holidays: list[Holiday] = Field(description="inclusive date ranges: half terms and holidays (England's bank "
                                                "holidays count without being entered)")
    closures: list[dt.date] = Field(description="single days the setting is closed (INSET days, snow days)")


# ------------------------------------------------------------------------------------------ answers of writes


class WriteResponse(BaseModel):
    """The answer to every write on a plan (CONTRACT.md §2)."""

    plan_id: str
    version: int = Field(description="the plan's version after the write; also its ETag")
    event_id: str
    recorded_at: str = Field(json_schema_extra={"format": "date-time"})
    item_id: str | None = Field(None, description="the new item's id, when the write created one")


class DeliveryEntryWritten(BaseModel):
    plan_id: str
    provision_id: str
    version: int
    event_id: str
    recorded_at: str = Field(json_schema_extra={"format": "date-time"})


class DeliveryWritten(BaseModel):
    session_id: str = Field(description="shared by the entries of one session")
    entries: list[DeliveryEntryWritten]


class GroupEntryWritten(DeliveryEntryWritten):
    status: str = specs.field(Choice(codes.SESSION_STATUSES))


class GroupSessionWritten(BaseModel):
    session_id: str = Field(description="shared by the entries of one session")
    group_id: str
    entries: list[GroupEntryWritten] = Field(description="one per member, in the group's order")


class GroupWritten(BaseModel):
    group_id: str
    version: int = Field(description="the group's version after the write; also its ETag")


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
    role: str = specs.field(Choice(codes.ROLES))
    setting_urn: str | None


# ------------------------------------------------------------------------------------------ users (CONTRACT.md §10)

ACCOUNT_STATUSES = ("active", "disabled")


class UserCreate(Body):
    """A new user. A SENCO creates teachers of their own setting (``setting_urn`` may then be left out) and
    parents, professionals and complaint handlers; an administrator creates anyone."""

    name: str = specs.field(Text(SHORT_TEXT), "the person's name, as it will appear in every history")
    role: str = specs.field(Choice(codes.ROLES))
    setting_urn: str | None = Field(None, description="6-digit URN of the setting: senco and teacher only",
                                    json_schema_extra={"pattern": "^[0-9]{6}$"})
    email: str | None = Field(None, description="the address they will sign in to the web pages with; unique "
                                                "among users, whatever its case",
                              json_schema_extra={"format": "email", "maxLength": 254})


class UserAccount(BaseModel):
    """A user's account, never their token."""

    user_id: str
    name: str
    role: str = specs.field(Choice(codes.ROLES))
    setting_urn: str | None
    email: str | None
    status: str = specs.field(Choice(ACCOUNT_STATUSES), "a disabled user's token is refused")
    created_at: str = Field(json_schema_extra={"format": "date-time"})
    created_by: str | None = Field(description="the user who created them; null: made on the command line")
    disabled_at: str | None = Field(json_schema_extra={"format": "date-time"})
    disabled_by: str | None = Field(description="who disabled them; null when active, or disabled on the command "
                                                "line")


class UserCreated(UserAccount):
    token: str = Field(description="their bearer token: shown only now (only a digest is stored)")


class UserList(BaseModel):
    users: list[UserAccount] = Field(description="oldest first")
    next_cursor: str | None = Field(description="pass as cursor for the next page; null on the last page")
