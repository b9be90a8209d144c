"""SQLite recorders for the ledger: the embedded default, one file, nothing to install.

A write takes the database's write lock (``BEGIN IMMEDIATE``) so writers queue in SQLite rather than fail on
a read-to-write upgrade, and notification ids are given inside that transaction: ``AUTOINCREMENT`` rolls back
with it, so ids are gap-free and in commit order.

The library's SQLite recorder cannot be subscribed to. :class:`SQLiteLedgerSubscription` follows the log the
cheap way: a writer in this process wakes followers through a condition variable the moment it commits, and a
follower that hears nothing checks ``PRAGMA data_version`` (which changes only when *another* connection
commits) to notice writes from other processes. Either way it reads only rows after its position, by index.

The transparency log of plan heads (``transparency.py``) gets one entry per plan written, appended in the same
write transaction as the events: under the write lock, so its positions too are gap-free and in commit order.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar, Literal
from uuid import UUID

from eventsourcing.persistence import (
    ApplicationRecorder,
    Notification,
    StoredEvent,
    Subscription,
)
from eventsourcing.sqlite import SQLiteDatastore

from isp_ledger.domain.stamp import format_instant
from isp_ledger.storage import transparency
from isp_ledger.storage.companions import (
    ClaimUpn,
    Companion,
    DestroyDataKey,
    IdempotencyKeyTaken,
    RecordGrant,
    RecordRevocation,
    ReleaseUpn,
    RememberResponse,
    UpnTaken,
    VersionConflict,
)
from isp_ledger.storage.schema import SQLITE_TABLES

CONFLICTS = (
    ("isp_events.originator_id", VersionConflict),
    ("isp_open_plans.upn_key", UpnTaken),
    ("isp_idempotency.user_id", IdempotencyKeyTaken),
)


class CommitSignal:
    """Wakes this process's followers of one database file when a writer commits."""

    _signals: ClassVar[dict[str, CommitSignal]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self) -> None:
        self.condition = threading.Condition()
        self.generation = 0

    @classmethod
    def for_database(cls, path: str) -> CommitSignal:
        with cls._lock:
            return cls._signals.setdefault(os.path.abspath(path), cls())

    def fire(self) -> None:
        with self.condition:
            self.generation += 1
            self.condition.notify_all()

    def wait(self, seen: int, timeout: float) -> int:
        with self.condition:
            self.condition.wait_for(lambda: self.generation != seen, timeout)
            return self.generation


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


@contextlib.contextmanager
def raw_connection(datastore: SQLiteDatastore, *, writer: bool) -> Iterator[sqlite3.Connection]:
    """A pooled sqlite3 connection (autocommit mode); one writer at a time within this process."""
    with datastore.get_connection(commit=writer) as conn:
        yield conn._sqlite_conn  # the library's wrapper hides the connection we need


@contextlib.contextmanager
def write_transaction(datastore: SQLiteDatastore) -> Iterator[sqlite3.Cursor]:
    with raw_connection(datastore, writer=True) as conn:
        cursor = conn.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        try:
            yield cursor
        except BaseException:
            conn.rollback()
            raise
        conn.commit()


def create_tables(datastore: SQLiteDatastore) -> None:
    with write_transaction(datastore) as cursor:
        had_log = cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'isp_head_log'")
        new_log = had_log.fetchone() is None
        for statement in SQLITE_TABLES:
            cursor.execute(statement)
        if new_log:  # a store from before the log: it starts from each plan's head as it stands
            rows = cursor.execute(
                "SELECT originator_id, max(originator_version), state FROM isp_events GROUP BY originator_id "
                "ORDER BY originator_id"
            ).fetchall()
            heads = [(plan_id, version, transparency.head_hash_of(state)) for plan_id, version, state in rows]
            append_to_log(cursor, [(p, v, h) for p, v, h in heads if h is not None])


def append_to_log(cursor: sqlite3.Cursor, heads: Sequence[tuple[str, int, str]]) -> None:
    """Append one transparency log entry per ``(plan_id, version, head_hash)`` (the caller holds the write lock)."""
    last = cursor.execute("SELECT position, entry_hash FROM isp_head_log ORDER BY position DESC LIMIT 1").fetchone()
    entries = transparency.append(last, heads, format_instant(dt.datetime.now(dt.UTC)))
    cursor.executemany(
        "INSERT INTO isp_head_log (position, plan_id, version, head_hash, recorded_at, prev_entry_hash, "
        "entry_hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(e.position, e.plan_id, e.version, e.head_hash, e.recorded_at, e.prev_entry_hash, e.entry_hash)
         for e in entries],
    )


