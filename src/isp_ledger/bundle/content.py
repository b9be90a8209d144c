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

from isp_ledger.bundle.access import access_section
from isp_ledger.bundle.delivery_v1 import delivery_report_v1
from isp_ledger.bundle.wording_2026 import summarise as summarise_2026
from isp_ledger.domain.calendar import SchoolCalendar
from isp_ledger.domain.delivery import SESSION_EVENT, SESSIONS, is_late
from isp_ledger.domain.plan import Plan
from isp_ledger.domain.planning import (
    SchoolDays,
    Session,
    Tally,
    in_force_on,
    months_of,
    plan_schedule,
    provision_schedule,
    provision_type,
    tally_months,
)
from isp_ledger.domain.records import VOID_EVENT, fold_item, is_voided
from isp_ledger.domain.sections import LIVE_STATUSES, PROVISIONS
from isp_ledger.domain.stamp import is_backdated, london_date, london_day
from isp_ledger.domain.summaries import summarise
from isp_ledger.domain.view import plan_document
from isp_ledger.domain.wording import EVENT_NAMES, kind_of
from isp_ledger.storage.mapper import event_from_envelope

FORMAT = "isp-ledger evidence bundle"
# Format 2 (issue 11): the delivery section lists every session with both dates, measures months apart and adds
# up, counts bank holidays and late entries; the cover counts sessions; the summaries are the plain-English ones of
# ``domain/summaries.py``. A bundle of format 1 is still checked as format 1 derived it: its delivery by
# ``delivery_v1.py``, its summaries in the words of 2026 (``wording_2026.py``, see ``summariser``).
# Format 3 (issue 13): the events' personal values are sealed (CONTRACT.md §11); ``integrity.data_key`` is the plan's
# data key, with which they are opened to recompute what the bundle shows. Its content is derived as format 2's.
FORMAT_VERSION = 3
FORMAT_VERSIONS = (1, 2, 3)
DEFAULT_LATE_ENTRY_DAYS = 5  # ISP_LEDGER_LATE_ENTRY_DAYS unless set: a bundle says which it counted with
# The sections of a bundle that are derived from its events, in the order a reader meets them.
DERIVED = ("summary", "plan_at_start", "plan_at_end", "changes", "reviews", "parent_responses", "delivery", "access")
# Sections a bundle carries only when they have something to show, and what their absence shows: "access" (who
# was granted access during the period) only when the plan was shared with anyone then. A bundle made before grants
# existed reads the same, and a grant in the events of a bundle without the section is caught as the section
# edited away.
OPTIONAL: dict[str, Any] = {"access": []}


def shown_section(bundle: dict[str, Any], section: str) -> Any:
    """What ``bundle`` (or a :func:`derive` result) shows as ``section``."""
    return bundle.get(section, OPTIONAL.get(section))


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


def derive(replayed: Replayed, period: Period, calendars: Mapping[str, SchoolCalendar],
           late_entry_days: int = DEFAULT_LATE_ENTRY_DAYS, format_version: int = FORMAT_VERSION) -> dict[str, Any]:
    """The derived sections of a bundle (:data:`DERIVED`) of ``format_version``, as JSON-native values. Besides
    the events, what they are derived from travels in the bundle's delivery section: the calendars and
    ``late_entry_days``."""
    plan = replayed.plan
    at_start = plan_document(plan, period.start.isoformat())
    at_end = plan_document(plan, period.end.isoformat())
    changes = _changes(replayed, period)
    reviews = [r for r in (at_end or {}).get("reviews", []) if period.includes(r["agreed_on"], r["recorded_at"])]
    responses = _parent_responses(replayed, at_end, period)
    if format_version == 1:
        _require_calendars(plan, calendars)
        delivery = delivery_report_v1(plan, period.start, period.end, calendars)
    else:
        delivery = delivery_report(plan, period, calendars, late_entry_days)
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
    if access := access_section(plan, period.start, period.end):
        content["access"] = access
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


