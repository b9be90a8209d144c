"""What an evidence bundle shows, computed from a plan's chained events and nothing else.

The service builds a bundle's sections with :func:`derive`, and the offline check runs :func:`derive` again on the
events carried in the bundle and compares: so whatever a bundle shows (the plan at the start and end of the
period, the change log, reviews and parent responses, planned versus delivered provision, the cover summary) is
exactly what replaying the chained events gives. The one input that is not in the chain is the setting's school
calendar (it belongs to the setting, not to the plan), which decides how many sessions were owed; the bundle
carries it beside the figures it produced.

A period is a range of dates (Europe/London), both ends included. The plan "at the start" is the plan in force on
the first day, "at the end" the plan in force on the last, both as now known (corrections included). An entry
belongs to the period when it was agreed in it, or recorded in it: a decision back-dated into the period and an
entry recorded during the period about an earlier date both matter to someone reconstructing what happened.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from isp_ledger.bundle.wording_2026 import summarise as summarise_2026
from isp_ledger.domain.calendar import SchoolCalendar
from isp_ledger.domain.delivery import SESSION_EVENT, SESSIONS
from isp_ledger.domain.plan import Plan
from isp_ledger.domain.planning import (
    SchoolDays,
    Session,
    Tally,
    plan_schedule,
    provision_schedule,
    provision_type,
    tally_provision,
)
from isp_ledger.domain.records import VOID_EVENT, VOIDED, is_voided
from isp_ledger.domain.stamp import is_backdated, london_date
from isp_ledger.domain.summaries import summarise
from isp_ledger.domain.view import plan_document
from isp_ledger.domain.wording import EVENT_NAMES, kind_of
from isp_ledger.storage.mapper import event_from_envelope

FORMAT = "isp-ledger evidence bundle"
# 2: the summaries of issue 11 (``domain/summaries.py``). A bundle is checked with the words of its own format
# version (``summariser``), so a bundle made in 2026 still checks out after the wording improves.
FORMAT_VERSION = 2
# The sections of a bundle that are derived from its events, in the order a reader meets them.
DERIVED = ("summary", "plan_at_start", "plan_at_end", "changes", "reviews", "parent_responses", "delivery")


class ReplayError(ValueError):
    """The events cannot be replayed into a plan (they are not a plan's history this code understands)."""


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date

    def covers(self, day: str) -> bool:
        return self.start.isoformat() <= day <= self.end.isoformat()

    def includes(self, agreed_on: str, recorded_at: str) -> bool:
        """An entry agreed in the period, or recorded in it."""
        return self.covers(agreed_on) or self.covers(london_date(dt.datetime.fromisoformat(recorded_at)).isoformat())

    def as_json(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


@dataclass(frozen=True)
class Replayed:
    plan: Plan
    envelopes: Sequence[dict[str, Any]]
    summaries: list[str | None]  # one line per event (None for sessions of provision, which the delivery shows)


Summariser = Callable[[Plan.Event, Plan | None], str]


def summariser(format_version: Any) -> Summariser:
    """The words a bundle of ``format_version`` shows its entries in: the 2026 wording for version 1, today's
    for every later version."""
    return summarise_2026 if format_version == 1 else summarise


def replay(envelopes: Sequence[dict[str, Any]], summarise_event: Summariser = summarise) -> Replayed:
    """The plan folded from its events (each as stored, unsealed), with a one-line summary of each (in today's
    words, unless ``summarise_event`` says otherwise)."""
    plan: Plan | None = None
    summaries: list[str | None] = []
    try:
        for envelope in envelopes:
            event = event_from_envelope(envelope)
            summaries.append(None if envelope["type"] == SESSION_EVENT else _summary(summarise_event, event, plan))
            plan = event.mutate(plan)
    except ReplayError:
        raise
    except Exception as e:
        where = f" at version {envelope.get('version')}" if isinstance(envelope, dict) else ""
        raise ReplayError(f"the events cannot be replayed into a plan{where} ({e.__class__.__name__}: {e})") from e
    if plan is None:
        raise ReplayError("there are no events")
    return Replayed(plan, envelopes, summaries)


def _summary(summarise_event: Summariser, event: Plan.Event, before: Plan | None) -> str:
    try:
        return summarise_event(event, before)
    except KeyError:  # a kind of entry with no summary of its own: its name says what it was
        name = type(event).__name__
        return EVENT_NAMES.get(name, name).capitalize() + "."


def plan_settings(plan: Plan) -> list[str]:
    """Every setting the plan has belonged to: their calendars decide what its provision owed."""
    return sorted({terms.setting_urn for terms in plan_schedule(plan.records["plan"])})


def derive(replayed: Replayed, period: Period, calendars: Mapping[str, SchoolCalendar]) -> dict[str, Any]:
    """The derived sections of a bundle (:data:`DERIVED`), as JSON-native values."""
    plan = replayed.plan
    at_start = plan_document(plan, period.start.isoformat())
    at_end = plan_document(plan, period.end.isoformat())
    changes = _changes(replayed, period)
    reviews = [r for r in (at_end or {}).get("reviews", []) if period.includes(r["agreed_on"], r["recorded_at"])]
    responses = _parent_responses(replayed, at_end, period)
    delivery = delivery_report(plan, period, calendars)
    content = {
        "summary": _cover(replayed, period, at_end=at_end, changes=changes, reviews=reviews, responses=responses,
                          delivery=delivery),
        "plan_at_start": at_start,
        "plan_at_end": at_end,
        "changes": changes,
        "reviews": reviews,
        "parent_responses": responses,
        "delivery": delivery,
    }
    # As a reader of the bundle's JSON will see them: lists not tuples, no objects shared between sections.
    normalised: dict[str, Any] = orjson.loads(orjson.dumps(content))
    return normalised


# ------------------------------------------------------------------------------------------------ the change log


def _changes(replayed: Replayed, period: Period) -> list[dict[str, Any]]:
    """Every entry of the period but sessions of provision (the delivery section shows those), oldest first."""
    by_event_id = {e["event_id"]: (e, s) for e, s in zip(replayed.envelopes, replayed.summaries, strict=True)}
    corrected_by: dict[str, list[dict[str, Any]]] = defaultdict(list)
    voided_by: dict[str, dict[str, Any]] = {}
    for envelope, summary in zip(replayed.envelopes, replayed.summaries, strict=True):
        if envelope["type"] == VOID_EVENT:
            voided_by[envelope["data"]["voided_event_id"]] = {
                "version": envelope["version"], "event_id": envelope["event_id"],
                "recorded_at": envelope["recorded_at"], "actor": envelope["actor"], "reason": envelope["reason"],
                "summary": summary,
            }
        if envelope["type"] == "CorrectionRecorded":
            corrected_by[envelope["data"]["corrected_event_id"]].append({
                "version": envelope["version"], "event_id": envelope["event_id"],
                "recorded_at": envelope["recorded_at"], "actor": envelope["actor"], "reason": envelope["reason"],
                "summary": summary,
            })
    entries = []
    for envelope, summary in zip(replayed.envelopes, replayed.summaries, strict=True):
        if envelope["type"] == SESSION_EVENT or not period.includes(envelope["agreed_on"], envelope["recorded_at"]):
            continue
        data = envelope["data"]
        corrects = None
        if envelope["type"] == "CorrectionRecorded":
            original, original_summary = by_event_id.get(data["corrected_event_id"], ({}, None))
            corrects = {"version": data["corrected_version"], "event_id": data["corrected_event_id"],
                        "type": original.get("type"), "agreed_on": original.get("agreed_on"),
                        "summary": original_summary}
        entry = {
            "version": envelope["version"],
            "event_id": envelope["event_id"],
            "type": envelope["type"],
            "kind": kind_of(envelope["type"]),
            "summary": summary,
            "recorded_at": envelope["recorded_at"],
            "agreed_on": envelope["agreed_on"],
            "backdated": is_backdated(envelope["agreed_on"], envelope["recorded_at"]),
            "actor": envelope["actor"],
            "reason": envelope["reason"],
            "item_id": data.get("item_id") or data.get("outcome_id") or data.get("provision_id"),
            "corrects": corrects,
            "corrected_by": corrected_by.get(envelope["event_id"], []),
        }
        # A void and the entry it struck out are marked so; the keys are there only where they apply, so a bundle of
        # a plan without voids reads (and verifies) as it always did.
        if envelope["type"] == VOID_EVENT:
            original, original_summary = by_event_id.get(data["voided_event_id"], ({}, None))
            entry["voids"] = {"version": data["voided_version"], "event_id": data["voided_event_id"],
                              "type": original.get("type"), "agreed_on": original.get("agreed_on"),
                              "summary": original_summary}
        if envelope["event_id"] in voided_by:
            entry["voided"] = voided_by[envelope["event_id"]]
        entries.append(entry)
    return entries


def _parent_responses(replayed: Replayed, at_end: dict[str, Any] | None, period: Period) -> dict[str, Any]:
    """Parents' acknowledgements of versions of the plan, and contributions (parent, pupil, professional)."""
    recorded_at = {e["version"]: e["recorded_at"] for e in replayed.envelopes}
    document = at_end or {}
    acknowledgements = []
    for ack in document.get("acknowledgements", []):
        if period.includes(ack["agreed_on"], ack["recorded_at"]):
            acknowledgements.append({**ack, "version_recorded_at": recorded_at.get(ack["version"])})
    contributions = [c for c in document.get("contributions", []) if period.includes(c["agreed_on"], c["recorded_at"])]
    return {"acknowledgements": acknowledgements, "contributions": contributions}


# ------------------------------------------------------------------------------------------------ delivery


def delivery_report(plan: Plan, period: Period, calendars: Mapping[str, SchoolCalendar]) -> dict[str, Any]:
    """Planned versus delivered per provision over the period, by the same arithmetic and with the same fields as
    ``GET /v1/plans/{plan_id}/delivery`` (``domain/planning.py``), with each provision's missed sessions and a
    month-by-month breakdown added."""
    settings = plan_settings(plan)
    missing = [urn for urn in settings if urn not in calendars]
    if missing:
        raise ReplayError(f"no school calendar for setting {', '.join(missing)}, so no sessions can be planned")
    terms = plan_schedule(plan.records["plan"])
    sessions: dict[str, list[Session]] = defaultdict(list)
    missed: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in plan.facts.get(SESSIONS, []):
        data = record["data"]
        if not period.covers(data["date"]) or is_voided(record):
            continue
        day = dt.date.fromisoformat(data["date"])
        sessions[data["provision_id"]].append(
            Session(data["provision_id"], day, data["status"], data["minutes"], data["missed_reason"]))
        if data["status"] == "missed":
            missed[data["provision_id"]].append({
                "date": data["date"], "missed_reason": data["missed_reason"], "note": data.get("note"),
                "version": record["version"], "corrected": bool(record["corrections"]),
            })
    months = _months(period)
    # Counted once for the whole period: a month, or any run of days within the period, is counted by bisection.
    school_days = {urn: SchoolDays(calendars[urn], period.start, period.end) for urn in settings}
    provisions, total = [], Tally()
    monthly_total = [Tally() for _ in months]
    for item_id in plan.section_items["provisions"]:
        item = plan.items[item_id]
        if item["status"] == VOIDED:
            continue
        schedule = provision_schedule(item_id, plan.records[item_id])

        def tally(start: dt.date, end: dt.date, schedule: Any = schedule, item_id: str = item_id) -> Tally:
            within = [s for s in sessions[item_id] if start <= s.day <= end]
            found = tally_provision(schedule, terms, within, start, end, school_days=school_days.__getitem__)
            return found.get("", Tally())

        whole = tally(period.start, period.end)
        total.add(whole)
        by_month = []
        for index, (month, start, end) in enumerate(months):
            part = tally(start, end)
            monthly_total[index].add(part)
            by_month.append({"month": month, **part.as_json()})
        provisions.append({
            "provision_id": item_id, "description": item["description"], "delivered_by": item["delivered_by"],
            "location": item["location"], "provision_type": provision_type(plan, item), "status": item["status"],
            "sessions_per_week": item["sessions_per_week"], "minutes_per_session": item["minutes_per_session"],
            **whole.as_json(),
            "missed": sorted(missed[item_id], key=lambda m: (m["date"], m["version"])),
            "by_month": by_month,
        })
    return {
        "from": period.start.isoformat(),
        "to": period.end.isoformat(),
        "calendars": {urn: calendars[urn].as_json() for urn in settings},
        "provisions": provisions,
        "totals": total.as_json(),
        "by_month": [{"month": month, **t.as_json()} for (month, _, _), t in zip(months, monthly_total, strict=True)],
    }


def _months(period: Period) -> list[tuple[str, dt.date, dt.date]]:
    """The calendar months the period touches, each clipped to it: ("2026-09", first day, last day)."""
    months = []
    start = period.start
    while start <= period.end:
        following = (start.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
        end = min(period.end, following - dt.timedelta(days=1))
        months.append((start.strftime("%Y-%m"), start, end))
        start = following
    return months


# ------------------------------------------------------------------------------------------------ the cover


def _cover(replayed: Replayed, period: Period, *, at_end: dict[str, Any] | None, changes: list[dict[str, Any]],
           reviews: list[dict[str, Any]], responses: dict[str, Any], delivery: dict[str, Any]) -> dict[str, Any]:
    now = plan_document(replayed.plan)
    assert now is not None
    shown = at_end or now
    last = replayed.envelopes[-1]
    return {
        "pupil": now["pupil"],
        "setting_urn": shown["setting_urn"],
        "tier": shown["tier"],
        "ehcp_reference": shown["ehcp_reference"],
        "status_at_end": at_end["status"] if at_end else "not yet opened",
        "status_now": now["status"],
        "opened_on": now["opened_on"],
        "closed_on": now["closed_on"],
        "next_review_due": at_end["next_review_due"] if at_end else None,
        "period": period.as_json(),
        "changes": len(changes),
        "backdated": sum(1 for c in changes if c["backdated"]),
        "corrections": sum(1 for c in changes if c["corrects"] is not None),
        "corrected": sum(1 for c in changes if c["corrected_by"]),
        **_voided_count(changes),
        "reviews": len(reviews),
        "acknowledgements": len(responses["acknowledgements"]),
        "contributions": len(responses["contributions"]),
        "delivery": delivery["totals"],
        "events": len(replayed.envelopes),
        "version": last["version"],
        "head_hash": last["hash"],
    }


def _voided_count(changes: list[dict[str, Any]]) -> dict[str, int]:
    """``{"voided": N}``, the entries of the change log struck out as recorded in error, when there are any; nothing
    otherwise. (Sessions of provision struck out are counted with the delivery's sessions.)"""
    count = sum(1 for c in changes if "voided" in c)
    return {"voided": count} if count else {}
