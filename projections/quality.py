"""Quality: the gaps a SENCO must fix in each open plan of a setting (``GET /v1/settings/{urn}/quality``).

Gaps that depend only on the plan are worked out as events arrive; "no review in 12 months" depends on today,
so it is added when the report is read (see ``isp_ledger.domain.quality``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

import orjson

from isp_ledger.domain.plan import Plan
from isp_ledger.domain.quality import last_review_on, review_gap, static_gaps
from projections.base import DirtyPlans, Upsert, View

_UPSERT = Upsert(
    "plans",
    {
        "plan_id": "TEXT", "setting_urn": "TEXT", "given_name": "TEXT", "family_name": "TEXT", "tier": "TEXT",
        "status": "TEXT", "gaps": "TEXT", "last_review_on": "TEXT", "opened_on": "TEXT", "version": "BIGINT",
    },
    key=("plan_id",),
)


class Quality(DirtyPlans):
    name = "quality"
    upsert = _UPSERT
    tables: ClassVar[dict[str, str]] = {
        "plans": "CREATE TABLE IF NOT EXISTS {plans} (plan_id TEXT PRIMARY KEY, setting_urn TEXT NOT NULL, "
        "given_name TEXT NOT NULL, family_name TEXT NOT NULL, tier TEXT NOT NULL, status TEXT NOT NULL, "
        "gaps TEXT NOT NULL, last_review_on TEXT, opened_on TEXT NOT NULL, version BIGINT NOT NULL)",
        "by_setting": "CREATE INDEX IF NOT EXISTS {=by_setting} ON {plans} (setting_urn, status)",
    }

    def row(self, plan: Plan) -> tuple[Any, ...]:
        state = plan.state
        return (str(plan.id), plan.setting_urn, state["pupil"]["given_name"], state["pupil"]["family_name"],
                state["tier"], state["status"], orjson.dumps(static_gaps(plan)).decode(), last_review_on(plan),
                state["opened_on"], plan.version)


def report(view: View, setting_urn: str, today: dt.date) -> list[dict[str, Any]]:
    """Every open plan of the setting that has at least one gap, with its gaps."""
    rows = view.sql.fetch(
        view.q(
            "SELECT plan_id, given_name, family_name, tier, gaps, last_review_on, opened_on FROM {plans} "
            "WHERE setting_urn = ? AND status = 'open' ORDER BY family_name, given_name, plan_id"
        ),
        (setting_urn,),
    )
    plans = []
    for plan_id, given, family, tier, gaps_json, last_review, opened_on in rows:
        gaps = orjson.loads(gaps_json)
        overdue = review_gap(last_review, opened_on, today)
        if overdue is not None:
            gaps.append(overdue)
        if gaps:
            plans.append({"plan_id": plan_id, "pupil": {"given_name": given, "family_name": family}, "tier": tier,
                          "gaps": gaps})
    return plans
