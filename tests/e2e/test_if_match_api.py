"""If-Match: a write is refused with 412 unless the plan is at exactly the version named (CONTRACT.md §2)."""

from __future__ import annotations

from typing import Any

from tests import samples
from tests.e2e.helpers import Api, assert_problem, assert_written


def _writes(api: Api) -> tuple[str, list[tuple[str, str, dict[str, Any], int]]]:
    ids = api.full_plan()
    plan = f"/v1/plans/{ids['plan']}"
    opened = api.events(ids["plan"])[0]["event_id"]
    return ids["plan"], [
        ("POST", f"{plan}/barriers", samples.barrier(), 201),
        ("PATCH", f"{plan}/provisions/{ids['provision']}", {"sessions_per_week": 4}, 200),
        ("POST", f"{plan}/adjustments/{ids['adjustment']}/end", {"reason": "r"}, 200),
        ("POST", f"{plan}/outcomes/{ids['outcome']}/progress",
         {"measured_on": "2026-11-20", "note": "n", "source": "s"}, 201),
        ("POST", f"{plan}/tier", {"tier": "targeted_plus", "reason": "r"}, 200),
        ("POST", f"{plan}/reviews", samples.review(held_on="2026-11-20"), 201),
        ("POST", f"{plan}/contributions", {"kind": "parent_view", "text": "t"}, 201),
        ("POST", f"{plan}/acknowledgements", {"version": 1, "response": "seen", "given_by": "Pat Parent",
                                              "method": "in_person"}, 201),
        ("POST", f"{plan}/corrections", {"event_id": opened, "reason": "r",
                                          "changes": {"pupil.given_name": "Amarah"}}, 201),
        ("POST", f"{plan}/close", {"reason": "r"}, 200),
    ]


def _send(api: Api, method: str, path: str, body: dict[str, Any], if_match: str) -> Any:
    return api.client.request(method, path, json=body, headers=api.headers("senco", **{"If-Match": if_match}))


def test_a_matching_if_match_succeeds_and_a_stale_one_is_412(api: Api) -> None:
    plan_id, writes = _writes(api)
    version = 5
    for method, path, body, status in writes:
        stale = _send(api, method, path, body, f'"{version - 1}"')
        problem = assert_problem(stale, 412)
        assert problem["current_version"] == version
        assert_problem(_send(api, method, path, body, f'"{version + 1}"'), 412)
        assert api.event_count(plan_id) == version  # nothing recorded
        written = assert_written(_send(api, method, path, body, f'"{version}"'), status,
                                 item=status == 201 and "corrections" not in path)
        version += 1
        assert written["version"] == version
        assert api.get(f"/v1/plans/{plan_id}").headers["etag"] == f'"{version}"'


def test_the_etag_of_a_read_or_a_write_is_a_valid_if_match(api: Api) -> None:
    plan_id = api.open_plan()
    etag = api.get(f"/v1/plans/{plan_id}").headers["etag"]
    written = api.post(f"/v1/plans/{plan_id}/barriers", samples.barrier(), **{"If-Match": etag})
    assert_written(written, item=True)
    assert_written(api.post(f"/v1/plans/{plan_id}/contributions", {"kind": "parent_view", "text": "t"},
                            **{"If-Match": written.headers["etag"]}), item=True)
    assert api.event_count(plan_id) == 3


def test_if_match_star_is_accepted(api: Api) -> None:
    plan_id = api.open_plan()
    api.add_barrier(plan_id)
    written = api.post(f"/v1/plans/{plan_id}/contributions", {"kind": "parent_view", "text": "t"},
                       **{"If-Match": "*"})
    assert assert_written(written, item=True)["version"] == 3


def test_a_malformed_if_match_is_422(api: Api) -> None:
    plan_id = api.open_plan()
    for value in ("abc", '"one"', "1.5", '"1", "2"', '"-1"', "", '"1234567890123"'):
        response = api.post(f"/v1/plans/{plan_id}/contributions", {"kind": "parent_view", "text": "t"},
                            **{"If-Match": value})
        assert_problem(response, 422, field="If-Match")
    assert api.event_count(plan_id) == 1


def test_stale_if_match_is_checked_before_the_body_is_applied(api: Api) -> None:
    plan_id = api.open_plan()
    # A body the rules would refuse: the stale version is what the caller needs to hear about first.
    response = api.post(f"/v1/plans/{plan_id}/tier", {"tier": "targeted", "reason": "r"}, **{"If-Match": '"7"'})
    assert_problem(response, 412)
    assert api.event_count(plan_id) == 1
