"""Connections to the PostgreSQL store beyond the library's pool, and the read both recorders share.

* :class:`ConnectionQueue`: the write path's own autocommit connections.
* :func:`conninfo`: how to open a connection of one's own (for LISTEN, or the write path).
* :func:`select_stream`: one plan's stored events (or snapshots), by version.
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import OperationalError, StoredEvent
from eventsourcing.postgres import PostgresDatastore
from psycopg import Connection
from psycopg.sql import SQL, Composed


def conninfo(datastore: PostgresDatastore) -> dict[str, Any]:
    """The keyword arguments of ``psycopg.connect`` for a connection to the datastore's database."""
    kwargs = datastore.pool.kwargs
    assert isinstance(kwargs, dict)
    return {k: v for k, v in kwargs.items() if k != "row_factory"}


class ConnectionQueue:
    """Autocommit connections for the write path, handed out without ceremony.

    The write path is a single statement per command, so the general pool's bookkeeping is most of what is
    left to save: checking a connection out and back in is a ``deque`` pop and append, atomic under the GIL,
    with no lock taken. Connections are created on demand up to ``size``; beyond that a writer waits (the
    only path that locks). Connections the server reports broken are dropped.
    """

    TIMEOUT = 30.0

    def __init__(self, datastore: PostgresDatastore, size: int) -> None:
        self._conninfo = conninfo(datastore)
        self._idle: collections.deque[Connection[Any]] = collections.deque()
        self._size = size
        self._opened = 0
        self._returned = threading.Condition()
        self._closed = False

    def get(self) -> Connection[Any]:
        while True:
            try:
                conn = self._idle.pop()
            except IndexError:
                conn = self._open_or_wait()
            if not conn.closed:
                return conn
            self._forget()

    def _open_or_wait(self) -> Connection[Any]:
        with self._returned:
            if self._opened < self._size:
                self._opened += 1
            else:
                if not self._returned.wait_for(lambda: bool(self._idle), self.TIMEOUT):
                    raise OperationalError(f"no database connection became free within {self.TIMEOUT:.0f}s")
                return self._idle.pop()
        try:
            return psycopg.connect(**self._conninfo, autocommit=True, row_factory=psycopg.rows.dict_row)
        except BaseException:
            self._forget()
            raise

    def put(self, conn: Connection[Any]) -> None:
        if self._closed or conn.closed or conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            self.discard(conn)
            return
        self._idle.append(conn)
        if self._opened >= self._size:  # someone may be waiting
            with self._returned:
                self._returned.notify()

    def discard(self, conn: Connection[Any]) -> None:
        conn.close()
        self._forget()

    def _forget(self) -> None:
        with self._returned:
            self._opened -= 1
            self._returned.notify()

    def close(self) -> None:
        self._closed = True
        while self._idle:
            self._idle.pop().close()


def select_stream(
    datastore: PostgresDatastore,
    select: Composed,
    originator_id: UUID | str,
    *,
    gt: int | None = None,
    lte: int | None = None,
    desc: bool = False,
    limit: int | None = None,
) -> Sequence[StoredEvent]:
    """The rows of ``select`` (versions, topics and states of one originator, ``WHERE originator_id = %s``) within
    the bounds, in version order (or the reverse)."""
    statement = select
    params: list[Any] = [originator_id]
    if gt is not None:
        statement += SQL(" AND originator_version > %s")
        params.append(gt)
    if lte is not None:
        statement += SQL(" AND originator_version <= %s")
        params.append(lte)
    statement += SQL(" ORDER BY originator_version DESC" if desc else " ORDER BY originator_version")
    if limit is not None:
        statement += SQL(" LIMIT %s")
        params.append(limit)
    with datastore.get_connection() as conn, conn.cursor(row_factory=psycopg.rows.tuple_row) as curs:
        curs.execute(statement, params, prepare=True)
        return [
            StoredEvent(originator_id=originator_id, originator_version=v, topic=t, state=s)
            for v, t, s in curs.fetchall()
        ]
