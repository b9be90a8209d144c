"""Planned versus delivered provision (CONTRACT.md §8): the arithmetic of the delivery reports, without I/O.

The rules, each shown with exact numbers in ``tests/unit/test_delivery_planning.py``:

* A provision owes sessions on the school days on which it was in force. Each such day owes
  ``sessions_per_week / 5``, so a full week of five school days owes ``sessions_per_week``, and a week with three
  school days (a bank holiday and a closure, or the start of a provision on a Wednesday) owes three fifths of it.
* School days are Monday to Friday minus England's bank holidays and the setting's holidays and closures
  (``calendar.py``), by the calendar as it stands now.
* "In force" is read as of each day, as the plan document's ``as_of`` is: a provision is owed from the day it was
  agreed and within its ``starts_on`` .. ``ends_on``; an amendment (3 sessions a week to 2) applies from the day
  it was agreed; a provision ended on a day owes nothing from that day; a plan owes nothing before it was opened
  nor from the day it was closed. Corrections count: the schedule is read from the record as now known.
* A provision paused on a day owes nothing from that day until the day it is resumed, which owes again; a pause
  with an ``until`` date owes nothing through that date and is owed again from the next day, resumed or not. So a
  pause over one full school week owes exactly ``sessions_per_week`` fewer, and a pause from a Wednesday to the
  Friday three fifths of it fewer. A paused provision may be amended: the amendment's terms apply once it is owed
  again.
* Planned sessions are counted up to today at the latest (:func:`counted_to`; the answers say ``counted_to``): a
  day still to come owes nothing yet, so a report to the end of term asked in December is right on the day it is
  read.
* Each month is measured apart (calendar months clipped to the window, and within a month each set of the plan's
  terms apart, as when its tier changed): ``unrecorded = planned - delivered - missed`` when that is positive,
  otherwise ``extra = delivered + missed - planned``, so that ``planned + extra = delivered + missed +
  unrecorded`` on every line. A month's gap is not made up by another month's extra sessions, nor one provision's
  by another's; planned sessions are spread evenly over school days, so a month with more of a provision's usual
  days than average shows extra sessions rather than planned < delivered + missed without a reason.
* A session recorded more than ``late_entry_days`` school days after its date is a late entry (``delivery.is_late``):
  it counts as what it says (delivered or missed) and also in ``late_sessions``. A voided session counts for
  nothing: callers leave it out.

How figures are rounded, so that the parts shown always add up to the totals shown: exact numbers (fractions)
are rounded half up to two decimal places once, for each provision's planned sessions and minutes in each month
(and set of the plan's terms); every other figure is a whole number, or computed from those shown figures, and a
figure for a longer period or for more provision (a provision over the window, a plan, a setting, a tier) is the
sum of the figures shown for its parts. So months add up to the total, provisions to the plan's total, plans to the
setting's. The delivery rate is ``delivered / planned`` as shown (``None`` when nothing was planned), rounded half up
to two places. A delivered session whose minutes were not given counts the provision's ``minutes_per_session`` in
force that day.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from isp_ledger.domain import codes
from isp_ledger.domain.calendar import SCHOOL_WEEK, SchoolCalendar
from isp_ledger.domain.codes import MISSED_REASONS
from isp_ledger.domain.records import Record, fold_item, fold_plan, is_paused_on
from isp_ledger.domain.sections import LIVE_STATUSES, PROVISIONS
from isp_ledger.domain.state import PlanState

ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class ProvisionTerms:
    """What a provision said from ``effective_on`` until its next change."""

    effective_on: dt.date
    active: bool  # owed: neither ended nor paused
    sessions_per_week: float
    minutes_per_session: int
    starts_on: dt.date
    ends_on: dt.date | None


@dataclass(frozen=True)
class PlanTerms:
    """The plan's status, tier and setting from ``effective_on`` until its next change."""

    effective_on: dt.date
    open: bool
    tier: str
    setting_urn: str


