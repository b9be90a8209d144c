"""What the API's reads of a plan answer (CONTRACT.md §4, §6, §7): the models the OpenAPI document describes them
with. (Listings and a setting's reports: ``reports.py``.)

A plan's items and facts are described by the field specifications the domain checks them with (``specs.py``),
plus what the plan keeps about each (its status, when it was agreed and recorded, the version of its latest
change). Answers assembled from the record or the read models, or signed, are sent as they are and only
documented with these models (``responses={200: {"model": ...}}``): no second pass over a plan's content on the
way out, and nothing that could alter a signed value. (Small answers built from typed values, such as the keys or
a calendar, are ``response_model`` and so checked on the way out.) Every model allows fields it does not name, so a
field added to an answer is never dropped; ``tests/e2e/test_openapi.py`` checks real answers against them, and
that they name every field sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from isp_ledger.api import specs
from isp_ledger.domain import codes, fields
from isp_ledger.domain.sections import LIVE_STATUSES, SECTIONS, Section
from isp_ledger.domain.validation import Choice
from isp_ledger.domain.wording import KINDS

Day = Annotated[str, Field(json_schema_extra={"format": "date"})]
Instant = Annotated[str, Field(json_schema_extra={"format": "date-time"})]


class Read(BaseModel):
    model_config = ConfigDict(extra="allow")


def one_of(options: tuple[str, ...], description: str | None = None) -> Any:
    return specs.field(Choice(options), description)


def list_of(model: type[BaseModel]) -> Any:
    """``list[model]`` for a model made at import (which the type checker cannot take as a type)."""
    return list[model]  # type: ignore[valid-type]


def made(name: str, base: type[Read], doc: str, **fields: Any) -> type[Read]:
    """A model of ``base`` with ``fields`` (name: (type, default or Field)), made at import."""
    return create_model(name, __base__=base, __doc__=doc, __module__=__name__, **fields)


class Actor(Read):
    """Who recorded an entry."""

    user_id: str
    name: str | None = Field(description="null for a parent (or anyone not on staff) once the plan is erased")
    role: str = one_of(codes.ROLES)


class PupilName(Read):
    given_name: str
    family_name: str


class SettingShown(Read):
    """A setting as people are shown it: its name with its URN (CONTRACT.md §4)."""

    urn: str
    name: str | None = Field(description="null when the setting's details were never set")
    shown_as: str = Field(description='"Hawthorn Road Primary School (URN 119142)", or "the setting with URN '
                                      '119142" when no name was set')


# ------------------------------------------------------------------------------------------ the plan document


class ItemState(Read):
    """What the plan keeps about every item besides its fields."""

    id: str
    added_on: Day
    agreed_on: Day = Field(description="when its latest change was agreed")
    recorded_at: Instant = Field(description="when its latest change was recorded")
    version: int = Field(description="the plan version of its latest change")
    corrected: bool = Field(description="whether an entry about it was corrected")
    ended_on: Day | None = Field(None, description="once ended")
    ended_reason: str | None = Field(None, description="once ended")


class PausableState(ItemState):
    paused_on: Day | None = Field(None, description="while paused")
    paused_until: Day | None = Field(None, description="while paused: its last day, or null until resumed")
    paused_reason: str | None = Field(None, description="while paused")


class FactState(Read):
    """What the plan keeps about every fact (a review, a contribution...) besides its fields."""

    id: str
    agreed_on: Day
    recorded_at: Instant
    recorded_in_version: int
    recorded_by: Actor
    corrected: bool


class ProgressState(FactState):
    outcome_id: str


class ResponseState(FactState):
    """A parent's response names whose it is and how it was given only when staff recorded it for them."""

    given_by: str | None = Field(None, description="the parent whose response it is, when staff recorded it")
    method: str | None = specs.field(Choice(codes.ACKNOWLEDGEMENT_METHODS, required=False),
                                     "how the parent gave it, when staff recorded it")


def _present(name: str, specs_: Any, base: type[Read], doc: str) -> type[Read]:
    return specs.model(name, specs_, base=base, doc=doc, present=True)


Review = _present("Review", fields.REVIEW_FIELDS, FactState, "A review meeting.")
Contribution = _present("Contribution", fields.CONTRIBUTION_FIELDS, FactState,
                        "A parent's view, the pupil's voice, or professional advice.")
