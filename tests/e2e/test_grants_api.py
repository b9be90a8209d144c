"""Sharing a plan over HTTP (CONTRACT.md §10), on both stores: grants are entries in the plan's history (events,
chain, timeline, bundle); what a parent, a professional and a complaint handler may then do; a revocation or an
expiry holds from the very next request, whichever process wrote it; and the plans granted to the caller.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any
from uuid import UUID

from isp_ledger.bootstrap import build_ledger
from isp_ledger.bundle.verify import verify_bundle
from tests import samples
from tests.e2e.grant_helpers import assert_written_grant, give, revoke, shared_plan
from tests.e2e.helpers import Api, assert_problem, assert_written


def wait_for_timeline(api: Api, plan_id: str, versions: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 10
    while True:
        entries: list[dict[str, Any]] = api.get(f"/v1/plans/{plan_id}/timeline", limit="200").json()["entries"]
        if len(entries) >= versions or time.monotonic() > deadline:
            return entries
        time.sleep(0.05)


def test_a_grant_and_its_revocation_are_entries_in_the_plans_history(api: Api) -> None:
    plan_id = api.open_plan()
    parent = api.people.parent
    given = give(api, plan_id, "parent", expires_on="2027-07-31", reason="Mum; agreed at the plan meeting")
    assert given["version"] == 2
    revoked = revoke(api, plan_id, given["grant_id"], reason="Moved away; new school shares the plan")
    events = api.events(plan_id)
    assert [e["type"] for e in events] == ["PlanOpened", "AccessGranted", "AccessRevoked"]
    granted_event, revoked_event = events[1], events[2]
    assert granted_event["event_id"] == given["event_id"] and revoked_event["event_id"] == revoked["event_id"]
    assert granted_event["data"] == {"grant_id": given["grant_id"], "user_id": parent.user_id, "name": "Pat Parent",
                                     "relationship": "parent", "expires_on": "2027-07-31"}
    assert granted_event["reason"] == "Mum; agreed at the plan meeting"
    assert granted_event["actor"]["name"] == "Sam Senco" and revoked_event["data"] == {"grant_id": given["grant_id"]}
    assert api.verify(plan_id) == {**api.verify(plan_id), "ok": True, "events_checked": 3}
    timeline = wait_for_timeline(api, plan_id, 3)
    assert [(e["kind"], e["summary"]) for e in timeline[:2]] == [
        ("access", "Access revoked for Pat Parent (parent). Reason: Moved away; new school shares the plan."),
        ("access", "Access given to Pat Parent (parent) until 31 July 2027. Reason: Mum; agreed at the plan "
                   "meeting."),
    ]
    assert [e["version"] for e in api.get(f"/v1/plans/{plan_id}/timeline", kind="access").json()["entries"]] == [3, 2]
    listed = api.get(f"/v1/plans/{plan_id}/grants").json()
    [grant] = listed["grants"]
    assert (grant["status"], grant["user"]["name"], grant["revoked_reason"], grant["revoked_by"]["name"]) == (
        "revoked", "Pat Parent", "Moved away; new school shares the plan", "Sam Senco")
    assert api.plan(plan_id)["version"] == 3  # the plan document shows no grant, only its version moved on


def test_a_parent_with_a_grant_reads_everything_about_the_plan_and_adds_their_views(api: Api) -> None:
    ids = shared_plan(api)
    plan = f"/v1/plans/{ids['plan']}"
    reads = [plan, f"{plan}/events", f"{plan}/timeline", f"{plan}/diff", f"{plan}/delivery", f"{plan}/bundle",
             f"{plan}/verify", f"{plan}/receipt", f"{plan}/access-log"]
    for path in reads:
        assert api.get(path, "parent").status_code == 200, path
    assert api.get(plan, "parent", as_of="2026-11-20").status_code == 200
    assert api.get(plan, "parent", as_at="2026-11-20T10:00:00.010+00:00").status_code == 200
    assert api.get(f"{plan}/bundle", "parent", format="html").status_code == 200
    view = assert_written(api.post(f"{plan}/contributions", {"kind": "parent_view", "text": "Calmer at home"},
                                   "parent"), item=True)
    voice = assert_written(api.post(f"{plan}/contributions", {"kind": "pupil_voice", "text": "I like the group"},
                                    "parent"), item=True)
    version = api.plan(ids["plan"])["version"]
    agreed = assert_written(api.post(f"{plan}/acknowledgements", {"version": version, "response": "agree"},
                                     "parent"), item=True)
    document = api.plan(ids["plan"], "parent")
    parent = {"user_id": api.people.parent.user_id, "name": "Pat Parent", "role": "parent"}
    assert [c["recorded_by"] for c in document["contributions"] if c["id"] in (view["item_id"], voice["item_id"])] == [
        parent, parent]
    [acknowledgement] = [a for a in document["acknowledgements"] if a["id"] == agreed["item_id"]]
    assert acknowledgement["recorded_by"] == parent and "given_by" not in acknowledgement  # the parent is the actor
    # ...and nothing else.
    for path, body in ((f"{plan}/contributions", {"kind": "professional_advice", "profession": "SALT", "text": "t"}),
                       (f"{plan}/barriers", samples.barrier()),
                       (f"{plan}/grants", {"user_id": "x", "relationship": "parent"}),
                       (f"{plan}/close", {"reason": "r"})):
        assert_problem(api.post(path, body, "parent"), 403)
    assert_problem(api.get(f"{plan}/grants", "parent"), 403)
    assert_problem(api.post("/v1/deliveries", {"entries": [{"plan_id": ids["plan"], "provision_id": ids["provision"]}],
                                               "date": "2026-11-20", "status": "delivered"}, "parent"), 403)


def test_a_professional_reads_and_adds_advice_and_a_complaint_handler_only_reads(api: Api) -> None:
    ids = shared_plan(api)
    plan = f"/v1/plans/{ids['plan']}"
    advice = {"kind": "professional_advice", "profession": "speech and language therapist", "text": "Use visuals"}
    assert_written(api.post(f"{plan}/contributions", advice, "professional"), item=True)
    assert_problem(api.post(f"{plan}/contributions", {"kind": "parent_view", "text": "t"}, "professional"), 403)
    assert_problem(api.post(f"{plan}/acknowledgements", {"version": 1, "response": "seen"}, "professional"), 403)
    assert_problem(api.get(f"{plan}/access-log", "professional"), 403)
    for path in (plan, f"{plan}/events", f"{plan}/timeline", f"{plan}/diff", f"{plan}/delivery", f"{plan}/bundle",
                 f"{plan}/verify", f"{plan}/receipt"):
        assert api.get(path, "complaint_handler").status_code == 200, path
        assert api.get(path, "professional").status_code == 200, path
    assert_problem(api.get(f"{plan}/access-log", "complaint_handler"), 403)
    count = api.event_count(ids["plan"])
    for body in (advice, {"kind": "parent_view", "text": "t"}):
        assert_problem(api.post(f"{plan}/contributions", body, "complaint_handler"), 403)
    assert_problem(api.post(f"{plan}/acknowledgements", {"version": 1, "response": "seen"}, "complaint_handler"), 403)
    assert_problem(api.patch(f"{plan}/barriers/{ids['barrier']}", {"evidence": "e"}, "complaint_handler"), 403)
    assert api.event_count(ids["plan"]) == count


def test_a_revocation_holds_from_the_very_next_request_whichever_process_wrote_it(
    api: Api, env: dict[str, str], tmp_path: Path
) -> None:
    ids = shared_plan(api)
    plan = f"/v1/plans/{ids['plan']}"
    for path in (plan, f"{plan}/timeline", f"{plan}/delivery"):  # read models warmed: they never decide access
        assert api.get(path, "parent").status_code == 200
    other_process = build_ledger(env, clock=api.clock)  # another process on the same store
    try:
        other_process.grants.revoke(api.people.admin, UUID(ids["plan"]), ids["parent_grant"], reason="Court order")
    finally:
        other_process.close()
    for path in (plan, f"{plan}/timeline", f"{plan}/delivery", f"{plan}/events", f"{plan}/access-log"):
        assert_problem(api.get(path, "parent"), 404)
    assert_problem(api.post(f"{plan}/contributions", {"kind": "parent_view", "text": "t"}, "parent"), 404)
    assert api.get("/v1/me/plans", "parent").json() == {"plans": []}
    assert api.get(plan, "professional").status_code == 200  # the others' grants stand


def test_a_grant_ends_at_the_end_of_its_london_date(api: Api) -> None:
    api.clock.set(dt.datetime(2027, 7, 1, 9, 0, tzinfo=dt.UTC))
    plan_id = api.open_plan()
    give(api, plan_id, "parent", expires_on="2027-07-31")
    give(api, plan_id, "complaint_handler", expires_on="2027-07-31")
    api.clock.set(dt.datetime(2027, 7, 31, 22, 59, 59, tzinfo=dt.UTC))  # 23:59:59 in London (BST)
    for who in ("parent", "complaint_handler"):
        assert api.get(f"/v1/plans/{plan_id}", who).status_code == 200
        assert [p["plan_id"] for p in api.get("/v1/me/plans", who).json()["plans"]] == [plan_id]
    api.clock.set(dt.datetime(2027, 7, 31, 23, 0, 1, tzinfo=dt.UTC))  # past midnight in London: 1 August
    for who in ("parent", "complaint_handler"):
        assert_problem(api.get(f"/v1/plans/{plan_id}", who), 404)
        assert api.get("/v1/me/plans", who).json() == {"plans": []}
    [grant, _] = api.get(f"/v1/plans/{plan_id}/grants").json()["grants"]
    assert grant["status"] == "expired"
    assert_problem(api.client.request("DELETE", f"/v1/plans/{plan_id}/grants/{grant['grant_id']}",
                                      headers=api.headers()), 409, rule="grant_expired")
    give(api, plan_id, "parent")  # access may be given again, on new terms
    assert api.get(f"/v1/plans/{plan_id}", "parent").status_code == 200


def test_who_may_give_access_and_to_whom(api: Api) -> None:
    plan_id = api.open_plan()
    path = f"/v1/plans/{plan_id}/grants"
    parent = api.people.parent.user_id
    body = {"user_id": parent, "relationship": "parent"}
    assert_problem(api.post(path, body, "teacher"), 403)
    for who in ("other_senco", "other_teacher", "parent", "professional", "complaint_handler"):
        assert_problem(api.post(path, body, who), 404)
        assert_problem(api.get(path, who), 404)
    assert_problem(api.post(path, {"user_id": api.people.teacher.user_id, "relationship": "parent"}), 409,
                   rule="grantee_role_mismatch")
    assert_problem(api.post(path, {"user_id": parent, "relationship": "professional"}), 409,
                   rule="grantee_role_mismatch")
    assert_problem(api.post(path, {"user_id": "no-such-user", "relationship": "parent"}), 422, field="user_id")
    assert_problem(api.post(path, {"user_id": api.people.complaint_handler.user_id,
                                   "relationship": "complaint_handler"}), 422, field="expires_on")
    assert_problem(api.post(path, {**body, "expires_on": "2026-11-19"}), 422, field="expires_on")
    assert_problem(api.post(path, {**body, "relationship": "grandparent"}), 422, field="relationship")
    assert_problem(api.post(path, {**body, "colour": "blue"}), 422, field="colour")
    assert api.event_count(plan_id) == 1, "nothing was recorded"
    given = give(api, plan_id, "parent", by="admin")
    assert_problem(api.post(path, body), 409, rule="already_granted")
    assert_problem(api.client.request("DELETE", f"{path}/{given['grant_id']}", headers=api.headers("teacher")), 403)
    assert_problem(api.client.request("DELETE", f"{path}/no-such-grant", headers=api.headers()), 404)
    assert_problem(api.client.request("DELETE", f"{path}/{given['grant_id']}", headers=api.headers("parent")), 403)
    revoke(api, plan_id, given["grant_id"])
    assert_problem(api.client.request("DELETE", f"{path}/{given['grant_id']}", headers=api.headers()), 409,
                   rule="grant_already_revoked")


def test_a_grant_repeated_with_its_idempotency_key_is_recorded_once(api: Api) -> None:
    plan_id = api.open_plan()
    body = {"user_id": api.people.parent.user_id, "relationship": "parent"}
    first = api.post(f"/v1/plans/{plan_id}/grants", body, **{"Idempotency-Key": "grant-pat"})
    again = api.post(f"/v1/plans/{plan_id}/grants", body, **{"Idempotency-Key": "grant-pat"})
    assert assert_written_grant(first, 201) == assert_written_grant(again, 201)
    assert again.headers["idempotent-replayed"] == "true"
    assert api.event_count(plan_id) == 2
    stale = api.post(f"/v1/plans/{plan_id}/grants", {**body, "user_id": api.people.professional.user_id,
                                                     "relationship": "professional"}, **{"If-Match": '"1"'})
    assert_problem(stale, 412)


def test_me_plans_lists_the_plans_granted_to_the_caller_with_the_grant(api: Api) -> None:
    first = api.open_plan(pupil=samples.pupil(given_name="Zara", family_name="Young"))
    second = api.open_plan(pupil=samples.pupil(given_name="Adam", family_name="Ahmed"))
    hidden = api.open_plan()
    give(api, first, "parent")
    given = give(api, second, "parent", expires_on="2027-07-31", reason="Dad")
    plans = api.get("/v1/me/plans", "parent").json()["plans"]
    assert [p["plan_id"] for p in plans] == [second, first]  # by pupil name
    assert hidden not in [p["plan_id"] for p in plans]
    assert plans[0]["pupil"] == {"given_name": "Adam", "family_name": "Ahmed"}
    assert {k: plans[0][k] for k in ("setting_urn", "tier", "status", "version")} == {
        "setting_urn": "123456", "tier": "targeted", "status": "open", "version": 2}
    assert plans[0]["grant"]["grant_id"] == given["grant_id"] and plans[0]["grant"]["expires_on"] == "2027-07-31"
    assert plans[0]["grant"]["granted_by"]["name"] == "Sam Senco"
    assert "upn" not in str(plans) and "date_of_birth" not in str(plans)
    for who in ("senco", "admin", "teacher", "professional"):
        assert api.get("/v1/me/plans", who).json() == {"plans": []}
    revoke(api, second, given["grant_id"])
    assert [p["plan_id"] for p in api.get("/v1/me/plans", "parent").json()["plans"]] == [first]


def test_the_bundle_says_who_had_access_during_the_period_and_checks_it_offline(api: Api) -> None:
    api.clock.set(dt.datetime(2026, 9, 1, 9, 0, tzinfo=dt.UTC))
    plan_id = api.open_plan()
    before = give(api, plan_id, "professional", expires_on="2026-09-30", reason="Initial assessment")
    api.clock.set(dt.datetime(2026, 10, 5, 9, 0, tzinfo=dt.UTC))
    parent = give(api, plan_id, "parent", reason="Mum")
    handler = give(api, plan_id, "complaint_handler", expires_on="2027-01-31", reason="Stage 2 complaint")
    api.clock.set(dt.datetime(2026, 10, 20, 9, 0, tzinfo=dt.UTC))
    revoke(api, plan_id, parent["grant_id"], reason="Agreed with family")
    api.clock.set(dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC))
    response = api.get(f"/v1/plans/{plan_id}/bundle", "complaint_handler", **{"from": "2026-10-01", "to": "2026-10-31"})
    bundle = response.json()
    shown = {g["grant_id"]: g for g in bundle["access"]}
    assert set(shown) == {parent["grant_id"], handler["grant_id"]}  # the professional's ended before the period
    assert (shown[parent["grant_id"]]["status_at_end"], shown[parent["grant_id"]]["revoked_reason"]) == (
        "revoked", "Agreed with family")
    assert (shown[handler["grant_id"]]["status_at_end"], shown[handler["grant_id"]]["expires_on"]) == (
        "active", "2027-01-31")
    assert shown[handler["grant_id"]]["user"]["name"] == "Chris Panel"
    assert verify_bundle(bundle).ok
    edited = {**bundle, "access": bundle["access"][1:]}
    check = verify_bundle(edited)
    assert not check.ok and "Who was granted access was edited" in " ".join(check.problems)
    removed = {k: v for k, v in bundle.items() if k != "access"}
    assert not verify_bundle(removed).ok, "a grant in the events with no access section is caught"
    september = api.get(f"/v1/plans/{plan_id}/bundle", **{"from": "2026-09-01", "to": "2026-09-30"}).json()
    assert [g["grant_id"] for g in september["access"]] == [before["grant_id"]]
    assert september["access"][0]["status_at_end"] == "active"  # its last day is the period's last
    html = api.get(f"/v1/plans/{plan_id}/bundle", format="html", **{"from": "2026-10-01", "to": "2026-10-31"}).text
    assert "6. Who had access to the plan" in html and "Chris Panel" in html and "Access revoked" in html


def test_a_senco_lists_the_users_granted_on_their_plans_and_cannot_disable_one_granted_elsewhere(api: Api) -> None:
    ours = api.open_plan()
    theirs = assert_written(api.post("/v1/plans", samples.plan_body(setting_urn="654321"), "other_senco"))["plan_id"]
    parent = api.people.parent.user_id

    def listed() -> set[str]:
        response = api.get("/v1/users", limit="1000")
        assert response.status_code == 200, response.text
        return {u["user_id"] for u in response.json()["users"]}

    assert parent not in listed()  # neither created by the SENCO nor granted on their setting's plans
    give(api, ours, "parent")
    assert parent in listed()
    created = api.post("/v1/users", {"name": "Kim Carer", "role": "parent"})
    assert created.status_code == 201, created.text
    kim = created.json()["user_id"]
    given = api.post(f"/v1/plans/{theirs}/grants", {"user_id": kim, "relationship": "parent"}, "other_senco")
    grant_id = assert_written_grant(given, 201)["grant_id"]
    assert_problem(api.post(f"/v1/users/{kim}/disable"), 403)  # Kim holds a grant on another setting's plan
    revoke(api, theirs, grant_id, by="other_senco")
    assert api.post(f"/v1/users/{kim}/disable").status_code == 200
