"""Maps plan events to the chained envelopes the ledger stores, and back.

Stored topics are the event type names ("ProvisionAgreed"), not Python paths, so that stored history does not
depend on where code lives. A stored envelope is self-describing: it is exactly what ``GET .../events`` shows
and what the hash chain covers.

An event whose class is past its first version is stored with its ``class_version`` in the envelope (and so under
the hash); an envelope without one is of version 1, so every event stored before a class changed keeps its exact
bytes and hash. Reading, :func:`event_from_envelope` upcasts older data with the class's ``upcast_vN_vN+1``
methods (``domain/events.py``), as the library's own mapper does for its events: the service, the projections and
the offline check of an evidence bundle all read events through it.

Personal values (CONTRACT.md §11, ``domain/personal.py``) are stored only encrypted: the envelope keeps the event's
structure in clear, each personal value of its ``data`` ``null``, and ``"sealed"``: the personal values, the reason
and a parent's (or other non-staff) name as actor, encrypted under the plan's data key with the event's plan, version
and type as associated data (``sealing.py``). The hash covers the envelope as stored, ciphertext included, so the
chain verifies with or without the key, before an erasure and after it. Reading, :func:`open_envelope` puts the
personal values back (or leaves them ``null`` once the key is destroyed).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from eventsourcing.domain import CanMutateAggregate
from eventsourcing.persistence import Mapper, StoredEvent
from eventsourcing.utils import get_topic

from isp_ledger.domain.events import EVENT_CLASSES
from isp_ledger.domain.personal import CLEAR_REASONS, actor_split, merge, split
from isp_ledger.domain.plan import Plan
from isp_ledger.storage.chain import seal, unseal
from isp_ledger.storage.data_keys import PlanErased
from isp_ledger.storage.sealing import SEALED, PlanSealer, event_aad

EVENT_TYPES: dict[str, type[Plan.Event]] = {cls.__name__: cls for cls in EVENT_CLASSES}
PLAN_TOPIC = get_topic(Plan)


class ChainedMapper(Mapper[UUID]):
    """Seals plan events into hash-chained envelopes, their personal values encrypted. (Snapshots are stored
    apart: ``snapshots.py``.)"""

    sealer: PlanSealer  # set by the store once its data keys are open

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
        event_body = seal_personal(self.sealer, event_body, event.originator_id)
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
        plan_id = stored_event.originator_id
        known = plan_id if isinstance(plan_id, UUID) else None
        return event_from_envelope(self.open(envelope, known), known)

    def open(self, envelope: dict[str, Any], plan_id: UUID | None = None) -> dict[str, Any]:
        """The envelope with its personal values back (``null`` if the plan's key was destroyed); ``plan_id``, its
        plan's id as a UUID, if the caller has it."""
        token = envelope.get(SEALED)
        if token is None:
            return envelope
        aad = event_aad(envelope["plan_id"], envelope["version"], envelope["type"])
        secret = self.sealer.open(plan_id or UUID(envelope["plan_id"]), aad, token)
        return open_envelope(envelope, secret)


def seal_personal(sealer: PlanSealer, body: dict[str, Any], plan_id: UUID | None = None) -> dict[str, Any]:
    """An event's envelope (its values in clear) as stored: the personal values of its data, a non-staff actor's name
    and its reason (unless ``CLEAR_REASONS``) sealed together under ``"sealed"``, each left ``null`` in clear.
    ``PlanErased`` if there is something personal to seal and the plan's key was destroyed."""
    stored = dict(body)
    stored["data"], personal = split(body["data"])
    stored["actor"], actor_name = actor_split(body["actor"])
    secret: dict[str, Any] = {}
    if personal:
        secret["data"] = personal
    if actor_name is not None:
        secret["actor_name"] = actor_name
    if body["reason"] is not None and body["type"] not in CLEAR_REASONS:
        secret["reason"], stored["reason"] = body["reason"], None
    if secret:
        aad = event_aad(body["plan_id"], body["version"], body["type"])
        token = sealer.seal(plan_id or UUID(body["plan_id"]), aad, secret)
        if token is None:
            raise PlanErased(f"Plan {body['plan_id']} was erased: nothing personal may be recorded on it")
        stored[SEALED] = token
    return stored


def open_envelope(envelope: dict[str, Any], secret: dict[str, Any] | None) -> dict[str, Any]:
    """A stored envelope with the personal values its ``"sealed"`` held put back (``secret``, as decrypted; ``None``
    when they are gone, which leaves each of them ``null``). Marks the result ``"erased"`` in that case."""
    opened = dict(envelope)
    opened.pop(SEALED, None)
    if secret is None:
        opened["erased"] = SEALED in envelope
        return opened
    opened["data"] = merge(envelope["data"], secret.get("data"))
    if "actor_name" in secret:
        opened["actor"] = {**envelope["actor"], "name": secret["actor_name"]}
    if "reason" in secret:
        opened["reason"] = secret["reason"]
    return opened


def event_from_envelope(envelope: dict[str, Any], plan_id: UUID | None = None) -> Plan.Event:
    """Rebuild a domain event from its stored envelope, upcasting data written by older code. ``plan_id``: the id
    of the plan the event is stored under, if the caller has it as a UUID (used only if the envelope names the
    same plan: parsing an id costs more than comparing it)."""
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
        "originator_id": plan_id if plan_id is not None and str(plan_id) == envelope["plan_id"]
        else UUID(envelope["plan_id"]),
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
