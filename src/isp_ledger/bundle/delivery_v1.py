"""The delivery section of a bundle of format 1 (made before issue 11), as it was derived then: so that a bundle
handed to a complaint panel in 2026 still checks out offline with a later version of isp-ledger.

Format 1 counted planned sessions over the whole period on the calendar the bundle carries, with no bank holiday
that the school had not entered, measured unrecorded sessions over the whole period (a provision's extra sessions in
one month made up for its gaps in another), rounded every figure on its own, and listed only the missed sessions.
Format 2 (``content.py``) measures each month apart, adds up what it shows, counts England's bank holidays and late
entries, and lists every session. Nothing here is used to make a bundle: only to check one of format 1.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from isp_ledger.domain.calendar import SCHOOL_WEEK, SchoolCalendar
from isp_ledger.domain.codes import MISSED_REASONS
from isp_ledger.domain.delivery import SESSIONS
from isp_ledger.domain.plan import Plan
from isp_ledger.domain.planning import (
    PlanTerms,
    ProvisionTerms,
    SchoolDays,
    Session,
    in_force_on,
    months_of,
    owed,
    plan_schedule,
    provision_schedule,
    provision_type,
    shown,
)


@dataclass
class _Tally:
    """Format 1's figures of one provision over a window, or summed over provisions."""

    planned_sessions: Fraction = Fraction(0)
    planned_minutes: Fraction = Fraction(0)
    delivered_sessions: int = 0
    delivered_minutes: int = 0
    missed: dict[str, int] = field(default_factory=lambda: dict.fromkeys(MISSED_REASONS, 0))
    summed_unrecorded: Fraction | None = None

    def unrecorded(self) -> Fraction:
        if self.summed_unrecorded is not None:
            return self.summed_unrecorded
        return max(Fraction(0), self.planned_sessions - self.delivered_sessions - sum(self.missed.values()))

    def add(self, other: _Tally) -> None:
        self.summed_unrecorded = (self.summed_unrecorded or Fraction(0)) + other.unrecorded()
        self.planned_sessions += other.planned_sessions
        self.planned_minutes += other.planned_minutes
        self.delivered_sessions += other.delivered_sessions
        self.delivered_minutes += other.delivered_minutes
        for reason, count in other.missed.items():
            self.missed[reason] += count

    def as_json(self) -> dict[str, Any]:
        rate = Fraction(self.delivered_sessions) / self.planned_sessions if self.planned_sessions else None
        return {
            "planned_sessions": shown(self.planned_sessions),
            "delivered_sessions": self.delivered_sessions,
            "missed_sessions": sum(self.missed.values()),
            "missed_by_reason": dict(self.missed),
            "unrecorded_sessions": shown(self.unrecorded()),
            "planned_minutes": shown(self.planned_minutes),
            "delivered_minutes": self.delivered_minutes,
            "delivery_rate": shown(rate) if rate is not None else None,
        }


def _tally(provision: list[ProvisionTerms], plan: list[PlanTerms], sessions: Iterable[Session], start: dt.date,
           end: dt.date, *, school_days: Callable[[str], SchoolDays]) -> _Tally:
    tally = _Tally()
    for stretch in owed(provision, plan, start, end):
        count = school_days(stretch.plan.setting_urn).count(stretch.start, stretch.end)
        planned = Fraction(count) * Fraction(str(stretch.sessions_per_week)) / SCHOOL_WEEK
        tally.planned_sessions += planned
        tally.planned_minutes += planned * stretch.minutes_per_session
    for session in sessions:
        if session.status == "delivered":
            tally.delivered_sessions += 1
            minutes = session.minutes
            if minutes is None:
                minutes = (in_force_on(provision, session.day) or provision[0]).minutes_per_session
            tally.delivered_minutes += minutes
        else:
            tally.missed[session.missed_reason or "other"] += 1
    return tally


def delivery_report_v1(plan: Plan, start: dt.date, end: dt.date,
                       calendars: Mapping[str, SchoolCalendar]) -> dict[str, Any]:
    """A format 1 bundle's delivery section for the period ``start`` .. ``end`` (the calendars as it carries them:
    their settings' holidays and closures, no bank holiday besides)."""
    terms = plan_schedule(plan.records["plan"])
    settings = sorted({t.setting_urn for t in terms})
    sessions: dict[str, list[Session]] = defaultdict(list)
    missed: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in plan.facts.get(SESSIONS, []):
        data = record["data"]
        if not start.isoformat() <= data["date"] <= end.isoformat():
            continue
        sessions[data["provision_id"]].append(Session(data["provision_id"], dt.date.fromisoformat(data["date"]),
                                                      data["status"], data["minutes"], data["missed_reason"]))
        if data["status"] == "missed":
            missed[data["provision_id"]].append({
                "date": data["date"], "missed_reason": data["missed_reason"], "note": data.get("note"),
                "version": record["version"], "corrected": bool(record["corrections"]),
            })
    months = months_of(start, end)
    school_days = {urn: SchoolDays(calendars[urn], start, end) for urn in settings}
    provisions, total = [], _Tally()
    monthly_total = [_Tally() for _ in months]
    for item_id in plan.section_items["provisions"]:
        item = plan.items[item_id]
        schedule = provision_schedule(item_id, plan.records[item_id])

        def tally(first: dt.date, last: dt.date, schedule: Any = schedule, item_id: str = item_id) -> _Tally:
            within = [s for s in sessions[item_id] if first <= s.day <= last]
            return _tally(schedule, terms, within, first, last, school_days=school_days.__getitem__)

        whole = tally(start, end)
        total.add(whole)
        by_month = []
        for index, (month, first, last) in enumerate(months):
            part = tally(first, last)
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
        "from": start.isoformat(),
        "to": end.isoformat(),
        "calendars": {urn: calendars[urn].as_json() for urn in settings},
        "provisions": provisions,
        "totals": total.as_json(),
        "by_month": [{"month": month, **t.as_json()} for (month, _, _), t in zip(months, monthly_total, strict=True)],
    }
