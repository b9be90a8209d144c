"""The PostgreSQL recorder of the ledger's plan events.

Why not the library's ``PostgresApplicationRecorder``: to keep notification ids gap-free and in commit order it
takes an EXCLUSIVE lock on the events table for every write and holds it through the commit, so writers to
different plans queue behind each other, and it needs two round trips (insert, then commit). Here a write is
one pipelined round trip (BEGIN, insert, companions, COMMIT) with no table lock: the (plan, version) primary
key is the only point of contention, exactly as for a plain insert.

Positions in the ledger's sequence are given afterwards by a :class:`Sequencer` (``postgres_sequencer.py``). A
writer notes its events in ``isp_unsequenced`` in the same statement; under an advisory lock the sequencer moves
every committed, noted event into ``isp_sequence`` as ``max + 1, max + 2, ...`` (in plan and version order within
the batch) and commits, then NOTIFYs listeners. Ids are therefore gap-free (a rolled-back write or a failed pass
consumes none), in commit order, and each batch becomes visible atomically: a reader that has seen id N will never
later find a new event below N. Events of one plan keep their version order: version N+1 can only be
written after N committed, so N is numbered in the same batch or an earlier one. The wide event rows are
written once and never updated; numbering touches only narrow rows.

The same pass appends the transparency log of plan heads (``transparency.py``): one entry per plan numbered in
it, for the plan's highest version in the pass, whose hash it reads from the end of that event's stored bytes.
Numbering and logging commit together, so an event is logged exactly when it is numbered, and the log's
positions are gap-free and in order for the same reasons as the ids.

Beside it: ``postgres_schema.py`` creates the tables, ``postgres_store.py`` keeps the write path's connections,
``postgres_snapshots.py`` stores snapshots.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import psycopg
import psycopg.errors
from eventsourcing.persistence import (
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
from psycopg.sql import SQL, Composed, Identifier

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
from isp_ledger.storage.postgres_schema import q
from isp_ledger.storage.postgres_sequencer import NotifyWaiter, Positions, Sequencer
from isp_ledger.storage.postgres_store import ConnectionQueue, select_stream

# The unique constraints a write can break, and what each means. A write inserts into isp_events and
# isp_unsequenced in one statement, in an order PostgreSQL does not define: a writer that lost the race for a
# plan's next version may hit either primary key first, and both mean the same.
CONFLICTS = {
    "isp_events_pkey": VersionConflict,
    "isp_unsequenced_pkey": VersionConflict,
    "isp_open_plans_pkey": UpnTaken,
    "isp_idempotency_pkey": IdempotencyKeyTaken,
}


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
        self._grant = q(
            "INSERT INTO {schema}.isp_grants (grant_id, plan_id, setting_urn, user_id, relationship, expires_on, "
            "granted_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            schema,
        )
        self._revoke = q("UPDATE {schema}.isp_grants SET revoked_at = %s WHERE grant_id = %s", schema)
        self._destroy_key = q(
            "UPDATE {schema}.isp_data_keys SET wrapped = NULL, wrap_id = NULL, erased_at = %s WHERE plan_id = %s",
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
        self._positions_of = q(
            "SELECT s.notification_id FROM unnest(%s::uuid[], %s::bigint[]) WITH ORDINALITY "
            "AS k(originator_id, originator_version, n) "
            "LEFT JOIN {schema}.isp_sequence s USING (originator_id, originator_version) ORDER BY k.n",
            schema,
        )
        self.writers = ConnectionQueue(datastore, size=datastore.pool.max_size)
        self._statements: dict[tuple[int, tuple[type, ...]], bytes] = {}
        self.sequencer = Sequencer(self)

    # -------------------------------------------------------------- writing

    def insert_events(
        self, stored_events: Sequence[StoredEvent], *, companions: Sequence[Companion] = (), **_: Any
    ) -> Sequence[int] | None:
        """Store events and their companions atomically, in one statement and one round trip.

        Returns the events' positions in the ledger's sequence as :class:`Positions`, which reads them only when
        first asked (the sequencer gives them after the commit; the write does not wait for it).
        """
        if not stored_events and not companions:
            return None
        statement, params = self._write_statement(stored_events, companions)
        conn = self.writers.get()
        broken = False
        try:
            conn.execute(statement, params, prepare=True)
        except psycopg.errors.UniqueViolation as e:
            conflict = CONFLICTS.get(e.diag.constraint_name or "")
            if conflict is None:
                raise IntegrityError(str(e)) from e
            raise conflict(str(e)) from None
        except psycopg.OperationalError as e:
            broken = True
            raise OperationalError(str(e)) from e
        except psycopg.Error as e:
            raise PersistenceError(str(e)) from e
        finally:
            if broken:
                self.writers.discard(conn)
            else:
                self.writers.put(conn)
        self.sequencer.poke()
        events = [(e.originator_id, e.originator_version) for e in stored_events]
        return Positions(len(events), lambda: self.positions_of(events))

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
            elif isinstance(companion, RecordGrant):
                params.extend((companion.grant_id, companion.plan_id, companion.setting_urn, companion.user_id,
                               companion.relationship, companion.expires_on, companion.granted_at))
            elif isinstance(companion, RecordRevocation):
                params.extend((companion.revoked_at, companion.grant_id))
            elif isinstance(companion, DestroyDataKey):
                params.extend((companion.erased_at, companion.plan_id))
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
        kinds = {ClaimUpn: self._claim, ReleaseUpn: self._release, RememberResponse: self._remember,
                 RecordGrant: self._grant, RecordRevocation: self._revoke, DestroyDataKey: self._destroy_key}
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
        return select_stream(self.datastore, self._select, originator_id, gt=gt, lte=lte, desc=desc, limit=limit)

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

    def positions_of(self, events: Sequence[tuple[UUID | str, int]]) -> list[int]:
        """The positions of committed events, given by ``(plan_id, version)``: if any has none yet, everything
        committed is numbered first (one pass, under the sequencer's lock, like any other)."""
        positions = self._select_positions(events)
        if None in positions:
            try:
                self.sequencer.number_pending()
            except psycopg.OperationalError as e:
                raise OperationalError(str(e)) from e
            except psycopg.Error as e:
                raise PersistenceError(str(e)) from e
            positions = self._select_positions(events)
        if None in positions:
            missing = [event for event, position in zip(events, positions, strict=True) if position is None]
            raise PersistenceError(f"events not in the store, so without a position: {missing}")
        return [p for p in positions if p is not None]

    def _select_positions(self, events: Sequence[tuple[UUID | str, int]]) -> list[int | None]:
        if not events:
            return []
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=psycopg.rows.tuple_row) as curs:
            curs.execute(self._positions_of, ([str(plan) for plan, _ in events], [v for _, v in events]))
            return [row[0] for row in curs.fetchall()]

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
