"""GET /v1/plans/{plan_id}/diff (CONTRACT.md §6): what changed between two instants or two versions, section by
section, field by field — as a parent comparing "the plan we agreed in September" with "the plan now" sees it."""

from __future__ import annotations

import uuid
from typing import Any

from tests import samples
from tests.e2e.helpers import Api, assert_problem, assert_written


def diff(api: Api, plan_id: str, who: str = "senco", **params: str) -> dict[str, Any]:
    response = api.get(f"/v1/plans/{plan_id}/diff", who, **params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_between_two_versions_an_amendment_shows_each_field_before_and_after(api: Api) -> None:
    ids = api.full_plan()
    before = api.plan(ids["plan"])["version"]
    assert_written(api.patch(f"/v1/plans/{ids['plan']}/provisions/{ids['provision']}",
                             {"sessions_per_week": 2, "minutes_per_session": 40, "reason": "Timetable change"}), 200)
    body = diff(api, ids["plan"], **{"from": str(before), "to": str(before + 1)})

    assert body["from"]["version"] == before and body["to"]["version"] == before + 1
    assert body["changed"] is True
    provisions = body["changes"]["provisions"]
    assert provisions["added"] == [] and provisions["ended"] == []
    assert provisions["amended"] == [{
        "id": ids["provision"],
        "description": "Small-group phonics with a trained TA",
        "changes": {"minutes_per_session": {"before": 30, "after": 40},
                    "sessions_per_week": {"before": 3, "after": 2}},
    }]
    for section in ("barriers", "adjustments", "outcomes"):
        assert body["changes"][section] == {"added": [], "amended": [], "ended": []}
    assert body["changes"]["plan"] == {}


def test_between_two_instants_items_added_and_ended_and_plan_changes(api: Api) -> None:
    ids = api.full_plan()
    start = api.plan(ids["plan"])["recorded_at"]
    api.clock.advance(days=1)
    new_barrier = api.add_barrier(ids["plan"], description="Anxious at unstructured times", area_of_need="semh",
                                  need_type="SEMH", evidence="Observation at lunchtime")
    assert_written(api.post(f"/v1/plans/{ids['plan']}/adjustments/{ids['adjustment']}/end",
                            {"reason": "No longer needed: seated by choice"}), 200)
    assert_written(api.post(f"/v1/plans/{ids['plan']}/tier",
                            {"tier": "targeted_plus", "reason": "Speech and language therapist involved"}), 200)
    assert_written(api.post(f"/v1/plans/{ids['plan']}/contributions",
                            {"kind": "parent_view", "text": "Calmer at home"}), 201, item=True)
    end = api.plan(ids["plan"])["recorded_at"]

    changes = diff(api, ids["plan"], **{"from": start, "to": end})["changes"]
    assert [item["id"] for item in changes["barriers"]["added"]] == [new_barrier]
    assert changes["barriers"]["added"][0]["need_type"] == "SEMH"
    assert changes["adjustments"]["ended"] == [{
        "id": ids["adjustment"], "description": "Seated near the front, away from the door", "status": "withdrawn",
        "ended_on": changes["adjustments"]["ended"][0]["ended_on"], "reason": "No longer needed: seated by choice",
    }]
    assert changes["plan"]["tier"] == {"before": "targeted", "after": "targeted_plus"}
    assert [c["text"] for c in changes["contributions"]["added"]] == ["Calmer at home"]
    # Nothing recorded before `from` is reported again.
    assert changes["provisions"] == {"added": [], "amended": [], "ended": []}


def test_without_bounds_everything_is_new_and_a_point_to_itself_changes_nothing(api: Api) -> None:
    ids = api.full_plan()
    whole = diff(api, ids["plan"])
    assert whole["from"] == {"version": 0, "recorded_at": None}
    assert whole["to"]["version"] == 5
    assert [i["id"] for i in whole["changes"]["barriers"]["added"]] == [ids["barrier"]]
    assert whole["changes"]["plan"]["status"] == {"before": None, "after": "open"}
    assert whole["changes"]["plan"]["pupil.given_name"] == {"before": None, "after": "Amara"}

    same = diff(api, ids["plan"], **{"from": "3", "to": "3"})
    assert same["changed"] is False


def test_a_correction_in_between_shows_as_the_value_the_record_gave(api: Api) -> None:
    ids = api.full_plan()
    events = api.events(ids["plan"])
    provision_event = next(e for e in events if e["type"] == "ProvisionAgreed")
    before = len(events)
    assert_written(api.post(f"/v1/plans/{ids['plan']}/corrections", {
        "event_id": provision_event["event_id"], "reason": "Typed 3, the meeting agreed 4",
        "changes": {"sessions_per_week": 4},
    }), 201)
    changes = diff(api, ids["plan"], **{"from": str(before)})["changes"]
    assert changes["provisions"]["amended"][0]["changes"] == {"sessions_per_week": {"before": 3, "after": 4}}


def test_a_review_and_progress_recorded_in_between(api: Api) -> None:
    ids = api.full_plan()
    before = str(api.plan(ids["plan"])["version"])
    assert_written(api.post(f"/v1/plans/{ids['plan']}/reviews", samples.review(held_on="2026-11-20")), 201, item=True)
    assert_written(api.post(f"/v1/plans/{ids['plan']}/outcomes/{ids['outcome']}/progress",
                            {"measured_on": "2026-11-20", "value": 12, "note": "12/20 in the check",
                             "source": "termly check"}), 201, item=True)
    changes = diff(api, ids["plan"], **{"from": before})["changes"]
    assert [r["summary"] for r in changes["reviews"]["added"]] == [samples.review()["summary"]]
    assert changes["plan"]["next_review_due"]["after"] == "2027-03-19"
    assert [p["note"] for p in changes["progress"]["added"]] == ["12/20 in the check"]


def test_bad_points_are_422_naming_the_parameter(api: Api) -> None:
    ids = api.full_plan()
    path = f"/v1/plans/{ids['plan']}/diff"
    assert_problem(api.get(path, **{"from": "yesterday"}), 422, field="from")
    assert_problem(api.get(path, to="2026-11-20T10:00:00"), 422, field="to")  # no offset
    assert_problem(api.get(path, to="99"), 422, field="to")
    assert_problem(api.get(path, **{"from": "4", "to": "2"}), 422, field="from")
    assert_problem(api.get(path, to="2020-01-01T00:00:00+00:00"), 422, field="to")  # before the plan existed


def test_a_plan_one_may_not_see_is_404(api: Api) -> None:
    ids = api.full_plan()
    assert_problem(api.get(f"/v1/plans/{ids['plan']}/diff", "other_senco"), 404)
    assert_problem(api.get(f"/v1/plans/{ids['plan']}/diff", "parent"), 404)
    assert_problem(api.get(f"/v1/plans/{uuid.uuid4()}/diff"), 404)
    assert diff(api, ids["plan"], "teacher")["changed"] is True
