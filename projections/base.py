"""What every read model is made of: a view (its tables and tracking position), a projection that fills it,
and the plans the projection reads while it does.

A read model is an eventsourcing ``Projection`` over a ``TrackingRecorder`` view, on SQLite or PostgreSQL.
Events arrive in batches: ``note`` is called for each (before the event is applied to the shared plans, so a
projection can see what an event changes), then ``prepare`` and ``write`` write the batch's rows *and* the
tracking position in one transaction. A crash loses at most an uncommitted batch, which is processed again
from the committed position: every event takes effect exactly once.

A read model keeps each pupil's personal values only sealed under the pupil's data key (``sealed.py``): its view
seals and opens them with the ledger's sealer, and says which columns hold them (``ReadModel.sealed``).

Each read model lives in tables of one *generation* (``rm_<name>_g<N>_<table>``): a rebuild fills the next
generation beside the current one, then switches (see ``registry.py``).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, ClassVar, cast
from uuid import UUID

from eventsourcing.persistence import Tracking, TrackingRecorder
from eventsourcing.projection import Projection

from isp_ledger.domain.plan import Plan
from isp_ledger.storage.sql import Cursor, Sql
from projections.log import Sealer
from projections.sealed import Sealed, Seals

APPLICATION = "isp_ledger"  # the name read models track positions under
_NAME = re.compile(r"\{(\w+)\}")
_INDEX_NAME = re.compile(r"\{=(\w+)\}")


class View(TrackingRecorder):
    """A read model's tables at one generation, and its tracking position, in one database."""

    def __init__(self, sql: Sql, name: str, generation: int, tables: dict[str, str], *,
                 sealer: Sealer | None = None) -> None:
        """``sealer``: how the view's personal values are sealed and opened (a view opened only to create, drop or
        count its tables needs none)."""
        self.sql = sql
        self.name = name
        self.generation = generation
        self.tables = tables
        self._seals = None if sealer is None else Seals(name, sealer)
        self._rendered: dict[str, str] = {}

    @property
    def seals(self) -> Seals:
        if self._seals is None:
            raise RuntimeError(f"the {self.name} view was opened without a sealer: its personal values cannot be "
                               "read or written")
        return self._seals

    def table(self, base: str) -> str:
        return f"rm_{self.name}_g{self.generation}_{base}"

    def q(self, statement: str) -> str:
        """A statement about this view: ``{plans}`` names this generation's ``plans`` table (qualified by the
        schema on PostgreSQL), ``{=by_setting}`` an index name (never qualified)."""
        rendered = self._rendered.get(statement)
        if rendered is None:
            rendered = _INDEX_NAME.sub(lambda m: self.table(m.group(1)), statement)
            rendered = _NAME.sub(lambda m: "{" + self.table(m.group(1)) + "}", rendered)
            self._rendered[statement] = rendered
        return rendered

    def create_table(self) -> None:
        with self.sql.write() as cursor:
            for ddl in (*self.tables.values(), _TRACKING):
                cursor.execute(self.q(ddl))

    def drop(self) -> None:
        """Drop this generation's tables (their indexes go with them)."""
        tables = [base for base, ddl in self.tables.items() if ddl.startswith("CREATE TABLE")]
        with self.sql.write() as cursor:
            for base in (*tables, "tracking"):
                cursor.execute(self.q("DROP TABLE IF EXISTS {%s}" % base))  # noqa: UP031 - template, not input

    def insert_tracking(self, tracking: Tracking) -> None:
        with self.sql.write() as cursor:
            self.record(cursor, tracking)

    def record(self, cursor: Cursor, tracking: Tracking) -> None:
        """Move the position forward inside the caller's transaction; refuse to move it back or re-apply."""
        rows = cursor.fetch(
            self.q(
                "INSERT INTO {tracking} (application_name, notification_id) VALUES (?, ?) "
                "ON CONFLICT (application_name) DO UPDATE SET notification_id = excluded.notification_id "
                "WHERE {tracking}.notification_id < excluded.notification_id RETURNING notification_id"
            ),
            (tracking.application_name, tracking.notification_id),
        )
        if not rows:
            raise TrackingConflict(f"{self.name}: position {tracking.notification_id} was already passed")

    def max_tracking_id(self, application_name: str) -> int | None:
        rows = self.sql.fetch(
            self.q("SELECT notification_id FROM {tracking} WHERE application_name = ?"), (application_name,)
        )
        return int(rows[0][0]) if rows else None

    def position(self) -> int:
        return self.max_tracking_id(APPLICATION) or 0


