"""PostgreSQL recorders for the ledger.

Why not the library's ``PostgresApplicationRecorder``: to keep notification ids gap-free and in commit order it
takes an EXCLUSIVE lock on the events table for every write and holds it through the commit, so writers to
different plans queue behind each other, and it needs two round trips (insert, then commit). Here a write is
one pipelined round trip (BEGIN, insert, companions, COMMIT) with no table lock: the (plan, version) primary
key is the only point of contention, exactly as for a plain insert.

Positions in the ledger's sequence are given afterwards by a :class:`Sequencer`. Under an advisory lock it
numbers every committed, unnumbered event ``max + 1, max + 2, ...`` in arrival order and commits, then
NOTIFYs listeners. Ids are therefore gap-free (a rolled-back write or a failed pass consumes none), in
commit order, and each batch becomes visible atomically: a reader that has seen id N will never later find a
new event below N. Events of one plan keep their version order because version N+1 can only be written after
N committed, so it arrives later.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator, Sequence
from typing import Any
from uuid import UUID

import psycopg
import psycopg.errors
from eventsourcing.persistence import (
    AggregateRecorder,
    ApplicationRecorder,
    ListenNotifySubscription,
    Notification,
    StoredEvent,
    Subscription,
)
from eventsourcing.postgres import PostgresDatastore
from psycopg import Connection
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed, Identifier

from isp_ledger.storage.companions import (
    ClaimUpn,
    Companion,
    IdempotencyKeyTaken,
    ReleaseUpn,
    RememberResponse,
    UpnTaken,
    VersionConflict,
)
from isp_ledger.storage.schema import POSTGRES_TABLES

log = logging.getLogger(__name__)

CONFLICTS = {
    "isp_events_pkey": VersionConflict,
    "isp_open_plans_pkey": UpnTaken,
    "isp_idempotency_pkey": IdempotencyKeyTaken,
}


def q(statement: str, schema: str) -> Composed:
    return SQL(statement).format(schema=Identifier(schema))


def create_tables(datastore: PostgresDatastore) -> None:
    """Create the write side's tables, once, even when several processes start together."""
    with datastore.transaction(commit=True) as curs:
        curs.execute(SQL("CREATE SCHEMA IF NOT EXISTS {0}").format(Identifier(datastore.schema)))
        curs.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"{datastore.schema}.isp_ledger_ddl",))
        for statement in POSTGRES_TABLES:
            curs.execute(q(statement, datastore.schema))


