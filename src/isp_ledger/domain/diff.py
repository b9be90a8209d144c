"""What changed in a plan between two points of its record (CONTRACT.md §6, diff), section by section, field by
field: items added, amended (field: before → after; a provision paused or resumed shows its ``status`` and the
pause's ``paused_on``, ``paused_until`` and ``paused_reason`` so) and ended; plan-level changes (tier, status,
the pupil's details, the next review); reviews, contributions, acknowledgements and progress recorded in between.

It compares two plan documents (``view.plan_document``), so it shows exactly the difference between what a
reader would have seen at the one point and at the other, corrections included, and a provision past its
``ends_on`` as ended. An item or fact struck out as recorded in error in between is in neither ``added`` nor the
document after: it is listed under ``voided`` (a key present only when something was struck out, so a diff of a
plan without voids reads as it always did). Sessions of provision logged in
between are not changes to what the plan says, and are not in the document: the delivery report and the timeline
(kind ``delivery``) show them.
"""

from __future__ import annotations

from typing import Any

from isp_ledger.domain.records import PAUSE_FIELDS
from isp_ledger.domain.sections import LIVE_STATUSES, SECTIONS

# Kept on an item to say when and by whom it last changed; not what the plan says, so not compared. (Status and
# the pause's fields are compared on their own: an end is listed as ended, a pause or resumption as amended.)
_BOOKKEEPING = frozenset(
    {"id", "status", "agreed_on", "recorded_at", "version", "corrected", "added_on", "ended_on", "ended_reason",
     "progress", *PAUSE_FIELDS}
)
_PLAN_FIELDS = ("status", "setting_urn", "tier", "ehcp_reference", "next_review_due", "opened_on", "closed_on")
_FACTS = ("reviews", "contributions", "acknowledgements")


def change(before: Any, after: Any) -> dict[str, Any]:
    return {"before": before, "after": after}


def diff_documents(before: dict[str, Any] | None, after: dict[str, Any]) -> dict[str, Any]:
    """The changes from ``before`` (``None``: the plan did not exist yet) to ``after``."""
    plan: dict[str, Any] = {}
    old_pupil = (before or {}).get("pupil") or {}
    for name, value in after["pupil"].items():
        if old_pupil.get(name) != value:
            plan[f"pupil.{name}"] = change(old_pupil.get(name), value)
    for name in _PLAN_FIELDS:
        old = before.get(name) if before is not None else None
        if old != after.get(name):
            plan[name] = change(old, after.get(name))
    changes: dict[str, Any] = {"plan": plan}
    for section in SECTIONS:
        changes[section] = _section_diff((before or {}).get(section, []), after[section])
    for kind in _FACTS:
        changes[kind] = _facts_diff((before or {}).get(kind, []), after[kind])
    changes["progress"] = _facts_diff(
        [p for outcome in (before or {}).get("outcomes", []) for p in outcome.get("progress", [])],
        [p for outcome in after["outcomes"] for p in outcome.get("progress", [])],
    )
    return changes


def _facts_diff(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    seen = {fact["id"] for fact in before}
    part = {"added": [fact for fact in after if fact["id"] not in seen]}
    _struck_out(part, before, after)
    return part


def _struck_out(part: dict[str, list[dict[str, Any]]], before: list[dict[str, Any]],
                after: list[dict[str, Any]]) -> None:
    """Entries shown before and gone after: struck out as recorded in error in between (nothing else removes an
    entry from a plan)."""
    kept = {entry["id"] for entry in after}
    gone = [{"id": entry["id"], **({"description": entry["description"]} if "description" in entry else {})}
            for entry in before if entry["id"] not in kept]
    if gone:
        part["voided"] = gone


def is_empty(changes: dict[str, Any]) -> bool:
    return not changes["plan"] and all(
        not entries for name, part in changes.items() if name != "plan" for entries in part.values()
    )


def _section_diff(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    old_items = {item["id"]: item for item in before}
    added, amended, ended = [], [], []
    for item in after:
        old = old_items.get(item["id"])
        if old is None:
            added.append(item)
            if item["status"] not in LIVE_STATUSES:  # added and ended within the period
                ended.append(_ended(item))
            continue
        fields = {
            name: change(old.get(name), item.get(name))
            for name in sorted(set(old) | set(item))
            if name not in _BOOKKEEPING and old.get(name) != item.get(name)
        }
        if old["status"] in LIVE_STATUSES and item["status"] in LIVE_STATUSES:
            # paused or resumed (or paused anew) in between: the status, and when and why it was paused
            fields.update((name, change(old.get(name), item.get(name))) for name in ("status", *PAUSE_FIELDS)
                          if old.get(name) != item.get(name))
        if fields:
            amended.append({"id": item["id"], "description": item.get("description"), "changes": fields})
        if old["status"] in LIVE_STATUSES and item["status"] not in LIVE_STATUSES:
            ended.append(_ended(item))
    part = {"added": added, "amended": amended, "ended": ended}
    _struck_out(part, before, after)
    return part


def _ended(item: dict[str, Any]) -> dict[str, Any]:
    return {"id": item["id"], "description": item.get("description"), "status": item["status"],
            "ended_on": item.get("ended_on"), "reason": item.get("ended_reason")}
