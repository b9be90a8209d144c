"""Snapshots of plans on SQLite: a cache of state, never evidence."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import AggregateRecorder, StoredEvent
from eventsourcing.sqlite import SQLiteDatastore

from isp_ledger.storage.sqlite import select_stream, write_transaction


class SQLiteSnapshotRecorder(AggregateRecorder):
    """Snapshots of plans: a cache of state, never evidence. Not chained; any may be deleted safely."""

    def __init__(self, datastore: SQLiteDatastore) -> None:
        self.datastore = datastore

    def insert_events(self, stored_events: Sequence[StoredEvent], **_: Any) -> Sequence[int] | None:
        with write_transaction(self.datastore) as cursor:
            cursor.executemany(
                "INSERT OR IGNORE INTO isp_snapshots (originator_id, originator_version, topic, state) "
                "VALUES (?,?,?,?)",
                [(str(e.originator_id), e.originator_version, e.topic, e.state) for e in stored_events],
            )
        return None

    def delete_snapshots(self, originator_id: UUID) -> None:
        """Delete every snapshot of the plan (one that does not open; an erased plan's)."""
        with write_transaction(self.datastore) as cursor:
            cursor.execute("DELETE FROM isp_snapshots WHERE originator_id = ?", (str(originator_id),))

    def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        return select_stream(self.datastore, "isp_snapshots", originator_id, gt=gt, lte=lte, desc=desc, limit=limit)
