"""Striking out an entry recorded in error over HTTP (CONTRACT.md §5), on both stores: ``{"event_id", "reason",
"void": true}`` keeps the entry in the history, marked with who said so and why, and from then on it counts for
nothing, in the plan now and as of any day, the delivery figures, the timeline, the diff, the evidence bundle and its
offline check."""

from __future__ import annotations

import datetime as dt
from typing import Any

from isp_ledger.bundle.verify import verify_bundle
from tests import samples
from tests.conftest import SETTING
from tests.e2e.helpers import Api, assert_problem, assert_written


def at(api: Api, day: str, hour: int = 9) -> None:
    api.clock.set(dt.datetime.fromisoformat(f"{day}T{hour:02d}:00:00+00:00"))


def void(api: Api, plan_id: str, event_id: str, reason: str = "Logged twice by mistake",
         who: str = "senco") -> dict[str, Any]:
    return assert_written(api.post(f"/v1/plans/{plan_id}/corrections",
                                   {"event_id": event_id, "reason": reason, "void": True}, who))


def school_plan(api: Api) -> dict[str, str]:
    """Opened 1 September with a barrier and phonics 3 times a week; the calendar has the autumn half term."""
    at(api, "2026-09-01")
    response = api.client.put(f"/v1/settings/{SETTING}/calendar", headers=api.headers(),
                              json={"holidays": [{"start": "2026-10-26", "end": "2026-10-30"}], "closures": []})
    assert response.status_code == 200, response.text
    plan_id = api.open_plan(next_review_due="2026-12-01")
    barrier = api.add_barrier(plan_id)
    provision = assert_written(api.post(f"/v1/plans/{plan_id}/provisions", samples.provision([barrier])), item=True)
    return {"plan": plan_id, "barrier": barrier, "provision": provision["item_id"],
            "provision_event": provision["event_id"]}


def log_session(api: Api, plan_id: str, provision_id: str, date: str, **fields: Any) -> dict[str, Any]:
    response = api.post("/v1/deliveries", {"entries": [{"plan_id": plan_id, "provision_id": provision_id}],
                                           "date": date, "status": "delivered", **fields}, "teacher")
    assert response.status_code == 201, response.text
    entry: dict[str, Any] = response.json()["entries"][0]
    return entry


def delivery(api: Api, plan_id: str, start: str, end: str) -> dict[str, Any]:
    response = api.get(f"/v1/plans/{plan_id}/delivery", **{"from": start, "to": end})
    assert response.status_code == 200, response.text
    [row] = response.json()["provisions"]
    return row  # type: ignore[no-any-return]


def timeline(api: Api, plan_id: str, who: str = "senco") -> dict[int, dict[str, Any]]:
    response = api.get(f"/v1/plans/{plan_id}/timeline", who, limit="200")
    assert response.status_code == 200, response.text
    return {e["version"]: e for e in response.json()["entries"]}


def test_a_session_recorded_in_error_is_struck_out_and_counts_for_nothing(api: Api) -> None:
    ids = school_plan(api)
    at(api, "2026-11-17", 15)
    first = log_session(api, ids["plan"], ids["provision"], "2026-11-17")
    twice = log_session(api, ids["plan"], ids["provision"], "2026-11-16")  # meant as the 17th's, logged again
    assert delivery(api, ids["plan"], "2026-11-16", "2026-11-20")["delivered_sessions"] == 2

    at(api, "2026-11-18")
    written = void(api, ids["plan"], twice["event_id"], "The same session, logged twice")
    assert written["version"] == twice["version"] + 1

    row = delivery(api, ids["plan"], "2026-11-16", "2026-11-20")
    assert (row["delivered_sessions"], row["missed_sessions"]) == (1, 0)  # no session delivered by the void
    events = api.events(ids["plan"])
    assert [e["event_id"] for e in events if e["type"] == "SessionRecorded"] == [first["event_id"],
                                                                                  twice["event_id"]]  # kept
    [struck] = [e for e in events if e["type"] == "EntryVoided"]
    assert struck["data"] == {"voided_event_id": twice["event_id"], "voided_version": twice["version"]}
    assert struck["reason"] == "The same session, logged twice" and struck["actor"]["name"] == "Sam Senco"
    assert struck["agreed_on"] == "2026-11-18"
    assert api.verify(ids["plan"])["ok"] is True

    entries = timeline(api, ids["plan"])
    assert entries[written["version"]]["voids"] == {"version": twice["version"], "event_id": twice["event_id"]}
    assert entries[written["version"]]["kind"] == "correction"
    assert entries[written["version"]]["item_id"] == ids["provision"]
    assert entries[written["version"]]["summary"] == (
        "Struck out as recorded in error: the delivered session of “Small-group phonics with a trained TA” on 16 "
        "November 2026; it no longer counts. Reason: The same session, logged twice.")
    assert entries[twice["version"]]["voided"] == {
        "version": written["version"], "event_id": written["event_id"], "recorded_at": written["recorded_at"],
        "actor": struck["actor"], "reason": "The same session, logged twice"}
    assert "voided" not in entries[first["version"]] and "voids" not in entries[first["version"]]
    kinds = api.get(f"/v1/plans/{ids['plan']}/timeline", kind="correction").json()["entries"]
    assert [e["version"] for e in kinds] == [written["version"]]


