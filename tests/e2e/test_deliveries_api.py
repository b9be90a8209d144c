"""Delivery of provision over HTTP (CONTRACT.md §8): logging sessions for a group, the setting's calendar, and
planned versus delivered for a plan and for a setting, with exact numbers, on both stores.

Tests start on Friday 20 November 2026 (the ``clock`` fixture). Plans are opened on 1 September with provision of
3 x 30-minute sessions a week from Monday 7 September, unless a test says otherwise.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, cast

import httpx2 as httpx
from fastapi import FastAPI

from isp_ledger.application import Ledger
from isp_ledger.bootstrap import build_ledger
from projections.base import View
from projections.delivery import Delivery
from projections.rebuild import rebuild
from tests import samples
from tests.conftest import OTHER_SETTING, SETTING, FakeClock, People
from tests.e2e.helpers import Api, assert_problem, assert_written
from tests.integration.read_models import read_model_rows

DELIVERIES = "/v1/deliveries"
CALENDAR = f"/v1/settings/{SETTING}/calendar"
SETTING_REPORT = f"/v1/settings/{SETTING}/delivery"
# The autumn term: half term Monday 26 to Friday 30 October, an INSET day on Friday 13 November, and the May Day
# bank holiday of 2027.
AUTUMN = {"holidays": [{"start": "2026-10-26", "end": "2026-10-30"}, {"start": "2027-05-03", "end": "2027-05-03"}],
          "closures": ["2026-11-13"]}
NO_MISSES = {"pupil_absent": 0, "staff_absent": 0, "timetable_clash": 0, "school_closed": 0, "pupil_declined": 0,
             "other": 0}


def pupil(api: Api, *, tier: str = "targeted", area: str = "cognition_and_learning", need: str = "SPLD",
          who: str = "senco", setting: str = SETTING, **provision: Any) -> tuple[str, str]:
    """A plan opened on 1 September with one barrier and one provision; returns (plan_id, provision_id)."""
    plan_id = api.open_plan(who, agreed_on="2026-09-01", tier=tier, setting_urn=setting)
    barrier = api.add(plan_id, "barriers", {**samples.barrier(area_of_need=area, need_type=need),
                                            "agreed_on": "2026-09-01"}, who)
    body = {**samples.provision([barrier], **provision), "agreed_on": "2026-09-01"}
    return plan_id, api.add(plan_id, "provisions", body, who)


def log(api: Api, entries: list[tuple[str, str]], date: str, status: str = "delivered", who: str | None = "teacher",
        headers: dict[str, str] | None = None, **fields: Any) -> httpx.Response:
    body = {"entries": [{"plan_id": p, "provision_id": v} for p, v in entries], "date": date, "status": status,
            **fields}
    return api.post(DELIVERIES, body, who, **(headers or {}))


def logged(response: httpx.Response, count: int) -> dict[str, Any]:
    """A recorded session: 201, its session id and one written entry per pupil."""
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"session_id", "entries"} and len(body["entries"]) == count, body
    for entry in body["entries"]:
        assert set(entry) == {"plan_id", "provision_id", "version", "event_id", "recorded_at"}, entry
    return body


def report(api: Api, path: str, who: str = "senco", **window: str) -> dict[str, Any]:
    response = api.get(path, who, **window)
    assert response.status_code == 200, response.text
    assert response.headers["isp-ledger-freshness"] == "fresh"
    body: dict[str, Any] = response.json()
    return body


def plan_report(api: Api, plan_id: str, start: str, end: str, who: str = "senco") -> dict[str, dict[str, Any]]:
    body = report(api, f"/v1/plans/{plan_id}/delivery", who, **{"from": start, "to": end})
    assert (body["plan_id"], body["from"], body["to"]) == (plan_id, start, end)
    return {row["provision_id"]: row for row in body["provisions"]}


def numbers(row: dict[str, Any]) -> dict[str, Any]:
    keys = ("planned_sessions", "delivered_sessions", "missed_sessions", "missed_by_reason", "unrecorded_sessions",
            "planned_minutes", "delivered_minutes", "delivery_rate")
    return {key: row[key] for key in keys}


def tally(planned: float, minutes: float, delivered: int = 0, delivered_minutes: int = 0, rate: float | None = None,
          unrecorded: float | None = None, **missed: int) -> dict[str, Any]:
    missed_total = sum(missed.values())
    return {
        "planned_sessions": planned, "delivered_sessions": delivered, "missed_sessions": missed_total,
        "missed_by_reason": {**NO_MISSES, **missed},
        "unrecorded_sessions": unrecorded if unrecorded is not None else
        max(0, round(planned - delivered - missed_total, 2)),
        "planned_minutes": minutes, "delivered_minutes": delivered_minutes,
        "delivery_rate": rate if rate is not None else (round(delivered / planned, 2) if planned else None),
    }


# ---------------------------------------------------------------- logging a session


def test_a_group_session_is_recorded_on_every_plan_in_its_chain_and_history(api: Api) -> None:
    group = [pupil(api) for _ in range(3)]
    documents = {plan_id: api.plan(plan_id) for plan_id, _ in group}
    settings_reports = [_reports_but_delivery(api)]
    assert all(len(r["plans"]) == 3 for r in settings_reports[0])
    body = logged(log(api, group, "2026-11-19", minutes=25, note="Worked on CCVC words"), 3)
    assert [(e["plan_id"], e["provision_id"]) for e in body["entries"]] == group
    for (plan_id, provision_id), entry in zip(group, body["entries"], strict=True):
        [*_, event] = api.events(plan_id)
        assert (event["type"], event["version"], event["event_id"]) == ("SessionRecorded", 4, entry["event_id"])
        assert event["agreed_on"] == "2026-11-19" and event["backdated"] is True
        assert event["actor"]["role"] == "teacher"
        assert event["data"] == {"session_id": body["session_id"], "provision_id": provision_id,
                                 "date": "2026-11-19", "status": "delivered", "minutes": 25, "missed_reason": None,
                                 "delivered_by": None, "note": "Worked on CCVC words"}
        assert api.verify(plan_id)["ok"] is True
        # The plan document says what was agreed: a session changes its version, nothing else.
        after = api.plan(plan_id)
        assert after["version"] == 4
        assert {k: v for k, v in after.items() if k not in ("version", "recorded_at")} == \
            {k: v for k, v in documents[plan_id].items() if k not in ("version", "recorded_at")}
        timeline = api.get(f"/v1/plans/{plan_id}/timeline", kind="delivery").json()["entries"]
        assert [e["summary"] for e in timeline] == [
            "Session of “Small-group phonics with a trained TA” delivered on 19 November 2026, 25 minutes. "
            "Note: “Worked on CCVC words”."]
        assert timeline[0]["backdated"] is True
    # Nor does a session change the setting's reviews-due report, or its quality report but for how much of each
    # provision was delivered (a gap of the quality report since issue 11).
    assert [_reports_but_delivery(api)] == settings_reports


def _reports_but_delivery(api: Api) -> list[dict[str, Any]]:
    reports = [api.get(f"/v1/settings/{SETTING}/{name}").json() for name in ("quality", "reviews-due")]
    for plan in reports[0]["plans"]:
        plan["gaps"] = [g for g in plan["gaps"] if g["code"] != "provision_under_delivered"]
    return reports


def test_one_pupil_may_have_two_provisions_in_one_session(api: Api) -> None:
    plan_id, phonics = pupil(api)
    barrier = api.plan(plan_id)["barriers"][0]["id"]
    spelling = api.add(plan_id, "provisions", {**samples.provision([barrier], description="Spelling"),
                                               "agreed_on": "2026-09-01"})
    body = logged(log(api, [(plan_id, phonics), (plan_id, spelling)], "2026-11-16"), 2)
    assert [e["version"] for e in body["entries"]] == [5, 6]
    assert api.verify(plan_id)["ok"] is True
    rows = plan_report(api, plan_id, "2026-11-16", "2026-11-16")
    assert (rows[phonics]["delivered_sessions"], rows[spelling]["delivered_sessions"]) == (1, 1)


def test_a_missed_session_says_why(api: Api) -> None:
    plan_id, provision_id = pupil(api)
    logged(log(api, [(plan_id, provision_id)], "2026-11-20", "missed", missed_reason="timetable_clash",
               delivered_by="class teacher"), 1)
    [entry] = api.get(f"/v1/plans/{plan_id}/timeline", kind="delivery").json()["entries"]
    assert entry["summary"] == ("Session of “Small-group phonics with a trained TA” on 20 November 2026 missed "
                                "because of a timetable clash.")
    assert entry["backdated"] is False


def test_who_may_log_a_session(api: Api) -> None:
    ours = pupil(api)
    theirs = pupil(api, who="other_senco", setting=OTHER_SETTING)
    for who, date in (("teacher", "2026-11-16"), ("senco", "2026-11-17"), ("admin", "2026-11-18")):
        logged(log(api, [ours], date, who=who), 1)
    logged(log(api, [theirs], "2026-11-16", who="other_teacher"), 1)
    for who in ("parent", "professional", "complaint_handler"):
        assert_problem(log(api, [ours], "2026-11-16", who=who), 403)
    for who in ("other_teacher", "other_senco"):  # a plan they may not see: its existence is not revealed
        assert_problem(log(api, [ours], "2026-11-16", who=who), 404)
    assert_problem(log(api, [ours, theirs], "2026-11-16"), 404)  # one plan of the group is not ours
    assert_problem(log(api, [ours], "2026-11-16", who=None), 401)
    assert api.event_count(ours[0]) == 6 and api.event_count(theirs[0]) == 4


def test_bad_sessions_are_422_naming_the_field(api: Api) -> None:
    entry = pupil(api)
    plan_id = entry[0]
    cases: list[tuple[dict[str, Any], str]] = [
        ({"date": "2026-11-21"}, "date"),  # tomorrow (Europe/London)
        ({"date": "2026-02-30"}, "date"),
        ({"status": "cancelled"}, "status"),
        ({"status": "missed"}, "missed_reason"),
        ({"status": "missed", "missed_reason": "snow"}, "missed_reason"),
        ({"status": "missed", "missed_reason": "other", "minutes": 10}, "minutes"),
        ({"missed_reason": "pupil_absent"}, "missed_reason"),
        ({"minutes": 0}, "minutes"),
        ({"minutes": "thirty"}, "minutes"),
        ({"room": "library"}, "room"),
        ({"entries": []}, "entries"),
        ({"entries": [{"plan_id": "not-a-plan", "provision_id": entry[1]}]}, "entries.0.plan_id"),
        ({"entries": [{"plan_id": plan_id}]}, "entries.0.provision_id"),
        ({"entries": [{"plan_id": plan_id, "provision_id": entry[1]}] * 2}, "entries.1"),  # the same pupil twice
        ({"entries": [{"plan_id": plan_id, "provision_id": "no-such-provision"}]}, "entries.0.provision_id"),
    ]
    for overrides, field in cases:
        body = {"entries": [{"plan_id": plan_id, "provision_id": entry[1]}], "date": "2026-11-16",
                "status": "delivered", **overrides}
        assert_problem(api.post(DELIVERIES, body, "teacher"), 422, field=field)
    assert_problem(log(api, [entry], "2026-11-16", headers={"If-Match": '"3"'}), 422, field="If-Match")
    assert_problem(api.send_raw("POST", DELIVERIES, b'{"entries": [', "teacher"), 422, field="body")
    unknown = "00000000-0000-4000-8000-000000000000"
    assert_problem(log(api, [(unknown, entry[1])], "2026-11-16"), 404)
    assert api.event_count(plan_id) == 3


def test_sessions_outside_the_provision_or_on_a_closed_plan_are_409(api: Api) -> None:
    starting = pupil(api, starts_on="2026-11-02", ends_on="2026-11-13")
    ended = pupil(api)
    api.post(f"/v1/plans/{ended[0]}/provisions/{ended[1]}/end", {"reason": "Targets met", "agreed_on": "2026-11-18"})
    closed = pupil(api)
    assert_written(api.post(f"/v1/plans/{closed[0]}/close", {"reason": "Moved school"}), 200)
    cases = [
        (starting, "2026-10-30", "provision_not_started"),  # before starts_on
        (starting, "2026-11-16", "provision_ended"),  # after ends_on
        (ended, "2026-11-18", "provision_ended"),  # from the day it was ended
        (closed, "2026-11-16", "plan_closed"),
    ]
    for entry, date, rule in cases:
        assert_problem(log(api, [entry], date), 409, rule=rule, detail_contains="entries.0")
    logged(log(api, [ended], "2026-11-17"), 1)  # logged late, for a day it was still in force
    assert [api.event_count(p) for p, _ in (starting, ended, closed)] == [3, 5, 4]


def test_one_bad_entry_in_a_group_of_six_records_nothing(api: Api) -> None:
    group = [pupil(api) for _ in range(5)]
    ended = pupil(api, ends_on="2026-11-13")
    counts = {plan_id: api.event_count(plan_id) for plan_id, _ in [*group, ended]}
    refused = log(api, [*group[:3], ended, *group[3:]], "2026-11-16")
    assert_problem(refused, 409, rule="provision_ended", detail_contains=f"entries.3 (plan {ended[0]})")
    unknown = log(api, [*group, (ended[0], "no-such-provision")], "2026-11-16")
    assert_problem(unknown, 422, field="entries.5.provision_id")
    assert {plan_id: api.event_count(plan_id) for plan_id in counts} == counts
    for plan_id, _ in group:
        assert api.verify(plan_id)["ok"] is True
    # The plans were left as they were: the same group without the bad entry is recorded whole.
    logged(log(api, group, "2026-11-16"), 5)
    assert all(api.event_count(plan_id) == counts[plan_id] + 1 for plan_id, _ in group)
    rows = plan_report(api, group[0][0], "2026-11-16", "2026-11-16")
    assert rows[group[0][1]]["delivered_sessions"] == 1


def test_a_group_session_is_atomic_in_the_store_when_another_process_writes_first(
    api: Api, env: dict[str, str], clock: FakeClock, people: People,
) -> None:
    group = [pupil(api) for _ in range(6)]  # each plan is now in this process's cache of plans being written
    other = build_ledger(env, clock=clock)  # another process, writing to one of the plans behind our back
    try:
        other.commands.record_contribution(people.senco, uuid.UUID(group[4][0]),
                                  {"kind": "parent_view", "text": "Much happier at school"})
    finally:
        other.close()
    # Our first attempt collides on plan 5's next version; the store refuses the whole write, and the session is
    # recorded again on fresh plans: once on each plan, nothing twice.
    logged(log(api, group, "2026-11-16"), 6)
    for index, (plan_id, _) in enumerate(group):
        types = [e["type"] for e in api.events(plan_id)]
        assert types.count("SessionRecorded") == 1
        assert len(types) == (5 if index == 4 else 4)
        assert api.verify(plan_id)["ok"] is True


def test_the_same_idempotency_key_records_a_session_once(api: Api) -> None:
    group = [pupil(api) for _ in range(2)]
    key = {"Idempotency-Key": "session-2026-11-16-phonics"}
    first = log(api, group, "2026-11-16", headers=key)
    body = logged(first, 2)
    assert "idempotent-replayed" not in first.headers
    api.clock.advance(minutes=10)
    again = log(api, group, "2026-11-16", headers=key)
    assert again.status_code == 201 and again.json() == body
    assert again.headers["idempotent-replayed"] == "true"
    assert all(api.event_count(plan_id) == 4 for plan_id, _ in group)
    different = log(api, group, "2026-11-17", headers=key)
    assert_problem(different, 422, field="Idempotency-Key")
    assert all(api.event_count(plan_id) == 4 for plan_id, _ in group)
    # Keys are per user: the SENCO's same key is a request of their own, not a replay of the teacher's; and as
    # the same session was already recorded, the rules of sessions refuse it (not counted twice).
    again_by_senco = log(api, group, "2026-11-16", who="senco", headers=key)
    assert_problem(again_by_senco, 409, rule="session_already_recorded", detail_contains=body["entries"][0]["event_id"])
    assert "idempotent-replayed" not in again_by_senco.headers
    logged(log(api, group, "2026-11-17", who="senco", headers=key), 2)


def test_a_logged_session_can_be_corrected(api: Api) -> None:
    plan_id, provision_id = pupil(api)
    entry = logged(log(api, [(plan_id, provision_id)], "2026-11-16"), 1)["entries"][0]
    correction = {"event_id": entry["event_id"], "reason": "She was absent; logged by mistake",
                  "changes": {"status": "missed", "missed_reason": "pupil_absent"}}
    assert_written(api.post(f"/v1/plans/{plan_id}/corrections", correction), 201)
    rows = plan_report(api, plan_id, "2026-11-16", "2026-11-20")
    assert numbers(rows[provision_id]) == tally(3, 90, pupil_absent=1, rate=0)
    bad = {**correction, "changes": {"date": "2026-09-04"}}  # before the provision started
    assert_problem(api.post(f"/v1/plans/{plan_id}/corrections", bad), 422, field="changes.date")
    newest = api.get(f"/v1/plans/{plan_id}/timeline").json()["entries"][0]
    assert newest["summary"] == (
        "Correction to the delivered session of “Small-group phonics with a trained TA” on 16 November 2026: the "
        "session was corrected from “delivered” to “missed”; the reason the session was missed was corrected to "
        "“pupil absent” (none had been recorded). Reason: She was absent; logged by mistake.")


# ---------------------------------------------------------------- the calendar


def test_the_calendar_is_set_by_the_senco_and_read_by_the_setting(api: Api) -> None:
    empty = api.get(CALENDAR, "teacher").json()
    bank_holidays = empty.pop("bank_holidays")  # counted without being entered: this school year's and the next
    assert empty == {"setting_urn": SETTING, "version": 0, "holidays": [], "closures": [], "changed_at": None,
                     "changed_by": None}
    assert bank_holidays[:3] == [{"date": "2026-12-25", "name": "Christmas Day"},
                                 {"date": "2026-12-26", "name": "Boxing Day"},
                                 {"date": "2026-12-28", "name": "Boxing Day (observed)"}]
    assert bank_holidays[-1] == {"date": "2028-08-28", "name": "Late Summer Bank Holiday"}
    response = api.client.put(CALENDAR, json=AUTUMN, headers=api.headers("senco"))
    assert response.status_code == 200, response.text
    stored = response.json()
    assert (stored["version"], stored["holidays"], stored["closures"]) == (1, AUTUMN["holidays"], ["2026-11-13"])
    assert stored["changed_by"]["role"] == "senco"
    for who in ("teacher", "senco", "admin"):
        assert api.get(CALENDAR, who).json() == stored
    again = api.client.put(CALENDAR, json=AUTUMN, headers=api.headers("admin"))  # nothing changes: same version
    assert again.json()["version"] == 1
    later = {**AUTUMN, "closures": ["2026-11-13", "2026-12-18"]}
    assert api.client.put(CALENDAR, json=later, headers=api.headers("admin")).json()["version"] == 2
    history = api.get(f"{CALENDAR}/history", "teacher").json()["versions"]
    assert [(v["version"], v["closures"]) for v in history] == [(2, ["2026-11-13", "2026-12-18"]), (1, ["2026-11-13"])]


def test_who_may_see_and_change_a_calendar(api: Api) -> None:
    for who in ("teacher", "other_senco", "parent", "professional", "complaint_handler"):
        assert_problem(api.client.put(CALENDAR, json=AUTUMN, headers=api.headers(who)), 403)
    for who in ("other_teacher", "other_senco", "parent"):
        assert_problem(api.get(CALENDAR, who), 403)
    assert api.get(CALENDAR, "senco").json()["version"] == 0


def test_bad_calendars_are_422_naming_the_field(api: Api) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"holidays": [{"start": "2026-10-30", "end": "2026-10-26"}], "closures": []}, "holidays.0.end"),
        ({"holidays": [{"start": "2026-02-30", "end": "2026-03-02"}], "closures": []}, "holidays.0.start"),
        ({"holidays": [{"start": "2026-10-26"}], "closures": []}, "holidays.0.end"),
        ({"holidays": [], "closures": ["2026-11-13", "13/11/2026"]}, "closures.1"),
        ({"holidays": []}, "closures"),
        ({"holidays": [], "closures": [], "weekends": []}, "weekends"),
    ]
    for body, field in cases:
        assert_problem(api.client.put(CALENDAR, json=body, headers=api.headers("senco")), 422, field=field)
    assert_problem(api.client.put("/v1/settings/12345/calendar", json=AUTUMN, headers=api.headers("admin")), 422,
                   field="urn")
    assert api.get(CALENDAR).json()["version"] == 0


# ---------------------------------------------------------------- planned versus delivered


def test_plan_report_counts_school_days_as_in_force_on_each_day(api: Api) -> None:
    api.client.put(CALENDAR, json=AUTUMN, headers=api.headers("senco"))
    plan_id, phonics = pupil(api)
    api.patch(f"/v1/plans/{plan_id}/provisions/{phonics}",
              {"sessions_per_week": 2, "agreed_on": "2026-11-18", "reason": "Timetable change agreed with parent"})
    barrier = api.plan(plan_id)["barriers"][0]["id"]
    # Wednesday 4 to Tuesday 17 November, once a week for 45 minutes: 3 + 4 (INSET day on the 13th) + 2 school days.
    speech = api.add(plan_id, "provisions", {**samples.provision(
        [barrier], description="Speech and language group", sessions_per_week=1, minutes_per_session=45,
        location="in_class", starts_on="2026-11-04", ends_on="2026-11-17"), "agreed_on": "2026-09-01"})
    entry = [(plan_id, phonics)]
    for date in ("2026-10-19", "2026-10-21", "2026-11-02", "2026-11-04", "2026-11-16"):
        logged(log(api, entry, date), 1)
    logged(log(api, entry, "2026-11-09", minutes=20), 1)
    logged(log(api, entry, "2026-11-11", "missed", missed_reason="pupil_absent"), 1)
    logged(log(api, entry, "2026-11-19", "missed", missed_reason="school_closed"), 1)
    logged(log(api, [(plan_id, speech)], "2026-11-05", minutes=40), 1)

    rows = plan_report(api, plan_id, "2026-10-19", "2026-11-20")
    # Phonics: 3 (19-23 Oct) + 0 (half term) + 3 (2-6 Nov) + 2.4 (INSET day) + 1.2 + 1.2 (2 a week from Wednesday
    # 18th) = 10.8 sessions of 30 minutes.
    assert numbers(rows[phonics]) == tally(10.8, 324, delivered=6, delivered_minutes=5 * 30 + 20, rate=0.56,
                                           unrecorded=2.8, pupil_absent=1, school_closed=1)
    assert numbers(rows[speech]) == tally(1.8, 81, delivered=1, delivered_minutes=40, rate=0.56, unrecorded=0.8)
    assert rows[speech]["provision_type"] == "cognition_and_learning"
    totals = report(api, f"/v1/plans/{plan_id}/delivery", **{"from": "2026-10-19", "to": "2026-11-20"})["totals"]
    assert numbers(totals) == tally(12.6, 405, delivered=7, delivered_minutes=210, rate=0.56, unrecorded=3.6,
                                    pupil_absent=1, school_closed=1)
    # The speech group's ends_on (17 November) has passed: it is ended from the 18th without anyone recording it.
    assert (rows[speech]["location"], rows[speech]["status"]) == ("in_class", "ended")
    # Weeks still to come owe nothing yet (counted up to today); once they have passed, they owe what they should.
    for start, end in (("2026-11-23", "2026-11-27"), ("2027-05-03", "2027-05-07")):
        assert plan_report(api, plan_id, start, end)[phonics]["planned_sessions"] == 0, start
    api.clock.set(dt.datetime(2027, 5, 10, 12, tzinfo=dt.UTC))
    # Single weeks: a full week, a half-term week, the week of the INSET day, the week of the amendment, and the
    # week of the May Day bank holiday.
    for start, end, sessions in (("2026-10-19", "2026-10-23", 3), ("2026-10-26", "2026-10-30", 0),
                                 ("2026-11-09", "2026-11-13", 2.4), ("2026-11-16", "2026-11-20", 2.4),
                                 ("2026-11-23", "2026-11-27", 2), ("2027-05-03", "2027-05-07", 1.6)):
        assert plan_report(api, plan_id, start, end)[phonics]["planned_sessions"] == sessions, start
    # A changed calendar changes what was owed, at once.
    api.client.put(CALENDAR, json={"holidays": [], "closures": []}, headers=api.headers("senco"))
    assert plan_report(api, plan_id, "2026-10-19", "2026-11-20")[phonics]["planned_sessions"] == 14.4


def test_report_windows_and_who_may_read_them(api: Api) -> None:
    plan_id, _ = pupil(api)
    path = f"/v1/plans/{plan_id}/delivery"
    default = report(api, path, "teacher")
    assert (default["from"], default["to"]) == ("2026-09-01", "2026-11-20")  # this school year, to today
    # 7 September to 20 November, no calendar set: 11 weeks of 3.
    assert default["provisions"][0]["planned_sessions"] == 33
    assert_problem(api.get(path, **{"from": "2026-11-20", "to": "2026-11-01"}), 422, field="from")
    assert_problem(api.get(path, **{"from": "2026-13-01"}), 422, field="from")
    assert_problem(api.get(path, **{"from": "2000-01-01", "to": "2026-11-20"}), 422, field="from")
    for who in ("other_teacher", "parent"):
        assert_problem(api.get(path, who), 404)
    assert_problem(api.get("/v1/plans/00000000-0000-4000-8000-000000000000/delivery"), 404)
    for who in ("other_senco", "parent", "professional"):
        assert_problem(api.get(SETTING_REPORT, who), 403)
    assert_problem(api.get("/v1/settings/abc/delivery"), 422, field="urn")
    assert report(api, SETTING_REPORT, "teacher")["totals"]["planned_sessions"] == 33


def test_setting_report_sums_by_provision_type_location_tier_and_plan(api: Api) -> None:
    api.client.put(CALENDAR, json=AUTUMN, headers=api.headers("senco"))
    reading, phonics = pupil(api)  # cognition and learning, withdrawal, 3 x 30 a week
    calm, nurture = pupil(api, area="semh", need="SEMH", description="Nurture group", sessions_per_week=1,
                          minutes_per_session=45, location="in_class", starts_on="2026-11-04", ends_on="2026-11-17")
    elsewhere = pupil(api, who="other_senco", setting=OTHER_SETTING)
    assert_written(api.post(f"/v1/plans/{reading}/tier", {"tier": "targeted_plus", "agreed_on": "2026-11-16",
                                                           "reason": "Speech and language therapist involved"}), 200)
    api.patch(f"/v1/plans/{reading}/provisions/{phonics}", {"sessions_per_week": 2, "agreed_on": "2026-11-18"})
    logged(log(api, [(reading, phonics), (calm, nurture)], "2026-11-09", minutes=30), 2)
    logged(log(api, [(reading, phonics)], "2026-11-16"), 1)
    logged(log(api, [(calm, nurture)], "2026-11-16", "missed", missed_reason="pupil_absent"), 1)
    logged(log(api, [elsewhere], "2026-11-16", who="other_teacher"), 1)

    body = report(api, SETTING_REPORT, **{"from": "2026-11-02", "to": "2026-11-20"})
    assert (body["setting_urn"], body["from"], body["to"], body["calendar_version"]) == (
        SETTING, "2026-11-02", "2026-11-20", 1)
    # Phonics: 3 + 2.4 (INSET day) under Targeted, then 2.4 under Targeted Plus (from Monday 16th) of which 1.2 at
    # 2 a week (from Wednesday 18th); nurture: 9 school days at 1/5 = 1.8 sessions of 45 minutes.
    # Unrecorded sessions are summed per provision (and tier): nurture's missed session does not cover phonics'.
    assert numbers(body["totals"]) == tally(9.6, 315, delivered=3, delivered_minutes=90, rate=0.31, unrecorded=5.8,
                                            pupil_absent=1)
    assert [(g["provision_type"], numbers(g)) for g in body["by_provision_type"]] == [
        ("cognition_and_learning", tally(7.8, 234, delivered=2, delivered_minutes=60)),
        ("semh", tally(1.8, 81, delivered=1, delivered_minutes=30, pupil_absent=1)),
    ]
    assert [(g["location"], g["planned_sessions"]) for g in body["by_location"]] == [("in_class", 1.8),
                                                                                    ("withdrawal", 7.8)]
    assert [(g["tier"], numbers(g)) for g in body["by_tier"]] == [
        ("targeted", tally(7.2, 243, delivered=2, delivered_minutes=60, unrecorded=4.4, pupil_absent=1)),
        ("targeted_plus", tally(2.4, 72, delivered=1, delivered_minutes=30)),
    ]
    plans = {row["plan_id"]: row for row in body["plans"]}
    assert set(plans) == {reading, calm}  # not the other setting's
    assert (plans[reading]["tier"], plans[reading]["planned_sessions"], plans[calm]["planned_sessions"]) == (
        "targeted_plus", 7.8, 1.8)
    assert plans[calm]["pupil"] == {"given_name": "Amara", "family_name": "Okafor"}
    other = report(api, f"/v1/settings/{OTHER_SETTING}/delivery", "other_senco", **{"from": "2026-11-02",
                                                                                     "to": "2026-11-20"})
    assert numbers(other["totals"]) == tally(9, 270, delivered=1, delivered_minutes=30)  # no calendar: 15 days


def test_the_delivery_read_model_rebuilds_to_the_same_rows(api: Api, ledger: Ledger) -> None:
    reading, phonics = pupil(api)
    calm, nurture = pupil(api, area="semh", need="SEMH")
    first = logged(log(api, [(reading, phonics), (calm, nurture)], "2026-11-09"), 2)
    logged(log(api, [(calm, nurture)], "2026-11-10", "missed", missed_reason="staff_absent"), 1)
    api.post(f"/v1/plans/{reading}/corrections", {"event_id": first["entries"][0]["event_id"], "reason": "Wrong day",
                                                  "changes": {"date": "2026-11-11", "minutes": 20}})
    agreed = api.events(calm)[2]["event_id"]  # the provision as agreed
    api.post(f"/v1/plans/{calm}/corrections", {"event_id": agreed, "reason": "It was 2 a week",
                                               "changes": {"sessions_per_week": 2}})
    api.patch(f"/v1/plans/{reading}/barriers/{api.plan(reading)['barriers'][0]['id']}",
              {"area_of_need": "communication_and_interaction", "need_type": "SLCN"})
    api.post(f"/v1/plans/{reading}/tier", {"tier": "targeted_plus", "reason": "Therapist involved"})
    api.post(f"/v1/plans/{calm}/close", {"reason": "Moved school"})
    body = report(api, SETTING_REPORT, **{"from": "2026-11-02", "to": "2026-11-20"})
    assert [g["provision_type"] for g in body["by_provision_type"]] == ["communication_and_interaction", "semh"]
    assert plan_report(api, reading, "2026-11-09", "2026-11-13")[phonics]["delivered_minutes"] == 20
    assert plan_report(api, calm, "2026-11-09", "2026-11-13")[nurture]["planned_sessions"] == 2

    app = cast(FastAPI, api.client.app)  # the test client serves the app create_app built
    incremental: View = app.state.projector.models["delivery"].view
    before = read_model_rows(incremental)
    assert len(before["sessions"]) == 3 and len(before["terms"]) == 4  # each plan's terms changed once
    generation = rebuild(ledger.store, ["delivery"])["delivery"]
    assert read_model_rows(View(incremental.sql, "delivery", generation, Delivery.tables,
                                sealer=ledger.store.sealer)) == before


