"""The plan document (CONTRACT.md §4): what a plan says, now or as in force on a date.

A document is assembled from *parts*: the plan-level head, one view per item, one per fact. The current-plan
read model keeps the same parts as rows and assembles them with :func:`assemble` when read, so a new event
rewrites only the part it changed, and the document served equals the one folded from the log.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from isp_ledger.domain.plan import Plan
from isp_ledger.domain.privacy import is_erased, legal_hold
from isp_ledger.domain.records import (
    FACT_ID_FIELD,
    FACT_KINDS,
    VOID_EVENT,
    VOIDED,
    Record,
    as_on,
    fold_item,
    fold_plan,
    is_voided,
)
from isp_ledger.domain.sections import SECTION_OF_EVENT, SECTIONS
from isp_ledger.domain.stamp import format_instant

FACT_SECTIONS = tuple(FACT_KINDS.values())  # reviews, contributions, acknowledgements, progress
# Fields a later version of a fact's event added, shown only where they were given: the document of a plan stored
# before they existed reads as it always did, and an acknowledgement a parent gave themselves names no go-between.
SHOWN_WHEN_GIVEN = {"AcknowledgementRecorded": ("given_by", "method")}


def plan_document(plan: Plan, as_of: str | None = None, today: str | None = None, *,
                  privacy: bool = False) -> dict[str, Any] | None:
    """The plan as in force on ``as_of`` (every change agreed on or before it, as now known), or as it stands.

    A provision past its ``ends_on`` shows as ended from the next day: as of ``as_of``, or, for the plan as it
    stands, as of ``today`` (the London date of the moment the document describes; ``None`` shows the statuses as
    recorded). Entries struck out as recorded in error are left out. ``None`` when the plan had not been opened by
    ``as_of``. With ``privacy``, the head says whether the plan was erased and its legal hold (the API's document;
    an evidence bundle shows the document as bundles always have, and is never made of an erased plan).
    """
    state = plan.state if as_of is None else fold_plan(plan.records["plan"], as_of)
    if not state:
        return None
    sections: dict[str, list[dict[str, Any]]] = {}
    for name in SECTIONS:
        items = []
        for item_id in plan.section_items[name]:
            item = plan.items[item_id] if as_of is None else fold_item(item_id, plan.records[item_id], as_of)
            if item is not None:
                items.append(item_view(item))
        sections[name] = items
    facts = {kind: [fact_view(r) for r in plan.facts[kind]
                    if not is_voided(r) and (as_of is None or r["agreed_on"] <= as_of)]
             for kind in FACT_SECTIONS}
    return assemble(head_view(plan, state, as_of, privacy=privacy), sections, facts, as_of or today, privacy=privacy)


def head_view(plan: Plan, state: dict[str, Any] | None = None, as_of: str | None = None, *,
              privacy: bool = True) -> dict[str, Any]:
    """The plan-level part of the document (``state`` is the plan-level state in force; now, by default), with
    ``erased`` and ``legal_hold`` unless ``privacy`` is false."""
    state = plan.state if state is None else state
    head = {
        "plan_id": str(plan.id),
        "version": plan.version,
        "as_of": as_of,
        "recorded_at": format_instant(plan.modified_on),
        "status": state["status"],
        "pupil": dict(state["pupil"]),
        "setting_urn": state["setting_urn"],
        "tier": state["tier"],
        "ehcp_reference": state["ehcp_reference"],
        "opened_on": state["opened_on"],
        "closed_on": state["closed_on"],
        "initial_review_due": state["initial_review_due"],
    }
    if privacy:
        # Whatever the point in time shown: an erased plan's personal values read null in every version of it.
        head.update(erased=is_erased(plan), legal_hold=legal_hold(plan))
    return head


def item_view(item: dict[str, Any]) -> dict[str, Any]:
    """A barrier, provision, adjustment or outcome as shown in the document (outcomes get their progress
    when assembled)."""
    return dict(item)


def fact_view(record: Record) -> dict[str, Any]:
    """A review, contribution, acknowledgement or progress entry as shown in the plan document (one struck out as
    recorded in error carries its ``voided`` mark, and :func:`assemble` leaves it out)."""
    id_field = FACT_ID_FIELD[record["type"]]
    data = record["data"]
    view: dict[str, Any] = {"id": data[id_field]}
    hidden = {id_field, *(k for k in SHOWN_WHEN_GIVEN.get(record["type"], ()) if data.get(k) is None)}
    view.update((k, v) for k, v in data.items() if k not in hidden)
    if record["type"] == "AcknowledgementRecorded":
        view["version"] = view.pop("plan_version")
    view.update(
        agreed_on=record["agreed_on"],
        recorded_at=record["recorded_at"],
        recorded_in_version=record["version"],
        recorded_by=record["actor"],
        corrected=bool(record["corrections"]),
    )
    if is_voided(record):
        view[VOIDED] = record[VOIDED]
    return view


def assemble(
    head: dict[str, Any],
    sections: dict[str, list[dict[str, Any]]],
    facts: Mapping[str, Iterable[dict[str, Any]]],
    day: str | None = None,
    *,
    privacy: bool = True,
) -> dict[str, Any]:
    """The document from its parts: ``sections`` items in the order they were added, ``facts`` in any order
    (they are shown by the date agreed, then the order recorded), as on ``day`` (a provision past its ``ends_on``
    ended; ``None``: as recorded). Parts struck out as recorded in error are left out. Takes ownership of the
    parts."""
    ordered = {kind: sorted((f for f in facts.get(kind, ()) if not f.get(VOIDED)), key=_fact_order)
               for kind in FACT_SECTIONS}
    shown = {name: [as_on(item, day) for item in items if not item.get(VOIDED)] for name, items in sections.items()}
    progress = ordered["progress"]
    for outcome in shown["outcomes"]:
        outcome["progress"] = [p for p in progress if p["outcome_id"] == outcome["id"]]
    reviews = ordered["reviews"]
    document = {key: value for key, value in head.items() if key != "initial_review_due"}
    if privacy:  # a head projected before erasure and legal holds existed: neither was ever recorded on it
        document.setdefault("erased", False)
        document.setdefault("legal_hold", None)
    document.update(shown)
    document.update(reviews=reviews, contributions=ordered["contributions"],
                    acknowledgements=ordered["acknowledgements"])
    due = reviews[-1]["next_review_due"] if reviews else head["initial_review_due"]
    document["next_review_due"] = due if head["status"] == "open" else None
    return document


def _fact_order(view: dict[str, Any]) -> tuple[str, int]:
    return view["agreed_on"], view["recorded_in_version"]


def next_review_due(plan: Plan) -> str | None:
    """When the plan's next review falls due: as its latest review (by date held) set, or as opened."""
    if not plan.is_open:
        return None
    reviews = [r for r in plan.facts["reviews"] if not is_voided(r)]
    if not reviews:
        return str(plan.state["initial_review_due"])
    latest = max(reviews, key=lambda r: (r["agreed_on"], r["version"]))
    return str(latest["data"]["next_review_due"])


def changed_part(event: Plan.Event, before: Plan | None) -> tuple[str, int] | None:
    """The part of the document ``event`` changes besides the head, as (section or kind of fact, index in its
    list); ``None`` when it changes only the head. ``before`` is the plan just before the event."""
    event_type = type(event).__name__
    section = SECTION_OF_EVENT.get(event_type)
    if before is None:
        return None
    if section is not None:
        items = before.section_items[section.name]
        item_id: str = event.item_id  # type: ignore[attr-defined]
        return section.name, len(items) if event_type == section.added else items.index(item_id)
    if event_type in FACT_KINDS:
        kind = FACT_KINDS[event_type]
        return kind, len(before.facts[kind])
    if event_type in ("CorrectionRecorded", VOID_EVENT):
        target: str = getattr(event, "corrected_event_id" if event_type == "CorrectionRecorded" else "voided_event_id")
        located = before.locate(target)
        if located is None or located.key == "plan":
            return None
        if located.is_fact:
            kind = located.key.split(":", 1)[0]
            # a corrected session of provision changes no part of the document (only its version)
            return (kind, located.index) if kind in FACT_SECTIONS else None
        name = before.item_section[located.key]
        return name, before.section_items[name].index(located.key)
    return None
