"""The plan document (CONTRACT.md §4): what a plan says, now or as in force on a date."""

from __future__ import annotations

from typing import Any

from isp_ledger.domain.plan import FACT_ID_FIELD, Plan
from isp_ledger.domain.records import Record, fold_item, fold_plan
from isp_ledger.domain.sections import SECTIONS
from isp_ledger.domain.stamp import format_instant


def plan_document(plan: Plan, as_of: str | None = None) -> dict[str, Any] | None:
    """The plan as in force on ``as_of`` (every change agreed on or before it, as now known), or as it stands.

    ``None`` when the plan had not been opened by ``as_of``.
    """
    state = fold_plan(plan.records["plan"], as_of)
    if state is None:
        return None
    sections: dict[str, list[dict[str, Any]]] = {}
    for name in SECTIONS:
        items = []
        for item_id in plan.section_items[name]:
            item = plan.items[item_id] if as_of is None else fold_item(item_id, plan.records[item_id], as_of)
            if item is not None:
                items.append(dict(item))
        sections[name] = items

    def facts(kind: str) -> list[dict[str, Any]]:
        chosen = [r for r in plan.facts[kind] if as_of is None or r["agreed_on"] <= as_of]
        return [fact_view(r) for r in sorted(chosen, key=lambda r: (r["agreed_on"], r["version"]))]

    progress = facts("progress")
    for outcome in sections["outcomes"]:
        outcome["progress"] = [p for p in progress if p["outcome_id"] == outcome["id"]]
    reviews = facts("reviews")
    next_review_due = reviews[-1]["next_review_due"] if reviews else state["initial_review_due"]
    return {
        "plan_id": str(plan.id),
        "version": plan.version,
        "as_of": as_of,
        "recorded_at": format_instant(plan.modified_on),
        "status": state["status"],
        "pupil": state["pupil"],
        "setting_urn": state["setting_urn"],
        "tier": state["tier"],
        "ehcp_reference": state["ehcp_reference"],
        "opened_on": state["opened_on"],
        "closed_on": state["closed_on"],
        **sections,
        "reviews": reviews,
        "contributions": facts("contributions"),
        "acknowledgements": facts("acknowledgements"),
        "next_review_due": next_review_due if state["status"] == "open" else None,
    }


def next_review_due(plan: Plan) -> str | None:
    """When the plan's next review falls due: as its latest review (by date held) set, or as opened."""
    if not plan.is_open:
        return None
    reviews = plan.facts["reviews"]
    if not reviews:
        return str(plan.state["initial_review_due"])
    latest = max(reviews, key=lambda r: (r["agreed_on"], r["version"]))
    return str(latest["data"]["next_review_due"])


def fact_view(record: Record) -> dict[str, Any]:
    """A review, contribution, acknowledgement or progress entry as shown in the plan document."""
    id_field = FACT_ID_FIELD[record["type"]]
    data = record["data"]
    view: dict[str, Any] = {"id": data[id_field]}
    view.update((k, v) for k, v in data.items() if k != id_field)
    if record["type"] == "AcknowledgementRecorded":
        view["version"] = view.pop("plan_version")
    view.update(
        agreed_on=record["agreed_on"],
        recorded_at=record["recorded_at"],
        recorded_in_version=record["version"],
        recorded_by=record["actor"],
        corrected=bool(record["corrections"]),
    )
    return view