def delivery_report(plan: Plan, period: Period, calendars: Mapping[str, SchoolCalendar],
                    late_entry_days: int = DEFAULT_LATE_ENTRY_DAYS) -> dict[str, Any]:
    """Planned versus delivered per provision over the period, by the same arithmetic and with the same fields as
    ``GET /v1/plans/{plan_id}/delivery`` (``domain/planning.py``; the period ends today at the latest, so it is
    counted to its end), with a month-by-month breakdown whose months add up to each provision's figures, and
    every session of the period listed with the day it happened and the day it was recorded, late entries
    (``late_entry_days`` school days, by the calendar of the setting that day) and voided ones marked.

    The calendars are carried with England's bank holidays listed, from the start of the period to the last day a
    session of it was recorded: checked again elsewhere, with another version of the ``holidays`` package, the
    bundle counts the same days.
    """
    settings = _require_calendars(plan, calendars)
    terms = plan_schedule(plan.records["plan"])
    in_period = [r for r in plan.facts.get(SESSIONS, []) if period.covers(r["data"]["date"])]
    last_recorded = max([period.end, *(dt.date.fromisoformat(london_day(r["recorded_at"])) for r in in_period)])
    carried = {urn: calendars[urn].carried(period.start, last_recorded) for urn in settings}
    sessions: dict[str, list[Session]] = defaultdict(list)
    listed: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in in_period:
        data = record["data"]
        day = dt.date.fromisoformat(data["date"])
        recorded_on = london_day(record["recorded_at"])
        setting_urn = (in_force_on(terms, day) or terms[0]).setting_urn
        late = is_late(day, dt.date.fromisoformat(recorded_on), carried[setting_urn], late_entry_days)
        listed[data["provision_id"]].append({
            "date": data["date"], "starts_at": data.get("starts_at"), "status": data["status"],
            "minutes": data["minutes"], "missed_reason": data["missed_reason"],
            "delivered_by": data.get("delivered_by"), "note": data.get("note"),
            "version": record["version"], "event_id": record["event_id"], "recorded_at": record["recorded_at"],
            "recorded_on": recorded_on, "recorded_by": record["actor"], "late": late,
            "corrected": bool(record["corrections"]), "voided": record.get("voided"),
        })
        if not is_voided(record):
            sessions[data["provision_id"]].append(
                Session(data["provision_id"], day, data["status"], data["minutes"], data["missed_reason"], late))
    months = months_of(period.start, period.end)
    school_days = {urn: SchoolDays(carried[urn], period.start, period.end) for urn in settings}
    provisions, total = [], Tally()
    monthly_total = {month: Tally() for month, _, _ in months}
    for item_id in plan.section_items["provisions"]:
        item = fold_item(item_id, plan.records[item_id], period.end.isoformat())
        if item is None or is_voided(plan.records[item_id][0]):
            continue  # agreed after the period (it owed nothing in it), or recorded in error
        by_month = tally_months(provision_schedule(item_id, plan.records[item_id]), terms, sessions[item_id],
                                period.start, period.end, school_days=school_days.__getitem__)
        whole = Tally()
        shown_months = []
        for month, _, _ in months:
            part = by_month.get((month, ""), Tally())
            whole.add(part)
            monthly_total[month].add(part)
            shown_months.append({"month": month, **part.as_json()})
        total.add(whole)
        provisions.append({
            "provision_id": item_id, "description": item["description"], "delivered_by": item["delivered_by"],
            "location": item["location"], "provision_type": provision_type(plan, item),
            "status": _status_at(item, period.end), "sessions_per_week": item["sessions_per_week"],
            "minutes_per_session": item["minutes_per_session"], **whole.as_json(),
            "sessions": sorted(listed[item_id], key=lambda s: (s["date"], s["starts_at"] or "", s["version"])),
            "by_month": shown_months,
        })
    return {
        "from": period.start.isoformat(),
        "to": period.end.isoformat(),
        "counted_to": period.end.isoformat(),
        "late_entry_days": late_entry_days,
        "calendars": {urn: carried[urn].carried_json(period.start, last_recorded) for urn in settings},
        "provisions": provisions,
        "totals": total.as_json(),
        "by_month": [{"month": month, **t.as_json()} for month, t in monthly_total.items()],
    }


def _require_calendars(plan: Plan, calendars: Mapping[str, SchoolCalendar]) -> list[str]:
    """The settings the plan has belonged to, each of which must have a calendar to count by."""
    settings = plan_settings(plan)
    missing = [urn for urn in settings if urn not in calendars]
    if missing:
        raise ReplayError(f"no school calendar for setting {', '.join(missing)}, so no sessions can be planned")
    return settings


def _status_at(item: dict[str, Any], day: dt.date) -> str:
    """A provision's status on ``day``: ended from the day after its ``ends_on``, whether or not anyone recorded
    its end."""
    status = str(item["status"])
    if status in LIVE_STATUSES and item.get("ends_on") and item["ends_on"] < day.isoformat():
        return PROVISIONS.ended_status
    return status


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
        **({"sessions": _session_counts(delivery)} if "late_entry_days" in delivery else {}),  # format 2
        "events": len(replayed.envelopes),
        "version": last["version"],
        "head_hash": last["hash"],
    }


def _voided_count(changes: list[dict[str, Any]]) -> dict[str, int]:
    """``{"voided": N}``, the entries of the change log struck out as recorded in error, when there are any; nothing
    otherwise. (Sessions of provision struck out are counted with the delivery's sessions.)"""
    count = sum(1 for c in changes if "voided" in c)
    return {"voided": count} if count else {}
def _session_counts(delivery: dict[str, Any]) -> dict[str, int]:
    """The sessions of the period as the cover counts them: recorded, back-dated (recorded after the day they
    happened), late entries and voided ones (recorded in error, struck out, counting for nothing)."""
    listed = [s for p in delivery["provisions"] for s in p["sessions"]]
    return {
        "recorded": len(listed),
        "backdated": sum(1 for s in listed if s["recorded_on"] > s["date"]),
        "late": sum(1 for s in listed if s["late"] and not s["voided"]),
        "voided": sum(1 for s in listed if s["voided"]),
        "late_entry_days": delivery["late_entry_days"],
    }