@dataclass(frozen=True)
class Stretch:
    """A run of days (inclusive) on which a provision was owed on the same terms, under the same plan terms."""

    start: dt.date
    end: dt.date
    sessions_per_week: float
    minutes_per_session: int
    plan: PlanTerms


def provision_schedule(item_id: str, records: list[Record]) -> list[ProvisionTerms]:
    """The provision's terms as in force on each day one of its decisions was agreed (the last of a day wins),
    and on the day after each pause with an ``until`` date, when the pause ran out by itself."""
    days = {r["agreed_on"] for r in records}
    days |= {(dt.date.fromisoformat(r["data"]["until"]) + ONE_DAY).isoformat()
             for r in records if r["data"].get("until") and r["type"] == PROVISIONS.paused}
    schedule = []
    for day in sorted(days):
        item = fold_item(item_id, records, day)
        if item is None:
            continue
        owed_that_day = item["status"] in LIVE_STATUSES and not is_paused_on(item, day)
        schedule.append(ProvisionTerms(
            dt.date.fromisoformat(day), owed_that_day, item["sessions_per_week"],
            item["minutes_per_session"], dt.date.fromisoformat(item["starts_on"]),
            dt.date.fromisoformat(item["ends_on"]) if item.get("ends_on") else None,
        ))
    return schedule


def plan_schedule(records: list[Record]) -> list[PlanTerms]:
    """The plan's status, tier and setting as in force on each day a plan-level decision was agreed."""
    schedule = []
    for day in sorted({r["agreed_on"] for r in records}):
        state = fold_plan(records, day)
        if state is not None:
            schedule.append(PlanTerms(dt.date.fromisoformat(day), state["status"] == "open", state["tier"],
                                      state["setting_urn"]))
    return schedule


def owed(provision: list[ProvisionTerms], plan: list[PlanTerms], start: dt.date, end: dt.date) -> list[Stretch]:
    """The runs of days from ``start`` to ``end`` on which the provision was owed: in force, active and within its
    dates, while the plan was open."""
    stretches = []
    for span_start, span_end, terms in _spans(provision, start, end):
        if not terms.active:
            continue
        first = max(span_start, terms.starts_on)
        last = min(span_end, terms.ends_on) if terms.ends_on else span_end
        for q_start, q_end, plan_terms in _spans(plan, first, last):
            if plan_terms.open and q_start <= q_end:
                stretches.append(Stretch(q_start, q_end, terms.sessions_per_week, terms.minutes_per_session,
                                         plan_terms))
    return stretches


def _spans(schedule: list[Any], start: dt.date, end: dt.date) -> Iterable[tuple[dt.date, dt.date, Any]]:
    """Each entry of a schedule (in ``effective_on`` order) with the days it governed within ``start`` .. ``end``."""
    for index, terms in enumerate(schedule):
        until = schedule[index + 1].effective_on - ONE_DAY if index + 1 < len(schedule) else end
        first, last = max(start, terms.effective_on), min(end, until)
        if first <= last:
            yield first, last, terms


def in_force_on(schedule: list[Any], day: dt.date) -> Any | None:
    """The entry of a schedule (in ``effective_on`` order) governing ``day``; ``None`` before the first."""
    index = bisect.bisect_right([t.effective_on for t in schedule], day)
    return schedule[index - 1] if index else None


class SchoolDays:
    """The school days of a window by one calendar, counted for any run of days within it by bisection."""

    def __init__(self, calendar: SchoolCalendar, start: dt.date, end: dt.date) -> None:
        self._days = calendar.school_days(start, end)

    def count(self, start: dt.date, end: dt.date) -> int:
        return bisect.bisect_right(self._days, end) - bisect.bisect_left(self._days, start)


