"""PostgreSQL recorders for the ledger.

Why not the library's ``PostgresApplicationRecorder``: to keep notification ids gap-free and in commit order it
takes an EXCLUSIVE lock on the events table for every write and holds it through the commit, so writers to
different plans queue behind each other, and it needs two round trips (insert, then commit). Here a write is
one pipelined round trip (BEGIN, insert, companions, COMMIT) with no table lock: the (plan, version) primary
key is the only point of contention, exactly as for a plain insert.

Positions in the ledger's sequence are given afterwards by a :class:`Sequencer`. A writer notes its events
in ``isp_unsequenced`` in the same statement; under an advisory lock the sequencer moves every committed,
noted event into ``isp_sequence`` as ``max + 1, max + 2, ...`` (in plan and version order within the batch)
and commits, then NOTIFYs listeners. Ids are therefore gap-free (a rolled-back write or a failed pass consumes
none), in commit order, and each batch becomes visible atomically: a reader that has seen id N will never
later find a new event below N. Events of one plan keep their version order: version N+1 can only be
written after N committed, so N is numbered in the same batch or an earlier one. The wide event rows are
written once and never updated; numbering touches only narrow rows.

The same pass appends the transparency log of plan heads (``transparency.py``): one entry per plan numbered in
it, for the plan's highest version in the pass, whose hash it reads from the end of that event's stored bytes.
Numbering and logging commit together, so an event is logged exactly when it is numbered, and the log's
positions are gap-free and in order for the same reasons as the ids.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import logging
import threading
from collections.abc import Iterator, Sequence
from typing import Any
from uuid import UUID, uuid4

import orjson
import psycopg
import psycopg.errors
from eventsourcing.persistence import (
    AggregateRecorder,
    ApplicationRecorder,
    IntegrityError,
    ListenNotifySubscription,
    Notification,
    OperationalError,
    PersistenceError,
    StoredEvent,
    Subscription,
)
from eventsourcing.postgres import PostgresDatastore
from psycopg import Connection
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed, Identifier

from isp_ledger.domain.stamp import format_instant
from isp_ledger.storage import transparency
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

# The unique constraints a write can break, and what each means. A write inserts into isp_events and
# isp_unsequenced in one statement, in an order PostgreSQL does not define: a writer that lost the race for a
# plan's next version may hit either primary key first, and both mean the same.
CONFLICTS = {
    "isp_events_pkey": VersionConflict,
    "isp_unsequenced_pkey": VersionConflict,
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
        curs.execute("SELECT to_regclass(%s) IS NULL AS new_log", (f'"{datastore.schema}".isp_head_log',))
        row = curs.fetchone()
        new_log = bool(row and row["new_log"])
        for statement in POSTGRES_TABLES:
            curs.execute(q(statement, datastore.schema))
        if new_log:
            _start_log(curs, datastore.schema)
        # Snapshots are large and read whole: lz4 (PostgreSQL 14+, when built with it) is several times faster
        # than the default pglz. Without it the default stays.
        try:
            with curs.connection.transaction():
                curs.execute(q("ALTER TABLE {schema}.isp_snapshots ALTER COLUMN state SET COMPRESSION lz4",
                               datastore.schema))
        except psycopg.Error:
            log.info("lz4 compression unavailable; snapshots use PostgreSQL's default")


def _start_log(curs: psycopg.Cursor[DictRow], schema: str) -> None:
    """A store from before the transparency log: the log starts from each plan's numbered head as it stands."""
    curs.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"{schema}.isp_events.sequencer",))
    curs.execute(q(
        "SELECT e.originator_id, e.originator_version, substring(e.state FROM octet_length(e.state) - 74) AS tail "
        "FROM (SELECT originator_id, max(originator_version) AS originator_version FROM {schema}.isp_sequence "
        "      GROUP BY originator_id) h "
        "JOIN {schema}.isp_events e USING (originator_id, originator_version) ORDER BY e.originator_id",
        schema,
    ))
    heads = [(str(r["originator_id"]), r["originator_version"], transparency.head_hash_of(r["tail"]))
             for r in curs.fetchall()]
    entries = transparency.append(None, [(p, v, h) for p, v, h in heads if h is not None],
                                  format_instant(dt.datetime.now(dt.UTC)))
    if entries:
        curs.execute(q(APPEND_TO_LOG, schema), (_log_rows(entries),))


# The entries go as one JSON parameter (see _log_rows): far cheaper for psycopg to send than seven arrays.
APPEND_TO_LOG = (
    "INSERT INTO {schema}.isp_head_log "
    "(position, plan_id, version, head_hash, recorded_at, prev_entry_hash, entry_hash) "
    "SELECT * FROM json_to_recordset(%s::json) AS e(position bigint, plan_id uuid, version bigint, head_hash text, "
    "recorded_at text, prev_entry_hash text, entry_hash text)"
)


