"""What a plan knows: its change records, and how each event is kept among them.

Every event leaves a record (``records.py``) on what it is about: the plan itself, one item, or one fact. A
correction patches the record it corrects and notes itself on it; a void marks the record it strikes out
(``records.is_voided``), which stays where it was. :class:`PlanState` holds those records and the
states folded from them, and answers the questions the rules ask of a plan (where is the record of an event, which
barriers does it have, is it open); the aggregate (``plan.py``) adds the commands, the rules of corrections
(``corrections.py``) and of sessions (``delivery.py``) read the state. None of them needs the others.

The state is plain JSON-native data, the same attributes in the same shape as snapshots store them (see
``storage/snapshots.py``): changing that shape means a new snapshot format.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

from isp_ledger.domain import records
from isp_ledger.domain.errors import NotFound, RuleViolation
from isp_ledger.domain.records import FACT_KINDS, SESSION_EVENT, SESSIONS, VOID_EVENT, Record
from isp_ledger.domain.sections import SECTION_OF_EVENT, SECTIONS, Section

GENESIS_HASH = "0" * 64


class RecordedEvent(Protocol):
    """What the state needs of an event to keep its record (``events.PlanEvent`` is one)."""

    @property
    def originator_version(self) -> int: ...
    @property
    def event_id(self) -> str: ...
    @property
    def agreed_on(self) -> str: ...
    @property
    def reason(self) -> str | None: ...
    @property
    def actor(self) -> dict[str, str]: ...
    @property
    def recorded_at(self) -> str: ...

    def data(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Located:
    """Where an event's record is kept: under ``key`` (``"plan"``, an item id, or ``"reviews:3"``), at ``index``
    in ``records``."""

    key: str
    records: list[Record]
    index: int

    @property
    def record(self) -> Record:
        return self.records[self.index]

    @property
    def is_fact(self) -> bool:
        return ":" in self.key


class PlanState:
    """The records of one plan and the states folded from them (the ``Plan`` aggregate's state)."""

    if TYPE_CHECKING:  # the aggregate's own id (``Aggregate.id``)

        @property
        def id(self) -> UUID: ...

    def __init__(self) -> None:
        self.records: dict[str, list[Record]] = {"plan": []}
        self.section_items: dict[str, list[str]] = {name: [] for name in SECTIONS}
        self.item_section: dict[str, str] = {}
        # Sessions of provision are kept beside the facts, so that corrections find them, but are not part of
        # the plan document (FACT_KINDS lists the document's facts): a delivery report shows them.
        self.facts: dict[str, list[Record]] = {kind: [] for kind in (*FACT_KINDS.values(), SESSIONS)}
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

    def is_void(self, event_id: str) -> bool:
        """Whether ``event_id`` is a void (its mark is on the record it struck out)."""
        every = [*self.records.values(), *self.facts.values()]
        return any(records.is_voided(r) and r[records.VOIDED]["event_id"] == event_id for recs in every for r in recs)

    def barriers(self) -> dict[str, dict[str, Any]]:
        return {i: self.items[i] for i in self.section_items["barriers"]}

    def latest_agreed(self, key: str) -> str | None:
        """The ``agreed_on`` of the latest decision on the plan (``"plan"``) or an item."""
        recs = self.records[key]
        return str(recs[-1]["agreed_on"]) if recs else None

    # ------------------------------------------------------------------ guards shared by commands

    def require_open(self) -> None:
        if not self.is_open:
            raise RuleViolation("plan_closed", "This plan is closed; open a new plan for the pupil instead")

    def require_item(self, section_name: str, item_id: str) -> Section:
        section = SECTIONS[section_name]
        if self.item_section.get(item_id) != section_name:
            raise NotFound(f"This plan has no {section.noun} {item_id}")
        return section

    def require_after_opening(self, agreed_on: str) -> None:
        opened = self.state["opened_on"]
        if agreed_on < opened:
            raise RuleViolation(
                "before_plan_opened",
                f"This plan was opened on {opened}; an entry agreed on {agreed_on} would predate it. If the "
                f"plan's opening date was recorded wrongly, correct it first: {self.correction_hint()}",
            )

    def correction_hint(self) -> str:
        return f"POST /v1/plans/{self.id}/corrections with the event_id of the entry to correct"

    # ------------------------------------------------------------------ keeping events' records

    def note(self, event: RecordedEvent) -> None:
        """Keep the event's change record where it belongs and refresh what it changed."""
        event_type = type(event).__name__
        data = event.data()
        if event_type == "CorrectionRecorded":
            self._correct(event, data)
        elif event_type == VOID_EVENT:
            self._void(event, data)
        elif event_type in FACT_KINDS:
            self.facts[FACT_KINDS[event_type]].append(_make_record(event, event_type, data))
        elif event_type == SESSION_EVENT:
            # setdefault: a snapshot taken before sessions existed has no list for them
            self.facts.setdefault(SESSIONS, []).append(_make_record(event, event_type, data))
        elif event_type in SECTION_OF_EVENT:
            key = data.pop("item_id")
            section = SECTION_OF_EVENT[event_type]
            if event_type == section.added:
                self.records[key] = []
                self.section_items[section.name].append(key)
                self.item_section[key] = section.name
            self.records[key].append(_make_record(event, event_type, data))
            self._refresh(key)
        else:
            self.records["plan"].append(_make_record(event, event_type, data))
            self._refresh("plan")
        # Replayed events carry the hash storage computed for them; newly triggered ones get theirs on save.
        stored_hash = vars(event).get("stored_hash")
        if stored_hash is not None:
            self.head_hash = stored_hash

    def _correct(self, event: RecordedEvent, data: dict[str, Any]) -> None:
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

    def _void(self, event: RecordedEvent, data: dict[str, Any]) -> None:
        located = self.locate(data["voided_event_id"])
        assert located is not None, "a void names an event of this plan"
        mark = records.void_mark(version=event.originator_version, event_id=event.event_id,
                                 recorded_at=event.recorded_at, actor=event.actor, reason=event.reason)
        located.records[located.index] = {**located.record, records.VOIDED: mark}
        if not located.is_fact:
            self._refresh(located.key)

    def _refresh(self, key: str) -> None:
        if key == "plan":
            self.state = records.fold_plan(self.records["plan"]) or {}
        else:
            item = records.fold_item(key, self.records[key], keep_voided=True)
            assert item is not None
            self.items[key] = item


def _make_record(event: RecordedEvent, event_type: str, data: dict[str, Any]) -> Record:
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
