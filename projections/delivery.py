"""Delivery: planned versus delivered provision (``GET /v1/plans/{plan_id}/delivery`` and
``GET /v1/settings/{urn}/delivery``, CONTRACT.md §8).

The read model keeps the facts the reports need, as rows: every session recorded (as now known, corrections
included; a voided session has no row, as it counts for nothing), with the London date it was recorded on, each
provision's schedule (its terms as in force from each day a decision on it was agreed or a
pause ran out; ``active`` says whether it was owed, neither ended nor paused), each plan's terms (open or closed,
tier, setting, from each day they changed) and a few labels. The arithmetic is done
when a report is read (``isp_ledger.domain.planning``), with the setting's calendar as it then stands: a changed
calendar changes the reports at once, without reprocessing anything. So is lateness: a session is a late entry when
its recorded date is more than ``late_entry_days`` school days after its date (``delivery.is_late``), counted with
the calendar of the setting the plan was in that day. Planned sessions are counted up to ``counted_to``, today at
the latest.

The provision type a setting's report sums by is the broad area of need (SEND Code of Practice, DOMAIN.md) of the
barriers the provision addresses, ``multiple`` when they span more than one (``domain.planning.provision_type``).
The report also sums by location, which partitions provision without overlap.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from typing import Any, ClassVar
from uuid import UUID

from isp_ledger.domain import codes
from isp_ledger.domain.calendar import SchoolCalendar
from isp_ledger.domain.delivery import SESSION_EVENT, SESSIONS, is_late
from isp_ledger.domain.plan import Plan
from isp_ledger.domain.planning import (
    PROVISION_TYPES,
    PlanTerms,
    ProvisionTerms,
    SchoolDays,
    Session,
    Tally,
    counted_to,
    in_force_on,
    plan_schedule,
    provision_schedule,
    provision_type,
    tally_provision,
)
from isp_ledger.domain.records import VOID_EVENT, VOIDED, is_voided
from isp_ledger.domain.sections import BARRIERS, LIVE_STATUSES, PROVISIONS, SECTION_OF_EVENT
from isp_ledger.domain.stamp import london_day
from isp_ledger.storage.sql import Cursor
from projections.base import Insert, PlanFolder, ReadModel, Upsert, View

# What each event changes here; every other event is passed over at once.
_PLAN_EVENTS = {"PlanOpened", "TierChanged", "PlanClosed"}
# Barriers' events change a provision's type; every event of a provision (paused and resumed too) its schedule.
_ITEM_EVENTS = {e for e, s in SECTION_OF_EVENT.items() if s.name in (BARRIERS.name, PROVISIONS.name)}
# A correction or a void changes the record of the entry it names.
_CHANGES = {**dict.fromkeys(_PLAN_EVENTS, "plan"), **dict.fromkeys(_ITEM_EVENTS, "items"),
            SESSION_EVENT: "session", "CorrectionRecorded": "correction", VOID_EVENT: "correction"}
_NAMED_EVENT = {"CorrectionRecorded": "corrected_event_id", VOID_EVENT: "voided_event_id"}

_SESSIONS = Upsert("sessions", {
    "plan_id": "TEXT", "version": "BIGINT", "session_id": "TEXT", "provision_id": "TEXT", "day": "TEXT",
    "status": "TEXT", "minutes": "INTEGER", "missed_reason": "TEXT", "recorded_on": "TEXT",
}, key=("plan_id", "version"))
_PLANS = Upsert("plans", {"plan_id": "TEXT", "given_name": "TEXT", "family_name": "TEXT", "tier": "TEXT",
                          "status": "TEXT"}, key=("plan_id",))
_TERMS = Insert("terms", {"plan_id": "TEXT", "effective_on": "TEXT", "open": "INTEGER", "tier": "TEXT",
                          "setting_urn": "TEXT"})
_PROVISIONS = Insert("provisions", {
    "plan_id": "TEXT", "provision_id": "TEXT", "ord": "INTEGER", "description": "TEXT", "delivered_by": "TEXT",
    "location": "TEXT", "provision_type": "TEXT", "status": "TEXT",
})
_SCHEDULE = Insert("schedule", {
    "plan_id": "TEXT", "provision_id": "TEXT", "effective_on": "TEXT", "active": "INTEGER",
    "sessions_per_week": "DOUBLE PRECISION", "minutes_per_session": "INTEGER", "starts_on": "TEXT",
    "ends_on": "TEXT",
})


class Delivery(ReadModel):
    name = "delivery"
    tables: ClassVar[dict[str, str]] = {
        "sessions": "CREATE TABLE IF NOT EXISTS {sessions} (plan_id TEXT NOT NULL, version BIGINT NOT NULL, "
        "session_id TEXT NOT NULL, provision_id TEXT NOT NULL, day TEXT NOT NULL, status TEXT NOT NULL, "
        "minutes INTEGER, missed_reason TEXT, recorded_on TEXT NOT NULL, PRIMARY KEY (plan_id, version))",
        "by_day": "CREATE INDEX IF NOT EXISTS {=by_day} ON {sessions} (plan_id, day)",
        "plans": "CREATE TABLE IF NOT EXISTS {plans} (plan_id TEXT PRIMARY KEY, given_name TEXT NOT NULL, "
        "family_name TEXT NOT NULL, tier TEXT NOT NULL, status TEXT NOT NULL)",
        "terms": "CREATE TABLE IF NOT EXISTS {terms} (plan_id TEXT NOT NULL, effective_on TEXT NOT NULL, "
        "open INTEGER NOT NULL, tier TEXT NOT NULL, setting_urn TEXT NOT NULL, PRIMARY KEY (plan_id, effective_on))",
        "by_setting": "CREATE INDEX IF NOT EXISTS {=by_setting} ON {terms} (setting_urn, plan_id)",
        "provisions": "CREATE TABLE IF NOT EXISTS {provisions} (plan_id TEXT NOT NULL, provision_id TEXT NOT NULL, "
        "ord INTEGER NOT NULL, description TEXT NOT NULL, delivered_by TEXT NOT NULL, location TEXT NOT NULL, "
        "provision_type TEXT NOT NULL, status TEXT NOT NULL, PRIMARY KEY (plan_id, provision_id))",
        "schedule": "CREATE TABLE IF NOT EXISTS {schedule} (plan_id TEXT NOT NULL, provision_id TEXT NOT NULL, "
        "effective_on TEXT NOT NULL, active INTEGER NOT NULL, sessions_per_week DOUBLE PRECISION NOT NULL, "
        "minutes_per_session INTEGER NOT NULL, starts_on TEXT NOT NULL, ends_on TEXT, "
        "PRIMARY KEY (plan_id, provision_id, effective_on))",
    }

    def __init__(self, view: View, plans: PlanFolder) -> None:
        super().__init__(view, plans)
        self._sessions: dict[tuple[UUID, int], None] = {}  # (plan, index in its sessions) to (re)write
        self._plans: dict[UUID, None] = {}  # plans whose terms to rewrite
        self._items: dict[UUID, None] = {}  # plans whose provisions and schedules to rewrite

    def note(self, event: Plan.Event, before: Plan | None) -> None:
        change = _CHANGES.get(type(event).__name__)
        if change is None:
            return
        plan_id = event.originator_id
        if change == "session":
            assert before is not None
            self._sessions[(plan_id, len(before.facts.get(SESSIONS, ())))] = None
        elif change == "plan":
            self._plans[plan_id] = None
        elif change == "items":
            self._items[plan_id] = None
        else:
            named = getattr(event, _NAMED_EVENT[type(event).__name__])
            located = before.locate(named) if before else None
            if located is None:
                return
            if located.key.startswith(f"{SESSIONS}:"):
                self._sessions[(plan_id, located.index)] = None
            elif located.key == "plan":
                self._plans[plan_id] = None
            elif not located.is_fact:
                self._items[plan_id] = None

    def prepare(self) -> dict[str, Any]:
        sessions, voided = [], []
        for plan_id, index in self._sessions:
            record = self.plans.get(plan_id).facts[SESSIONS][index]
            if is_voided(record):
                voided.append((str(plan_id), record["version"]))
                continue
            data = record["data"]
            sessions.append((str(plan_id), record["version"], data["session_id"], data["provision_id"],
                             data["date"], data["status"], data["minutes"], data["missed_reason"],
                             london_day(record["recorded_at"])))
        plans, terms = [], []
        for plan_id in self._plans:
            plan = self.plans.get(plan_id)
            pupil = plan.state["pupil"]
            plans.append((str(plan_id), pupil["given_name"] or "", pupil["family_name"] or "", plan.state["tier"],
                          plan.state["status"]))
            terms += [(str(plan_id), t.effective_on.isoformat(), int(t.open), t.tier, t.setting_urn)
                      for t in plan_schedule(plan.records["plan"])]
        provisions, schedule = [], []
        for plan_id in self._items:
            plan = self.plans.get(plan_id)
            for ord_, item_id in enumerate(plan.section_items["provisions"]):
                if is_voided(plan.records[item_id][0]):
                    continue  # a provision recorded in error owes nothing
                item = plan.items[item_id]
                if item["status"] == VOIDED:  # struck out as recorded in error: never part of the plan
                    continue
                provisions.append((str(plan_id), item_id, ord_, item["description"], item["delivered_by"],
                                   item["location"], provision_type(plan, item), item["status"]))
                schedule += [(str(plan_id), item_id, t.effective_on.isoformat(), int(t.active),
                              float(t.sessions_per_week), t.minutes_per_session, t.starts_on.isoformat(),
                              t.ends_on.isoformat() if t.ends_on else None)
                             for t in provision_schedule(item_id, plan.records[item_id])]
        rows = {"sessions": sessions, "voided": voided, "plans": plans, "terms": terms,
                "terms_of": [str(p) for p in self._plans], "provisions": provisions, "schedule": schedule,
                "items_of": [str(p) for p in self._items]}
        self.discard()
        return rows

    def write(self, cursor: Cursor, rows: dict[str, Any]) -> None:
        _SESSIONS.run(self.view, cursor, rows["sessions"])
        cursor.executemany(self.view.q("DELETE FROM {sessions} WHERE plan_id = ? AND version = ?"), rows["voided"])
        _PLANS.run(self.view, cursor, rows["plans"])
        _delete(self.view, cursor, "terms", rows["terms_of"])
        _TERMS.run(self.view, cursor, rows["terms"])
        _delete(self.view, cursor, "provisions", rows["items_of"])
        _delete(self.view, cursor, "schedule", rows["items_of"])
        _PROVISIONS.run(self.view, cursor, rows["provisions"])
        _SCHEDULE.run(self.view, cursor, rows["schedule"])

    def discard(self) -> None:
        self._sessions.clear()
        self._plans.clear()
        self._items.clear()


def _delete(view: View, cursor: Cursor, table: str, plan_ids: list[str]) -> None:
    if not plan_ids:
        return
    # ``table`` is one of this module's table names; the plans are parameters.
    if view.sql.dialect == "postgresql":
        cursor.execute(view.q(f"DELETE FROM {{{table}}} WHERE plan_id = ANY(?)"), (plan_ids,))
    else:
        cursor.executemany(view.q(f"DELETE FROM {{{table}}} WHERE plan_id = ?"),
                           [(p,) for p in plan_ids])


# ---------------------------------------------------------------------------------------------------- reports

Calendars = Callable[[str], SchoolCalendar]


class _Facts:
    """The rows of some plans, for a window: what the reports compute from. ``where`` is the reports' own
    query of the plans' ids (its values are in ``params``)."""

    def __init__(self, view: View, where: str, params: tuple[Any, ...], window: _Window) -> None:
        self.window = window
        self.provisions = view.sql.fetch(view.q(
            "SELECT plan_id, provision_id, description, delivered_by, location, provision_type, status "
            f"FROM {{provisions}} WHERE plan_id IN ({where}) ORDER BY plan_id, ord"), params)
        self.schedules: dict[tuple[str, str], list[ProvisionTerms]] = defaultdict(list)
        for plan_id, item_id, effective, active, spw, mps, starts, ends in view.sql.fetch(view.q(
                "SELECT plan_id, provision_id, effective_on, active, sessions_per_week, minutes_per_session, "
                f"starts_on, ends_on FROM {{schedule}} WHERE plan_id IN ({where}) ORDER BY effective_on"), params):
            self.schedules[(plan_id, item_id)].append(ProvisionTerms(
                _day(effective), bool(active), spw, mps, _day(starts), _day(ends) if ends else None))
        self.terms: dict[str, list[PlanTerms]] = defaultdict(list)
        for plan_id, effective, open_, tier, setting_urn in view.sql.fetch(view.q(
                "SELECT plan_id, effective_on, open, tier, setting_urn "
                f"FROM {{terms}} WHERE plan_id IN ({where}) ORDER BY effective_on"), params):
            self.terms[plan_id].append(PlanTerms(_day(effective), bool(open_), tier, setting_urn))
        self.sessions: dict[tuple[str, str], list[Session]] = defaultdict(list)
        for plan_id, item_id, day, status, minutes, reason, recorded_on in view.sql.fetch(view.q(
                "SELECT plan_id, provision_id, day, status, minutes, missed_reason, recorded_on FROM {sessions} "
                f"WHERE plan_id IN ({where}) AND day >= ? AND day <= ?"),
                (*params, window.start.isoformat(), window.counted_to.isoformat())):
            held = _day(day)
            terms = self.terms.get(plan_id)
            setting_urn = (in_force_on(terms, held) or terms[0]).setting_urn if terms else ""
            late = is_late(held, _day(recorded_on), window.calendars(setting_urn), window.late_entry_days)
            self.sessions[(plan_id, item_id)].append(Session(item_id, held, status, minutes, reason, late))

    def tally(self, plan_id: str, item_id: str, *,
              group: Callable[[PlanTerms], str | None] = lambda terms: "") -> dict[str, Tally]:
        schedule, terms = self.schedules.get((plan_id, item_id)), self.terms.get(plan_id)
        if not schedule or not terms:
            return {}
        window = self.window
        return tally_provision(schedule, terms, self.sessions.get((plan_id, item_id), ()), window.start,
                               window.counted_to, school_days=window.school_days, group=group)

    def status(self, plan_id: str, item_id: str, status: str) -> str:
        """The provision's status today: ``ended`` from the day after its ``ends_on``, whether or not anyone
        recorded its end."""
        schedule = self.schedules.get((plan_id, item_id))
        ends_on = schedule[-1].ends_on if schedule else None
        if status in LIVE_STATUSES and ends_on is not None and ends_on < self.window.today:
            return PROVISIONS.ended_status
        return status


