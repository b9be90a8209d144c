"""SQLite's part in erasure (CONTRACT.md §11): deleted content overwritten, and no old page left in the WAL.

A destroyed data key must leave no copy in the store's files: not in the database file's free pages (SQLite's
``secure_delete`` overwrites freed content with zeros), nor in the ``-wal`` file, which keeps old page images until
they are checkpointed and the file is truncated.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.sqlite import SQLiteDatastore

from isp_ledger.storage.sqlite import raw_connection


def overwrite_deleted(datastore: SQLiteDatastore) -> None:
    """Have every connection of the store overwrite deleted content with zeros (``secure_delete``), so that a
    destroyed data key or a purged row leaves no copy in the file's free pages (CONTRACT.md §11)."""
    pool = datastore.pool
    create = pool._create_connection

    def create_overwriting() -> Any:
        connection = create()
        connection._sqlite_conn.execute("PRAGMA secure_delete = ON")
        return connection

    pool._create_connection = create_overwriting  # type: ignore[method-assign]


def checkpoint(datastore: SQLiteDatastore) -> bool:
    """Copy the write-ahead log into the database file and empty it, so that no old page (holding a destroyed
    key) stays in the ``-wal`` file; ``False`` if readers kept it from finishing (it is then done later)."""
    with raw_connection(datastore, writer=True) as conn:
        busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    return not busy
