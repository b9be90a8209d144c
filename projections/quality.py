"""Quality: the gaps a SENCO must fix in each open plan of a setting (``GET /v1/settings/{urn}/quality``).

Gaps that depend only on the plan are worked out as events arrive; "no review in 12 months" depends on today,
so it is added when the report is read (see ``isp_ledger.domain.quality``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import orjson

from isp_ledger.domain.plan import Plan
from isp_ledger.domain.quality import last_review_on, review_gap, static_gaps
from isp_ledger.storage.sql import Cursor
from projections.base import DirtyPlans, View


class Quality(DirtyPlans):
    name = "quality"
    tables = {
        "plans": "CREATE TABLE IF NOT EXISTS {plans} (plan_id TEXT PRIMARY KEY, setting_urn TEXT NOT NULL, "
        "given_name TEXT NOT NULL, family_name TEXT NOT NULL, tier TEXT NOT NULL, status TEXT NOT NULL, "
        "gaps TEXT NOT NULL, last_review_on TEXT, opened_on TEXT NOT NULL, version BIGINT NOT NULL)",
        "by_setting": "CREATE INDEX IF NOT EXISTS {=by_setting} ON {plans} (setting_urn, status)",
    }

    def write(self, cursor: Cursor, plans: Iterable[Plan]) -> None:
        rows = [
            (str(plan.id), plan.setting_urn, plan.state["pupil"]["given_name"], plan.state["pupil"]["family_name"],
             plan.state["tier"], plan.state["status"], orjson.dumps(static_gaps(plan)).decode(),
             last_review_on(plan), plan.state["opened_on"], plan.version)
            for plan in plans
        ]
        cursor.executemany(
            self.view.q(
                "INSERT INTO {plans} (plan_id, setting_urn, given_name, family_name, tier, status, gaps, "
                "last_review_on, opened_on, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (plan_id) DO UPDATE SET setting_urn = excluded.setting_urn, "
                "given_name = excluded.given_name, family_name = excluded.family_name, tier = excluded.tier, "
                "status = excluded.status, gaps = excluded.gaps, last_review_on = excluded.last_review_on, "
                "opened_on = excluded.opened_on, version = excluded.version"
            ),
            rows,
        )


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