class _Window:
    """A report's period, counted up to today at the latest, with the settings' calendars it is counted by."""

    def __init__(self, start: dt.date, end: dt.date, today: dt.date, calendars: Calendars,
                 late_entry_days: int) -> None:
        self.start, self.end, self.today = start, end, today
        self.counted_to = counted_to(end, today)
        self.calendars = calendars
        self.late_entry_days = late_entry_days
        self._school_days: dict[str, SchoolDays] = {}

    def school_days(self, setting_urn: str) -> SchoolDays:
        if setting_urn not in self._school_days:
            self._school_days[setting_urn] = SchoolDays(self.calendars(setting_urn), self.start, self.counted_to)
        return self._school_days[setting_urn]

    def as_json(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat(),
                "counted_to": self.counted_to.isoformat()}


def plan_report(view: View, plan_id: UUID, start: dt.date, end: dt.date, calendars: Calendars, *,
                today: dt.date, late_entry_days: int) -> dict[str, Any]:
    """Per provision of the plan, planned against delivered over ``start`` .. ``end`` (counted up to ``today``
    at the latest), and the plan's total: the sum of its provisions."""
    window = _Window(start, end, today, calendars, late_entry_days)
    facts = _Facts(view, "?", (str(plan_id),), window)
    provisions, total = [], Tally()
    for _, item_id, description, delivered_by, location, kind, status in facts.provisions:
        tally = facts.tally(str(plan_id), item_id).get("", Tally())
        total.add(tally)
        provisions.append({"provision_id": item_id, "description": description, "delivered_by": delivered_by,
                           "location": location, "provision_type": kind,
                           "status": facts.status(str(plan_id), item_id, status), **tally.as_json()})
    return {"plan_id": str(plan_id), **window.as_json(), "provisions": provisions, "totals": total.as_json()}