def months_of(start: dt.date, end: dt.date) -> list[tuple[str, dt.date, dt.date]]:
    """The calendar months from ``start`` to ``end``, each clipped to them: ("2026-09", first day, last day)."""
    months = []
    while start <= end:
        following = (start.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
        months.append((start.strftime("%Y-%m"), start, min(end, following - ONE_DAY)))
        start = following
    return months


def counted_to(end: dt.date, today: dt.date) -> dt.date:
    """The last day a report counts: its ``to``, or today if that is earlier (what is still to come is neither
    delivered nor missing)."""
    return min(end, today)


# ------------------------------------------------------------------------------------------------ the figures

HUNDREDTH = Decimal("0.01")


def rounded(value: Fraction) -> Decimal:
    """An exact number as shown: rounded half up to two decimal places."""
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(HUNDREDTH, rounding=ROUND_HALF_UP)


def shown(value: Fraction) -> float:
    return float(rounded(value))


@dataclass
class Tally:
    """Planned and recorded sessions of one provision in one month (under one set of the plan's terms), or the sum
    of such months (:meth:`add`). Figures are as shown: planned sessions and minutes rounded month by month, every
    other figure whole or a sum of shown figures, so that ``planned + extra = delivered + missed + unrecorded``
    holds exactly on every line."""

    planned_sessions: Decimal = Decimal(0)
    planned_minutes: Decimal = Decimal(0)
    delivered_sessions: int = 0
    delivered_minutes: int = 0
    missed: dict[str, int] = field(default_factory=lambda: dict.fromkeys(MISSED_REASONS, 0))
    unrecorded_sessions: Decimal = Decimal(0)
    extra_sessions: Decimal = Decimal(0)
    late_sessions: int = 0

    def add(self, other: Tally) -> None:
        self.planned_sessions += other.planned_sessions
        self.planned_minutes += other.planned_minutes
        self.delivered_sessions += other.delivered_sessions
        self.delivered_minutes += other.delivered_minutes
        for reason, count in other.missed.items():
            self.missed[reason] += count
        self.unrecorded_sessions += other.unrecorded_sessions
        self.extra_sessions += other.extra_sessions
        self.late_sessions += other.late_sessions

    def unrecorded(self) -> Decimal:
        return self.unrecorded_sessions

    def as_json(self) -> dict[str, Any]:
        rate = None
        if self.planned_sessions:
            rate = float((self.delivered_sessions / self.planned_sessions).quantize(HUNDREDTH, ROUND_HALF_UP))
        return {
            "planned_sessions": float(self.planned_sessions),
            "delivered_sessions": self.delivered_sessions,
            "missed_sessions": sum(self.missed.values()),
            "missed_by_reason": dict(self.missed),
            "unrecorded_sessions": float(self.unrecorded_sessions),
            "extra_sessions": float(self.extra_sessions),
            "late_sessions": self.late_sessions,
            "planned_minutes": float(self.planned_minutes),
            "delivered_minutes": self.delivered_minutes,
            "delivery_rate": rate,
        }


@dataclass
class _Month:
    """The exact figures of one provision in one month under one set of the plan's terms, before they are shown."""

    planned: Fraction = Fraction(0)
    planned_minutes: Fraction = Fraction(0)
    delivered: int = 0
    delivered_minutes: int = 0
    missed: dict[str, int] = field(default_factory=lambda: dict.fromkeys(MISSED_REASONS, 0))
    late: int = 0

    def plan(self, stretch: Stretch, school_days: int) -> None:
        sessions = Fraction(school_days) * Fraction(str(stretch.sessions_per_week)) / SCHOOL_WEEK
        self.planned += sessions
        self.planned_minutes += sessions * stretch.minutes_per_session

    def record(self, session: Session, minutes: int) -> None:
        if session.status == "delivered":
            self.delivered += 1
            self.delivered_minutes += minutes
        else:
            self.missed[session.missed_reason or "other"] += 1
        self.late += session.late

    def shown(self) -> Tally:
        planned = rounded(self.planned)
        recorded = self.delivered + sum(self.missed.values())
        return Tally(planned, rounded(self.planned_minutes), self.delivered, self.delivered_minutes,
                     dict(self.missed), max(Decimal(0), planned - recorded), max(Decimal(0), recorded - planned),
                     self.late)


@dataclass(frozen=True)
class Session:
    """A recorded session, as the reports need it (``late``: a late entry, ``delivery.is_late``). A voided session is
    never one: it counts for nothing."""

    provision_id: str
    day: dt.date
    status: str
    minutes: int | None
    missed_reason: str | None
    late: bool = False


def tally_months(
    provision: list[ProvisionTerms],
    plan: list[PlanTerms],
    sessions: Iterable[Session],
    start: dt.date,
    end: dt.date,
    *,
    school_days: Callable[[str], SchoolDays],
    group: Callable[[PlanTerms], str | None] = lambda terms: "",
) -> dict[tuple[str, str], Tally]:
    """One provision's figures over ``start`` .. ``end``, month by month (``"2026-09"``) and by ``group`` of the
    plan's terms in force (one group, ``""``, by default; a group of ``None`` is left out, as days under another
    setting are from its report).

    Each month is measured apart, and apart again for each set of the plan's terms in it (a change of tier): a
    month's gap is not made up by another month's extra sessions. ``school_days(setting_urn)`` gives the window's
    school days by that setting's calendar; ``sessions`` are the provision's sessions, each counted under the
    plan's terms in force on its day, those outside the window passed over.
    """
    leaves: dict[tuple[str, PlanTerms], _Month] = {}
    for month, first, last in months_of(start, end):
        for stretch in owed(provision, plan, first, last):
            count = school_days(stretch.plan.setting_urn).count(stretch.start, stretch.end)
            leaves.setdefault((month, stretch.plan), _Month()).plan(stretch, count)
    for session in sessions:
        if not start <= session.day <= end:
            continue
        minutes = session.minutes
        if minutes is None:
            minutes = (in_force_on(provision, session.day) or provision[0]).minutes_per_session
        terms = in_force_on(plan, session.day) or plan[0]
        leaves.setdefault((session.day.strftime("%Y-%m"), terms), _Month()).record(session, minutes)
    tallies: dict[tuple[str, str], Tally] = {}
    for (month, terms), leaf in sorted(leaves.items(), key=lambda item: (item[0][0], item[0][1].effective_on)):
        key = group(terms)
        if key is not None:
            tallies.setdefault((month, key), Tally()).add(leaf.shown())
    return tallies


def tally_provision(
    provision: list[ProvisionTerms],
    plan: list[PlanTerms],
    sessions: Iterable[Session],
    start: dt.date,
    end: dt.date,
    *,
    school_days: Callable[[str], SchoolDays],
    group: Callable[[PlanTerms], str | None] = lambda terms: "",
) -> dict[str, Tally]:
    """One provision's figures over ``start`` .. ``end`` by ``group``: the sums of its months
    (:func:`tally_months`)."""
    tallies: dict[str, Tally] = {}
    for (_, key), tally in tally_months(provision, plan, sessions, start, end, school_days=school_days,
                                        group=group).items():
        tallies.setdefault(key, Tally()).add(tally)
    return tallies


# The provision type a setting's delivery report sums by: the broad area of need (SEND Code of Practice) of the
# barriers a provision addresses, ``multiple`` when they span more than one. It is the standard way provision is
# grouped in England, where ``delivered_by`` is free text and ``location`` says where, not what.
MULTIPLE = "multiple"
PROVISION_TYPES = (*codes.AREAS_OF_NEED, MULTIPLE)


def provision_type(plan: PlanState, provision: dict[str, Any]) -> str:
    """The broad area of need of the barriers the provision addresses, or ``multiple``."""
    areas = {plan.items[b]["area_of_need"] for b in provision["barrier_ids"] if b in plan.items}
    return areas.pop() if len(areas) == 1 else MULTIPLE
