"""The PostgreSQL sequencer: it gives committed events their place in the ledger's sequence, and logs plan heads.

Writers note their events in ``isp_unsequenced`` (``postgres.py``). Under an advisory lock the sequencer moves
every committed, noted event into ``isp_sequence`` as ``max + 1, max + 2, ...`` (in plan and version order within
the batch), appends the transparency log's entries for the heads it reached, and commits, then NOTIFYs
listeners (:class:`NotifyWaiter`, the recorder's subscriptions). What a write returns, :class:`Positions`, reads
the positions the sequencer gave, when asked.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, overload
from uuid import uuid4

import psycopg
from psycopg import Connection
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from isp_ledger.domain.stamp import format_instant
from isp_ledger.storage import transparency
from isp_ledger.storage.postgres_schema import APPEND_TO_LOG, log_rows, q, sequencer_lock_key
from isp_ledger.storage.postgres_store import conninfo

if TYPE_CHECKING:
    from isp_ledger.storage.postgres import PostgresLedgerRecorder

log = logging.getLogger(__name__)


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
        self._lock_key = sequencer_lock_key(schema)
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
                                     (log_rows(entries), self.recorder.channel_name, str(last_id)), prepare=True)
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


class NotifyWaiter:
    """Waits for the sequencer's NOTIFY: new events have their place in the sequence.

    One wake-up covers every NOTIFY queued meanwhile, so a projector that was busy does not spin through a
    backlog of them. :meth:`interrupt` wakes the waiter at once (through a channel of its own).
    """

    def __init__(self, recorder: PostgresLedgerRecorder) -> None:
        self._conninfo = conninfo(recorder.datastore)
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


class Positions(Sequence[int]):
    """The positions in the ledger's sequence of the events of one write: what ``insert_events`` returns.

    The library expects a write to return its events' notification ids. Here they are given after the commit,
    by the sequencer, and a write that waited for them would wait for a numbering pass (the batch delay and a
    transaction under the sequencer's lock): every command would be slower for an answer the ledger never reads.
    So this sequence knows at once how many positions there are, and reads them only when something first asks
    for one (``resolve``: number whatever is still pending, then read them). The ids it gives are the events'
    real, final positions.
    """

    __hash__: ClassVar[None]  # type: ignore[assignment]  # compared like a list, so unhashable like one

    def __init__(self, count: int, resolve: Callable[[], list[int]]) -> None:
        self._count = count
        self._resolve = resolve
        self._ids: list[int] | None = None

    def _resolved(self) -> list[int]:
        if self._ids is None:
            self._ids = self._resolve()
        return self._ids

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> int: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[int]: ...

    def __getitem__(self, index: int | slice) -> int | Sequence[int]:
        return self._resolved()[index]

    def __iter__(self) -> Iterator[int]:
        return iter(self._resolved())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, (str, bytes)):
            return list(self) == list(other)
        return NotImplemented

    def __repr__(self) -> str:
        return repr(self._ids) if self._ids is not None else f"<positions of {self._count} events, not read yet>"
