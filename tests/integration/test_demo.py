"""`isp-ledger demo`: a synthetic school lived through a school year on the ledger's own commands, on both stores.

The demo runs on a clock that moves through the school year up to the real time the test starts, so what it
builds depends on today's date; these tests assert what must hold whatever the date: every tier, sessions
delivered and missed for several reasons, reviews and parents' views, at least one correction and one back-dated
entry, every plan's chain intact, nothing recorded in the future, read models that catch up with it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from isp_ledger.access import User
from isp_ledger.application import Ledger
from isp_ledger.bootstrap import build_ledger
from isp_ledger.demo import DemoClock, DemoReport, build_demo, store_has_plans
from isp_ledger.demo.calendar import easter_sunday, school_year
from isp_ledger.demo.pupils import apportion
from projections import delivery
from projections.runner import Projector
from tests.cli import isp_ledger


@pytest.fixture
def demo_ledger(env: dict[str, str]) -> Iterator[Ledger]:
    ledger = build_ledger(env, clock=DemoClock())
    try:
        yield ledger
    finally:
        ledger.close()


def user(ledger: Ledger, report: DemoReport, key: str) -> User:
    found = ledger.accounts.authenticate(report.token(key))
    assert found is not None, key
    return found


def events_by_plan(ledger: Ledger, admin: User, report: DemoReport) -> dict[str, list[dict[str, Any]]]:
    return {str(p.plan_id): ledger.history.plan_events(admin, p.plan_id) for p in report.plans}


def test_a_small_demo_school_lives_through_a_school_year(demo_ledger: Ledger) -> None:
    ledger = demo_ledger
    started = dt.datetime.now(dt.UTC)
    assert not store_has_plans(ledger)
    days: list[tuple[int, int]] = []
    report = build_demo(ledger, plans=6, seed=7, progress=lambda done, total: days.append((done, total)))
    assert store_has_plans(ledger)
    assert days[-1][0] == days[-1][1] == (report.today - report.first_day).days + 1
    assert report.first_day.month == 9 and report.today - report.first_day >= dt.timedelta(days=270)

    assert len(report.plans) == 6
    assert {p.tier for p in report.plans} == {"targeted", "targeted_plus", "specialist"}
    assert {u.role for u in report.users} == {"admin", "senco", "teacher", "parent", "complaint_handler"}
    assert Counter(u.role for u in report.users)["teacher"] == 2  # a class teacher and a teaching assistant
    admin = user(ledger, report, "admin")
    assert user(ledger, report, "senco").setting_urn == report.setting_urn

    history = events_by_plan(ledger, admin, report)
    every = [event for events in history.values() for event in events]
    types = Counter(e["type"] for e in every)
    for kind in ("PlanOpened", "BarrierIdentified", "ProvisionAgreed", "AdjustmentAgreed", "OutcomeSet",
                 "ReviewHeld", "ContributionRecorded", "AcknowledgementRecorded", "ProgressRecorded",
                 "SessionRecorded", "CorrectionRecorded"):
        assert types[kind] > 0, kind
    sessions = [e["data"] for e in every if e["type"] == "SessionRecorded"]
    statuses = Counter(s["missed_reason"] if s["status"] == "missed" else "delivered" for s in sessions)
    delivered = statuses.pop("delivered")
    assert len(statuses) >= 2, statuses  # missed for more than one reason
    assert 0.75 < delivered / len(sessions) < 0.97, statuses
    assert report.tally.delivered == delivered and report.tally.missed == sum(statuses.values())
    assert any(e["data"]["kind"] == "parent_view" for e in every if e["type"] == "ContributionRecorded")
    corrections = [e for e in every if e["type"] == "CorrectionRecorded"]
    assert all(e["reason"] for e in corrections)
    assert sum(e["backdated"] for e in every) == report.tally.backdated > 0
    assert any(e["backdated"] and e["type"] != "SessionRecorded" for e in every)

    for plan_id, events in history.items():
        recorded = [dt.datetime.fromisoformat(e["recorded_at"]) for e in events]
        assert recorded == sorted(recorded) and len(set(recorded)) == len(recorded), plan_id
        assert recorded[0] >= dt.datetime.combine(report.first_day, dt.time(), dt.UTC) - dt.timedelta(hours=1)
        assert recorded[-1] <= started, "nothing is recorded in the future"
        assert all(e["agreed_on"] <= report.today.isoformat() for e in events)
        verification = ledger.integrity.verify(None, UUID(plan_id))
        assert verification.ok, verification.detail
        assert verification.events_checked == len(events)

    calendar = ledger.calendars.setting_calendar(admin, report.setting_urn)
    assert calendar["version"] == report.tally.calendar_versions >= 1
    christmas = school_year(report.first_day.year).holidays[1]
    assert {"start": christmas.start.isoformat(), "end": christmas.end.isoformat()} in calendar["holidays"]

    Projector(ledger.store).catch_up()
    view = Projector(ledger.store, ["delivery"]).models["delivery"].view
    for plan in report.plans:
        totals = delivery.plan_report(view, plan.plan_id, report.first_day, report.today,
                                      ledger.calendars.school_calendar, today=report.today,
                                      late_entry_days=5)["totals"]
        assert totals["planned_sessions"] > 0 and totals["delivered_sessions"] > 0, (plan, totals)
    school = delivery.setting_report(view, report.setting_urn, report.first_day, report.today,
                                     ledger.calendars.school_calendar, today=report.today,
                                     late_entry_days=5)["totals"]
    assert school["delivered_sessions"] == delivered
    assert 0.7 < school["delivery_rate"] < 1


def test_the_same_seed_builds_the_same_school(tmp_path: Path) -> None:
    now = dt.datetime.now(dt.UTC)

    def build(name: str) -> list[tuple[Any, ...]]:
        env = {"ISP_LEDGER_DATABASE_URL": f"sqlite:///{tmp_path}/{name}.db", "ISP_LEDGER_KEY_DIR": str(tmp_path / name)}
        ledger = build_ledger(env, clock=DemoClock(now))
        try:
            report = build_demo(ledger, plans=3, seed=11)
            admin = user(ledger, report, "admin")
            return [(report.school_name, report.setting_urn, report.tally.sessions,
                     [(e["type"], e["agreed_on"], without_ids(e["data"]))
                      for e in ledger.history.plan_events(admin, p.plan_id)])
                    for p in report.plans]
        finally:
            ledger.close()

    assert build("first") == build("second")


def without_ids(data: dict[str, Any]) -> dict[str, Any]:
    """An entry's content without the ids the ledger issued (new ones in every store)."""
    return {k: v for k, v in data.items() if not k.endswith(("_id", "_ids"))}


