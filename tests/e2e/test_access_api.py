"""Who may see and do what (CONTRACT.md §10): 403 for a role not allowed, 404 for a plan one may not see."""

from __future__ import annotations

import uuid
from typing import Any

from tests import samples
from tests.e2e.helpers import Api, assert_problem, assert_written

OUTSIDERS = ("other_senco", "other_teacher", "parent", "professional", "complaint_handler")


def _writes(ids: dict[str, str]) -> list[tuple[str, str, dict[str, Any]]]:
    """Every write on the plan ``ids`` names, with a body that would be accepted from a SENCO."""
    plan = f"/v1/plans/{ids['plan']}"
    return [
        ("POST", f"{plan}/barriers", samples.barrier()),
        ("PATCH", f"{plan}/barriers/{ids['barrier']}", {"evidence": "New assessment"}),
        ("POST", f"{plan}/provisions", samples.provision([ids["barrier"]])),
        ("PATCH", f"{plan}/provisions/{ids['provision']}", {"sessions_per_week": 5}),
        ("POST", f"{plan}/provisions/{ids['provision']}/end", {"reason": "Completed"}),
        ("POST", f"{plan}/adjustments", samples.adjustment([ids["barrier"]])),
        ("PATCH", f"{plan}/adjustments/{ids['adjustment']}", {"category": "other"}),
        ("POST", f"{plan}/adjustments/{ids['adjustment']}/end", {"reason": "Not needed"}),
        ("POST", f"{plan}/outcomes", samples.outcome([ids["barrier"]])),
        ("PATCH", f"{plan}/outcomes/{ids['outcome']}", {"target": "19/20"}),
        ("POST", f"{plan}/outcomes/{ids['outcome']}/end", {"reason": "Met", "outcome": "achieved"}),
        ("POST", f"{plan}/barriers/{ids['barrier']}/end", {"reason": "Resolved"}),
        ("POST", f"{plan}/tier", {"tier": "targeted_plus", "reason": "r"}),
        ("POST", f"{plan}/reviews", samples.review(held_on="2026-11-20")),
        ("POST", f"{plan}/acknowledgements", {"version": 1, "response": "agree", "given_by": "Pat Parent",
                                              "method": "signed_form"}),
        ("POST", f"{plan}/corrections", {"event_id": ids["opened_event"], "reason": "Typo",
                                          "changes": {"pupil.given_name": "Amarah"}}),
        ("POST", f"{plan}/close", {"reason": "Left"}),
    ]


def _plan(api: Api) -> dict[str, str]:
    ids = api.full_plan()
    ids["opened_event"] = api.events(ids["plan"])[0]["event_id"]
    return ids


def test_a_teacher_may_read_the_plans_of_their_setting(api: Api) -> None:
    ids = _plan(api)
    document = api.plan(ids["plan"], "teacher")
    assert document == api.plan(ids["plan"], "senco")
    assert api.plan(ids["plan"], "teacher", as_of="2026-11-20")["plan_id"] == ids["plan"]
    assert len(api.events(ids["plan"], "teacher")) == 5
    assert api.verify(ids["plan"], "teacher")["ok"] is True


def test_a_teacher_may_record_progress_and_contributions(api: Api) -> None:
    ids = _plan(api)
    plan = f"/v1/plans/{ids['plan']}"
    progress = assert_written(api.post(f"{plan}/outcomes/{ids['outcome']}/progress",
                                       {"measured_on": "2026-11-20", "note": "Good week", "source": "class teacher"},
                                       "teacher"), 201, item=True)
    contribution = assert_written(api.post(f"{plan}/contributions", {"kind": "pupil_voice", "text": "I like it"},
                                           "teacher"), 201, item=True)
    document = api.plan(ids["plan"])
    assert [p["id"] for p in api.item(document, "outcomes", ids["outcome"])["progress"]] == [progress["item_id"]]
    assert [c["id"] for c in document["contributions"]] == [contribution["item_id"]]
    *_, progress_event, contribution_event = api.events(ids["plan"])
    teacher = api.people.teacher
    for event in (progress_event, contribution_event):
        assert event["actor"] == {"user_id": teacher.user_id, "name": "Tess Teacher", "role": "teacher"}


def test_a_teacher_may_not_change_the_plan(api: Api) -> None:
    ids = _plan(api)
    count = api.event_count(ids["plan"])
    before = api.plan(ids["plan"])
    for method, path, body in _writes(ids):
        response = api.client.request(method, path, json=body, headers=api.headers("teacher"))
        assert_problem(response, 403)
    assert api.event_count(ids["plan"]) == count
    assert api.plan(ids["plan"]) == before


def test_a_teacher_changing_a_provision_is_403(api: Api) -> None:
    ids = _plan(api)
    response = api.patch(f"/v1/plans/{ids['plan']}/provisions/{ids['provision']}", {"sessions_per_week": 5}, "teacher")
    body = assert_problem(response, 403)
    assert "teacher" in body["detail"].lower()
    assert api.item(api.plan(ids["plan"]), "provisions", ids["provision"])["sessions_per_week"] == 3


