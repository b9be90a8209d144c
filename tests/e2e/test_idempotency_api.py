"""Idempotency-Key: repeating a write returns the first response and records nothing new (CONTRACT.md §2)."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tests import samples
from tests.e2e.helpers import Api, assert_problem, assert_written


def _key(value: str) -> dict[str, str]:
    return {"Idempotency-Key": value}


def test_the_same_key_and_body_returns_the_first_response(api: Api) -> None:
    plan_id = api.open_plan()
    body = {"kind": "parent_view", "text": "Reading together at home"}
    first = api.post(f"/v1/plans/{plan_id}/contributions", body, **_key("contrib-1"))
    written = assert_written(first, item=True)
    assert "idempotent-replayed" not in first.headers
    api.clock.advance(minutes=5)
    for _ in range(3):
        again = api.post(f"/v1/plans/{plan_id}/contributions", body, **_key("contrib-1"))
        assert again.status_code == 201
        assert again.json() == written
        assert again.headers["idempotent-replayed"] == "true"
        assert again.headers["etag"] == first.headers["etag"]
    assert api.event_count(plan_id) == 2
    assert len(api.plan(plan_id)["contributions"]) == 1


def test_a_replay_keeps_the_first_status_and_version_after_later_writes(api: Api) -> None:
    ids = api.full_plan()
    path = f"/v1/plans/{ids['plan']}/provisions/{ids['provision']}"
    first = assert_written(api.patch(path, {"sessions_per_week": 4}, **_key("amend-1")), 200)
    api.add_barrier(ids["plan"], description="Another barrier")
    again = api.patch(path, {"sessions_per_week": 4}, **_key("amend-1"))
    assert again.status_code == 200
    assert again.json() == first
    assert again.headers["idempotent-replayed"] == "true"
    assert api.event_count(ids["plan"]) == first["version"] + 1


def test_the_same_body_in_another_order_or_spacing_is_the_same_request(api: Api) -> None:
    plan_id = api.open_plan()
    path = f"/v1/plans/{plan_id}/contributions"
    first = api.send_raw("POST", path, b'{"kind": "pupil_voice", "text": "I like maths"}', **_key("k-order"))
    written = assert_written(first, item=True)
    again = api.send_raw("POST", path, b'{\n  "text":"I like maths",\n  "kind":"pupil_voice"\n}', **_key("k-order"))
    assert again.status_code == 201
    assert again.json() == written
    assert api.event_count(plan_id) == 2


def test_the_same_key_with_a_different_body_is_422(api: Api) -> None:
    plan_id = api.open_plan()
    path = f"/v1/plans/{plan_id}/contributions"
    assert_written(api.post(path, {"kind": "parent_view", "text": "one"}, **_key("k1")), item=True)
    assert_problem(api.post(path, {"kind": "parent_view", "text": "two"}, **_key("k1")), 422,
                   field="Idempotency-Key")
    # The same key on another endpoint, or another plan, is a different request too.
    assert_problem(api.post(f"/v1/plans/{plan_id}/barriers", samples.barrier(), **_key("k1")), 422,
                   field="Idempotency-Key")
    other = api.open_plan()
    assert_problem(api.post(f"/v1/plans/{other}/contributions", {"kind": "parent_view", "text": "one"},
                            **_key("k1")), 422, field="Idempotency-Key")
    assert api.event_count(plan_id) == 2
    assert api.event_count(other) == 1


def test_keys_are_per_user(api: Api) -> None:
    plan_id = api.open_plan()
    path = f"/v1/plans/{plan_id}/contributions"
    body = {"kind": "parent_view", "text": "Same words"}
    by_senco = assert_written(api.post(path, body, "senco", **_key("shared-key")), item=True)
    by_admin = api.post(path, body, "admin", **_key("shared-key"))
    assert "idempotent-replayed" not in by_admin.headers
    by_admin_body = assert_written(by_admin, item=True)
    by_teacher = assert_written(api.post(path, body, "teacher", **_key("shared-key")), item=True)
    assert len({by_senco["event_id"], by_admin_body["event_id"], by_teacher["event_id"]}) == 3
    # Another user using the key for a different body is no conflict either.
    assert_written(api.post(path, {"kind": "pupil_voice", "text": "x"}, "admin", **_key("admin-only")), item=True)
    assert_written(api.post(path, {"kind": "pupil_voice", "text": "y"}, "senco", **_key("admin-only")), item=True)
    assert api.event_count(plan_id) == 6
    roles = [e["actor"]["role"] for e in api.events(plan_id)[1:]]
    assert roles == ["senco", "admin", "teacher", "admin", "senco"]


def test_opening_a_plan_is_idempotent(api: Api) -> None:
    body = samples.plan_body()
    first = api.post("/v1/plans", body, **_key("open-1"))
    written = assert_written(first)
    again = api.post("/v1/plans", body, **_key("open-1"))
    assert again.status_code == 201
    assert again.json() == written
    assert again.headers["idempotent-replayed"] == "true"
    assert api.event_count(written["plan_id"]) == 1
    # A different body under the same key is refused; without a key the one-open-plan rule applies.
    assert_problem(api.post("/v1/plans", {**body, "tier": "targeted_plus"}, **_key("open-1")), 422,
                   field="Idempotency-Key")
    assert_problem(api.post("/v1/plans", body), 409, rule="one_open_plan_per_upn")
    assert api.plan(written["plan_id"])["tier"] == "targeted"


def test_a_malformed_key_is_422(api: Api) -> None:
    plan_id = api.open_plan()
    for key in ("", "has space", "x" * 201, "tab\there"):
        response = api.post(f"/v1/plans/{plan_id}/contributions", {"kind": "parent_view", "text": "t"}, **_key(key))
        assert_problem(response, 422, field="Idempotency-Key")
    assert_written(api.post(f"/v1/plans/{plan_id}/contributions", {"kind": "parent_view", "text": "t"},
                            **_key("x" * 200)), item=True)
    assert api.event_count(plan_id) == 2


def test_a_refused_write_does_not_use_up_its_key(api: Api) -> None:
    plan_id = api.open_plan()
    path = f"/v1/plans/{plan_id}/contributions"
    assert_problem(api.post(path, {"kind": "professional_advice", "text": "t"}, **_key("retry-me")), 422,
                   field="profession")
    assert_problem(api.post(path, {"kind": "professional_advice", "text": "t"}, **_key("retry-me")), 422,
                   field="profession")
    assert api.event_count(plan_id) == 1


def test_concurrent_repeats_of_one_request_record_it_once(api: Api) -> None:
    plan_id = api.open_plan()
    body = json.dumps({"kind": "parent_view", "text": "Sent from a flaky connection"}).encode()
    start = threading.Barrier(8)

    def send(_: int) -> Any:
        start.wait(timeout=30)
        return api.send_raw("POST", f"/v1/plans/{plan_id}/contributions", body, **_key("flaky"))

    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(send, range(8)))
    assert [r.status_code for r in responses] == [201] * 8
    assert len({r.json()["event_id"] for r in responses}) == 1
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in responses) == 7
    assert api.event_count(plan_id) == 2
    assert len(api.plan(plan_id)["contributions"]) == 1
