"""What every read model is made of: a view (its tables and tracking position), a projection that fills it,
and the plans the projection reads while it does.

A read model is an eventsourcing ``Projection`` over a ``TrackingRecorder`` view, on SQLite or PostgreSQL.
Events arrive in batches: ``process_event`` is called for each (before the event is applied to the shared
plans, so a projection can see what an event changes), then ``flush`` writes the batch's rows *and* the
tracking position in one transaction. A crash loses at most an uncommitted batch, which is processed again
from the committed position: every event takes effect exactly once.

Each read model lives in tables of one *generation* (``rm_<name>_g<N>_<table>``): a rebuild fills the next
generation beside the current one, then switches (see ``registry.py``).
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.persistence import Tracking, TrackingRecorder
from eventsourcing.projection import Projection

from isp_ledger.domain.plan import Plan
from isp_ledger.storage.sql import Cursor, Sql

APPLICATION = "isp_ledger"  # the name read models track positions under
_NAME = re.compile(r"\{(\w+)\}")
_INDEX_NAME = re.compile(r"\{=(\w+)\}")


class View(TrackingRecorder):
    """A read model's tables at one generation, and its tracking position, in one database."""

    def __init__(self, sql: Sql, name: str, generation: int, tables: dict[str, str]) -> None:
        self.sql = sql
        self.name = name
        self.generation = generation
        self.tables = tables
        self._rendered: dict[str, str] = {}

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

    def apply(self, event: Plan.Event) -> Plan:
        plan = event.mutate(self.before(event))  # type: ignore[attr-defined]
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
    """Base of every read model."""

    name: ClassVar[str]
    tables: ClassVar[dict[str, str]]
    plans: PlanFolder

    def __init__(self, view: View, plans: PlanFolder) -> None:
        super().__init__(view)
        self.plans = plans
        self.position = view.position()

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:  # type: ignore[override]
        """Note what ``domain_event`` changes; called before it is applied to ``self.plans``."""
        raise NotImplementedError

    def flush(self, cursor: Cursor) -> None:
        """Write what the batch changed (the caller records the position in the same transaction)."""
        raise NotImplementedError

    def discard(self) -> None:
        """Forget a batch that was not committed."""
        raise NotImplementedError


class DirtyPlans(ReadModel):
    """A read model with one row (or a few) per plan, rewritten from the plan's state at the end of a batch."""

    def __init__(self, view: View, plans: PlanFolder) -> None:
        super().__init__(view, plans)
        self._dirty: dict[UUID, None] = {}
        self._lock = threading.Lock()

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:  # type: ignore[override]
        self._dirty[domain_event.originator_id] = None

    def flush(self, cursor: Cursor) -> None:
        self.write(cursor, [self.plans.get(plan_id) for plan_id in self._dirty])
        self._dirty.clear()

    def discard(self) -> None:
        self._dirty.clear()

    def write(self, cursor: Cursor, plans: Iterable[Plan]) -> None:
        raise NotImplementedError