Acknowledgement = _present("Acknowledgement", {k: v for k, v in fields.ACKNOWLEDGEMENT_FIELDS.items()
                                               if k not in ("given_by", "method")}, ResponseState,
                           "A parent's response to one version of the plan.")
Progress = _present("Progress", fields.PROGRESS_FIELDS, ProgressState, "A measurement towards an outcome.")
FACTS: dict[str, type[Read]] = {"reviews": Review, "contributions": Contribution,
                                "acknowledgements": Acknowledgement, "progress": Progress}


def statuses(section: Section) -> tuple[str, ...]:
    """An item's possible statuses: live ones, then how it may end."""
    live = tuple(status for status in LIVE_STATUSES if section.paused or status != "paused")
    return live + ((section.ended_status,) if section.ended_status else codes.OUTCOME_RESULTS)


OutcomeState = made("OutcomeState", ItemState, "What the plan keeps about an outcome besides its fields.",
                    progress=(list_of(Progress), Field(description="measurements towards it, by date")))


def _item(section: Section) -> type[Read]:
    base = PausableState if section.paused else OutcomeState if section.name == "outcomes" else ItemState
    return specs.model(section.noun.capitalize(), {**section.fields, "status": Choice(statuses(section))},
                       base=base, present=True, doc=f"A {section.noun} as the plan stands (or stood on the day asked).")


ITEMS = {name: _item(section) for name, section in SECTIONS.items()}

# Made at import from the domain's specifications; to the type checker, their base.
if TYPE_CHECKING:
    PupilDetails = Read
    PlanChanges = Read
else:
    PupilDetails = _present("PupilDetails", fields.PUPIL_FIELDS, Read, "The pupil the plan is for.")


class LegalHold(Read):
    """A legal hold in force (its reason is in the plan's history)."""

    since: Instant = Field(description="when it was set")
    by: Actor = Field(description="the administrator who set it")


class PlanHead(Read):
    plan_id: str
    version: int
    as_of: Day | None = Field(description="the date asked for (as_of), if any")
    as_at: Instant | None = Field(description="the instant asked for (as_at), if any")
    recorded_at: Instant = Field(description="when the plan's latest change was recorded")
    status: str = Field(description="open or closed")
    pupil: PupilDetails
    setting_urn: str
    tier: str = one_of(codes.TIERS)
    ehcp_reference: str | None
    opened_on: Day
    closed_on: Day | None
    next_review_due: Day | None = Field(description="when the next review falls due; null once closed")
    erased: bool = Field(description="the pupil's personal data was erased (CONTRACT.md §11): every personal value "
                                     "of the plan, in every version of it, reads null")
    legal_hold: LegalHold | None = Field(description="the legal hold in force, if any: the plan is not erased "
                                                     "until it is lifted")


PlanDocument = made(
    "PlanDocument", PlanHead, "The plan document (CONTRACT.md §4).",
    **{name: (list_of(item), ...) for name, item in ITEMS.items()},
    **{kind: (list_of(fact), ...) for kind, fact in FACTS.items() if kind != "progress"},
)

# ------------------------------------------------------------------------------------------ history


class StoredPart(Read):
    """What the hash covers where it differs from what is shown: the personal values as sealed (CONTRACT.md §11)."""

    actor: Actor
    reason: str | None
    data: dict[str, Any] = Field(description="the event's data as stored: each personal value null")
    sealed: str = Field(description="the personal values, the reason and a non-staff actor's name, encrypted under "
                                    "the pupil's key (hex of nonce and AES-256-GCM ciphertext)")


class PlanEvent(Read):
    """An event as stored and chained, its personal values opened (``null`` once the plan is erased)."""

    version: int
    event_id: str
    plan_id: str
    type: str
    recorded_at: Instant
    agreed_on: Day
    backdated: bool = Field(description="agreed_on is earlier than the London date of recorded_at")
    late: bool = Field(description="a session recorded more than ISP_LEDGER_LATE_ENTRY_DAYS school days after "
                                    "the day it happened (agreed_on), by the setting's calendar")
    actor: Actor
    reason: str | None
    data: dict[str, Any]
    class_version: int | None = Field(
        None, description="the version of the event's type it was stored as, when past 1 (the shape of its data)"
    )
    prev_hash: str
    hash: str
    erased: bool | None = Field(None, description="true when the event's personal values are gone with the pupil's "
                                                  "key (CONTRACT.md §11)")
    stored: StoredPart | None = Field(
        None, description="the event as the hash covers it, where that differs from what is shown: with the fields "
                          "above, what anyone can check the hash from")