def test_the_school_calendar_looks_like_an_english_one() -> None:
    year = school_year(2025)
    named = {h.name: (h.start, h.end) for h in year.holidays}
    assert named["October half term"] == (dt.date(2025, 10, 27), dt.date(2025, 10, 31))
    assert named["February half term"] == (dt.date(2026, 2, 16), dt.date(2026, 2, 20))
    assert named["Easter holidays"] == (dt.date(2026, 3, 30), dt.date(2026, 4, 10))
    # The school enters no bank holiday: the ledger counts them (the early May one is no school day all the same).
    assert "Early May bank holiday" not in named and not year.is_school_day(dt.date(2026, 5, 4))
    assert named["May half term"] == (dt.date(2026, 5, 25), dt.date(2026, 5, 29))
    assert named["Christmas holidays"][0] == dt.date(2025, 12, 22)
    assert dt.date(2026, 1, 1) < named["Christmas holidays"][1] < dt.date(2026, 1, 6)
    assert (year.first_day, year.last_day) == (dt.date(2025, 9, 1), dt.date(2026, 7, 22))
    assert not year.is_school_day(dt.date(2025, 9, 1)) and year.is_school_day(dt.date(2025, 9, 3))  # INSET first
    assert easter_sunday(2026) == dt.date(2026, 4, 5) and easter_sunday(2027) == dt.date(2027, 3, 28)
    assert 185 <= sum(year.is_school_day(year.first_day + dt.timedelta(days=n)) for n in range(366)) <= 195


def test_tiers_and_needs_are_shared_out_in_proportion() -> None:
    assert apportion(60, {"targeted": 57, "targeted_plus": 28, "specialist": 15}, at_least_one=True) == {
        "targeted": 33, "targeted_plus": 17, "specialist": 10}
    assert apportion(3, {"a": 90, "b": 9, "c": 1}, at_least_one=True) == {"a": 1, "b": 1, "c": 1}
    assert sum(apportion(7, {"x": 1, "y": 1, "z": 1}).values()) == 7


def test_the_command_builds_a_school_prints_its_users_then_refuses_a_second_run(env: dict[str, str]) -> None:
    result = isp_ledger(env, "demo", "--plans", "3", "--seed", "5")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "Living through the school year" in result.stderr  # the progress bar
    out = result.stdout
    assert re.search(r"Plans: 3 — \d+ open", out), out
    assert "Sessions logged:" in out and "Against the school calendar:" in out and "Corrections " in out
    tokens = dict(re.findall(r"^  (admin|senco|teacher \(TA\)|teacher|parent|complaint_handler)\s.*?(isp_\S+)",
                             out, flags=re.MULTILINE))
    assert set(tokens) == {"admin", "senco", "teacher", "teacher (TA)", "parent", "complaint_handler"}, out
    assert out.count("curl -s") == 3 and f"export TOKEN={tokens['senco']}" in out
    ledger = build_ledger(env)
    try:
        senco = ledger.accounts.authenticate(tokens["senco"])
        assert senco is not None and senco.role == "senco"
        assert ledger.accounts.authenticate(tokens["parent"]) is not None
    finally:
        ledger.close()

    again = isp_ledger(env, "demo", "--plans", "3", "--seed", "5")
    assert again.returncode == 2
    assert "already holds plans" in again.stderr and "--force" in again.stderr
    assert "Traceback" not in again.stderr

    forced = isp_ledger(env, "demo", "--plans", "2", "--seed", "5", "--force")
    assert forced.returncode == 0, forced.stderr
    first_urn = re.search(r"\(URN (\d{6})\)", out)
    second_urn = re.search(r"\(URN (\d{6})\)", forced.stdout)
    assert first_urn and second_urn and first_urn.group(1) != second_urn.group(1)  # a second school beside it