_TRACKING = (
    "CREATE TABLE IF NOT EXISTS {tracking} (application_name TEXT PRIMARY KEY, notification_id BIGINT NOT NULL)"
)


# The PostgreSQL types of read-model columns, as COPY's binary format names them.
_COPY_TYPES = {"TEXT": "text", "BIGINT": "int8", "INTEGER": "int4", "DOUBLE PRECISION": "float8"}


class Insert:
    """Writing many rows of one read-model table at once.

    On PostgreSQL the rows go by ``COPY ... FROM STDIN`` in the binary format: one statement for the batch,
    which PostgreSQL loads about twice as fast as an ``INSERT``, with a fifth of the client's work.
    """

    def __init__(self, table: str, columns: dict[str, str], conflict: str = "") -> None:
        """``columns`` maps each column to its SQL type (TEXT, BIGINT, INTEGER, DOUBLE PRECISION)."""
        names = ", ".join(columns)
        self.table = table
        self.columns = columns
        self.sqlite = f"INSERT INTO {{{table}}} ({names}) VALUES ({', '.join('?' * len(columns))}) {conflict}"
        self.copy = f"COPY {{{table}}} ({names}) FROM STDIN (FORMAT BINARY)"
        self.types = [_COPY_TYPES[sql_type] for sql_type in columns.values()]

    def run(self, view: View, cursor: Cursor, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if view.sql.dialect == "postgresql":
            self._copy(view.sql.render(view.q(self.copy)), cursor, rows)
        else:
            cursor.executemany(view.q(self.sqlite), rows)

    def _copy(self, statement: str, cursor: Cursor, rows: list[tuple[Any, ...]]) -> None:
        with cursor.cursor.copy(statement.replace("%%", "%")) as copy:
            copy.set_types(self.types)
            for row in rows:
                copy.write_row(row)


class Upsert(Insert):
    """Writing many rows at once, each inserted or, if its key is there already, replaced. The rows of one call
    must have distinct keys.

    On PostgreSQL a few rows go as one array per column in a single ``INSERT ... SELECT FROM unnest(...) ON
    CONFLICT``. Many rows (a rebuild's batches) are copied into a temporary table, dropped at commit, and
    upserted from there: COPY is much the fastest way in.
    """

    STAGE_FROM_ROWS = 2_000

    def __init__(self, table: str, columns: dict[str, str], key: tuple[str, ...]) -> None:
        """``columns`` maps each column to its SQL type (TEXT, BIGINT, INTEGER, DOUBLE PRECISION); ``key`` is
        the primary key."""
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in key)
        conflict = f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}"
        super().__init__(table, columns, conflict)
        names = ", ".join(columns)
        arrays = ", ".join(f"?::{sql_type}[]" for sql_type in columns.values())
        self.postgresql = f"INSERT INTO {{{table}}} ({names}) SELECT * FROM unnest({arrays}) {conflict}"
        self.conflict = conflict

    def run(self, view: View, cursor: Cursor, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if view.sql.dialect == "sqlite":
            cursor.executemany(view.q(self.sqlite), rows)
        elif len(rows) < self.STAGE_FROM_ROWS:
            # Binary parameters (%b): psycopg's text form escapes every array element with a regex.
            statement = view.sql.render(view.q(self.postgresql)).replace("%s", "%b")
            cursor.cursor.execute(statement, [list(column) for column in zip(*rows, strict=True)])
        else:
            names = ", ".join(self.columns)
            stage = f"pg_temp.isp_stage_{view.table(self.table)}"
            definition = ", ".join(f"{column} {sql_type}" for column, sql_type in self.columns.items())
            cursor.cursor.execute(f"CREATE TEMPORARY TABLE {stage} ({definition}) ON COMMIT DROP")
            self._copy(f"COPY {stage} ({names}) FROM STDIN (FORMAT BINARY)", cursor, rows)
            upsert = f"INSERT INTO {{{self.table}}} ({names}) SELECT {names} FROM {stage} {self.conflict}"
            cursor.execute(view.q(upsert))
            cursor.cursor.execute(f"DROP TABLE {stage}")


class TrackingConflict(RuntimeError):
    """Another projector already moved this read model past the batch: the batch is not applied twice."""


class PlanFolder:
    """The plans as of the position being projected, shared by the read models of one projector.

    Each event is applied once, in order. A plan not in memory (after a restart, or evicted) is loaded from
    the event store at exactly the version before the event, so state never runs ahead of the position.
    """

    def __init__(self, load: Callable[[UUID, int], Plan], capacity: int = 5_000) -> None:
        self._load = load
        self._plans: OrderedDict[UUID, Plan] = OrderedDict()
        self.capacity = capacity

    def before(self, event: Plan.Event) -> Plan | None:
        """The plan just before ``event`` (``None`` for the event that opens it)."""
        version = event.originator_version
        if version == 1:
            return None
        plan = self._plans.get(event.originator_id)
        if plan is None or plan.version != version - 1:
            plan = self._load(event.originator_id, version - 1)
            self._keep(plan)
        return plan

    def apply(self, event: Plan.Event, before: Plan | None) -> Plan:
        """Apply ``event`` to ``before``, the plan just before it (as :meth:`before` gave it)."""
        plan = cast(Plan, event.mutate(before))  # an event of a plan returns its plan
        self._keep(plan)
        return plan

    def get(self, plan_id: UUID) -> Plan:
        return self._plans[plan_id]

    def clear(self) -> None:
        self._plans.clear()

    def _keep(self, plan: Plan) -> None:
        self._plans[plan.id] = plan
        self._plans.move_to_end(plan.id)
        while len(self._plans) > self.capacity:
            self._plans.popitem(last=False)


class ReadModel(Projection[View]):
    """Base of every read model.

    For each event of a batch the projector calls :meth:`note` with the plan just before the event. At the end
    of the batch, :meth:`prepare` works out the rows to write from the plans as they then stand (in the
    projector's thread, before the next batch changes them), and :meth:`write` writes them, in the transaction
    that also records the position (possibly in another thread, while the next batch is read).
    """

    name: str
    tables: ClassVar[dict[str, str]]
    sealed: ClassVar[dict[str, Sealed]] = {}  # table -> its columns that hold personal values, sealed
    plans: PlanFolder

    def __init__(self, view: View, plans: PlanFolder) -> None:
        super().__init__(view)
        self.plans = plans
        self.position = view.position()  # committed
        self.seen = self.position  # noted, committed or not

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """The library's interface: note one event (before it is applied to ``self.plans``)."""
        self.note(domain_event, self.plans.before(domain_event))

    def note(self, event: Plan.Event, before: Plan | None) -> None:
        """Note what ``event`` changes; ``before`` is its plan just before it (``None`` for an opening)."""
        raise NotImplementedError

    def prepare(self) -> Any:
        """The rows the batch changed, worked out now; the batch's notes are then forgotten."""
        raise NotImplementedError

    def write(self, cursor: Cursor, rows: Any) -> None:
        """Write prepared rows (the caller records the position in the same transaction)."""
        raise NotImplementedError

    def flush(self, cursor: Cursor) -> None:
        """Prepare and write in one go."""
        self.write(cursor, self.prepare())

    def discard(self) -> None:
        """Forget a batch that was not committed."""
        raise NotImplementedError


class DirtyPlans(ReadModel):
    """A read model with one row per plan, rewritten from the plan's state at the end of a batch."""

    upsert: ClassVar[Upsert]

    def __init__(self, view: View, plans: PlanFolder) -> None:
        super().__init__(view, plans)
        self._dirty: dict[UUID, None] = {}

    def note(self, event: Plan.Event, before: Plan | None) -> None:
        self._dirty[event.originator_id] = None

    def prepare(self) -> list[tuple[Any, ...]]:
        rows = [self.row(self.plans.get(plan_id)) for plan_id in self._dirty]
        self._dirty.clear()
        return rows

    def write(self, cursor: Cursor, rows: list[tuple[Any, ...]]) -> None:
        self.upsert.run(self.view, cursor, rows)

    def discard(self) -> None:
        self._dirty.clear()

    def row(self, plan: Plan) -> tuple[Any, ...]:
        """The plan's row, in the order of ``upsert``'s columns."""
        raise NotImplementedError