def _log_rows(entries: Sequence[transparency.LogEntry]) -> str:
    return orjson.dumps([e.as_dict() for e in entries]).decode()


class PostgresLedgerRecorder(ApplicationRecorder):
    """Stores sealed plan events; the ledger's sequence is given to them by the :class:`Sequencer`."""

    def __init__(self, datastore: PostgresDatastore) -> None:
        self.datastore = datastore
        schema = datastore.schema
        self.channel_name = f"{schema}_isp_events"
        self._insert = q(
            "INSERT INTO {schema}.isp_events (originator_id, originator_version, topic, state) VALUES ", schema
        )
        self._note_unsequenced = q(
            "INSERT INTO {schema}.isp_unsequenced (originator_id, originator_version) VALUES ", schema
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
            "SELECT s.notification_id, e.originator_id, e.originator_version, e.topic, e.state "
            "FROM {schema}.isp_sequence s JOIN {schema}.isp_events e USING (originator_id, originator_version) "
            "WHERE s.notification_id > %s AND s.notification_id <= %s",
            schema,
        )
        self._in_plan_order = q(
            "SELECT s.notification_id, e.originator_id, e.originator_version, e.topic, e.state "
            "FROM {schema}.isp_sequence s JOIN {schema}.isp_events e USING (originator_id, originator_version) "
            "WHERE (s.originator_id, s.originator_version) > (%s, %s) AND s.notification_id <= %s",
            schema,
        )
        self._max_id = q("SELECT max(notification_id) FROM {schema}.isp_sequence", schema)
        self._position_of = q(
            "SELECT notification_id FROM {schema}.isp_sequence WHERE originator_id = %s AND originator_version = %s",
            schema,
        )
        self.writers = ConnectionQueue(datastore, size=datastore.pool.max_size)
        self._statements: dict[tuple[int, tuple[type, ...]], bytes] = {}
        self.sequencer = Sequencer(self)

    # -------------------------------------------------------------- writing

    def insert_events(
        self, stored_events: Sequence[StoredEvent], *, companions: Sequence[Companion] = (), **_: Any
    ) -> Sequence[int] | None:
        """Store events and their companions atomically, in one statement and one round trip."""
        if not stored_events and not companions:
            return None
        statement, params = self._write_statement(stored_events, companions)
        conn = self.writers.get()
        try:
            conn.execute(statement, params, prepare=True)
        except psycopg.errors.UniqueViolation as e:
            conflict = CONFLICTS.get(e.diag.constraint_name or "")
            if conflict is None:
                raise IntegrityError(str(e)) from e
            raise conflict(str(e)) from None
        except psycopg.OperationalError as e:
            self.writers.discard(conn)
            conn = None
            raise OperationalError(str(e)) from e
        except psycopg.Error as e:
            raise PersistenceError(str(e)) from e
        finally:
            if conn is not None:
                self.writers.put(conn)
        self.sequencer.poke()
        return None

    def _write_statement(
        self, stored_events: Sequence[StoredEvent], companions: Sequence[Companion]
    ) -> tuple[bytes, list[Any]]:
        params: list[Any] = []
        for e in stored_events:
            params.extend((e.originator_id, e.originator_version, e.topic, e.state))
        for e in stored_events:
            params.extend((e.originator_id, e.originator_version))
        for companion in companions:
            if isinstance(companion, (ClaimUpn, ReleaseUpn)):
                params.extend((companion.upn_key, companion.plan_id))
            else:
                params.extend((companion.user_id, companion.key, companion.fingerprint, companion.status_code,
                               companion.body))
        shape = (len(stored_events), tuple(type(c) for c in companions))
        statement = self._statements.get(shape)
        if statement is None:
            statement = self._statements[shape] = self._compose(*shape)
        return statement, params

    def _compose(self, event_count: int, companion_types: tuple[type, ...]) -> bytes:
        """The SQL of a write of this shape (composed once, then reused as a prepared statement).

        One statement is one implicit transaction: its data-modifying CTEs commit or fail together.
        """
        parts: list[Composed] = []
        if event_count:
            parts.append(self._insert + SQL(", ").join([SQL("(%s, %s, %s, %s)")] * event_count))
            parts.append(self._note_unsequenced + SQL(", ").join([SQL("(%s, %s)")] * event_count))
        kinds = {ClaimUpn: self._claim, ReleaseUpn: self._release, RememberResponse: self._remember}
        parts.extend(kinds[kind] for kind in companion_types)
        if len(parts) == 1:
            statement = parts[0]
        else:
            ctes = SQL(", ").join(SQL("w{0} AS ({1})").format(SQL(str(i)), part) for i, part in enumerate(parts))
            statement = SQL("WITH {0} SELECT 1").format(ctes)
        return statement.as_string().encode()

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
            statement += SQL(" AND e.topic = ANY(%s)")
            params.append(list(topics))
        statement += SQL(" ORDER BY s.notification_id LIMIT %s")
        params.append(limit)
        return self._fetch_notifications(statement, params)

    def select_in_plan_order(
        self, head: int, after: tuple[UUID, int], limit: int, below: UUID | None = None
    ) -> Sequence[Notification]:
        """Events numbered up to ``head``, plan by plan (by plan id, then version), after the event ``after``
        (a plan id and a version; version 0 for all of that plan's events), of plans with ids below ``below``.

        Every plan's events up to ``head`` are a prefix of its history, since a plan's events are numbered in
        version order. The bounds are on the sequence's own index, which the scan walks in order.
        """
        statement = self._in_plan_order
        params: list[Any] = [after[0], after[1], head]
        if below is not None:
            statement += SQL(" AND s.originator_id < %s")
            params.append(below)
        statement += SQL(" ORDER BY s.originator_id, s.originator_version LIMIT %s")
        params.append(limit)
        return self._fetch_notifications(statement, params)

    def _fetch_notifications(self, statement: Composed, params: list[Any]) -> list[Notification]:
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=psycopg.rows.tuple_row) as curs:
            curs.execute(statement, params, prepare=True)
            return [
                Notification(id=n, originator_id=o, originator_version=v, topic=t, state=s)
                for n, o, v, t, s in curs.fetchall()
            ]

    def notification_id_of(self, originator_id: UUID, version: int) -> int | None:
        """The event's place in the sequence, once the sequencer has given it one."""
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=psycopg.rows.tuple_row) as curs:
            curs.execute(self._position_of, (originator_id, version), prepare=True)
            row = curs.fetchone()
            return row[0] if row else None

    def max_notification_id(self) -> int | None:
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=psycopg.rows.tuple_row) as curs:
            curs.execute(self._max_id)
            row = curs.fetchone()
            return row[0] if row else None

    def subscribe(self, gt: int | None = None, topics: Sequence[str] = ()) -> Subscription[ApplicationRecorder]:
        return PostgresLedgerSubscription(self, gt=gt, topics=topics)

    def waiter(self) -> NotifyWaiter:
        return NotifyWaiter(self)

    def close(self) -> None:
        self.sequencer.stop()
        self.writers.close()


