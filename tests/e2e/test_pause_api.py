"""Pausing and resuming a provision over HTTP, on both stores: the document, sessions refused on paused days,
planned sessions in the delivery report and the bundle, the timeline and the diff.

Tests start on Friday 20 November 2026 (the ``clock`` fixture). Plans are opened on 1 September with provision of
3 x 30-minute sessions a week from Monday 7 September; the calendar has no holidays, so every weekday is a school
day.
"""

from __future__ import annotations

import uuid
from typing import Any, cast

from fastapi import FastAPI

from isp_ledger.application import Ledger
from projections.base import View
from projections.delivery import Delivery
from projections.rebuild import rebuild
from tests import samples
from tests.conftest import SETTING
from tests.e2e.helpers import Api, assert_problem, assert_written
from tests.integration.read_models import read_model_rows

CALENDAR = f"/v1/settings/{SETTING}/calendar"


def pupil(api: Api) -> tuple[str, str]:
    plan_id = api.open_plan(agreed_on="2026-09-01")
    barrier = api.add(plan_id, "barriers", {**samples.barrier(), "agreed_on": "2026-09-01"})
    body = {**samples.provision([barrier], description="small-group phonics"), "agreed_on": "2026-09-01"}
    return plan_id, api.add(plan_id, "provisions", body)


def pause_path(plan_id: str, provision: str, action: str = "pause") -> str:
    return f"/v1/plans/{plan_id}/provisions/{provision}/{action}"


def session(api: Api, plan_id: str, provision: str, date: str) -> Any:
    body = {"entries": [{"plan_id": plan_id, "provision_id": provision}], "date": date, "status": "delivered"}
    return api.post("/v1/deliveries", body, "teacher")


def delivery(api: Api, plan_id: str, start: str, end: str) -> dict[str, Any]:
    response = api.get(f"/v1/plans/{plan_id}/delivery", **{"from": start, "to": end})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_paused_provision_shows_paused_until_resumed(api: Api) -> None:
    plan_id, phonics = pupil(api)
    written = assert_written(api.post(pause_path(plan_id, phonics),
                                      {"reason": "exam fortnight", "agreed_on": "2026-11-16", "until": "2027-01-08"}),
                             200)
    item = api.item(api.plan(plan_id), "provisions", phonics)
    assert (item["status"], item["paused_on"], item["paused_until"], item["paused_reason"]) == (
        "paused", "2026-11-16", "2027-01-08", "exam fortnight")
    assert item["version"] == written["version"]
    assert api.item(api.plan(plan_id, as_of="2026-11-13"), "provisions", phonics)["status"] == "active"

    assert_written(api.post(pause_path(plan_id, phonics, "resume"), {"agreed_on": "2026-11-18"}), 200)
    item = api.item(api.plan(plan_id), "provisions", phonics)
    assert item["status"] == "active" and "paused_on" not in item

    entries = api.get(f"/v1/plans/{plan_id}/timeline", kind="provision").json()["entries"]
    assert [e["summary"] for e in entries[:2]] == [
        "Provision “small-group phonics” restarted on 18 November 2026.",
        "Provision “small-group phonics” paused from 16 November 2026 until 8 January 2027. Reason: exam fortnight.",
    ]


def test_sessions_on_paused_days_are_409_and_around_them_201(api: Api) -> None:
    plan_id, phonics = pupil(api)
    assert_written(api.post(pause_path(plan_id, phonics), {"reason": "TA on leave", "agreed_on": "2026-11-09"}),
                   200)
    assert session(api, plan_id, phonics, "2026-11-06").status_code == 201  # before the pause
    problem = assert_problem(session(api, plan_id, phonics, "2026-11-10"), 409, rule="provision_paused",
                             detail_contains="TA on leave")
    assert "paused on 2026-11-09" in problem["detail"]
    assert_written(api.post(pause_path(plan_id, phonics, "resume"), {"agreed_on": "2026-11-16",
                                                                     "reason": "TA back"}), 200)
    assert session(api, plan_id, phonics, "2026-11-16").status_code == 201  # the day it resumed
    assert_problem(session(api, plan_id, phonics, "2026-11-13"), 409, rule="provision_paused")


