"""Quality: the gaps a SENCO must fix in each open plan of a setting (``GET /v1/settings/{urn}/quality``).

The read model keeps, per plan, what the report needs of it (``isp_ledger.domain.quality.quality_facts``); the
gaps themselves are worked out when the report is read, because most depend on today (a provision past its
``ends_on``, an outcome past its target date, a review falling due, the last twelve months of meetings with
parents, the last six school weeks of delivery). Delivery is judged from the delivery read model's figures, which
the caller passes in.

The pupil's names and the facts' personal values (descriptions, who disagreed and what they said...) are kept sealed
under the pupil's key (``sealed.py``). A plan whose key was destroyed reads with them ``null``: its facts then no
longer say the plan is open, and it has no gaps to report.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, ClassVar

import orjson

from isp_ledger.domain.plan import Plan
from isp_ledger.domain.quality import find_gaps, quality_facts
from projections.base import DirtyPlans, Upsert, View
from projections.sealed import Sealed

_UPSERT = Upsert(
    "facts",
    {
        "plan_id": "TEXT", "setting_urn": "TEXT", "given_name": "TEXT", "family_name": "TEXT", "tier": "TEXT",
        "status": "TEXT", "facts": "TEXT", "version": "BIGINT",
    },
    key=("plan_id",),
)

Delivered = Mapping[str, Mapping[str, Mapping[str, Any]]]  # plan id -> provision id -> the delivery figures


class Quality(DirtyPlans):
    name = "quality"
    upsert = _UPSERT
    tables: ClassVar[dict[str, str]] = {
        "facts": "CREATE TABLE IF NOT EXISTS {facts} (plan_id TEXT PRIMARY KEY, setting_urn TEXT NOT NULL, "
        "given_name TEXT, family_name TEXT, tier TEXT NOT NULL, status TEXT NOT NULL, "
        "facts TEXT NOT NULL, version BIGINT NOT NULL)",
        "by_setting": "CREATE INDEX IF NOT EXISTS {=by_setting} ON {facts} (setting_urn, status)",
    }
    sealed: ClassVar[dict[str, Sealed]] = {"facts": Sealed(texts=("given_name", "family_name"), records=("facts",))}

    def prepare(self) -> list[tuple[Any, ...]]:
        self.view.seals.load(self._dirty)
        return super().prepare()

    def row(self, plan: Plan) -> tuple[Any, ...]:
        state, key, seals = plan.state, str(plan.id), self.view.seals
        facts = seals.record(key, "facts", "facts", quality_facts(plan))
        return (key, plan.setting_urn, seals.text(key, "facts", "given_name", state["pupil"]["given_name"]),
                seals.text(key, "facts", "family_name", state["pupil"]["family_name"]),
                state["tier"], state["status"], orjson.dumps(facts).decode(), plan.version)


def report(view: View, setting_urn: str, today: dt.date, delivered: Delivered | None = None,
           window: tuple[dt.date, dt.date] | None = None) -> list[dict[str, Any]]:
    """Every open plan of the setting that has at least one gap on ``today``, with its gaps. ``delivered`` gives
    each provision's planned against delivered over ``window``, the last six school weeks."""
    columns = ("plan_id", "given_name", "family_name", "tier", "facts")
    rows = view.sql.fetch(
        view.q(f"SELECT {', '.join(columns)} FROM {{facts}} WHERE setting_urn = ? AND status = 'open'"),
        (setting_urn,),
    )
    seals = view.seals
    seals.load(row[0] for row in rows)
    opened = [seals.open_row("facts", Quality.sealed["facts"], dict(zip(columns, row, strict=True))) for row in rows]
    opened.sort(key=lambda r: (r["family_name"] or "", r["given_name"] or "", r["plan_id"]))
    plans = []
    for row in opened:
        gaps = find_gaps(row["facts"], today, (delivered or {}).get(row["plan_id"]), window)
        if gaps:
            plans.append({"plan_id": row["plan_id"], "pupil": {"given_name": row["given_name"],
                                                               "family_name": row["family_name"]},
                          "tier": row["tier"], "gaps": gaps})
    return plans
