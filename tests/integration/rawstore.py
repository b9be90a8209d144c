"""Direct access to a test store's tables, bypassing the ledger: to tamper with it as an intruder with database
access would, and to look at what it holds (sqlite3 on the SQLite file; psycopg on the test's own schema)."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import parse_qs, urlsplit
from uuid import UUID

import psycopg

from tests.conftest import postgres_dsn


class RawStore:
    """One connection per statement batch, committed at once: each change is visible to every other reader."""

    def __init__(self, store_url: str) -> None:
        self.kind = "sqlite" if store_url.startswith("sqlite:///") else "postgresql"
        if self.kind == "sqlite":
            self.path = store_url[len("sqlite:///") :]
            self.schema = ""
        else:
            self.schema = parse_qs(urlsplit(store_url).query)["schema"][0]

    def table(self, name: str) -> str:
        return name if self.kind == "sqlite" else f'"{self.schema}".{name}'

    @contextlib.contextmanager
    def cursor(self) -> Iterator[Any]:
        """A cursor taking ``?`` placeholders on both stores, in one transaction committed at the end."""
        if self.kind == "sqlite":
            conn = sqlite3.connect(self.path, timeout=30)
            try:
                with conn:
                    yield _QmarkCursor(conn.cursor(), sqlite=True)
            finally:
                conn.close()
        else:
            with psycopg.connect(postgres_dsn()) as pg, pg.cursor() as curs:
                yield _QmarkCursor(curs, sqlite=False)

    def fetch(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self.cursor() as cursor:
            cursor.execute(statement, params)
            rows: list[tuple[Any, ...]] = cursor.fetchall()
            return rows

    def execute(self, statement: str, params: Sequence[Any] = ()) -> int:
        with self.cursor() as cursor:
            cursor.execute(statement, params)
            return int(cursor.rowcount)

    def _id(self, plan_id: UUID) -> Any:
        return str(plan_id) if self.kind == "sqlite" else plan_id

    # ------------------------------------------------------------ a plan's stored events

    def states(self, plan_id: UUID) -> dict[int, bytes]:
        """The stored bytes of each of the plan's events, by version."""
        rows = self.fetch(
            f"SELECT originator_version, state FROM {self.table('isp_events')} WHERE originator_id = ? "
            "ORDER BY originator_version",
            (self._id(plan_id),),
        )
        return {int(version): bytes(state) for version, state in rows}

    def set_state(self, plan_id: UUID, version: int, state: bytes) -> None:
        changed = self.execute(
            f"UPDATE {self.table('isp_events')} SET state = ? WHERE originator_id = ? AND originator_version = ?",
            (state, self._id(plan_id), version),
        )
        assert changed == 1

    def delete(self, plan_id: UUID, version: int) -> None:
        changed = self.execute(
            f"DELETE FROM {self.table('isp_events')} WHERE originator_id = ? AND originator_version = ?",
            (self._id(plan_id), version),
        )
        assert changed == 1

    def insert(self, plan_id: UUID, version: int, topic: str, state: bytes) -> None:
        """An event added behind the ledger's back (on PostgreSQL, never noted for numbering)."""
        self.execute(
            f"INSERT INTO {self.table('isp_events')} (originator_id, originator_version, topic, state) "
            "VALUES (?, ?, ?, ?)",
            (self._id(plan_id), version, topic, state),
        )

    def swap_versions(self, plan_id: UUID, a: int, b: int) -> None:
        """Reorder two stored events: each row (topic and state) moves to the other's version."""
        update = (f"UPDATE {self.table('isp_events')} SET originator_version = ? "
                  "WHERE originator_id = ? AND originator_version = ?")
        with self.cursor() as cursor:
            for old, new in ((a, -1), (b, a), (-1, b)):
                cursor.execute(update, (new, self._id(plan_id), old))
                assert cursor.rowcount == 1

    # ------------------------------------------------------------ the transparency log of plan heads

    LOG_COLUMNS = ("position", "plan_id", "version", "head_hash", "recorded_at", "prev_entry_hash", "entry_hash")

    def log(self, plan_id: UUID | None = None) -> list[dict[str, Any]]:
        """The log's entries in position order (only the plan's, if given), each as a dict of its columns."""
        statement = f"SELECT {', '.join(self.LOG_COLUMNS)} FROM {self.table('isp_head_log')}"
        params: tuple[Any, ...] = ()
        if plan_id is not None:
            statement += " WHERE plan_id = ?"
            params = (self._id(plan_id),)
        rows = self.fetch(statement + " ORDER BY position", params)
        return [{**dict(zip(self.LOG_COLUMNS, row, strict=True)), "plan_id": str(row[1])} for row in rows]

    def set_log_entry(self, position: int, **changes: Any) -> None:
        assignments = ", ".join(f"{column} = ?" for column in changes)
        values = [self._id(v) if k == "plan_id" and isinstance(v, UUID) else v for k, v in changes.items()]
        changed = self.execute(f"UPDATE {self.table('isp_head_log')} SET {assignments} WHERE position = ?",
                               (*values, position))
        assert changed == 1

    def delete_log_entry(self, position: int) -> None:
        changed = self.execute(f"DELETE FROM {self.table('isp_head_log')} WHERE position = ?", (position,))
        assert changed == 1

    def count(self, table: str, where: str = "", params: Sequence[Any] = ()) -> int:
        statement = f"SELECT count(*) FROM {self.table(table)}" + (f" WHERE {where}" if where else "")
        return int(self.fetch(statement, params)[0][0])


class _QmarkCursor:
    def __init__(self, cursor: Any, *, sqlite: bool) -> None:
        self._cursor = cursor
        self._sqlite = sqlite

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        if not self._sqlite:
            statement = statement.replace("%", "%%").replace("?", "%s")
        self._cursor.execute(statement, params)

    def fetchall(self) -> list[tuple[Any, ...]]:
        return list(self._cursor.fetchall())

    @property
    def rowcount(self) -> int:
        return int(self._cursor.rowcount)