def test_only_a_senco_of_the_setting_or_an_admin_opens_plans(api: Api) -> None:
    body = samples.plan_body()
    for who in ("teacher", "other_teacher", "parent", "professional", "complaint_handler", "other_senco"):
        assert_problem(api.post("/v1/plans", body, who), 403)
    # The SENCO of another setting may open plans for their own setting, not for this one.
    assert_problem(api.post("/v1/plans", samples.plan_body(setting_urn="654321"), "senco"), 403)
    # Nothing was recorded: the UPN is still free.
    plan_id = assert_written(api.post("/v1/plans", body, "senco"))["plan_id"]
    assert api.plan(plan_id)["setting_urn"] == "123456"
    other = assert_written(api.post("/v1/plans", samples.plan_body(setting_urn="654321"), "other_senco"))["plan_id"]
    assert api.plan(other, "other_senco")["setting_urn"] == "654321"


def test_plans_one_may_not_see_are_404_not_403(api: Api) -> None:
    ids = _plan(api)
    plan = f"/v1/plans/{ids['plan']}"
    count = api.event_count(ids["plan"])
    for who in OUTSIDERS:
        for path in (plan, f"{plan}/events", f"{plan}/verify"):
            assert_problem(api.get(path, who), 404)
        assert_problem(api.get(plan, who, as_of="2026-11-20"), 404)
        assert_problem(api.get(plan, who, as_at="2026-11-21T00:00:00+00:00"), 404)
        for method, path, write in _writes(ids):
            assert_problem(api.client.request(method, path, json=write, headers=api.headers(who)), 404)
        assert_problem(api.post(f"{plan}/contributions", {"kind": "parent_view", "text": "t"}, who), 404)
        assert_problem(api.post(f"{plan}/outcomes/{ids['outcome']}/progress",
                                {"measured_on": "2026-11-20", "note": "n", "source": "s"}, who), 404)
    assert api.event_count(ids["plan"]) == count


def test_a_plan_of_another_setting_reads_exactly_like_an_unknown_plan(api: Api) -> None:
    plan_id = api.open_plan()
    unknown = str(uuid.uuid4())
    for who in OUTSIDERS:
        hidden = api.get(f"/v1/plans/{plan_id}", who)
        missing = api.get(f"/v1/plans/{unknown}", who)
        assert hidden.status_code == missing.status_code == 404
        hidden_body, missing_body = hidden.json(), missing.json()
        assert hidden_body["detail"].replace(plan_id, "ID") == missing_body["detail"].replace(unknown, "ID")
        assert {k: v for k, v in hidden_body.items() if k != "detail"} == {
            k: v for k, v in missing_body.items() if k != "detail"}


def test_an_admin_sees_and_does_everything(api: Api) -> None:
    ours = api.open_plan()
    theirs = assert_written(api.post("/v1/plans", samples.plan_body(setting_urn="654321"), "other_senco"))["plan_id"]
    for plan_id in (ours, theirs):
        assert api.plan(plan_id, "admin")["plan_id"] == plan_id
        assert len(api.events(plan_id, "admin")) == 1
        assert api.verify(plan_id, "admin")["ok"] is True
    # An admin opens plans for any setting, and makes every kind of write.
    admins = assert_written(api.post("/v1/plans", samples.plan_body(setting_urn="999999"), "admin"))["plan_id"]
    assert api.plan(admins, "admin")["setting_urn"] == "999999"
    barrier = assert_written(api.post(f"/v1/plans/{theirs}/barriers", samples.barrier(), "admin"), item=True)
    assert_written(api.patch(f"/v1/plans/{theirs}/barriers/{barrier['item_id']}", {"evidence": "Updated"}, "admin"),
                   200)
    assert_written(api.post(f"/v1/plans/{theirs}/tier", {"tier": "targeted_plus", "reason": "r"}, "admin"), 200)
    opened = api.events(theirs)[0]["event_id"]
    assert_written(api.post(f"/v1/plans/{theirs}/corrections", {
        "event_id": opened, "reason": "Typo", "changes": {"pupil.given_name": "Amarah"}}, "admin"))
    assert_written(api.post(f"/v1/plans/{theirs}/close", {"reason": "Left"}, "admin"), 200)
    document = api.plan(theirs, "other_senco")
    assert (document["status"], document["tier"], document["pupil"]["given_name"]) == (
        "closed", "targeted_plus", "Amarah")
    actors = {e["actor"]["role"] for e in api.events(theirs)[1:]}
    assert actors == {"admin"}


def test_the_senco_of_the_setting_makes_every_write(api: Api) -> None:
    ids = _plan(api)
    for method, path, body in _writes(ids):
        response = api.client.request(method, path, json=body, headers=api.headers("senco"))
        assert response.status_code in (200, 201), (path, response.text)
    assert api.plan(ids["plan"])["status"] == "closed"
    assert api.verify(ids["plan"])["ok"] is True