def test_a_parents_view_on_the_wrong_plan_leaves_the_plan_now_but_not_as_it_stood(api: Api) -> None:
    ids = school_plan(api)
    at(api, "2026-11-17")
    view = assert_written(api.post(f"/v1/plans/{ids['plan']}/contributions",
                                   {"kind": "parent_view", "text": "Meant for her brother's plan"}), item=True)
    before_void = "2026-11-17T12:00:00+00:00"
    at(api, "2026-11-18")
    void(api, ids["plan"], view["event_id"], "Put on the wrong child's plan")

    assert api.plan(ids["plan"])["contributions"] == []  # the read model
    assert api.plan(ids["plan"], as_of="2026-11-17")["contributions"] == []  # as of any day, as now known
    assert [c["id"] for c in api.plan(ids["plan"], as_at=before_void)["contributions"]] == [view["item_id"]]
    changes = api.get(f"/v1/plans/{ids['plan']}/diff", **{"from": before_void}).json()["changes"]
    assert changes["contributions"] == {"added": [], "voided": [{"id": view["item_id"]}]}
    assert api.get(f"/v1/plans/{ids['plan']}/diff").json()["changes"]["contributions"] == {"added": []}


def test_an_item_struck_out_leaves_every_view_and_what_depends_on_it_must_go_first(api: Api) -> None:
    ids = school_plan(api)
    at(api, "2026-11-16", 15)
    session = log_session(api, ids["plan"], ids["provision"], "2026-11-16")
    at(api, "2026-11-18")
    refused = assert_problem(api.post(f"/v1/plans/{ids['plan']}/corrections", {
        "event_id": ids["provision_event"], "reason": "Wrong plan", "void": True}), 409,
        rule="provision_has_dependants")
    assert session["event_id"] in refused["detail"]
    barrier_event = api.events(ids["plan"])[1]["event_id"]
    assert_problem(api.post(f"/v1/plans/{ids['plan']}/corrections", {
        "event_id": barrier_event, "reason": "Wrong plan", "void": True}), 409, rule="barrier_has_dependants",
        detail_contains=ids["provision_event"])

    void(api, ids["plan"], session["event_id"], "Wrong plan")
    void(api, ids["plan"], ids["provision_event"], "Wrong plan")
    assert api.plan(ids["plan"])["provisions"] == []
    assert api.plan(ids["plan"], as_of="2026-11-16")["provisions"] == []
    report = api.get(f"/v1/plans/{ids['plan']}/delivery", **{"from": "2026-09-01", "to": "2026-11-20"}).json()
    assert report["provisions"] == []  # owes nothing: it never was the plan's provision
    assert_problem(api.patch(f"/v1/plans/{ids['plan']}/provisions/{ids['provision']}", {"group_size": 2}), 409,
                   rule="provision_voided")
    assert_problem(api.post("/v1/deliveries", {"entries": [{"plan_id": ids["plan"], "provision_id": ids["provision"]}],
                                               "date": "2026-11-17", "status": "delivered"}, "teacher"), 409,
                   rule="provision_voided")
    assert api.verify(ids["plan"])["ok"] is True


