"""The plan document (CONTRACT.md §4) as the plan page shows it: one GOV.UK summary card per item, in plain
English, with the links to change an item for those ``access.py`` lets change it.

Turning the document into rows here keeps the template a layout: every word a parent reads about a plan is
chosen in one place, from the same names the timeline and the evidence bundle use (``domain/wording.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markupsafe import Markup, escape

from isp_ledger.access import Action
from isp_ledger.domain import wording
from isp_ledger.domain.plan import Plan
from isp_ledger.web.actions import item_links

Row = dict[str, Any]
Card = dict[str, Any]

# Each section of the plan: its heading, a line saying what it is, and what to say when it is empty.
SECTIONS = {
    "barriers": ("Needs: what makes learning harder", "No needs are recorded."),
    "provisions": ("Support: what the school provides", "No support is recorded."),
    "adjustments": ("Adjustments: changes made in everyday teaching", "No adjustments are recorded."),
    "outcomes": ("Outcomes: what the support aims to achieve", "No outcomes are recorded."),
    "reviews": ("Reviews", "No review has been held yet."),
    "contributions": ("Views and advice", "No views or advice have been added yet."),
    "acknowledgements": ("Parents' responses", "No parent has responded to the plan yet."),
}
TIER_NAMES = wording.TIER_NAMES
STATUS_NAMES = {**wording.STATUS_NAMES, "open": "open", "closed": "closed"}
RESPONSE_NAMES = {"agree": "Agreed with the plan", "disagree": "Disagreed with the plan", "seen": "Saw the plan"}


def day(value: str | None) -> str:
    return wording.in_words(value) if value else "Not given"


def text(value: object) -> str:
    return wording.ERASED_WORDS if value is None else str(value)


def row(key: str, value: object, *, html: bool = False) -> Row:
    return {"key": {"text": key}, "value": {"html": value} if html else {"text": text(value)}}


def lines(items: list[str]) -> Markup:
    """Several short lines as one value, each escaped."""
    if not items:
        return Markup("None")
    return Markup('<ul class="govuk-list">') + Markup("").join(
        Markup("<li>") + escape(item) + Markup("</li>") for item in items) + Markup("</ul>")


def pupil_rows(document: dict[str, Any], setting: dict[str, Any]) -> list[Row]:
    pupil = document["pupil"]
    name = f"{text(pupil.get('given_name'))} {text(pupil.get('family_name'))}"
    tier = TIER_NAMES.get(document["tier"], document["tier"])
    rows = [row("Child", name), row("Date of birth", day(pupil.get("date_of_birth"))),
            row("Unique Pupil Number (UPN)", pupil.get("upn")), row("School or setting", setting["shown_as"]),
            row("Level of support (tier)", tier)]
    if document.get("ehcp_reference"):
        rows.append(row("EHCP reference", document["ehcp_reference"]))
    status = f"Open since {day(document['opened_on'])}" if document["status"] == "open" else (
        f"Closed on {day(document['closed_on'])}")
    rows.append(row("Plan", status))
    rows.append(row("Next review due", day(document["next_review_due"]) if document["next_review_due"]
                    else "None: the plan is closed"))
    return rows


def _status(item: dict[str, Any]) -> str:
    status = str(STATUS_NAMES.get(item["status"], item["status"]))
    if item.get("ended_on"):
        reason = f" ({item['ended_reason']})" if item.get("ended_reason") else ""
        return f"{status.capitalize()} on {day(item['ended_on'])}{reason}"
    return status.capitalize()


def _barrier_names(document: dict[str, Any], ids: list[str] | None) -> list[str]:
    names = {b["id"]: wording.shorten(b["description"], wording.NAME_LIMIT) for b in document["barriers"]}
    return [names.get(i, "A need no longer shown") for i in ids or []]


def _barrier(document: dict[str, Any], item: dict[str, Any]) -> list[Row]:
    return [row("Area of need", wording.AREA_NAMES.get(item["area_of_need"], item["area_of_need"]).capitalize()),
            row("Type of need", wording.NEED_TYPE_NAMES.get(item["need_type"], item["need_type"]).capitalize()),
            row("Evidence", item.get("evidence"))]


def _provision(document: dict[str, Any], item: dict[str, Any]) -> list[Row]:
    sessions = item["sessions_per_week"]
    minutes = item["minutes_per_session"]
    group = "One-to-one" if item["group_size"] == 1 else f"In a group of {item['group_size']}"
    rows = [row("Helps with", lines(_barrier_names(document, item.get("barrier_ids"))), html=True),
            row("How often", f"{wording.number(sessions)} {wording.plural(sessions, 'session')} a week, "
                             f"{minutes} {wording.plural(minutes, 'minute')} each"),
            row("Group", group),
            row("Delivered by", wording.with_article(item.get("delivered_by")).capitalize()),
            row("Where", wording.LOCATION_NAMES.get(item["location"], item["location"]).capitalize()),
            row("Starts", day(item.get("starts_on"))),
            row("Ends", day(item["ends_on"]) if item.get("ends_on") else "No end date set")]
    if item.get("evidence_basis"):
        rows.append(row("Evidence it is based on", item["evidence_basis"]))
    return rows


def _adjustment(document: dict[str, Any], item: dict[str, Any]) -> list[Row]:
    return [row("Kind of adjustment", wording.CATEGORY_NAMES.get(item["category"], item["category"]).capitalize()),
            row("Helps with", lines(_barrier_names(document, item.get("barrier_ids"))), html=True)]


def _outcome(document: dict[str, Any], item: dict[str, Any]) -> list[Row]:
    progress = [f"{day(p['measured_on'])}: {text(p.get('note'))}"
                + (f" (measured {p['value']})" if p.get("value") is not None else "")
                + (f", from {p['source']}" if p.get("source") else "") for p in item.get("progress", [])]
    rows = [row("How success will be judged", item.get("success_criteria"))]
    if item.get("baseline"):
        rows.append(row("Starting point", item["baseline"]))
    if item.get("target"):
        rows.append(row("Target", item["target"]))
    rows += [row("Target date", day(item.get("target_date"))),
             row("Helps with", lines(_barrier_names(document, item.get("barrier_ids"))), html=True),
             row("Progress", lines(progress) if progress else "No progress recorded yet", html=bool(progress))]
    return rows


ITEM_ROWS: dict[str, Callable[[dict[str, Any], dict[str, Any]], list[Row]]] = {
    "barriers": _barrier, "provisions": _provision, "adjustments": _adjustment, "outcomes": _outcome}


def _marks(item: dict[str, Any]) -> list[str]:
    return ["Corrected"] if item.get("corrected") else []


def item_cards(document: dict[str, Any], kind: str, plan: Plan | None,
               allowed: frozenset[Action]) -> list[Card]:
    """One card per item of a section; ``plan``: the plan as it stands, for the links to change an item (none
    when the page shows the plan as it was on an earlier date)."""
    cards = []
    for item in document[kind]:
        rows = [row("Status", _status(item)), *ITEM_ROWS[kind](document, item),
                row("Agreed on", day(item.get("agreed_on")))]
        links = [{"href": link.href, "text": link.text} for link in item_links(allowed, plan, kind, item)] \
            if plan is not None else []
        cards.append({"title": wording.shorten(text(item.get("description")), 120), "rows": rows,
                      "marks": _marks(item), "links": links})
    return cards


def _recorded_by(fact: dict[str, Any]) -> str:
    who = fact.get("recorded_by") or {}
    role = wording.ROLE_NAMES.get(who.get("role", ""), who.get("role", ""))
    return f"{text(who.get('name'))} ({role}), {wording.instant_in_words(fact['recorded_at'])}"


def fact_cards(document: dict[str, Any], kind: str) -> list[Card]:
    cards = []
    for fact in reversed(document[kind]):  # newest first
        if kind == "reviews":
            title = f"Review held on {day(fact.get('held_on'))}"
            attendees = [f"{text(a.get('name'))} ({text(a.get('role'))})" for a in fact.get("attendees") or []]
            rows = [row("Who attended", lines(attendees), html=True),
                    row("Parents' views", fact.get("parent_views")), row("Child's views", fact.get("pupil_views")),
                    row("What was decided", fact.get("summary")),
                    row("Next review due", day(fact.get("next_review_due")))]
        elif kind == "contributions":
            name = wording.CONTRIBUTION_NAMES.get(fact["kind"], fact["kind"])
            title = f"{name}, {day(fact.get('agreed_on'))}"
            rows = [row("What they said", fact.get("text"))]
            if fact.get("profession"):
                rows.insert(0, row("Profession", fact["profession"]))
        else:
            title = f"{RESPONSE_NAMES.get(fact['response'], fact['response'])} (version {fact['version']}), " \
                    f"{day(fact.get('agreed_on'))}"
            rows = []
            if fact.get("given_by"):
                method = wording.RESPONSE_METHOD_NAMES.get(fact.get("method") or "", fact.get("method") or "")
                rows.append(row("Given by", f"{fact['given_by']}, {method}"))
            rows.append(row("Comment", fact.get("comment") or "No comment"))
        rows.append(row("Recorded by", _recorded_by(fact)))
        cards.append({"title": title, "rows": rows, "marks": _marks(fact), "links": []})
    return cards


def sections(document: dict[str, Any], plan: Plan | None, allowed: frozenset[Action]) -> list[dict[str, Any]]:
    """Every section of the plan, in the order of the plan, each with its cards (or the words for none)."""
    shown = []
    for kind, (heading, empty) in SECTIONS.items():
        cards = item_cards(document, kind, plan, allowed) if kind in ITEM_ROWS else fact_cards(document, kind)
        shown.append({"id": kind, "heading": heading, "empty": empty, "cards": cards})
    return shown
