"""Figures that add up (CONTRACT.md §8, issue 11 problem 5), on exact numbers without a database: each month is
measured apart, a month with more sessions recorded than planned says so (``extra_sessions``) instead of showing
planned < delivered + missed, unrecorded is never negative, and the parts shown always sum to the totals shown,
however the exact numbers round."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from isp_ledger.domain.calendar import WEEKDAYS_ONLY
from isp_ledger.domain.plan import Plan
from isp_ledger.domain.planning import (
    SchoolDays,
    Session,
    Tally,
    counted_to,
    months_of,
    plan_schedule,
    provision_schedule,
    tally_months,
    tally_provision,
)
from isp_ledger.domain.stamp import Actor, Stamp
from tests import samples

BY = Stamp(Actor("u-senco", "Sam Senco", "senco"), dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC))
FIELDS = ("planned_sessions", "delivered_sessions", "missed_sessions", "unrecorded_sessions", "extra_sessions",
          "late_sessions", "planned_minutes", "delivered_minutes")


def day(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


def provision(**fields: Any) -> tuple[Plan, str]:
    plan = Plan.open(BY, pupil=samples.pupil(), setting_urn="123456", tier="targeted", agreed_on="2026-09-01")
    barrier = plan.add_item(BY, "barriers", samples.barrier(), agreed_on="2026-09-01")
    return plan, plan.add_item(BY, "provisions", samples.provision([barrier], **fields), agreed_on="2026-09-01")


def months(plan: Plan, item: str, sessions: list[Session], start: str, end: str) -> dict[str, Tally]:
    window = (day(start), day(end))
    found = tally_months(provision_schedule(item, plan.records[item]), plan_schedule(plan.records["plan"]), sessions,
                         *window, school_days=lambda _urn: SchoolDays(WEEKDAYS_ONLY, *window))
    return {month: tally for (month, _), tally in found.items()}


def whole(plan: Plan, item: str, sessions: list[Session], start: str, end: str) -> Tally:
    window = (day(start), day(end))
    return tally_provision(provision_schedule(item, plan.records[item]), plan_schedule(plan.records["plan"]),
                           sessions, *window, school_days=lambda _urn: SchoolDays(WEEKDAYS_ONLY, *window))[""]


def delivered(item: str, *dates: str, late: bool = False) -> list[Session]:
    return [Session(item, day(d), "delivered", None, None, late) for d in dates]


def add_up(parts: list[dict[str, Any]], total: dict[str, Any]) -> None:
    """Every figure of ``total`` is the sum of the parts' (as shown, to the hundredth)."""
    for name in FIELDS:
        assert sum(Decimal(str(p[name])) for p in parts) == Decimal(str(total[name])), name
    missed = {reason: sum(p["missed_by_reason"][reason] for p in parts) for reason in total["missed_by_reason"]}
    assert missed == total["missed_by_reason"]


def test_a_months_gap_is_not_made_up_by_another_months_extra_sessions() -> None:
    # Once a week from Thursday 1 October: October owes 22/5 = 4.4 (4 delivered: 0.4 not recorded); the 15
    # weekdays of November to the 20th owe 3 (4 delivered: 1 extra). The total does not say "0 not recorded".
    plan, item = provision(sessions_per_week=1, starts_on="2026-10-01")
    sessions = delivered(item, "2026-10-01", "2026-10-08", "2026-10-15", "2026-10-22",
                         "2026-11-02", "2026-11-05", "2026-11-12", "2026-11-19")
    by_month = months(plan, item, sessions, "2026-10-01", "2026-11-20")
    october, november = by_month["2026-10"].as_json(), by_month["2026-11"].as_json()
    assert (october["planned_sessions"], october["unrecorded_sessions"], october["extra_sessions"]) == (4.4, 0.4, 0)
    assert (november["planned_sessions"], november["unrecorded_sessions"], november["extra_sessions"]) == (3, 0, 1)
    total = whole(plan, item, sessions, "2026-10-01", "2026-11-20").as_json()
    assert (total["planned_sessions"], total["delivered_sessions"], total["unrecorded_sessions"],
            total["extra_sessions"]) == (7.4, 8, 0.4, 1)
    add_up([october, november], total)