class SQLiteLedgerRecorder(ApplicationRecorder):
    def __init__(self, datastore: SQLiteDatastore, path: str) -> None:
        self.datastore = datastore
        self.path = path
        self.signal = CommitSignal.for_database(path)

    def insert_events(
        self, stored_events: Sequence[StoredEvent], *, companions: Sequence[Companion] = (), **_: Any
    ) -> Sequence[int] | None:
        ids = []
        heads: dict[str, StoredEvent] = {}
        try:
            with write_transaction(self.datastore) as cursor:
                for e in stored_events:
                    cursor.execute(
                        "INSERT INTO isp_events (originator_id, originator_version, topic, state) VALUES (?,?,?,?)",
                        (str(e.originator_id), e.originator_version, e.topic, e.state),
                    )
                    ids.append(cursor.lastrowid)
                    head = heads.get(plan_id := str(e.originator_id))
                    if head is None or head.originator_version < e.originator_version:
                        heads[plan_id] = e
                if heads:
                    append_to_log(cursor, [(plan_id, e.originator_version, _sealed_hash(e))
                                           for plan_id, e in heads.items()])
                for companion in companions:
                    _write_companion(cursor, companion)
        except sqlite3.IntegrityError as e:
            for marker, conflict in CONFLICTS:
                if marker in str(e):
                    raise conflict(str(e)) from None
            raise
        self.signal.fire()
        return [i for i in ids if i is not None]

    def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        return select_stream(self.datastore, "isp_events", originator_id, gt=gt, lte=lte, desc=desc, limit=limit)

    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[Notification]:
        after = (start or 1) - 1 if inclusive_of_start else (start or 0)
        statement = (
            "SELECT notification_id, originator_id, originator_version, topic, state FROM isp_events "
            "WHERE notification_id > ? AND notification_id <= ?"
        )
        params: list[Any] = [after, stop if stop is not None else 2**62]
        if topics:
            statement += f" AND topic IN ({','.join('?' * len(topics))})"
            params.extend(topics)
        statement += " ORDER BY notification_id LIMIT ?"
        params.append(limit)
        return self._fetch_notifications(statement, params)

    def select_in_plan_order(
        self, head: int, after: tuple[UUID, int], limit: int, below: UUID | None = None
    ) -> Sequence[Notification]:
        """Events numbered up to ``head``, plan by plan (by plan id, then version), after the event ``after``
        (a plan id and a version; version 0 for all of that plan's events), of plans with ids below ``below``.
        (Plan ids are stored in their canonical text form, which sorts as the ids do.)"""
        statement = (
            "SELECT notification_id, originator_id, originator_version, topic, state FROM isp_events "
            "WHERE (originator_id, originator_version) > (?, ?) AND notification_id <= ?"
        )
        params: list[Any] = [str(after[0]), after[1], head]
        if below is not None:
            statement += " AND originator_id < ?"
            params.append(str(below))
        statement += " ORDER BY originator_id, originator_version LIMIT ?"
        params.append(limit)
        return self._fetch_notifications(statement, params)

    def _fetch_notifications(self, statement: str, params: list[Any]) -> list[Notification]:
        with raw_connection(self.datastore, writer=False) as conn:
            rows = conn.execute(statement, params).fetchall()
        return [
            Notification(id=n, originator_id=UUID(o), originator_version=v, topic=t, state=bytes(s))
            for n, o, v, t, s in rows
        ]

    def notification_id_of(self, originator_id: UUID, version: int) -> int | None:
        with raw_connection(self.datastore, writer=False) as conn:
            row = conn.execute(
                "SELECT notification_id FROM isp_events WHERE originator_id = ? AND originator_version = ?",
                (str(originator_id), version),
            ).fetchone()
        return row[0] if row else None

    def max_notification_id(self) -> int | None:
        with raw_connection(self.datastore, writer=False) as conn:
            row = conn.execute("SELECT max(notification_id) FROM isp_events").fetchone()
        return row[0] if row else None

    def subscribe(self, gt: int | None = None, topics: Sequence[str] = ()) -> Subscription[ApplicationRecorder]:
        return SQLiteLedgerSubscription(self, gt=gt, topics=topics)

    def waiter(self) -> CommitWaiter:
        return CommitWaiter(self)

    def close(self) -> None:
        pass


def _sealed_hash(event: StoredEvent) -> str:
    digest = transparency.head_hash_of(event.state)
    if digest is None:
        raise ValueError(f"version {event.originator_version} of {event.originator_id} is not a sealed event")
    return digest