def setting_report(view: View, setting_urn: str, start: dt.date, end: dt.date, calendars: Calendars, *,
                   today: dt.date, late_entry_days: int) -> dict[str, Any]:
    """Planned against delivered across the setting's plans, in total, by provision type, by location, by tier
    and by plan (counted up to ``today`` at the latest). Days a plan spent under another setting are that
    setting's. Each grouping sums the same provisions' figures, so each adds up to the total."""
    window = _Window(start, end, today, calendars, late_entry_days)
    facts = _Facts(view, "SELECT plan_id FROM {terms} WHERE setting_urn = ?", (setting_urn,), window)
    total = Tally()
    by_type: dict[str, Tally] = defaultdict(Tally)
    by_location: dict[str, Tally] = defaultdict(Tally)
    by_tier: dict[str, Tally] = defaultdict(Tally)
    by_plan: dict[str, Tally] = defaultdict(Tally)

    def tier_here(terms: PlanTerms) -> str | None:
        return terms.tier if terms.setting_urn == setting_urn else None

    for plan_id, item_id, _, _, location, kind, _ in facts.provisions:
        for tier, tally in facts.tally(plan_id, item_id, group=tier_here).items():
            for bucket in (total, by_type[kind], by_location[location], by_tier[tier], by_plan[plan_id]):
                bucket.add(tally)
    names = {row[0]: row[1:] for row in view.sql.fetch(view.q(
        "SELECT plan_id, given_name, family_name, tier, status FROM {plans} WHERE plan_id IN "
        "(SELECT plan_id FROM {terms} WHERE setting_urn = ?)"), (setting_urn,))}
    plans = []
    for plan_id in sorted(by_plan, key=lambda p: (names.get(p, ("", ""))[1], names.get(p, ("", ""))[0], p)):
        given, family, tier, status = names.get(plan_id, ("", "", "", ""))
        plans.append({"plan_id": plan_id, "pupil": {"given_name": given, "family_name": family}, "tier": tier,
                      "status": status, **by_plan[plan_id].as_json()})
    return {
        "setting_urn": setting_urn, **window.as_json(), "totals": total.as_json(),
        "by_provision_type": _grouped("provision_type", by_type, PROVISION_TYPES),
        "by_location": _grouped("location", by_location, codes.LOCATIONS),
        "by_tier": _grouped("tier", by_tier, codes.TIERS),
        "plans": plans,
    }