class ConnectionQueue:
    """Autocommit connections for the write path, handed out without ceremony.

    The write path is a single statement per command, so the general pool's bookkeeping is most of what is
    left to save: checking a connection out and back in is a ``deque`` pop and append, atomic under the GIL,
    with no lock taken. Connections are created on demand up to ``size``; beyond that a writer waits (the
    only path that locks). Connections the server reports broken are dropped.
    """

    TIMEOUT = 30.0

    def __init__(self, datastore: PostgresDatastore, size: int) -> None:
        kwargs = datastore.pool.kwargs
        assert isinstance(kwargs, dict)
        self._conninfo = {k: v for k, v in kwargs.items() if k != "row_factory"}
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


class Sequencer:
    """Numbers committed events with their place in the ledger's sequence, in batches, in the background.

    Writers :meth:`poke` it after they commit. It waits a moment so a burst shares one numbering transaction,
    then numbers everything committed and unnumbered. It also sweeps every ``sweep_interval`` seconds, so
    events written by a process that died before its sequencer ran are numbered by any live one.
    """

    BATCH_LIMIT = 5_000

    def __init__(self, recorder: PostgresLedgerRecorder, batch_delay: float = 0.01,
                 sweep_interval: float = 1.0) -> None:
        self.recorder = recorder
        self.batch_delay = batch_delay
        self.sweep_interval = sweep_interval
        schema = recorder.datastore.schema
        self._lock_key = f"{schema}.isp_events.sequencer"
        self._number = q(
            "WITH moved AS ("
            "  DELETE FROM {schema}.isp_unsequenced WHERE (originator_id, originator_version) IN ("
            "    SELECT originator_id, originator_version FROM {schema}.isp_unsequenced"
            "    ORDER BY originator_id, originator_version LIMIT %s)"
            "  RETURNING originator_id, originator_version"
            "), base AS (SELECT coalesce(max(notification_id), 0) AS m FROM {schema}.isp_sequence), "
            "numbered AS ("
            "  INSERT INTO {schema}.isp_sequence (notification_id, originator_id, originator_version) "
            "  SELECT base.m + row_number() OVER (ORDER BY originator_id, originator_version),"
            "         originator_id, originator_version FROM moved, base "
            "  RETURNING notification_id, originator_id, originator_version"
            "), heads AS ("
            "  SELECT originator_id, max(originator_version) AS originator_version, count(*) AS numbered,"
            "         max(notification_id) AS last_id FROM numbered GROUP BY originator_id"
            "), last_entry AS ("
            "  SELECT position, entry_hash FROM {schema}.isp_head_log ORDER BY position DESC LIMIT 1"
            ") "
            # One row per plan numbered: its head in this pass, with the last transparency.TAIL_BYTES (75)
            # bytes of that event's stored form, where its hash is, and the log's last entry so far, from
            # which the pass's entries follow.
            # (A correlated lookup, so that each head is one probe of the primary key, never a scan.)
            "SELECT h.originator_id, h.originator_version, h.numbered, h.last_id,"
            "       (SELECT substring(e.state FROM octet_length(e.state) - 74) FROM {schema}.isp_events e"
            "        WHERE e.originator_id = h.originator_id AND e.originator_version = h.originator_version)"
            "       AS tail,"
            "       l.position AS log_position, l.entry_hash AS log_entry_hash "
            "FROM heads h LEFT JOIN last_entry l ON true "
            "ORDER BY h.last_id",
            schema,
        ).as_string().encode()  # as bytes, psycopg converts its placeholders once, not on every pass
        # The log's entries and the NOTIFY in one statement (it is not sent unless something was numbered).
        self._append_and_notify = SQL("WITH appended AS ({0}) SELECT pg_notify(%s, %s)").format(
            q(APPEND_TO_LOG, schema)).as_string().encode()
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
        if not self._poked.is_set():  # during a batch delay most writers find it set already: skip the lock
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
        """Number a batch and log the heads it reaches, in one transaction: two round trips."""
        with self.recorder.datastore.get_connection() as conn:
            try:
                with conn.pipeline():
                    conn.execute("BEGIN")
                    conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (self._lock_key,), prepare=True)
                    curs = conn.execute(self._number, (self.BATCH_LIMIT,), prepare=True)
                heads = curs.fetchall()
                numbered = sum(row["numbered"] for row in heads)
                last_id = max((row["last_id"] for row in heads), default=0)
                entries = self._log_entries(heads)
                with conn.pipeline():
                    if entries:
                        conn.execute(self._append_and_notify,
                                     (_log_rows(entries), self.recorder.channel_name, str(last_id)), prepare=True)
                    elif numbered:
                        conn.execute(self._notify, (self.recorder.channel_name, str(last_id)))
                    conn.execute("COMMIT")
            except BaseException:
                if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                    conn.rollback()
                raise
        if numbered:
            with self._numbered:
                self.last_numbered = max(self.last_numbered, last_id)
                self._numbered.notify_all()
        return int(numbered)

    @staticmethod
    def _log_entries(heads: list[DictRow]) -> list[transparency.LogEntry]:
        if not heads:
            return []
        last = heads[0]
        logged = []
        for row in heads:
            digest = transparency.head_hash_of(row["tail"]) if row["tail"] is not None else None
            if digest is None:  # removed or altered since it was written: verify will say the log lacks it
                log.warning("plan %s version %s is not a sealed event; the transparency log skips it",
                            row["originator_id"], row["originator_version"])
                continue
            logged.append((str(row["originator_id"]), int(row["originator_version"]), digest))
        return transparency.append(
            (last["log_position"], last["log_entry_hash"]) if last["log_position"] is not None else None, logged,
            format_instant(dt.datetime.now(dt.UTC)))

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