class PostgresLedgerRecorder(ApplicationRecorder):
    """Stores sealed plan events; the ledger's sequence is given to them by the :class:`Sequencer`."""

    def __init__(self, datastore: PostgresDatastore) -> None:
        self.datastore = datastore
        schema = datastore.schema
        self.channel_name = f"{schema}_isp_events"
        self._insert = q(
            "INSERT INTO {schema}.isp_events (originator_id, originator_version, topic, state) "
            "SELECT * FROM unnest(%s::uuid[], %s::bigint[], %s::text[], %s::bytea[])",
            schema,
        )
        self._claim = q("INSERT INTO {schema}.isp_open_plans (upn_key, plan_id) VALUES (%s, %s)", schema)
        self._release = q("DELETE FROM {schema}.isp_open_plans WHERE upn_key = %s AND plan_id = %s", schema)
        self._remember = q(
            "INSERT INTO {schema}.isp_idempotency (user_id, key, fingerprint, status_code, response, created_at) "
            "VALUES (%s, %s, %s, %s, %s, now())",
            schema,
        )
        self._select = q(
            "SELECT originator_version, topic, state FROM {schema}.isp_events WHERE originator_id = %s", schema
        )
        self._notifications = q(
            "SELECT notification_id, originator_id, originator_version, topic, state FROM {schema}.isp_events "
            "WHERE notification_id > %s AND notification_id <= %s",
            schema,
        )
        self._max_id = q("SELECT max(notification_id) FROM {schema}.isp_events", schema)
        self.sequencer = Sequencer(self)

    # -------------------------------------------------------------- writing

    def insert_events(
        self, stored_events: Sequence[StoredEvent], *, companions: Sequence[Companion] = (), **_: Any
    ) -> Sequence[int] | None:
        if not stored_events and not companions:
            return None
        columns: tuple[list[Any], list[int], list[str], list[bytes]] = ([], [], [], [])
        for e in stored_events:
            columns[0].append(e.originator_id)
            columns[1].append(e.originator_version)
            columns[2].append(e.topic)
            columns[3].append(e.state)
        with self.datastore.get_connection() as conn:
            try:
                with conn.pipeline():
                    conn.execute("BEGIN")
                    if stored_events:
                        conn.execute(self._insert, columns, prepare=True)
                    for companion in companions:
                        self._write_companion(conn, companion)
                    conn.execute("COMMIT")
            except psycopg.errors.UniqueViolation as e:
                conn.rollback()
                conflict = CONFLICTS.get(e.diag.constraint_name or "")
                if conflict is None:
                    raise
                raise conflict(str(e)) from None
            except BaseException:
                if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                    conn.rollback()
                raise
        self.sequencer.poke()
        return None

    def _write_companion(self, conn: Connection[DictRow], companion: Companion) -> None:
        if isinstance(companion, ClaimUpn):
            conn.execute(self._claim, (companion.upn_key, companion.plan_id), prepare=True)
        elif isinstance(companion, ReleaseUpn):
            conn.execute(self._release, (companion.upn_key, companion.plan_id), prepare=True)
        elif isinstance(companion, RememberResponse):
            conn.execute(
                self._remember,
                (companion.user_id, companion.key, companion.fingerprint, companion.status_code, companion.body),
                prepare=True,
            )
        else:  # pragma: no cover - the Companion union is closed
            raise TypeError(companion)

    # -------------------------------------------------------------- reading a plan

    def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        statement, params = self._select, [originator_id]
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
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=psycopg.rows.tuple_row) as curs:
            curs.execute(statement, params, prepare=True)
            return [
                StoredEvent(originator_id=originator_id, originator_version=v, topic=t, state=s)
                for v, t, s in curs.fetchall()
            ]

    # -------------------------------------------------------------- the ledger's sequence

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
        statement = self._notifications
        params: list[Any] = [after, stop if stop is not None else 2**62]
        if topics:
            statement += SQL(" AND topic = ANY(%s)")
            params.append(list(topics))
        statement += SQL(" ORDER BY notification_id LIMIT %s")
        params.append(limit)
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=psycopg.rows.tuple_row) as curs:
            curs.execute(statement, params, prepare=True)
            return [
                Notification(id=n, originator_id=o, originator_version=v, topic=t, state=s)
                for n, o, v, t, s in curs.fetchall()
            ]

    def max_notification_id(self) -> int | None:
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=psycopg.rows.tuple_row) as curs:
            curs.execute(self._max_id)
            row = curs.fetchone()
            return row[0] if row else None

    def subscribe(self, gt: int | None = None, topics: Sequence[str] = ()) -> Subscription[ApplicationRecorder]:
        return PostgresLedgerSubscription(self, gt=gt, topics=topics)

    def close(self) -> None:
        self.sequencer.stop()


