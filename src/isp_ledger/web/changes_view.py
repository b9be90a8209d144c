"""What changed in a plan between two points (``ledger.history.plan_diff``) in plain English, section by section:
items added, amended (each field: before → after) and ended; entries struck out as recorded in error; reviews,
views, responses and progress recorded. Field names and codes read as the timeline's sentences read them
(``domain/wording.py``).
"""

from __future__ import annotations

from typing import Any

from isp_ledger.domain import wording
from isp_ledger.web.plan_view import RESPONSE_NAMES, SECTIONS

CODES: dict[str, dict[str, str]] = {
    "area_of_need": wording.AREA_NAMES, "need_type": wording.NEED_TYPE_NAMES, "location": wording.LOCATION_NAMES,
    "category": wording.CATEGORY_NAMES, "status": wording.STATUS_NAMES, "tier": wording.TIER_NAMES,
}
PLAN_FIELDS = {"status": "plan's status", "setting_urn": "school or setting (URN)", "opened_on": "date it was opened",
               "closed_on": "date it was closed"}
PROGRESS = ("progress", "Progress towards outcomes")


def value_words(name: str, value: Any) -> str:
    """A field's value as a reader reads it."""
    if value is None or value in ([], ""):
        return "nothing"
    if name in wording.DATE_FIELDS or name.endswith(("_on", "_date")):
        return wording.in_words(str(value))
    if name in CODES:
        return CODES[name].get(str(value), str(value))
    if name == "barrier_ids":
        return f"{len(value)} {wording.plural(len(value), 'need')}"
    if isinstance(value, list):
        return wording.joined([value_words(name, v) for v in value])
    if isinstance(value, dict):
        return ", ".join(f"{v}" for v in value.values() if v is not None)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return wording.shorten(wording.number(value) if isinstance(value, int | float) else str(value), 200)


def field_name(name: str) -> str:
    words = PLAN_FIELDS.get(name) or wording.FIELD_NAMES.get(name) or name.replace("_", " ")
    return words[:1].upper() + words[1:]


def _amended(entry: dict[str, Any]) -> dict[str, Any]:
    return {"title": wording.shorten(entry.get("description") or "An item", 120),
            "changes": [{"field": field_name(name), "before": value_words(name, change["before"]),
                         "after": value_words(name, change["after"])}
                        for name, change in entry["changes"].items()]}


def _ended(entry: dict[str, Any]) -> str:
    status = wording.STATUS_NAMES.get(entry["status"], entry["status"])
    when = f" on {wording.in_words(entry['ended_on'])}" if entry.get("ended_on") else ""
    reason = f". Reason: {entry['reason']}" if entry.get("reason") else ""
    return wording.sentence(f"{wording.name_of(entry.get('description'))}: {status}{when}{reason}")


def _fact(kind: str, fact: dict[str, Any]) -> str:
    day = wording.in_words(fact.get("agreed_on"))
    if kind == "reviews":
        return f"Review held on {wording.in_words(fact.get('held_on'))}: {wording.shorten(fact.get('summary'))}"
    if kind == "contributions":
        name = wording.CONTRIBUTION_NAMES.get(fact.get("kind", ""), "A view")
        return f"{name} added on {day}: {wording.quoted(fact.get('text'))}"
    if kind == "acknowledgements":
        who = fact.get("given_by") or (fact.get("recorded_by") or {}).get("name") or "A parent"
        return f"{who}: {RESPONSE_NAMES.get(fact['response'], fact['response']).lower()} on {day}" + (
            f", saying {wording.quoted(fact['comment'])}" if fact.get("comment") else "")
    return f"Measured on {wording.in_words(fact.get('measured_on'))}: {wording.shorten(fact.get('note'))}"


def sections(changes: dict[str, Any]) -> list[dict[str, Any]]:
    """Each part of the plan that changed, with what changed in it; the parts that did not are left out."""
    shown = []
    if changes["plan"]:
        shown.append({"id": "plan", "heading": "About the plan", "added": [], "ended": [], "voided": [],
                      "amended": [{"title": "The plan", "changes": [
                          {"field": field_name(name), "before": value_words(name.split(".")[-1], c["before"]),
                           "after": value_words(name.split(".")[-1], c["after"])}
                          for name, c in changes["plan"].items()]}]})
    for kind, (heading, _empty) in [*SECTIONS.items(), (PROGRESS[0], (PROGRESS[1], ""))]:
        part = changes.get(kind) or {}
        facts = kind not in ("barriers", "provisions", "adjustments", "outcomes")
        section = {
            "id": kind, "heading": heading,
            "added": [_fact(kind, f) if facts else wording.shorten(f.get("description") or "An item", 200)
                      for f in part.get("added", [])],
            "amended": [_amended(e) for e in part.get("amended", [])],
            "ended": [_ended(e) for e in part.get("ended", [])],
            "voided": [wording.shorten(e.get("description") or "An entry", 200) for e in part.get("voided", [])],
        }
        if any(section[key] for key in ("added", "amended", "ended", "voided")):
            shown.append(section)
    return shown
