"""Plain SQL on either store, for the small tables beside the event log (users, read models).

Statements are written once with ``?`` placeholders and table names wrapped as ``{name}``; this adapter
qualifies the names (PostgreSQL schema) and converts placeholders for psycopg. Table names only ever come
from code, never from input.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Sequence
from typing import Any, Literal

from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore
from psycopg.rows import tuple_row

from isp_ledger.storage import sqlite

_TABLE = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


class Sql:
    def __init__(self, datastore: SQLiteDatastore | PostgresDatastore) -> None:
        self.datastore = datastore
        self.dialect: Literal["sqlite", "postgresql"]
        if isinstance(datastore, PostgresDatastore):
            self.dialect = "postgresql"
            self._prefix = f'"{datastore.schema}".'
        else:
            self.dialect = "sqlite"
            self._prefix = ""
        self._cache: dict[str, str] = {}

    def render(self, statement: str) -> str:
        rendered = self._cache.get(statement)
        if rendered is None:
            rendered = _TABLE.sub(lambda m: f"{self._prefix}{m.group(1)}", statement)
            if self.dialect == "postgresql":
                rendered = rendered.replace("%", "%%").replace("?", "%s")
            self._cache[statement] = rendered
        return rendered

    @contextlib.contextmanager
    def read(self) -> Iterator[Cursor]:
        if isinstance(self.datastore, PostgresDatastore):
            with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
                yield Cursor(self, curs)
        else:
            with sqlite.raw_connection(self.datastore, writer=False) as sqlite_conn:
                yield Cursor(self, sqlite_conn.cursor())

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[Cursor]:
        """Reads that all see the store as of one moment, whatever commits meanwhile (a read-only transaction:
        REPEATABLE READ on PostgreSQL; a deferred transaction on SQLite, whose WAL mode gives it a snapshot)."""
        if isinstance(self.datastore, PostgresDatastore):
            with (
                self.datastore.get_connection() as conn,
                conn.transaction(force_rollback=True),
                conn.cursor(row_factory=tuple_row) as curs,
            ):
                curs.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                yield Cursor(self, curs)
        else:
            with sqlite.raw_connection(self.datastore, writer=False) as sqlite_conn:
                cursor = sqlite_conn.cursor()
                cursor.execute("BEGIN")
                try:
                    yield Cursor(self, cursor)
                finally:
                    sqlite_conn.rollback()

    @contextlib.contextmanager
    def write(self) -> Iterator[Cursor]:
        """One transaction: everything in the block commits together, or nothing does."""
        if isinstance(self.datastore, PostgresDatastore):
            with (
                self.datastore.get_connection() as conn,
                conn.transaction(),
                conn.cursor(row_factory=tuple_row) as curs,
            ):
                yield Cursor(self, curs)
        else:
            with sqlite.write_transaction(self.datastore) as curs:
                yield Cursor(self, curs)

    def fetch(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self.read() as cursor:
            return cursor.fetch(statement, params)


class Cursor:
    def __init__(self, sql: Sql, cursor: Any) -> None:
        self.sql = sql
        self.cursor = cursor

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        self.cursor.execute(self.sql.render(statement), params)

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self.cursor.executemany(self.sql.render(statement), rows)

    def fetch(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        self.cursor.execute(self.sql.render(statement), params)
        return [tuple(row) for row in self.cursor.fetchall()]