class DamagedEvent(Read):
    """A stored event that cannot be read: ``verify`` says what is wrong."""

    version: int
    damaged: bool
    detail: str


class PlanEvents(Read):
    events: list[PlanEvent | DamagedEvent]


class EntryRef(Read):
    version: int
    event_id: str


class VoidMark(Read):
    """Which entry struck this one out as recorded in error, when, who, and why."""

    version: int
    event_id: str
    recorded_at: Instant
    actor: Actor
    reason: str | None


class TimelineEntry(Read):
    version: int
    event_id: str
    type: str
    kind: str = one_of(KINDS)
    summary: str = Field(description="the entry in one line of plain English")
    recorded_at: Instant
    agreed_on: Day
    backdated: bool
    late: bool = Field(description="a session recorded more than ISP_LEDGER_LATE_ENTRY_DAYS school days after "
                                    "the day it happened (agreed_on), by the setting's calendar")
    actor: Actor
    item_id: str | None = Field(description="the item, outcome or provision the entry is about")
    corrects: EntryRef | None = Field(description="for a correction: the entry it corrects")
    corrected_by: list[EntryRef] = Field(description="the corrections made to this entry")
    voids: EntryRef | None = Field(None, description="for a void only: the entry it struck out as recorded in error")
    voided: VoidMark | None = Field(None, description="only on an entry struck out as recorded in error: the void")


class Timeline(Read):
    setting: SettingShown = Field(description="the plan's setting")
    entries: list[TimelineEntry] = Field(description="newest first")
    next_cursor: str | None


class Change(Read):
    before: Any
    after: Any


class DiffPoint(Read):
    version: int = Field(description="0: before the plan was opened")
    recorded_at: Instant | None


class AmendedItem(Read):
    id: str
    description: str | None
    changes: dict[str, Change] = Field(description="field: before and after")


class EndedItem(Read):
    id: str
    description: str | None
    status: str
    ended_on: Day | None
    reason: str | None


class VoidedEntry(Read):
    id: str
    description: str | None = None


_VOIDED = Field(None, description="only when some were struck out as recorded in error in between")


def _changes(item: type[Read]) -> type[Read]:
    return made(f"{item.__name__}Changes", Read, f"{item.__name__}s added, amended and ended.",
                added=(list_of(item), ...), amended=(list[AmendedItem], ...), ended=(list[EndedItem], ...),
                voided=(list[VoidedEntry] | None, _VOIDED))


def _added(fact: type[Read]) -> type[Read]:
    return made(f"{fact.__name__}Added", Read, "Recorded in between.", added=(list_of(fact), ...),
                voided=(list[VoidedEntry] | None, _VOIDED))


if not TYPE_CHECKING:
    PlanChanges = made(
        "PlanChanges", Read, "What changed, per section.",
        plan=(dict[str, Change], Field(description="plan-level field (pupil.given_name...): before and after")),
        **{name: (_changes(item), ...) for name, item in ITEMS.items()},
        **{kind: (_added(fact), ...) for kind, fact in FACTS.items()},
    )


class PlanDiff(Read):
    plan_id: str
    from_: DiffPoint = Field(alias="from")
    to: DiffPoint
    changed: bool
    changes: PlanChanges


# ------------------------------------------------------------------------------------------ integrity


class PublicKey(Read):
    key_id: str
    algorithm: str
    public_key: str = Field(description="the raw key, in base64")
    public_key_pem: str


class Keys(Read):
    keys: list[PublicKey]


class Signed(Read):
    key_id: str
    algorithm: str
    signature: str = Field(description="over every other field but key_id and algorithm (RFC 8785 JSON), base64")


class LogEntry(Signed):
    """A transparency log entry, signed."""

    statement: str
    position: int
    plan_id: str
    version: int
    head_hash: str
    recorded_at: Instant
    prev_entry_hash: str
    entry_hash: str


class SignedReceipt(Signed):
    """A receipt for a plan's head: keep it, and check it later with POST /v1/receipts/verify."""

    plan_id: str
    version: int
    head_hash: str
    recorded_at: Instant
    log_entry: LogEntry | None = Field(None, description="the log entry that records this head, once logged")


class LogHead(Signed):
    statement: str
    position: int
    entry_hash: str
    recorded_at: Instant | None
    signed_at: Instant
