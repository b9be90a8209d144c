"""Reviews due: for each open plan, when its next review falls due, for the setting's report of plans whose
review is overdue or due within 30 days (``GET /v1/settings/{urn}/reviews-due``). "Today" is applied when the
report is read, so the report is right every morning without reprocessing anything. A review recorded in error
(voided) sets nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from isp_ledger.domain.plan import Plan
from isp_ledger.domain.quality import last_review_on, next_review_due
from projections.base import DirtyPlans, Upsert, View

DUE_WITHIN_DAYS = 30


_UPSERT = Upsert(
    "plans",
    {
        "plan_id": "TEXT", "setting_urn": "TEXT", "given_name": "TEXT", "family_name": "TEXT", "tier": "TEXT",
        "status": "TEXT", "next_review_due": "TEXT", "last_review_on": "TEXT", "version": "BIGINT",
    },
    key=("plan_id",),
)


class ReviewsDue(DirtyPlans):
    name = "reviews_due"
    upsert = _UPSERT
    tables: ClassVar[dict[str, str]] = {
        "plans": "CREATE TABLE IF NOT EXISTS {plans} (plan_id TEXT PRIMARY KEY, setting_urn TEXT NOT NULL, "
        "given_name TEXT NOT NULL, family_name TEXT NOT NULL, tier TEXT NOT NULL, status TEXT NOT NULL, "
        "next_review_due TEXT, last_review_on TEXT, version BIGINT NOT NULL)",
        "by_due": "CREATE INDEX IF NOT EXISTS {=by_due} ON {plans} (setting_urn, next_review_due)",
    }

    def row(self, plan: Plan) -> tuple[Any, ...]:
        state = plan.state
        return (str(plan.id), plan.setting_urn, state["pupil"]["given_name"] or "",
                state["pupil"]["family_name"] or "",
                state["tier"], state["status"], next_review_due(plan), last_review_on(plan), plan.version)


def report(view: View, setting_urn: str, today: dt.date) -> list[dict[str, Any]]:
    """Open plans of the setting whose review is overdue or due within 30 days, soonest first."""
    horizon = (today + dt.timedelta(days=DUE_WITHIN_DAYS)).isoformat()
    rows = view.sql.fetch(
        view.q(
            "SELECT plan_id, given_name, family_name, tier, next_review_due, last_review_on FROM {plans} "
            "WHERE setting_urn = ? AND status = 'open' AND next_review_due <= ? "
            "ORDER BY next_review_due, family_name, given_name, plan_id"
        ),
        (setting_urn, horizon),
    )
    plans = []
    for plan_id, given, family, tier, due, last in rows:
        days = (dt.date.fromisoformat(due) - today).days
        plans.append({
            "plan_id": plan_id, "pupil": {"given_name": given, "family_name": family}, "tier": tier,
            "next_review_due": due, "last_review_on": last, "overdue": days < 0, "days_until_due": days,
        })
    return plans
