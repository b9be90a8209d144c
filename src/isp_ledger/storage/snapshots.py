"""How snapshots of plans are stored, and which ones are read back.

A snapshot is a cache of a plan's state at a version, never evidence: it is not chained, and deleting any
snapshot is always safe. A plan's state is JSON-native by design (see ``domain/state.py``) apart from the
aggregate's timestamps, so orjson serialises it whole, and only the three known timestamps are converted back
by hand. That keeps loading a long plan fast.

Each snapshot records the format of the state it holds (:data:`SNAPSHOT_FORMAT`). A snapshot of any other format,
older or unknown, is never read: the plan is rebuilt from its events (upcast as they are read), and the next
snapshot is taken in the current format. A stored snapshot is never patched into shape in code: events are the
record, and replaying them is always right.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from itertools import islice
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import AggregateRecorder, EventStore, Mapper, Transcoder

# The shape of the plan's state that snapshots hold. Change it whenever that shape changes (an attribute of
# ``PlanState``, the fields of a record, an event's data as upcast), and say what it is:
#   1  as written before snapshots recorded a format (they carry none);
#   2  the records of sessions carry ``starts_at``, those of acknowledgements ``given_by`` and ``method``;
#   3  a record struck out as recorded in error carries its ``voided`` mark, and an item struck out whole has the
#      status ``voided`` (``EntryVoided``).
SNAPSHOT_FORMAT = 3
FORMAT_KEY = "format"
_UNMARKED = 1
_TIMESTAMPS = ("_created_on", "_modified_on")


class SnapshotTranscoder(Transcoder):
    """Writes the current format; reads a snapshot fully only when it is of the current format (of any other it
    reads only the format, so that :class:`SnapshotStore` passes it over without interpreting its state)."""

    def encode(self, obj: Any) -> bytes:
        return orjson.dumps({**obj, FORMAT_KEY: SNAPSHOT_FORMAT})

    def decode(self, data: bytes) -> Any:
        snapshot = orjson.loads(data)
        found = snapshot.get(FORMAT_KEY, _UNMARKED)
        if found != SNAPSHOT_FORMAT:
            return {FORMAT_KEY: found}
        snapshot["timestamp"] = dt.datetime.fromisoformat(snapshot["timestamp"])
        state = snapshot["state"]
        for key in _TIMESTAMPS:
            state[key] = dt.datetime.fromisoformat(state[key])
        return snapshot


class SnapshotStore(EventStore[UUID]):
    """The plans' snapshots, as the library's repository asks for them, less those not of the current format.

    The repository asks for the latest snapshot only (``desc``, ``limit=1``): when that one is of another format,
    it gets none, and replays the plan from its first event.
    """

    def __init__(self, recorder: AggregateRecorder) -> None:
        super().__init__(mapper=Mapper(transcoder=SnapshotTranscoder()), recorder=recorder)

    def get(
        self,
        originator_id: UUID,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Iterator[DomainEventProtocol[UUID]]:
        found = super().get(originator_id, gt=gt, lte=lte, desc=desc, limit=limit)
        current = (s for s in found if vars(s).get(FORMAT_KEY) == SNAPSHOT_FORMAT)
        return islice(current, limit) if limit is not None else current
