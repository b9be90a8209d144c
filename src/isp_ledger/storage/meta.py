"""Facts about the store itself, kept in ``isp_meta`` (name, value): whether every event in it is stored encrypted
(``encryption``: ``per-pupil``) and on which day a store written before that was migrated (``migrate.py``).

The service reads them at start-up to refuse a store that still holds pupils' data in clear, and the receipt check
reads the migration's date to say why a receipt of before it names a hash the history no longer ends with.
"""

from __future__ import annotations

from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore

from isp_ledger.storage.sql import Cursor, Sql

ENCRYPTION = "encryption"
PER_PUPIL = "per-pupil"
MIGRATED_ON = "encryption_migrated_on"


def read(datastore: SQLiteDatastore | PostgresDatastore, name: str) -> str | None:
    rows = Sql(datastore).fetch("SELECT value FROM {isp_meta} WHERE name = ?", (name,))
    return str(rows[0][0]) if rows else None


def write(cursor: Cursor, name: str, value: str, *, replace: bool = True) -> None:
    """Set a fact in the caller's transaction (``replace`` False keeps a value already there)."""
    action = "UPDATE SET value = excluded.value" if replace else "NOTHING"
    cursor.execute(f"INSERT INTO {{isp_meta}} (name, value) VALUES (?, ?) ON CONFLICT (name) DO {action}",
                   (name, value))