def test_bad_voids_are_422_and_refused_ones_409_naming_the_rule(api: Api) -> None:
    ids = school_plan(api)
    corrections = f"/v1/plans/{ids['plan']}/corrections"
    opened = api.events(ids["plan"])[0]["event_id"]
    count = api.event_count(ids["plan"])
    both = {"event_id": ids["provision_event"], "reason": "x", "void": True, "changes": {"group_size": 2}}
    body = assert_problem(api.post(corrections, both), 422, field="void")
    assert {e["field"] for e in body["errors"]} == {"void", "changes"}
    assert_problem(api.post(corrections, {"event_id": ids["provision_event"], "reason": "x"}), 422, field="changes")
    assert_problem(api.post(corrections, {"event_id": ids["provision_event"], "reason": "x", "void": False}), 422,
                   field="void")
    assert_problem(api.post(corrections, {"event_id": ids["provision_event"], "reason": "x", "void": "yes"}), 422,
                   field="void")
    assert_problem(api.post(corrections, {"event_id": ids["provision_event"], "void": True}), 422, field="reason")
    assert_problem(api.post(corrections, {"event_id": "nope", "reason": "x", "void": True}), 422, field="event_id")
    assert_problem(api.post(corrections, {"event_id": opened, "reason": "x", "void": True}), 409, rule="cannot_void",
                   detail_contains="close the plan")
    assert api.event_count(ids["plan"]) == count  # nothing was recorded

    view = assert_written(api.post(f"/v1/plans/{ids['plan']}/contributions",
                                   {"kind": "parent_view", "text": "Wrong plan"}), item=True)
    struck = void(api, ids["plan"], view["event_id"])
    assert_problem(api.post(corrections, {"event_id": view["event_id"], "reason": "x", "void": True}), 409,
                   rule="already_voided", detail_contains=struck["event_id"])
    assert_problem(api.post(corrections, {"event_id": struck["event_id"], "reason": "x", "void": True}), 409,
                   rule="voiding_a_void")
    assert_problem(api.post(corrections, {"event_id": view["event_id"], "reason": "x", "changes": {"text": "y"}}), 409,
                   rule="correcting_a_voided_entry")
    assert_problem(api.post(corrections, {"event_id": view["event_id"], "reason": "x", "void": True}, "teacher"), 403)


def test_the_bundle_lists_both_marks_them_counts_them_and_still_checks_out(api: Api) -> None:
    ids = school_plan(api)
    at(api, "2026-09-08", 15)
    kept = log_session(api, ids["plan"], ids["provision"], "2026-09-07")
    twice = log_session(api, ids["plan"], ids["provision"], "2026-09-08")
    at(api, "2026-09-09")
    view = assert_written(api.post(f"/v1/plans/{ids['plan']}/contributions",
                                   {"kind": "parent_view", "text": "For another child"}), item=True)
    at(api, "2026-09-10")
    struck_view = void(api, ids["plan"], view["event_id"], "Put on the wrong child's plan")
    struck_session = void(api, ids["plan"], twice["event_id"], "Logged for the wrong day; no session on the 8th")

    at(api, "2026-10-01")
    period = {"from": "2026-09-01", "to": "2026-09-30"}
    response = api.get(f"/v1/plans/{ids['plan']}/bundle", **period)
    assert response.status_code == 200, response.text
    bundle = response.json()
    changes = {c["version"]: c for c in bundle["changes"]}
    assert changes[view["version"]]["voided"]["version"] == struck_view["version"]
    assert changes[view["version"]]["voided"]["reason"] == "Put on the wrong child's plan"
    assert changes[struck_view["version"]]["voids"]["event_id"] == view["event_id"]
    assert changes[struck_view["version"]]["voids"]["summary"].startswith("Parent's view added")
    assert changes[struck_session["version"]]["voids"]["type"] == "SessionRecorded"
    assert changes[struck_view["version"]]["corrects"] is None
    assert bundle["summary"]["voided"] == 1  # the view (the session struck out is counted with the sessions)
    assert bundle["summary"]["corrections"] == 0
    assert bundle["plan_at_end"]["contributions"] == []
    assert bundle["parent_responses"]["contributions"] == []
    [row] = bundle["delivery"]["provisions"]
    assert row["delivered_sessions"] == 1 and kept["event_id"]
    check = verify_bundle(bundle)
    assert check.ok, check.problems

    html = api.get(f"/v1/plans/{ids['plan']}/bundle", format="html", **period).text
    assert f"Recorded in error: struck out by entry {struck_view['version']}" in html
    assert f"Strikes out entry {view['version']}" in html
    assert "1 entry was struck out as recorded in error" in html