def test_a_one_week_pause_owes_exactly_one_weeks_sessions_fewer_in_report_and_bundle(api: Api) -> None:
    api.client.put(CALENDAR, json={"holidays": [], "closures": []}, headers=api.headers("senco"))
    plan_id, phonics = pupil(api)
    window = ("2026-11-02", "2026-11-20")  # three full weeks: 9 sessions, 270 minutes
    before = delivery(api, plan_id, *window)["provisions"][0]
    assert (before["planned_sessions"], before["planned_minutes"]) == (9, 270)

    assert_written(api.post(pause_path(plan_id, phonics),
                            {"reason": "Exam week", "agreed_on": "2026-11-09", "until": "2026-11-13"}), 200)
    session(api, plan_id, phonics, "2026-11-16")
    report = delivery(api, plan_id, *window)
    [row] = report["provisions"]
    assert row["status"] == "paused"  # as recorded: the pause ran out on the 13th, but no one resumed it
    assert (row["planned_sessions"], row["planned_minutes"], row["delivered_sessions"],
            row["unrecorded_sessions"]) == (6, 180, 1, 5)
    assert delivery(api, plan_id, "2026-11-09", "2026-11-13")["provisions"][0]["planned_sessions"] == 0

    bundle = api.get(f"/v1/plans/{plan_id}/bundle", **{"from": window[0], "to": window[1]}).json()
    assert bundle["delivery"]["totals"] == report["totals"]
    html = api.get(f"/v1/plans/{plan_id}/bundle", **{"from": window[0], "to": window[1], "format": "html"})
    assert html.status_code == 200 and "Paused 9 Nov 2026 to 13 Nov 2026" in html.text


def test_resuming_a_provision_that_is_not_paused_is_409(api: Api) -> None:
    plan_id, phonics = pupil(api)
    assert_problem(api.post(pause_path(plan_id, phonics, "resume"), {}), 409, rule="provision_not_paused")
    assert_written(api.post(pause_path(plan_id, phonics), {"reason": "Exams"}), 200)
    assert_problem(api.post(pause_path(plan_id, phonics), {"reason": "Again"}), 409,
                   rule="provision_already_paused")


def test_bad_pauses_are_422_naming_the_field(api: Api) -> None:
    plan_id, phonics = pupil(api)
    path = pause_path(plan_id, phonics)
    assert_problem(api.post(path, {"reason": "Exams", "agreed_on": "2026-11-16", "until": "2026-11-13"}), 422,
                   field="until", detail_contains="until")
    assert_problem(api.post(path, {"reason": "Exams", "until": "next week"}), 422, field="until")
    assert_problem(api.post(path, {"agreed_on": "2026-11-16"}), 422, field="reason")
    assert_problem(api.post(path, {"reason": "Exams", "agreed_on": "2026-11-21"}), 422, field="agreed_on")
    assert_problem(api.post(f"/v1/plans/{plan_id}/provisions/no-such/pause", {"reason": "Exams"}), 404)
    assert api.item(api.plan(plan_id), "provisions", phonics)["status"] == "active"


def test_pausing_takes_if_match_and_idempotency_keys_and_is_for_those_who_edit(api: Api) -> None:
    plan_id, phonics = pupil(api)
    version = api.plan(plan_id)["version"]
    body = {"reason": "Exams", "agreed_on": "2026-11-16"}
    assert_problem(api.post(pause_path(plan_id, phonics), body, **{"If-Match": f'"{version - 1}"'}), 412)
    assert_problem(api.post(pause_path(plan_id, phonics), body, "teacher"), 403)
    key = {"Idempotency-Key": "pause-phonics"}
    first = assert_written(api.post(pause_path(plan_id, phonics), body, **key, **{"If-Match": f'"{version}"'}), 200)
    again = assert_written(api.post(pause_path(plan_id, phonics), body, **key, **{"If-Match": f'"{version}"'}), 200)
    assert again == first
    assert api.event_count(plan_id) == version + 1


