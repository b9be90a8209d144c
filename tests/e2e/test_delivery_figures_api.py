"""Delivery figures a SENCO believes (issue 11, problems 4 and 5; CONTRACT.md §8, §9), over HTTP on both stores:
planned sessions counted up to today (``counted_to``), the same in the plan's answer, the setting's report and the
bundle; months measured apart, with the parts shown summing to the totals shown; a voided session counting for
nothing anywhere, still listed in the bundle."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from isp_ledger.bundle.verify import verify_bundle
from tests.e2e.helpers import Api, assert_written
from tests.e2e.test_deliveries_api import SETTING_REPORT, log, logged, pupil, report

FIELDS = ("planned_sessions", "delivered_sessions", "missed_sessions", "unrecorded_sessions", "extra_sessions",
          "late_sessions", "planned_minutes", "delivered_minutes")


def on(api: Api, day: str, hour: int = 16) -> None:
    api.clock.set(dt.datetime.fromisoformat(f"{day}T{hour:02d}:00:00+00:00"))


def delivery_of(api: Api, plan_id: str, start: str, end: str) -> dict[str, Any]:
    return report(api, f"/v1/plans/{plan_id}/delivery", **{"from": start, "to": end})


def bundle_of(api: Api, plan_id: str, start: str, end: str) -> dict[str, Any]:
    response = api.get(f"/v1/plans/{plan_id}/bundle", **{"from": start, "to": end})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def add_up(parts: list[dict[str, Any]], total: dict[str, Any]) -> None:
    for name in FIELDS:
        assert sum(Decimal(str(p[name])) for p in parts) == Decimal(str(total[name])), name


def every_weekday(api: Api, entry: tuple[str, str], first: str, last: str, *, missed: tuple[str, ...] = ()) -> None:
    """A session logged at the end of each weekday, as a school does (missed on the days named)."""
    day = dt.date.fromisoformat(first)
    while day <= dt.date.fromisoformat(last):
        if day.weekday() < 5:
            on(api, day.isoformat())
            if day.isoformat() in missed:
                logged(log(api, [entry], day.isoformat(), "missed", missed_reason="pupil_absent"), 1)
            else:
                logged(log(api, [entry], day.isoformat()), 1)
        day += dt.timedelta(days=1)


# ---------------------------------------------------------------- problem 4: counted up to today


def test_a_window_ending_after_today_counts_to_today_in_every_answer(api: Api) -> None:
    # Daily sessions from Monday 16 November, one missed; asked on Wednesday 2 December about the term to Friday
    # 18 December: 13 school days so far, not 25.
    entry = pupil(api, sessions_per_week=5, starts_on="2026-11-16")
    every_weekday(api, entry, "2026-11-16", "2026-12-02", missed=("2026-11-24",))
    plan_id = entry[0]
    answer = delivery_of(api, plan_id, "2026-09-01", "2026-12-18")
    assert (answer["to"], answer["counted_to"]) == ("2026-12-18", "2026-12-02")
    totals = answer["totals"]
    assert (totals["planned_sessions"], totals["delivered_sessions"], totals["missed_sessions"],
            totals["unrecorded_sessions"], totals["delivery_rate"]) == (13, 12, 1, 0, 0.92)
    # The setting's report to the end of the school year says the same of today.
    setting = report(api, SETTING_REPORT, **{"from": "2026-09-01", "to": "2027-07-21"})
    assert setting["counted_to"] == "2026-12-02"
    assert {k: setting["totals"][k] for k in FIELDS} == {k: totals[k] for k in FIELDS}
    # The bundle takes a 'to' after today as today, and shows the same figures.
    bundle = bundle_of(api, plan_id, "2026-09-01", "2026-12-18")
    assert bundle["period"] == {"from": "2026-09-01", "to": "2026-12-02"}
    assert bundle["delivery"]["counted_to"] == "2026-12-02"
    assert bundle["delivery"]["totals"] == totals
    assert verify_bundle(bundle).ok
    # A window wholly to come owes nothing yet.
    future = delivery_of(api, plan_id, "2026-12-07", "2026-12-18")
    assert (future["counted_to"], future["totals"]["planned_sessions"], future["totals"]["delivery_rate"]) == (
        "2026-12-02", 0, None)


# ---------------------------------------------------------------- problem 5: figures that add up


def test_the_months_of_a_bundle_add_up_to_its_totals_and_say_why_a_month_has_more(api: Api) -> None:
    # Once a week from Thursday 1 October: October owes 4.4 (4 delivered, 0.4 not recorded); November to the 20th
    # owes 3 (4 delivered: 1 extra). The total shows 0.4 not recorded, as its months do, and 1 extra.
    plan_id, provision = pupil(api, sessions_per_week=1, starts_on="2026-10-01")
    for date in ("2026-10-01", "2026-10-08", "2026-10-15", "2026-10-22", "2026-11-02", "2026-11-05", "2026-11-12",
                 "2026-11-19"):
        logged(log(api, [(plan_id, provision)], date), 1)
    bundle = bundle_of(api, plan_id, "2026-10-01", "2026-11-20")
    [shown] = bundle["delivery"]["provisions"]
    october, november = shown["by_month"]
    assert (october["planned_sessions"], october["unrecorded_sessions"], october["extra_sessions"]) == (4.4, 0.4, 0)
    assert (november["planned_sessions"], november["unrecorded_sessions"], november["extra_sessions"]) == (3, 0, 1)
    add_up(shown["by_month"], shown)
    add_up(bundle["delivery"]["by_month"], bundle["delivery"]["totals"])
    add_up(bundle["delivery"]["provisions"], bundle["delivery"]["totals"])
    totals = bundle["delivery"]["totals"]
    assert (totals["planned_sessions"], totals["delivered_sessions"], totals["unrecorded_sessions"],
            totals["extra_sessions"]) == (7.4, 8, 0.4, 1)
    # planned + extra = delivered + missed + unrecorded, on every line
    for line in (*shown["by_month"], totals):
        assert Decimal(str(line["planned_sessions"])) + Decimal(str(line["extra_sessions"])) == \
            line["delivered_sessions"] + line["missed_sessions"] + Decimal(str(line["unrecorded_sessions"]))
    # The plan's answer and the setting's report give the same figures.
    answer = delivery_of(api, plan_id, "2026-10-01", "2026-11-20")
    assert answer["totals"] == totals
    setting = report(api, SETTING_REPORT, **{"from": "2026-10-01", "to": "2026-11-20"})
    assert {k: setting["totals"][k] for k in FIELDS} == {k: totals[k] for k in FIELDS}
    html = api.get(f"/v1/plans/{plan_id}/bundle", **{"from": "2026-10-01", "to": "2026-11-20",
                                                     "format": "html"}).text
    assert "All months" in html and "Extra" in html and "the sessions beyond the plan" in html


def test_a_settings_groupings_each_add_up_to_its_total(api: Api) -> None:
    reading, phonics = pupil(api, sessions_per_week=0.33)  # an inexact share of each school day
    calm, nurture = pupil(api, area="semh", need="SEMH", sessions_per_week=1.7, location="in_class")
    assert_written(api.post(f"/v1/plans/{reading}/tier", {"tier": "targeted_plus", "agreed_on": "2026-10-14",
                                                           "reason": "Speech and language therapist involved"}), 200)
    logged(log(api, [(reading, phonics), (calm, nurture)], "2026-10-12"), 2)
    logged(log(api, [(calm, nurture)], "2026-11-16", "missed", missed_reason="staff_absent"), 1)
    setting = report(api, SETTING_REPORT, **{"from": "2026-09-01", "to": "2026-11-20"})
    for grouping in ("by_provision_type", "by_location", "by_tier", "plans"):
        add_up(setting[grouping], setting["totals"])
    rows = {row["plan_id"]: row for row in setting["plans"]}
    for plan_id in (reading, calm):  # each plan's row is its own answer's total
        assert {k: rows[plan_id][k] for k in FIELDS} == {
            k: delivery_of(api, plan_id, "2026-09-01", "2026-11-20")["totals"][k] for k in FIELDS}


# ---------------------------------------------------------------- a voided session counts for nothing


def test_a_voided_session_counts_for_nothing_but_stays_listed(api: Api) -> None:
    plan_id, phonics = pupil(api)
    wrong = logged(log(api, [(plan_id, phonics)], "2026-11-16", "missed", missed_reason="pupil_absent"), 1)
    event_id = wrong["entries"][0]["event_id"]
    assert_written(api.post(f"/v1/plans/{plan_id}/corrections",
                            {"event_id": event_id, "reason": "Logged for the wrong child", "void": True}), 201)
    totals = delivery_of(api, plan_id, "2026-11-16", "2026-11-20")["totals"]
    assert (totals["delivered_sessions"], totals["missed_sessions"]) == (0, 0)
    assert report(api, SETTING_REPORT, **{"from": "2026-11-16", "to": "2026-11-20"})["totals"]["missed_sessions"] == 0
    logged(log(api, [(plan_id, phonics)], "2026-11-16"), 1)  # the slot is free again
    bundle = bundle_of(api, plan_id, "2026-11-16", "2026-11-20")
    listed = bundle["delivery"]["provisions"][0]["sessions"]
    assert [(s["event_id"] == event_id, s["status"], bool(s["voided"])) for s in listed] == [
        (True, "missed", True), (False, "delivered", False)]
    assert listed[0]["voided"]["reason"] == "Logged for the wrong child"
    assert bundle["summary"]["sessions"]["voided"] == 1
    shown = bundle["delivery"]["totals"]
    assert (shown["delivered_sessions"], shown["missed_sessions"]) == (1, 0)
    assert verify_bundle(bundle).ok
    html = api.get(f"/v1/plans/{plan_id}/bundle", **{"from": "2026-11-16", "to": "2026-11-20",
                                                     "format": "html"}).text
    assert "Recorded in error" in html and "Logged for the wrong child" in html