def provision_figures(view: View, setting_urn: str, start: dt.date, end: dt.date, calendars: Calendars, *,
                      late_entry_days: int) -> dict[str, dict[str, dict[str, Any]]]:
    """Planned against delivered over ``start`` .. ``end`` (days past) for each provision of the setting's plans
    (by plan id, then provision id), counting only days under this setting: what the quality report judges
    delivery by."""
    window = _Window(start, end, end, calendars, late_entry_days)
    facts = _Facts(view, "SELECT plan_id FROM {terms} WHERE setting_urn = ?", (setting_urn,), window)

    def here(terms: PlanTerms) -> str | None:
        return "" if terms.setting_urn == setting_urn else None

    figures: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for plan_id, item_id, *_ in facts.provisions:
        figures[plan_id][item_id] = facts.tally(plan_id, item_id, group=here).get("", Tally()).as_json()
    return dict(figures)


def _grouped(name: str, tallies: dict[str, Tally], order: tuple[str, ...]) -> list[dict[str, Any]]:
    rank = {value: index for index, value in enumerate(order)}
    return [{name: key, **tallies[key].as_json()} for key in sorted(tallies, key=lambda k: (rank.get(k, len(rank)), k))]


def _day(value: str) -> dt.date:
    return dt.date.fromisoformat(value)
