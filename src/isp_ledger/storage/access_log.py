"""The access log (``isp_access_log``): who was shown which plan, when, and what they asked for (CONTRACT.md §10).

Entries are appended in the plan's own store, each batch in one statement and one transaction, committed before
the caller answers (on SQLite, in WAL mode with ``synchronous`` FULL, the commit is on disk when it returns); there
is no queue in memory that a crash could lose. Entries are never changed. A page is read newest first, by the
entry's id, which only grows.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore

from isp_ledger.storage.postgres_store import ConnectionQueue
from isp_ledger.storage.sql import Cursor, Sql

COLUMNS = ("plan_id", "at", "user_id", "user_name", "user_role", "relationship", "what", "detail", "asked")
# Rows per INSERT statement: well inside SQLite's limit of bound parameters (32,766) and PostgreSQL's (65,535).
ROWS_PER_STATEMENT = 1_000


@dataclass(frozen=True)
class AccessEntry:
    plan_id: UUID
    at: str  # the instant, in the ledger's textual form (UTC, microseconds)
    user_id: str
    user_name: str
    user_role: str
    relationship: str | None
    what: str
    detail: str
    asked: str  # JSON: the as_of, as_at, period... of the request

    def row(self) -> tuple[Any, ...]:
        return (str(self.plan_id), self.at, self.user_id, self.user_name, self.user_role, self.relationship,
                self.what, self.detail, self.asked)


class AccessLogStore:
    def __init__(self, datastore: SQLiteDatastore | PostgresDatastore) -> None:
        self.sql = Sql(datastore)
        # PostgreSQL: a read's entry is one statement on an autocommit connection of the log's own, its own
        # transaction, committed in one round trip (the general pool's checkout and BEGIN/COMMIT would cost more
        # than the insert on every read). Those connections commit without waiting for the WAL to reach the disk
        # (synchronous_commit off): the entry is committed, and seen by every reader, before the answer is sent, so
        # no crash of the service loses it; only a crash of the database server itself could lose the last moments'
        # entries (at most three times wal_writer_delay, 0.6 s by default). The plans' events always wait for the
        # disk. Waiting for it on every read would cost a disk flush per answer: several times the read itself.
        self._writers = ConnectionQueue(datastore, datastore.pool.max_size) if isinstance(
            datastore, PostgresDatastore) else None
        self._configured: weakref.WeakSet[psycopg.Connection[Any]] = weakref.WeakSet()
        self._statements: dict[int, bytes] = {}

    def close(self) -> None:
        if self._writers is not None:
            self._writers.close()

    def append(self, entries: Sequence[AccessEntry]) -> None:
        """Store ``entries`` in one transaction: one statement, or one per thousand rows for a long report."""
        if not entries:
            return
        if self._writers is not None and len(entries) <= ROWS_PER_STATEMENT:
            self._append_in_one_statement(entries)
            return
        with self.sql.write() as cursor:
            for start in range(0, len(entries), ROWS_PER_STATEMENT):
                self._insert(cursor, entries[start:start + ROWS_PER_STATEMENT])

    def _append_in_one_statement(self, entries: Sequence[AccessEntry]) -> None:
        assert self._writers is not None
        statement = self._statements.get(len(entries))
        if statement is None:
            statement = self._statements[len(entries)] = self.sql.render(_insert_statement(len(entries))).encode()
        conn = self._writers.get()
        broken = False
        try:
            if conn not in self._configured:
                conn.execute("SET synchronous_commit TO off")
                self._configured.add(conn)
            conn.execute(statement, [value for entry in entries for value in entry.row()], prepare=True)
        except psycopg.OperationalError:
            broken = True
            raise
        finally:
            if broken:
                self._writers.discard(conn)
            else:
                self._writers.put(conn)

    @staticmethod
    def _insert(cursor: Cursor, batch: Sequence[AccessEntry]) -> None:
        cursor.execute(_insert_statement(len(batch)), [value for entry in batch for value in entry.row()])

    def page(self, plan_id: UUID, *, before: int | None, limit: int) -> list[tuple[int, AccessEntry]]:
        """Up to ``limit`` entries of the plan, newest first, with ids below ``before`` (if given)."""
        where = "plan_id = ?"
        params: list[Any] = [str(plan_id)]
        if before is not None:
            where += " AND entry_id < ?"
            params.append(before)
        rows = self.sql.fetch(
            f"SELECT entry_id, {', '.join(COLUMNS)} FROM {{isp_access_log}} WHERE {where} "
            "ORDER BY entry_id DESC LIMIT ?",
            [*params, limit],
        )
        return [(int(row[0]), AccessEntry(UUID(str(row[1])), *row[2:])) for row in rows]

    def count(self, plan_id: UUID) -> int:
        rows = self.sql.fetch("SELECT count(*) FROM {isp_access_log} WHERE plan_id = ?", (str(plan_id),))
        return int(rows[0][0])


def _insert_statement(rows: int) -> str:
    placeholders = ", ".join(["(" + ", ".join("?" * len(COLUMNS)) + ")"] * rows)
    return f"INSERT INTO {{isp_access_log}} ({', '.join(COLUMNS)}) VALUES {placeholders}"