class NotifyWaiter:
    """Waits for the sequencer's NOTIFY: new events have their place in the sequence.

    One wake-up covers every NOTIFY queued meanwhile, so a projector that was busy does not spin through a
    backlog of them. :meth:`interrupt` wakes the waiter at once (through a channel of its own).
    """

    def __init__(self, recorder: PostgresLedgerRecorder) -> None:
        kwargs = recorder.datastore.pool.kwargs
        assert isinstance(kwargs, dict)
        self._conninfo = {k: v for k, v in kwargs.items() if k != "row_factory"}
        self._conn: Connection[Any] = psycopg.connect(**self._conninfo, autocommit=True)
        self._wake_channel = f"isp_ledger_wake_{uuid4().hex}"
        self._conn.execute(SQL("LISTEN {0}").format(Identifier(recorder.channel_name)))
        self._conn.execute(SQL("LISTEN {0}").format(Identifier(self._wake_channel)))

    def wait(self, timeout: float) -> bool:
        """Block until a NOTIFY arrives or ``timeout`` passes; return whether one arrived."""
        woken = False
        for _ in self._conn.notifies(timeout=timeout, stop_after=1):
            woken = True
        if woken:
            for _ in self._conn.notifies(timeout=0):
                pass  # drain whatever else is queued
        return woken

    def interrupt(self) -> None:
        """Wake a waiter blocked in :meth:`wait` (from another thread)."""
        with psycopg.connect(**self._conninfo, autocommit=True) as conn:
            conn.execute("SELECT pg_notify(%s, '')", (self._wake_channel,))

    def close(self) -> None:
        self._conn.close()


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
