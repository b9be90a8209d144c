"""The gaps a SENCO must fix in a plan (CONTRACT.md §6, the setting's quality report).

Most gaps depend only on the plan; "no review in 12 months" depends on today too, so it is computed when the
report is read, from the date of the latest review (or the plan's opening if it has had none).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from isp_ledger.domain.plan import Plan
from isp_ledger.domain.records import is_voided
from isp_ledger.domain.sections import LIVE_STATUSES
from isp_ledger.domain.validation import add_months

Gap = dict[str, Any]


def static_gaps(plan: Plan) -> list[Gap]:
    """Gaps that hold whatever today's date: only for open plans."""
    if not plan.is_open:
        return []
    gaps: list[Gap] = []
    # A paused provision is still the plan's provision: it still supports its barriers (a pause for an exam
    # fortnight does not leave a barrier unsupported) and is still checked for its own gaps.
    active = {name: [i for i in plan.section_items[name] if plan.items[i]["status"] in LIVE_STATUSES]
              for name in plan.section_items}
    active_barriers = set(active["barriers"])
    supported: set[str] = set()
    tier = plan.state["tier"]
    for item_id in active["provisions"]:
        provision = plan.items[item_id]
        linked = set(provision["barrier_ids"]) & active_barriers
        supported |= linked
        if not linked:
            gaps.append(_gap("provision_without_barrier", item_id,
                             f"Provision '{provision['description']}' addresses no active barrier"))
        if tier == "targeted" and not provision.get("evidence_basis"):
            gaps.append(_gap("targeted_provision_without_evidence", item_id,
                             f"Targeted provision '{provision['description']}' has no evidence basis"))
    for item_id in active["adjustments"]:
        supported |= set(plan.items[item_id]["barrier_ids"]) & active_barriers
    for item_id in active["barriers"]:
        if item_id not in supported:
            barrier = plan.items[item_id]
            gaps.append(_gap("barrier_without_support", item_id,
                             f"Barrier '{barrier['description']}' has no provision or adjustment"))
    for item_id in active["outcomes"]:
        outcome = plan.items[item_id]
        if not (outcome.get("success_criteria") or "").strip():
            gaps.append(_gap("outcome_without_success_criteria", item_id,
                             f"Outcome '{outcome['description']}' has no success criteria"))
    last_review = last_review_on(plan)
    contributions = [r for r in plan.facts["contributions"] if not is_voided(r)]  # struck out: count for nothing
    parent_views = [r for r in contributions if r["data"]["kind"] == "parent_view"]
    if not any(last_review is None or r["agreed_on"] >= last_review for r in parent_views):
        since = f"since the review of {last_review}" if last_review else "since the plan was opened"
        gaps.append(_gap("no_parent_contribution_since_review", None, f"No parent's view recorded {since}"))
    if tier == "targeted_plus" and not any(
        r["data"]["kind"] == "professional_advice" for r in contributions
    ):
        gaps.append(_gap("targeted_plus_without_professional_advice", None,
                         "Targeted Plus plan with no professional advice recorded"))
    return gaps


def last_review_on(plan: Plan) -> str | None:
    held = [r["agreed_on"] for r in plan.facts["reviews"] if not is_voided(r)]
    return max(held) if held else None


def review_gap(last_review: str | None, opened_on: str, today: dt.date) -> Gap | None:
    """"No review in 12 months": the latest review (or the opening) was more than 12 months before today."""
    since = dt.date.fromisoformat(last_review or opened_on)
    if add_months(since, 12) >= today:
        return None
    what = f"last review {last_review}" if last_review else f"opened {opened_on} and never reviewed"
    return _gap("no_review_in_12_months", None, f"No review in the last 12 months ({what})")


def _gap(code: str, item_id: str | None, message: str) -> Gap:
    gap: Gap = {"code": code, "message": message}
    if item_id is not None:
        gap["item_id"] = item_id
    return gap