def test_more_recorded_than_planned_in_a_month_is_said_not_hidden() -> None:
    # 7 a fortnight (3.5 a week) over the 8 weekdays of 2-11 November owes 5.6; 4 delivered and 2 missed were
    # recorded: not "5.6 planned against 6", but 0.4 extra and nothing unrecorded.
    plan, item = provision(sessions_per_week=3.5)
    sessions = [*delivered(item, "2026-11-02", "2026-11-03", "2026-11-04", "2026-11-05"),
                Session(item, day("2026-11-06"), "missed", None, "pupil_absent"),
                Session(item, day("2026-11-09"), "missed", None, "staff_absent")]
    shown = whole(plan, item, sessions, "2026-11-02", "2026-11-11").as_json()
    assert (shown["planned_sessions"], shown["delivered_sessions"], shown["missed_sessions"],
            shown["unrecorded_sessions"], shown["extra_sessions"]) == (5.6, 4, 2, 0, 0.4)
    # planned + extra = delivered + missed + unrecorded, exactly, on every line
    assert Decimal("5.6") + Decimal("0.4") == 4 + 2 + 0


def test_shown_parts_sum_to_the_shown_total_however_the_exact_numbers_round() -> None:
    # 0.33 of a session a week: each weekday owes 0.066, so months of 22, 21 and 23 weekdays owe 1.452, 1.386 and
    # 1.518, shown rounded; the total is the sum of the months as shown.
    plan, item = provision(sessions_per_week=0.33, minutes_per_session=25)
    sessions = delivered(item, "2026-10-07", "2026-11-04", "2026-12-02", late=True)
    by_month = months(plan, item, sessions, "2026-10-01", "2026-12-31")
    parts = [by_month[m].as_json() for m in ("2026-10", "2026-11", "2026-12")]
    assert [p["planned_sessions"] for p in parts] == [1.45, 1.39, 1.52]  # 22, 21 and 23 weekdays x 0.066
    total = whole(plan, item, sessions, "2026-10-01", "2026-12-31").as_json()
    add_up(parts, total)
    assert total["planned_sessions"] == 4.36 and total["late_sessions"] == 3
    assert total["delivery_rate"] == 0.69  # 3 / 4.36, as shown


def test_unrecorded_is_never_negative_and_totals_sum_their_parts() -> None:
    plan, phonics = provision(sessions_per_week=1)
    barrier = plan.section_items["barriers"][0]
    spelling = plan.add_item(BY, "provisions", samples.provision([barrier], sessions_per_week=2),
                             agreed_on="2026-09-01")
    extra = whole(plan, phonics, delivered(phonics, "2026-11-16", "2026-11-17", "2026-11-18"),
                  "2026-11-16", "2026-11-20")
    none = whole(plan, spelling, [], "2026-11-16", "2026-11-20")
    assert (extra.as_json()["unrecorded_sessions"], extra.as_json()["extra_sessions"]) == (0, 2)
    total = Tally()
    for part in (extra, none):
        total.add(part)
    add_up([extra.as_json(), none.as_json()], total.as_json())
    assert total.as_json()["unrecorded_sessions"] == 2  # phonics' extra sessions do not make up spelling's gap


def test_months_and_counted_to() -> None:
    assert months_of(day("2026-10-19"), day("2026-12-02")) == [
        ("2026-10", day("2026-10-19"), day("2026-10-31")), ("2026-11", day("2026-11-01"), day("2026-11-30")),
        ("2026-12", day("2026-12-01"), day("2026-12-02"))]
    assert counted_to(day("2026-12-18"), day("2026-12-02")) == day("2026-12-02")
    assert counted_to(day("2026-11-30"), day("2026-12-02")) == day("2026-11-30")
