"""Snapshots of plans on PostgreSQL: a cache of state, never evidence."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import AggregateRecorder, StoredEvent
from eventsourcing.postgres import PostgresDatastore

from isp_ledger.storage.postgres_schema import q
from isp_ledger.storage.postgres_store import select_stream


class PostgresSnapshotRecorder(AggregateRecorder):
    """Snapshots of plans: a cache of state, never evidence. Not chained; any may be deleted safely."""

    def __init__(self, datastore: PostgresDatastore) -> None:
        self.datastore = datastore
        schema = datastore.schema
        self._insert = q(
            "INSERT INTO {schema}.isp_snapshots (originator_id, originator_version, topic, state) "
            "VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
            schema,
        )
        self._delete = q("DELETE FROM {schema}.isp_snapshots WHERE originator_id = %s", schema)
        self._select = q(
            "SELECT originator_version, topic, state FROM {schema}.isp_snapshots WHERE originator_id = %s", schema
        )

    def delete_snapshots(self, originator_id: UUID) -> None:
        """Delete every snapshot of the plan (one that does not open; an erased plan's)."""
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(self._delete, (originator_id,))

    def insert_events(self, stored_events: Sequence[StoredEvent], **_: Any) -> Sequence[int] | None:
        with self.datastore.transaction(commit=True) as curs:
            for e in stored_events:
                curs.execute(self._insert, (e.originator_id, e.originator_version, e.topic, e.state))
        return None

    def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        return select_stream(self.datastore, self._select, originator_id, gt=gt, lte=lte, desc=desc, limit=limit)
