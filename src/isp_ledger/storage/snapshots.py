"""How snapshots of plans are stored, and which ones are read back.

A snapshot is a cache of a plan's state at a version, never evidence: it is not chained, and deleting any
snapshot is always safe. It is stored encrypted whole under the plan's data key (CONTRACT.md §11), with the plan,
the version and the chain's head hash at that version as associated data: a snapshot that was edited, moved to
another plan or version, or that does not belong to the chain as it is stored, does not decrypt. Such a snapshot is
discarded (deleted, with a warning in the log) and the plan is replayed from its events, so an edited snapshot is
never served; the edit of an event it covers is caught by ``verify``. A plan whose key was destroyed has no usable
snapshot and takes no new one. A plan's state is JSON-native by design (see ``domain/state.py``) apart from the
aggregate's timestamps, so orjson serialises it whole, and only the three known timestamps are converted back
by hand. That keeps loading a long plan fast.

Each snapshot records the format of the state it holds (:data:`SNAPSHOT_FORMAT`). A snapshot of any other format,
older or unknown, is never read: the plan is rebuilt from its events (upcast as they are read), and the next
snapshot is taken in the current format. A stored snapshot is never patched into shape in code: events are the
record, and replaying them is always right.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import AggregateRecorder, EventStore, Mapper, StoredEvent, Transcoder

from isp_ledger.storage.data_keys import PlanErased
from isp_ledger.storage.sealing import PlanSealer, Unreadable

log = logging.getLogger(__name__)

# The shape of the plan's state that snapshots hold. Change it whenever that shape changes (an attribute of
# ``PlanState``, the fields of a record, an event's data as upcast), and say what it is:
#   1  as written before snapshots recorded a format (they carry none);
#   2  the records of sessions carry ``starts_at``, those of acknowledgements ``given_by`` and ``method``;
#   3  a record struck out as recorded in error carries its ``voided`` mark, and an item struck out whole has the
#      status ``voided`` (``EntryVoided``);
#   4  the snapshot is sealed under the plan's data key, bound to its plan, version and head hash (``SealedSnapshots``),
#      as a JSON string inside a JSON object;
#   5  the same, sealed as bytes behind a plain prefix (``_prefix``): nothing to parse or escape twice.
SNAPSHOT_FORMAT = 5
_TIMESTAMPS = ("_created_on", "_modified_on")


class SnapshotTranscoder(Transcoder):
    """The state of a snapshot as JSON (sealed, and its format checked, by :class:`SealedSnapshots`)."""

    def encode(self, obj: Any) -> bytes:
        return orjson.dumps(obj)

    def decode(self, data: bytes) -> Any:
        snapshot = orjson.loads(data)
        snapshot["timestamp"] = dt.datetime.fromisoformat(snapshot["timestamp"])
        state = snapshot["state"]
        for key in _TIMESTAMPS:
            state[key] = dt.datetime.fromisoformat(state[key])
        return snapshot


class SealedSnapshots(Mapper[UUID]):
    """The library's mapper for snapshots, sealing each under its plan's key (the library's own ``cipher`` seam
    takes one key for every aggregate, and no associated data)."""

    sealer: PlanSealer
    head_hash: Callable[[UUID, int], str | None]  # the stored hash of a plan's event at a version

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        stored = super().to_stored_event(domain_event)
        head = domain_event.state["head_hash"]
        plan_id = UUID(str(stored.originator_id))
        sealed = self.sealer.seal_bytes(plan_id, _aad(plan_id, stored.originator_version, head), stored.state)
        if sealed is None:
            raise PlanErased(f"plan {stored.originator_id} was erased: it is not snapshotted")
        return StoredEvent(stored.originator_id, stored.originator_version, stored.topic, _prefix() + sealed)

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        state, prefix = bytes(stored_event.state), _prefix()
        version = stored_event.originator_version
        if not state.startswith(prefix):  # of an older format (JSON, with its format or none)
            return _Passed(version)
        plan_id = UUID(str(stored_event.originator_id))
        head = self.head_hash(plan_id, version)
        try:
            inner = self.sealer.open_bytes(plan_id, _aad(plan_id, version, head or ""), state[len(prefix):])
        except Unreadable:
            return _Passed(version, discard=True)
        if inner is None:  # the plan's key was destroyed
            return _Passed(version, discard=True)
        return super().to_domain_event(StoredEvent(stored_event.originator_id, version, stored_event.topic, inner))


@dataclass(frozen=True)
class _Passed:
    """A snapshot not to use: of another format, or (``discard``) one that does not open where it is stored."""

    originator_version: int
    discard: bool = False


def _prefix() -> bytes:
    """What a snapshot of the current format starts with: its format, before the sealed state in hex."""
    return f"isp-ledger snapshot {SNAPSHOT_FORMAT} sealed:".encode()


def _aad(plan_id: UUID, version: int, head_hash: str) -> bytes:
    return f"isp-ledger snapshot|{plan_id}|{version}|{head_hash}".encode()


class SnapshotStore(EventStore[UUID]):
    """The plans' snapshots, as the library's repository asks for them, less those not of the current format and
    those that do not open (which are deleted).

    The repository asks for the latest snapshot only (``desc``, ``limit=1``): when that one is not usable, it gets
    none, and replays the plan from its first event.
    """

    def __init__(self, recorder: AggregateRecorder) -> None:
        super().__init__(mapper=SealedSnapshots(transcoder=SnapshotTranscoder()), recorder=recorder)

    def put(self, domain_events: Sequence[Any], **kwargs: Any) -> Any:
        try:
            return super().put(domain_events, **kwargs)
        except PlanErased:
            return None

    def get(
        self,
        originator_id: UUID,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Iterator[DomainEventProtocol[UUID]]:
        if limit is None or not desc:
            found = super().get(originator_id, gt=gt, lte=lte, desc=desc, limit=None)
            current = (s for s in found if self._usable(originator_id, s))
            return islice(current, limit) if limit is not None else current
        return iter(self._newest(originator_id, gt, lte, limit))

    def _newest(self, plan_id: UUID, gt: int | None, lte: int | None, limit: int) -> list[Any]:
        """The newest ``limit`` usable snapshots, reading no more of them than it must (they can be large)."""
        usable: list[Any] = []
        while len(usable) < limit:
            batch = list(super().get(plan_id, gt=gt, lte=lte, desc=True, limit=limit))
            usable += [s for s in batch if self._usable(plan_id, s)]
            if len(batch) < limit:
                break
            lte = batch[-1].originator_version - 1
        return usable[:limit]

    def _usable(self, plan_id: UUID, snapshot: Any) -> bool:
        if not isinstance(snapshot, _Passed):
            return True
        if snapshot.discard:
            log.warning("a snapshot of plan %s does not open where it is stored (edited, moved, or its plan was "
                        "erased): discarded, and the plan replayed from its events", plan_id)
            self.recorder.delete_snapshots(plan_id)  # type: ignore[attr-defined]
        return False
