"""The current plan: each plan's document as it stands, ready to serve ``GET /v1/plans/{plan_id}``.

The document is kept as its parts (``isp_ledger.domain.view``): a head row per plan, and a row per item and
per fact. An event rewrites the head and the one part it changed, so the cost of an event does not grow with
the size of its plan; a read assembles the parts with the same code that folds the event log, so the
document equals what replaying the log gives (a property test checks that over random command sequences).

A part struck out as recorded in error keeps its row, marked, and is left out when the document is assembled. A
provision past its ``ends_on`` is stored as recorded and shown ended from the next day by the read, which is given
today's date: a row written while the provision was in force reads as ended once its last day has passed, without
any event.

The head and each part are kept with their personal values sealed under the pupil's key (``sealed.py``): once the
key is destroyed the document reads with those values ``null`` and its structure as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar
from uuid import UUID

import orjson

from isp_ledger.domain.plan import Plan
from isp_ledger.domain.sections import SECTIONS
from isp_ledger.domain.view import FACT_SECTIONS, assemble, changed_part, fact_view, head_view, item_view
from isp_ledger.storage.sql import Cursor
from projections.base import PlanFolder, ReadModel, Upsert, View
from projections.sealed import Sealed

_HEAD = ""  # the kind a read gives the head row, so that it sorts before every part


class CurrentPlans(ReadModel):
    name = "current_plan"
    tables: ClassVar[dict[str, str]] = {
        "plans": "CREATE TABLE IF NOT EXISTS {plans} (plan_id TEXT PRIMARY KEY, setting_urn TEXT NOT NULL, "
        "version BIGINT NOT NULL, head TEXT NOT NULL)",
        # kind: a section (barriers, ...) or a kind of fact (reviews, ...); ord: the part's place in its list
        "parts": "CREATE TABLE IF NOT EXISTS {parts} (plan_id TEXT NOT NULL, kind TEXT NOT NULL, "
        "ord INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (plan_id, kind, ord))",
    }
    sealed: ClassVar[dict[str, Sealed]] = {
        "plans": Sealed(records=("head",)),
        "parts": Sealed(key=("kind", "ord"), records=("body",)),
    }

    def __init__(self, view: View, plans: PlanFolder) -> None:
        super().__init__(view, plans)
        self._dirty: dict[UUID, set[tuple[str, int]]] = {}

    def note(self, event: Plan.Event, before: Plan | None) -> None:
        parts = self._dirty.setdefault(event.originator_id, set())
        part = changed_part(event, before)
        if part is not None:
            parts.add(part)

    def prepare(self) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        heads, bodies = [], []
        seals = self.view.seals
        seals.load(self._dirty)
        for plan_id, parts in self._dirty.items():
            plan = self.plans.get(plan_id)
            key = str(plan_id)
            head = seals.record(key, "plans", "head", head_view(plan))
            heads.append((key, plan.setting_urn, plan.version, orjson.dumps(head).decode()))
            for kind, ord_ in parts:
                if kind in SECTIONS:
                    body = item_view(plan.items[plan.section_items[kind][ord_]])
                else:
                    body = fact_view(plan.facts[kind][ord_])
                sealed = seals.record(key, "parts", "body", body, (kind, ord_))
                bodies.append((key, kind, ord_, orjson.dumps(sealed).decode()))
        self.discard()
        return heads, bodies

    def write(self, cursor: Cursor, rows: tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]) -> None:
        heads, bodies = rows
        _HEADS.run(self.view, cursor, heads)
        _PARTS.run(self.view, cursor, bodies)

    def discard(self) -> None:
        self._dirty.clear()


_HEADS = Upsert("plans", {"plan_id": "TEXT", "setting_urn": "TEXT", "version": "BIGINT", "head": "TEXT"},
               key=("plan_id",))
_PARTS = Upsert("parts", {"plan_id": "TEXT", "kind": "TEXT", "ord": "INTEGER", "body": "TEXT"},
               key=("plan_id", "kind", "ord"))


@dataclass(frozen=True)
class StoredDocument:
    version: int
    setting_urn: str
    json: str


def read(view: View, plan_id: UUID, today: str | None = None) -> StoredDocument | None:
    """The plan's document as the read model holds it, as of ``today`` (the London date; ``None``: the statuses as
    recorded), or ``None`` if it holds nothing for the plan.

    The head and the parts are read by one statement, so they come from one snapshot even while the projector
    commits.
    """
    key = str(plan_id)
    rows = view.sql.fetch(
        view.q(
            f"SELECT '{_HEAD}', 0, head FROM {{plans}} WHERE plan_id = ? "
            "UNION ALL SELECT kind, ord, body FROM {parts} WHERE plan_id = ? ORDER BY 1, 2"
        ),
        (key, key),
    )
    if not rows or rows[0][0] != _HEAD:
        return None
    seals = view.seals
    head = seals.open_record(key, "plans", "head", orjson.loads(rows[0][2]))
    sections: dict[str, list[dict[str, Any]]] = {name: [] for name in SECTIONS}
    facts: dict[str, list[dict[str, Any]]] = {kind: [] for kind in FACT_SECTIONS}
    for kind, ord_, body in rows[1:]:
        part = seals.open_record(key, "parts", "body", orjson.loads(body), (kind, ord_))
        (sections if kind in sections else facts)[kind].append(part)
    document = assemble(head, sections, facts, today)
    document["as_at"] = None
    return StoredDocument(int(head["version"]), head["setting_urn"], orjson.dumps(document).decode())


def setting_of(view: View, plan_id: UUID) -> str | None:
    """The setting the read model holds the plan under (``None`` if it holds nothing for the plan)."""
    rows = view.sql.fetch(view.q("SELECT setting_urn FROM {plans} WHERE plan_id = ?"), (str(plan_id),))
    return str(rows[0][0]) if rows else None
