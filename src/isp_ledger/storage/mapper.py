"""Maps plan events to the chained envelopes the ledger stores, and back.

Stored topics are the event type names ("ProvisionAgreed"), not Python paths, so that stored history does not
depend on where code lives. A stored envelope is self-describing: it is exactly what ``GET .../events`` shows
and what the hash chain covers.

An event whose class is past its first version is stored with its ``class_version`` in the envelope (and so under
the hash); an envelope without one is of version 1, so every event stored before a class changed keeps its exact
bytes and hash. Reading, :func:`event_from_envelope` upcasts older data with the class's ``upcast_vN_vN+1``
methods (``domain/events.py``), as the library's own mapper does for its events: the service, the projections and
the offline check of an evidence bundle all read events through it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from eventsourcing.domain import CanMutateAggregate
from eventsourcing.persistence import Mapper, StoredEvent
from eventsourcing.utils import get_topic

from isp_ledger.domain.events import EVENT_CLASSES
from isp_ledger.domain.plan import Plan
from isp_ledger.storage.chain import seal, unseal

EVENT_TYPES: dict[str, type[Plan.Event]] = {cls.__name__: cls for cls in EVENT_CLASSES}
PLAN_TOPIC = get_topic(Plan)


class ChainedMapper(Mapper[UUID]):
    """Seals plan events into hash-chained envelopes. (Snapshots are stored apart: ``snapshots.py``.)"""

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        raise TypeError("plan events are stored with seal(), which chains them to their predecessor")

    def seal(self, event: Plan.Event, prev_hash: str) -> tuple[StoredEvent, str]:
        event_type = type(event).__name__
        event_body = {
            "type": event_type,
            "plan_id": str(event.originator_id),
            "version": event.originator_version,
            "event_id": event.event_id,
            "recorded_at": event.recorded_at,
            "agreed_on": event.agreed_on,
            "actor": event.actor,
            "reason": event.reason,
            "data": event.data(),
        }
        class_version = getattr(type(event), "class_version", 1)
        if class_version > 1:
            event_body["class_version"] = class_version
        state, digest = seal(event_body, prev_hash)
        stored = StoredEvent(
            originator_id=event.originator_id,
            originator_version=event.originator_version,
            topic=event_type,
            state=state,
        )
        return stored, digest

    def to_domain_event(self, stored_event: StoredEvent) -> CanMutateAggregate[UUID]:
        envelope = unseal(stored_event.state)
        return event_from_envelope(envelope)


def event_from_envelope(envelope: dict[str, Any]) -> Plan.Event:
    """Rebuild a domain event from its stored envelope, upcasting data written by older code."""
    cls = EVENT_TYPES[envelope["type"]]
    data = envelope["data"]
    from_version = envelope.get("class_version", 1)
    if from_version < getattr(cls, "class_version", 1):
        data = dict(data)  # upcasting changes it in place: never the caller's envelope
        while from_version < getattr(cls, "class_version", 1):
            getattr(cls, f"upcast_v{from_version}_v{from_version + 1}")(data)
            from_version += 1
    recorded_at = envelope["recorded_at"]
    state: dict[str, Any] = {
        **data,
        "originator_id": UUID(envelope["plan_id"]),
        "originator_version": envelope["version"],
        "timestamp": dt.datetime.fromisoformat(recorded_at),
        "event_id": envelope["event_id"],
        "actor": envelope["actor"],
        "agreed_on": envelope["agreed_on"],
        "reason": envelope["reason"],
        # Storage's own facts about the event: its hash, for the aggregate's head hash, and the text of its
        # recorded_at, as hashed (``Plan.Event.recorded_at``).
        "stored_hash": envelope["hash"],
        "stored_recorded_at": recorded_at,
    }
    if issubclass(cls, Plan.PlanOpened):
        state["originator_topic"] = PLAN_TOPIC
    event = object.__new__(cls)
    object.__setattr__(event, "__dict__", state)
    return event