def test_the_diff_shows_the_pause_as_a_change_of_status(api: Api) -> None:
    plan_id, phonics = pupil(api)
    version = api.plan(plan_id)["version"]
    assert_written(api.post(pause_path(plan_id, phonics), {"reason": "Exams", "until": "2026-12-04"}), 200)
    body = api.get(f"/v1/plans/{plan_id}/diff", **{"from": str(version), "to": str(version + 1)}).json()
    [amended] = body["changes"]["provisions"]["amended"]
    assert amended["changes"]["status"] == {"before": "active", "after": "paused"}
    assert amended["changes"]["paused_until"] == {"before": None, "after": "2026-12-04"}
    assert body["changes"]["provisions"]["ended"] == []


def test_read_models_agree_with_the_log_and_rebuild_to_the_same_rows_after_pauses(api: Api, ledger: Ledger) -> None:
    plan_id, phonics = pupil(api)
    barrier = api.plan(plan_id)["barriers"][0]["id"]
    speech = api.add(plan_id, "provisions", {**samples.provision([barrier], description="speech group"),
                                             "agreed_on": "2026-09-01"})
    api.post(pause_path(plan_id, phonics), {"reason": "Trip", "agreed_on": "2026-10-05", "until": "2026-10-09"})
    api.post(pause_path(plan_id, phonics), {"reason": "Exams", "agreed_on": "2026-11-09", "until": "2026-11-13"})
    paused = api.events(plan_id)[-1]["event_id"]
    assert_written(api.post(f"/v1/plans/{plan_id}/corrections", {
        "event_id": paused, "reason": "Exams ended on Wednesday", "changes": {"until": "2026-11-11"}}), 201)
    api.post(pause_path(plan_id, speech), {"reason": "Therapist away", "agreed_on": "2026-11-02"})
    api.patch(f"/v1/plans/{plan_id}/provisions/{speech}", {"sessions_per_week": 1, "agreed_on": "2026-11-04"})
    api.post(pause_path(plan_id, speech, "resume"), {"agreed_on": "2026-11-16"})
    session(api, plan_id, phonics, "2026-11-12")
    session(api, plan_id, speech, "2026-11-16")

    admin = api.people.admin
    served = api.get(f"/v1/plans/{plan_id}")
    assert served.headers["isp-ledger-source"] == "read-model"
    assert served.json() == ledger.history.plan_document(admin, uuid.UUID(plan_id))
    window = {"from": "2026-09-01", "to": "2026-11-20"}
    report = delivery(api, plan_id, window["from"], window["to"])
    rows = {row["provision_id"]: row for row in report["provisions"]}
    # phonics: 55 weekdays, less the trip week (5) and Monday to Wednesday of the exam week (3): 47 x 3/5
    assert rows[phonics]["planned_sessions"] == 28.2
    # speech: 40 weekdays at 3 a week to the pause on 2 November (24), then 5 days at 1 a week from the 16th (1)
    assert rows[speech]["planned_sessions"] == 25
    bundle = api.get(f"/v1/plans/{plan_id}/bundle", **window).json()
    assert bundle["delivery"]["totals"] == report["totals"]

    app = cast(FastAPI, api.client.app)  # the test client serves the app create_app built
    incremental: View = app.state.projector.models["delivery"].view
    before = read_model_rows(incremental)
    generation = rebuild(ledger.store, ["delivery"])["delivery"]
    assert read_model_rows(View(incremental.sql, "delivery", generation, Delivery.tables,
                                sealer=ledger.store.sealer)) == before
