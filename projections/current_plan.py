"""The current plan: each plan's document as it stands, ready to serve ``GET /v1/plans/{plan_id}``.

The document is made by the same code that folds the event log (``isp_ledger.domain.view``), so it equals what
replaying the log gives; a property test checks that over random command sequences.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

import orjson

from isp_ledger.domain.plan import Plan
from isp_ledger.domain.view import plan_document
from isp_ledger.storage.sql import Cursor
from projections.base import DirtyPlans, View


class CurrentPlans(DirtyPlans):
    name = "current_plan"
    tables = {
        "plans": "CREATE TABLE IF NOT EXISTS {plans} (plan_id TEXT PRIMARY KEY, setting_urn TEXT NOT NULL, "
        "version BIGINT NOT NULL, document TEXT NOT NULL)",
    }

    def write(self, cursor: Cursor, plans: Iterable[Plan]) -> None:
        rows = []
        for plan in plans:
            document = plan_document(plan)
            assert document is not None
            document["as_at"] = None
            rows.append((str(plan.id), plan.setting_urn, plan.version, orjson.dumps(document).decode()))
        cursor.executemany(
            self.view.q(
                "INSERT INTO {plans} (plan_id, setting_urn, version, document) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (plan_id) DO UPDATE SET setting_urn = excluded.setting_urn, "
                "version = excluded.version, document = excluded.document"
            ),
            rows,
        )


@dataclass(frozen=True)
class StoredDocument:
    version: int
    setting_urn: str
    json: str


def read(view: View, plan_id: UUID) -> StoredDocument | None:
    rows = view.sql.fetch(
        view.q("SELECT version, setting_urn, document FROM {plans} WHERE plan_id = ?"), (str(plan_id),)
    )
    return StoredDocument(int(rows[0][0]), rows[0][1], rows[0][2]) if rows else None