class Sequencer:
    """Numbers committed events with their place in the ledger's sequence, in batches, in the background.

    Writers :meth:`poke` it after they commit. It waits a moment so a burst shares one numbering transaction,
    then numbers everything committed and unnumbered. It also sweeps every ``sweep_interval`` seconds, so
    events written by a process that died before its sequencer ran are numbered by any live one.
    """

    BATCH_LIMIT = 5_000

    def __init__(self, recorder: PostgresLedgerRecorder, batch_delay: float = 0.002,
                 sweep_interval: float = 1.0) -> None:
        self.recorder = recorder
        self.batch_delay = batch_delay
        self.sweep_interval = sweep_interval
        schema = recorder.datastore.schema
        self._lock_key = f"{schema}.isp_events.sequencer"
        self._number = q(
            "WITH pending AS ("
            "  SELECT originator_id, originator_version, row_number() OVER (ORDER BY arrival) AS n"
            "  FROM {schema}.isp_events WHERE notification_id IS NULL ORDER BY arrival LIMIT %s"
            "), base AS (SELECT coalesce(max(notification_id), 0) AS m FROM {schema}.isp_events) "
            "UPDATE {schema}.isp_events e SET notification_id = base.m + pending.n FROM pending, base "
            "WHERE e.originator_id = pending.originator_id AND e.originator_version = pending.originator_version "
            "RETURNING e.notification_id",
            schema,
        )
        self._notify = SQL("SELECT pg_notify(%s, %s)")
        self._poked = threading.Event()
        self._stopping = threading.Event()
        self._numbered = threading.Condition()
        self.last_numbered = 0
        self._thread: threading.Thread | None = None
        self._thread_lock = threading.Lock()

    def start(self) -> None:
        with self._thread_lock:
            if self._thread is None or not self._thread.is_alive():
                self._stopping.clear()
                self._thread = threading.Thread(target=self._run, name="isp-ledger-sequencer", daemon=True)
                self._thread.start()

    def poke(self) -> None:
        if self._thread is None:
            self.start()
        self._poked.set()

    def stop(self) -> None:
        self._stopping.set()
        self._poked.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)

    def number_pending(self) -> int:
        """Number every committed, unnumbered event now; return how many were numbered."""
        total = 0
        while True:
            numbered = self._pass()
            total += numbered
            if numbered < self.BATCH_LIMIT:
                return total

    def _pass(self) -> int:
        with self.recorder.datastore.get_connection() as conn:
            try:
                with conn.pipeline():
                    conn.execute("BEGIN")
                    conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (self._lock_key,), prepare=True)
                    curs = conn.execute(self._number, (self.BATCH_LIMIT,), prepare=True)
                ids = [row["notification_id"] for row in curs.fetchall()]
                if ids:
                    conn.execute(self._notify, (self.recorder.channel_name, str(max(ids))))
                conn.execute("COMMIT")
            except BaseException:
                if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                    conn.rollback()
                raise
        if ids:
            with self._numbered:
                self.last_numbered = max(self.last_numbered, max(ids))
                self._numbered.notify_all()
        return len(ids)

    def _run(self) -> None:
        while not self._stopping.is_set():
            poked = self._poked.wait(self.sweep_interval)
            if self._stopping.is_set():
                break
            if poked:
                self._stopping.wait(self.batch_delay)  # let a burst of commits share one pass
            self._poked.clear()
            try:
                self.number_pending()
            except Exception:  # the next poke or sweep retries; events stay safely unnumbered meanwhile
                log.exception("sequencing failed; will retry")
                self._stopping.wait(0.5)


class PostgresLedgerSubscription(ListenNotifySubscription[PostgresLedgerRecorder]):
    """Follows the ledger's sequence, woken by the sequencer's NOTIFY (and checking every second anyway)."""

    def __init__(self, recorder: PostgresLedgerRecorder, gt: int | None = None, topics: Sequence[str] = ()):
        super().__init__(recorder=recorder, gt=gt, topics=topics)
        self._listen_thread = threading.Thread(target=self._listen, daemon=True)
        self._listen_thread.start()

    def __exit__(self, *args: object, **kwargs: Any) -> None:
        try:
            super().__exit__(*args, **kwargs)
        finally:
            self._listen_thread.join()

    def _listen(self) -> None:
        try:
            with self._recorder.datastore.get_connection() as conn:
                conn.execute(SQL("LISTEN {0}").format(Identifier(self._recorder.channel_name)))
                while not self._has_been_stopped and not self._thread_error:
                    woke = False
                    for _ in conn.notifies(timeout=1.0, stop_after=1):
                        woke = True
                    if woke or not self._has_been_stopped:
                        self._has_been_notified.set()
        except BaseException as e:
            if self._thread_error is None:
                self._thread_error = e
            self.stop()


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
        self._select = q(
            "SELECT originator_version, topic, state FROM {schema}.isp_snapshots WHERE originator_id = %s", schema
        )

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
        statement, params = self._select, [originator_id]
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
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=psycopg.rows.tuple_row) as curs:
            curs.execute(statement, params, prepare=True)
            return [
                StoredEvent(originator_id=originator_id, originator_version=v, topic=t, state=s)
                for v, t, s in curs.fetchall()
            ]


@contextlib.contextmanager
def cursor(datastore: PostgresDatastore, *, commit: bool = False) -> Iterator[psycopg.Cursor[DictRow]]:
    with datastore.transaction(commit=commit) as curs:
        yield curs
