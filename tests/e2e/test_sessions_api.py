"""Sessions that cannot be double-counted and late entries in plain sight (issue 11, problems 1 and 2; CONTRACT.md
§8, §9), over HTTP on both stores. Today is Friday 20 November 2026 (the ``clock`` fixture) unless a test moves it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from isp_ledger.bundle.verify import verify_bundle
from tests.e2e.helpers import Api, assert_problem
from tests.e2e.test_deliveries_api import AUTUMN, CALENDAR, SETTING_REPORT, log, logged, pupil, report


def delivery_of(api: Api, plan_id: str, start: str, end: str) -> dict[str, Any]:
    return report(api, f"/v1/plans/{plan_id}/delivery", **{"from": start, "to": end})


# ---------------------------------------------------------------- problem 1: double counting


def test_the_same_group_session_posted_twice_is_counted_once(api: Api) -> None:
    group = [pupil(api, sessions_per_week=5) for _ in range(3)]
    first = logged(log(api, group, "2026-11-16", minutes=30), 3)
    again = log(api, group, "2026-11-16", minutes=30)  # no Idempotency-Key: the register typed in twice
    assert_problem(again, 409, rule="session_already_recorded", detail_contains="entries.0")
    assert first["entries"][0]["event_id"] in again.json()["detail"]
    assert '"void": true' in again.json()["detail"]
    assert all(api.event_count(plan_id) == 4 for plan_id, _ in group)
    totals = delivery_of(api, group[0][0], "2026-11-16", "2026-11-16")["totals"]
    assert (totals["planned_sessions"], totals["delivered_sessions"], totals["delivery_rate"]) == (1, 1, 1)


def test_delivered_and_missed_for_the_same_one_to_one_on_one_day_contradict(api: Api) -> None:
    one_to_one = pupil(api, group_size=1)
    missed = logged(log(api, [one_to_one], "2026-11-16", "missed", missed_reason="pupil_absent"), 1)
    refused = log(api, [one_to_one], "2026-11-16", "delivered")
    assert_problem(refused, 409, rule="session_contradicts_record", detail_contains="entries.0")
    assert missed["entries"][0]["event_id"] in refused.json()["detail"]
    totals = delivery_of(api, one_to_one[0], "2026-11-16", "2026-11-16")["totals"]
    assert (totals["delivered_sessions"], totals["missed_sessions"]) == (0, 1)


def test_no_session_on_a_weekend_a_holiday_a_closure_or_a_bank_holiday(api: Api) -> None:
    assert api.client.put(CALENDAR, json=AUTUMN, headers=api.headers("senco")).status_code == 200
    entry = pupil(api)
    cases: list[tuple[str, str, dict[str, Any], str]] = [
        ("2026-11-14", "delivered", {}, "14 November 2026 was a Saturday"),
        ("2026-10-28", "missed", {"missed_reason": "pupil_absent"}, "in the setting's holiday"),  # half term
        ("2026-11-13", "delivered", {}, "a day the setting was closed"),
    ]
    for date, status, fields, why in cases:
        refused = log(api, [entry], date, status, **fields)
        assert_problem(refused, 409, rule="not_a_school_day", detail_contains=why)
        assert "entries.0" in refused.json()["detail"]
    # Boxing Day 2026 falls on a Saturday: Monday 28 December is the bank holiday, though nobody entered it.
    api.clock.set(dt.datetime(2027, 1, 8, 15, tzinfo=dt.UTC))
    assert_problem(log(api, [entry], "2026-12-28"), 409, rule="not_a_school_day",
                   detail_contains="a bank holiday (Boxing Day (observed))")
    assert api.event_count(entry[0]) == 3
    logged(log(api, [entry], "2026-12-29"), 1)  # the school entered no Christmas holiday: a school day


def test_two_sessions_on_one_day_each_say_when_they_started(api: Api) -> None:
    plan_id, phonics = pupil(api, sessions_per_week=10)
    morning = logged(log(api, [(plan_id, phonics)], "2026-11-16", starts_at="09:15"), 1)
    logged(log(api, [(plan_id, phonics)], "2026-11-16", starts_at="13:30"), 1)
    assert_problem(log(api, [(plan_id, phonics)], "2026-11-16", starts_at="09:15"), 409,
                   rule="session_already_recorded", detail_contains=morning["entries"][0]["event_id"])
    assert_problem(log(api, [(plan_id, phonics)], "2026-11-16"), 409, rule="session_already_recorded")
    assert_problem(log(api, [(plan_id, phonics)], "2026-11-17", starts_at="9.15am"), 422, field="starts_at")
    [*_, event] = api.events(plan_id)
    assert event["data"]["starts_at"] == "13:30"
    assert delivery_of(api, plan_id, "2026-11-16", "2026-11-16")["totals"]["delivered_sessions"] == 2


# ---------------------------------------------------------------- problem 2: late entries in plain sight


def test_a_late_entry_shows_as_late_with_both_dates_everywhere(api: Api) -> None:
    assert api.client.put(CALENDAR, json=AUTUMN, headers=api.headers("senco")).status_code == 200
    plan_id, phonics = pupil(api)
    # Recorded today, Friday 20 November: Monday 9th was 8 school days ago (the 13th was an INSET day); Monday
    # 16th, 4 school days ago.
    late = logged(log(api, [(plan_id, phonics)], "2026-11-09"), 1)["entries"][0]
    on_time = logged(log(api, [(plan_id, phonics)], "2026-11-16"), 1)["entries"][0]

    events = {e["event_id"]: e for e in api.events(plan_id)}
    assert (events[late["event_id"]]["late"], events[late["event_id"]]["backdated"]) == (True, True)
    assert (events[on_time["event_id"]]["late"], events[on_time["event_id"]]["backdated"]) == (False, True)
    assert not any(e["late"] for e in events.values() if e["type"] != "SessionRecorded")

    timeline = api.get(f"/v1/plans/{plan_id}/timeline", kind="delivery").json()["entries"]
    assert [(e["agreed_on"], e["recorded_at"], e["late"]) for e in timeline] == [
        ("2026-11-16", on_time["recorded_at"], False), ("2026-11-09", late["recorded_at"], True)]
    assert all(not e["late"] for e in api.get(f"/v1/plans/{plan_id}/timeline").json()["entries"]
               if e["type"] != "SessionRecorded")

    plan_delivery = delivery_of(api, plan_id, "2026-11-02", "2026-11-20")
    assert plan_delivery["provisions"][0]["late_sessions"] == plan_delivery["totals"]["late_sessions"] == 1
    setting = report(api, SETTING_REPORT, **{"from": "2026-11-02", "to": "2026-11-20"})
    assert setting["totals"]["late_sessions"] == setting["plans"][0]["late_sessions"] == 1

    bundle = api.get(f"/v1/plans/{plan_id}/bundle", **{"from": "2026-11-01", "to": "2026-11-20"}).json()
    assert bundle["summary"]["sessions"] == {"recorded": 2, "backdated": 2, "late": 1, "voided": 0,
                                             "late_entry_days": 5}
    assert bundle["summary"]["delivery"]["late_sessions"] == 1
    listed = bundle["delivery"]["provisions"][0]["sessions"]
    assert [(s["date"], s["recorded_on"], s["recorded_at"], s["late"]) for s in listed] == [
        ("2026-11-09", "2026-11-20", late["recorded_at"], True),
        ("2026-11-16", "2026-11-20", on_time["recorded_at"], False)]
    assert verify_bundle(bundle).ok

    html = api.get(f"/v1/plans/{plan_id}/bundle", **{"from": "2026-11-01", "to": "2026-11-20",
                                                     "format": "html"}).text
    for shown in ("1 late entry", "Late entry", "9 Nov 2026",
                  "Recorded 20 November 2026, more than 5 school days after the session on 9 November 2026"):
        assert shown in html, shown