def _write_companion(cursor: sqlite3.Cursor, companion: Companion) -> None:
    if isinstance(companion, ClaimUpn):
        cursor.execute("INSERT INTO isp_open_plans (upn_key, plan_id) VALUES (?, ?)",
                       (companion.upn_key, str(companion.plan_id)))
    elif isinstance(companion, ReleaseUpn):
        cursor.execute("DELETE FROM isp_open_plans WHERE upn_key = ? AND plan_id = ?",
                       (companion.upn_key, str(companion.plan_id)))
    elif isinstance(companion, RememberResponse):
        cursor.execute(
            "INSERT INTO isp_idempotency (user_id, key, fingerprint, status_code, response, created_at) "
            "VALUES (?, ?, ?, ?, ?, datetime('now'))",
            (companion.user_id, companion.key, companion.fingerprint, companion.status_code, companion.body),
        )
    elif isinstance(companion, RecordGrant):
        cursor.execute(
            "INSERT INTO isp_grants (grant_id, plan_id, setting_urn, user_id, relationship, expires_on, granted_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (companion.grant_id, str(companion.plan_id), companion.setting_urn, companion.user_id,
             companion.relationship, companion.expires_on, companion.granted_at),
        )
    elif isinstance(companion, RecordRevocation):
        cursor.execute("UPDATE isp_grants SET revoked_at = ? WHERE grant_id = ?",
                       (companion.revoked_at, companion.grant_id))
    elif isinstance(companion, DestroyDataKey):
        # secure_delete (set on every connection, ``data_keys.py``) overwrites the freed bytes of the old row.
        cursor.execute("UPDATE isp_data_keys SET wrapped = NULL, wrap_id = NULL, erased_at = ? WHERE plan_id = ?",
                       (companion.erased_at, str(companion.plan_id)))
    else:  # pragma: no cover - the Companion union is closed
        raise TypeError(companion)


def select_stream(
    datastore: SQLiteDatastore,
    table: Literal["isp_events", "isp_snapshots"],
    originator_id: UUID | str,
    *,
    gt: int | None = None,
    lte: int | None = None,
    desc: bool = False,
    limit: int | None = None,
) -> list[StoredEvent]:
    statement = f"SELECT originator_version, topic, state FROM {table} WHERE originator_id = ?"
    params: list[Any] = [str(originator_id)]
    if gt is not None:
        statement += " AND originator_version > ?"
        params.append(gt)
    if lte is not None:
        statement += " AND originator_version <= ?"
        params.append(lte)
    statement += " ORDER BY originator_version DESC" if desc else " ORDER BY originator_version"
    if limit is not None:
        statement += " LIMIT ?"
        params.append(limit)
    with raw_connection(datastore, writer=False) as conn:
        rows = conn.execute(statement, params).fetchall()
    return [
        StoredEvent(originator_id=originator_id, originator_version=v, topic=t, state=bytes(s)) for v, t, s in rows
    ]


class CommitWaiter:
    """Waits until something may have been committed to the database: by this process (a condition variable
    fired by its writers) or by another (``PRAGMA data_version`` changes when another connection commits)."""

    IDLE_CHECK_SECONDS = 0.25

    def __init__(self, recorder: SQLiteLedgerRecorder) -> None:
        self._signal = recorder.signal
        self._generation = recorder.signal.generation
        self._watch = sqlite3.connect(recorder.path, check_same_thread=False)
        self._data_version = self._read_data_version()

    def _read_data_version(self) -> int:
        return int(self._watch.execute("PRAGMA data_version").fetchone()[0])

    def wait(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            generation = self._signal.wait(self._generation, max(0.0, min(remaining, self.IDLE_CHECK_SECONDS)))
            if generation != self._generation:
                self._generation = generation
                return True
            data_version = self._read_data_version()
            if data_version != self._data_version:
                self._data_version = data_version
                return True
            if remaining <= 0:
                return False

    def interrupt(self) -> None:
        self._signal.fire()

    def close(self) -> None:
        self._watch.close()  # closing twice is harmless


class SQLiteLedgerSubscription(Subscription[SQLiteLedgerRecorder]):
    """Yields notifications after ``gt`` as they are committed; see the module docstring for how it waits.

    Once stopped it yields nothing more, even notifications it has already read (as the library's own
    subscriptions do): a follower that stops mid-page must not process events after it asked to stop.
    """

    BATCH = 500

    def __init__(self, recorder: SQLiteLedgerRecorder, gt: int | None = None, topics: Sequence[str] = ()):
        super().__init__(recorder=recorder, gt=gt, topics=topics)
        self._buffer: collections.deque[Notification] = collections.deque()
        self._waiter = CommitWaiter(recorder)

    def stop(self) -> None:
        super().stop()
        self._waiter.interrupt()

    def __exit__(self, *args: object, **kwargs: Any) -> None:
        try:
            super().__exit__(*args, **kwargs)
        finally:
            self._waiter.close()

    def __next__(self) -> Notification:
        while not self._has_been_stopped:
            if self._buffer:
                notification = self._buffer.popleft()
                self._last_notification_id = notification.id
                return notification
            self._buffer.extend(
                self._recorder.select_notifications(
                    self._last_notification_id or 0, self.BATCH, topics=self._topics, inclusive_of_start=False
                )
            )
            if not self._buffer:
                self._waiter.wait(1.0)
        self._buffer.clear()
        self._waiter.close()  # (again in __exit__, for a subscription used as a context manager)
        raise StopIteration
