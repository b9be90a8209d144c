"""Quality: the gaps a SENCO must fix in each open plan of a setting (``GET /v1/settings/{urn}/quality``).

The read model keeps, per plan, what the report needs of it (``isp_ledger.domain.quality.quality_facts``); the
gaps themselves are worked out when the report is read, because most depend on today (a provision past its
``ends_on``, an outcome past its target date, a review falling due, the last twelve months of meetings with
parents, the last six school weeks of delivery). Delivery is judged from the delivery read model's figures, which
the caller passes in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, ClassVar

import orjson

from isp_ledger.domain.plan import Plan
from isp_ledger.domain.quality import find_gaps, quality_facts
from projections.base import DirtyPlans, Upsert, View

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
        "given_name TEXT NOT NULL, family_name TEXT NOT NULL, tier TEXT NOT NULL, status TEXT NOT NULL, "
        "facts TEXT NOT NULL, version BIGINT NOT NULL)",
        "by_setting": "CREATE INDEX IF NOT EXISTS {=by_setting} ON {facts} (setting_urn, status)",
    }

    def row(self, plan: Plan) -> tuple[Any, ...]:
        state = plan.state
        return (str(plan.id), plan.setting_urn, state["pupil"]["given_name"] or "",
                state["pupil"]["family_name"] or "",
                state["tier"], state["status"], orjson.dumps(quality_facts(plan)).decode(), plan.version)


def report(view: View, setting_urn: str, today: dt.date, delivered: Delivered | None = None,
           window: tuple[dt.date, dt.date] | None = None) -> list[dict[str, Any]]:
    """Every open plan of the setting that has at least one gap on ``today``, with its gaps. ``delivered`` gives
    each provision's planned against delivered over ``window``, the last six school weeks."""
    rows = view.sql.fetch(
        view.q(
            "SELECT plan_id, given_name, family_name, tier, facts FROM {facts} "
            "WHERE setting_urn = ? AND status = 'open' ORDER BY family_name, given_name, plan_id"
        ),
        (setting_urn,),
    )
    plans = []
    for plan_id, given, family, tier, facts in rows:
        gaps = find_gaps(orjson.loads(facts), today, (delivered or {}).get(plan_id), window)
        if gaps:
            plans.append({"plan_id": plan_id, "pupil": {"given_name": given, "family_name": family}, "tier": tier,
                          "gaps": gaps})
    return plans
