"""Reviews due: for each open plan, when its next review falls due, for the setting's report of plans whose
review is overdue or due within 30 days (``GET /v1/settings/{urn}/reviews-due``). "Today" is applied when the
report is read, so the report is right every morning without reprocessing anything. A review recorded in error
(voided) sets nothing. The pupil's names are kept sealed under the pupil's key (``sealed.py``), so the report is
ordered by them once they are opened.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from isp_ledger.domain.plan import Plan
from isp_ledger.domain.quality import last_review_on, next_review_due
from projections.base import DirtyPlans, Upsert, View
from projections.sealed import Sealed

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
        "given_name TEXT, family_name TEXT, tier TEXT NOT NULL, status TEXT NOT NULL, "
        "next_review_due TEXT, last_review_on TEXT, version BIGINT NOT NULL)",
        "by_due": "CREATE INDEX IF NOT EXISTS {=by_due} ON {plans} (setting_urn, next_review_due)",
    }
    sealed: ClassVar[dict[str, Sealed]] = {"plans": Sealed(texts=("given_name", "family_name"))}

    def prepare(self) -> list[tuple[Any, ...]]:
        self.view.seals.load(self._dirty)
        return super().prepare()

    def row(self, plan: Plan) -> tuple[Any, ...]:
        state, key, seals = plan.state, str(plan.id), self.view.seals
        return (key, plan.setting_urn, seals.text(key, "plans", "given_name", state["pupil"]["given_name"]),
                seals.text(key, "plans", "family_name", state["pupil"]["family_name"]),
                state["tier"], state["status"], next_review_due(plan), last_review_on(plan), plan.version)


def report(view: View, setting_urn: str, today: dt.date) -> list[dict[str, Any]]:
    """Open plans of the setting whose review is overdue or due within 30 days, soonest first."""
    horizon = (today + dt.timedelta(days=DUE_WITHIN_DAYS)).isoformat()
    columns = ("plan_id", "given_name", "family_name", "tier", "next_review_due", "last_review_on")
    rows = view.sql.fetch(
        view.q(f"SELECT {', '.join(columns)} FROM {{plans}} "
               "WHERE setting_urn = ? AND status = 'open' AND next_review_due <= ?"),
        (setting_urn, horizon),
    )
    seals = view.seals
    seals.load(row[0] for row in rows)
    opened = [seals.open_row("plans", ReviewsDue.sealed["plans"], dict(zip(columns, row, strict=True)))
              for row in rows]
    opened.sort(key=lambda r: (r["next_review_due"], r["family_name"] or "", r["given_name"] or "", r["plan_id"]))
    plans = []
    for plan_id, given, family, tier, due, last in (tuple(row[c] for c in columns) for row in opened):
        days = (dt.date.fromisoformat(due) - today).days
        plans.append({
            "plan_id": plan_id, "pupil": {"given_name": given, "family_name": family}, "tier": tier,
            "next_review_due": due, "last_review_on": last, "overdue": days < 0, "days_until_due": days,
        })
    return plans
