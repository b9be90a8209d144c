"""Errors: problem+json, 401 before anything else, 404 for unknown plans, 422 (never 500) for bad input
(CONTRACT.md §2)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from tests import samples
from tests.e2e.helpers import Api, assert_problem


def _write_paths(ids: dict[str, str]) -> list[tuple[str, str]]:
    """(method, path) of every write on a plan, for the items in ``ids``."""
    plan = f"/v1/plans/{ids['plan']}"
    paths = [("POST", "/v1/plans"), ("POST", f"{plan}/tier"), ("POST", f"{plan}/close"),
             ("POST", f"{plan}/reviews"), ("POST", f"{plan}/contributions"), ("POST", f"{plan}/acknowledgements"),
             ("POST", f"{plan}/corrections"), ("POST", f"{plan}/outcomes/{ids['outcome']}/progress")]
    for kind in ("barriers", "provisions", "adjustments", "outcomes"):
        item = ids[kind[:-1]]
        paths += [("POST", f"{plan}/{kind}"), ("PATCH", f"{plan}/{kind}/{item}"), ("POST", f"{plan}/{kind}/{item}/end")]
    return paths


def _read_paths(plan_id: str) -> list[str]:
    return [f"/v1/plans/{plan_id}", f"/v1/plans/{plan_id}/events", f"/v1/plans/{plan_id}/verify"]


# ----------------------------------------------------------------------------------------------------- 401


def _assert_401(response: Any) -> None:
    assert_problem(response, 401)
    assert response.headers["www-authenticate"].lower().startswith("bearer")


BAD_CREDENTIALS: list[dict[str, str]] = [
    {},
    {"Authorization": "Bearer isp_not-a-real-token"},
    {"Authorization": "Bearer "},
    {"Authorization": "Bearer"},
    {"Authorization": "Basic dXNlcjpwYXNz"},
    {"Authorization": "isp_not-a-real-token"},
]


def test_reads_without_a_valid_token_are_401(api: Api) -> None:
    plan_id = api.open_plan()
    for headers in BAD_CREDENTIALS:
        for path in [*_read_paths(plan_id), *_read_paths(str(uuid.uuid4())), *_read_paths("not-a-plan"), "/v1/me"]:
            _assert_401(api.client.get(path, headers=headers))
        _assert_401(api.client.get(f"/v1/plans/{plan_id}", params={"as_at": "nonsense"}, headers=headers))


def test_writes_without_a_valid_token_are_401_and_record_nothing(api: Api) -> None:
    ids = api.full_plan()
    count = api.event_count(ids["plan"])
    unknown = {k: str(uuid.uuid4()) for k in ids}
    for headers in BAD_CREDENTIALS:
        for method, path in [*_write_paths(ids), *_write_paths(unknown)]:
            # A valid body, an invalid one, and one with an If-Match and Idempotency-Key that would be refused.
            bodies: tuple[object, ...] = ({"kind": "parent_view", "text": "hello"}, {"nonsense": True}, [])
            for body in bodies:
                _assert_401(api.client.request(method, path, json=body, headers=headers))
            _assert_401(api.client.request(method, path, json={}, headers={**headers, "If-Match": "garbage",
                                                                          "Idempotency-Key": "has spaces"}))
    assert api.event_count(ids["plan"]) == count


def test_401_comes_before_an_unparseable_body(api: Api) -> None:
    plan_id = api.open_plan()
    for path in ("/v1/plans", f"/v1/plans/{plan_id}/contributions", f"/v1/plans/{uuid.uuid4()}/contributions"):
        response = api.send_raw("POST", path, b'{"kind": "parent_view", "text": ', who=None)
        _assert_401(response)


def test_401_comes_before_a_body_that_is_not_utf8(api: Api) -> None:
    plan_id = api.open_plan()
    response = api.send_raw("POST", f"/v1/plans/{plan_id}/contributions", b"\xff\xfe{}", who=None)
    _assert_401(response)


# ----------------------------------------------------------------------------------------------------- 404


def test_every_endpoint_answers_404_for_unknown_plans(api: Api) -> None:
    ids = api.full_plan()
    for plan_id in (str(uuid.uuid4()), "not-a-uuid", "123"):
        unknown = {**ids, "plan": plan_id}
        for method, path in _write_paths(unknown)[1:]:
            body = {"reason": "r", "kind": "parent_view", "text": "t"} if path.endswith("contributions") else {}
            response = api.client.request(method, path, json=body, headers=api.headers("admin"))
            # Either the plan is unknown (404) or, for a body that is not even well formed, 422; never a 200.
            assert response.status_code in (404, 422), (path, response.status_code)
        assert_problem(api.post(f"/v1/plans/{plan_id}/contributions", {"kind": "parent_view", "text": "t"}), 404)
        assert_problem(api.post(f"/v1/plans/{plan_id}/close", {"reason": "r"}), 404)
        assert_problem(api.post(f"/v1/plans/{plan_id}/barriers", samples.barrier()), 404)
        assert_problem(api.patch(f"/v1/plans/{plan_id}/barriers/{ids['barrier']}", {"description": "d"}), 404)
        for path in _read_paths(plan_id):
            assert_problem(api.get(path, "admin"), 404)


def test_unknown_routes_and_methods(api: Api) -> None:
    plan_id = api.open_plan()
    assert_problem(api.get(f"/v1/plans/{plan_id}/nothing-here"), 404)
    assert_problem(api.post(f"/v1/plans/{plan_id}/wishes", {}), 404)
    assert_problem(api.client.delete(f"/v1/plans/{plan_id}", headers=api.headers()), 405)
    assert_problem(api.client.put(f"/v1/plans/{plan_id}/barriers", json={}, headers=api.headers()), 405)
    assert api.event_count(plan_id) == 1


# ----------------------------------------------------------------------------------------------------- 422


def test_invalid_json_is_422_naming_the_body(api: Api) -> None:
    plan_id = api.open_plan()
    for raw in (b'{"kind": "parent_view", "text": ', b"{kind: parent_view}", b"{'kind': 'parent_view'}",
                b'{"kind": "parent_view",}', b"not json at all"):
        response = api.send_raw("POST", f"/v1/plans/{plan_id}/contributions", raw)
        body = assert_problem(response, 422)
        assert [e["field"] for e in body["errors"]] == ["body"], body
    assert api.event_count(plan_id) == 1


def test_a_body_that_is_not_utf8_is_422(api: Api) -> None:
    plan_id = api.open_plan()
    for raw in (b"\xff\xfe\x00\x00", b'{"kind": "parent_view", "text": "caf\xe9"}', b"\xc3\x28"):
        response = api.send_raw("POST", f"/v1/plans/{plan_id}/contributions", raw)
        assert_problem(response, 422, field="body")
    assert api.event_count(plan_id) == 1


def test_absurdly_deep_json_is_422(api: Api) -> None:
    plan_id = api.open_plan()
    raw = b'{"kind": "parent_view", "text": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    response = api.send_raw("POST", f"/v1/plans/{plan_id}/contributions", raw)
    assert_problem(response, 422)
    assert api.event_count(plan_id) == 1


def test_bodies_that_are_not_objects_are_422_naming_the_body(api: Api) -> None:
    ids = api.full_plan()
    count = api.event_count(ids["plan"])
    for method, path in _write_paths(ids):
        for body in ([], [samples.barrier()], "text", 42, None, True):
            response = api.client.request(method, path, content=json.dumps(body).encode(),
                                          headers=api.headers(**{"Content-Type": "application/json"}))
            assert_problem(response, 422, field="body")
        # No body at all, and a body that is not JSON.
        assert_problem(api.client.request(method, path, headers=api.headers()), 422, field="body")
        assert_problem(
            api.send_raw(method, path, b"kind=parent_view", content_type="application/x-www-form-urlencoded"),
            422, field="body",
        )
    assert api.event_count(ids["plan"]) == count


def test_unknown_fields_are_refused_by_name(api: Api) -> None:
    ids = api.full_plan()
    plan = f"/v1/plans/{ids['plan']}"
    count = api.event_count(ids["plan"])
    cases: list[tuple[str, str, dict[str, Any]]] = [
        ("POST", "/v1/plans", samples.plan_body()),
        ("POST", f"{plan}/barriers", samples.barrier()),
        ("PATCH", f"{plan}/barriers/{ids['barrier']}", {"description": "new"}),
        ("POST", f"{plan}/provisions", samples.provision([ids["barrier"]])),
        ("PATCH", f"{plan}/provisions/{ids['provision']}", {"group_size": 2}),
        ("POST", f"{plan}/adjustments", samples.adjustment([ids["barrier"]])),
        ("POST", f"{plan}/outcomes", samples.outcome([ids["barrier"]])),
        ("POST", f"{plan}/outcomes/{ids['outcome']}/end", {"reason": "r", "outcome": "achieved"}),
        ("POST", f"{plan}/outcomes/{ids['outcome']}/progress", {"measured_on": "2026-11-20", "note": "n",
                                                                "source": "s"}),
        ("POST", f"{plan}/tier", {"tier": "targeted_plus", "reason": "r"}),
        ("POST", f"{plan}/reviews", samples.review()),
        ("POST", f"{plan}/contributions", {"kind": "parent_view", "text": "t"}),
        ("POST", f"{plan}/acknowledgements", {"version": 1, "response": "seen", "given_by": "Pat Parent",
                                              "method": "phone"}),
        ("POST", f"{plan}/close", {"reason": "r"}),
    ]
    for method, path, body in cases:
        for extra in ("recorded_at", "version_", "item_id", "Reason"):
            if extra in body:
                continue
            response = api.client.request(method, path, json={**body, extra: "x"}, headers=api.headers())
            assert_problem(response, 422, field=extra)
    assert api.event_count(ids["plan"]) == count


def test_client_cannot_set_recorded_at(api: Api) -> None:
    plan_id = api.open_plan()
    response = api.post(f"/v1/plans/{plan_id}/contributions",
                        {"kind": "parent_view", "text": "t", "recorded_at": "2020-01-01T00:00:00+00:00"})
    assert_problem(response, 422, field="recorded_at")


OPTIONAL_FIELDS = {"ehcp_reference", "comment", "value", "profession", "agreed_on", "next_review_due", "ends_on",
                   "evidence_basis", "baseline", "target", "success_criteria"}


def test_malformed_values_never_cause_a_500(api: Api) -> None:
    """Wrong types, nulls, huge strings, huge numbers, in every field of every write: always a 422 naming it."""
    ids = api.full_plan()
    plan = f"/v1/plans/{ids['plan']}"
    provision_event = next(e for e in api.events(ids["plan"]) if e["type"] == "ProvisionAgreed")["event_id"]
    count = api.event_count(ids["plan"])
    # Values that are wrong for every field, whatever its type.
    bad_values: list[Any] = [None, [], {}, [None], {"a": 1}, "x" * 1_000_000, "\x00", 10**40, 1e308]
    templates: list[tuple[str, str, dict[str, Any]]] = [
        ("POST", "/v1/plans", samples.plan_body()),
        ("POST", f"{plan}/barriers", samples.barrier()),
        ("PATCH", f"{plan}/barriers/{ids['barrier']}", {"description": "new", "evidence": "e"}),
        ("POST", f"{plan}/barriers/{ids['barrier']}/end", {"reason": "r", "agreed_on": "2026-11-20"}),
        ("POST", f"{plan}/provisions", samples.provision([ids["barrier"]])),
        ("PATCH", f"{plan}/provisions/{ids['provision']}", {"sessions_per_week": 2, "location": "in_class"}),
        ("POST", f"{plan}/adjustments", samples.adjustment([ids["barrier"]])),
        ("POST", f"{plan}/outcomes", samples.outcome([ids["barrier"]])),
        ("POST", f"{plan}/outcomes/{ids['outcome']}/end", {"reason": "r", "outcome": "achieved"}),
        ("POST", f"{plan}/outcomes/{ids['outcome']}/progress",
         {"measured_on": "2026-11-20", "value": 3, "note": "n", "source": "s"}),
        ("POST", f"{plan}/tier", {"tier": "targeted_plus", "reason": "r"}),
        ("POST", f"{plan}/reviews", samples.review()),
        ("POST", f"{plan}/contributions", {"kind": "professional_advice", "profession": "SALT", "text": "t"}),
        ("POST", f"{plan}/acknowledgements", {"version": 1, "response": "seen", "comment": "c",
                                              "given_by": "Pat Parent", "method": "email"}),
        ("POST", f"{plan}/corrections", {"event_id": provision_event, "reason": "r",
                                          "changes": {"sessions_per_week": 4}}),
        ("POST", f"{plan}/close", {"reason": "r"}),
    ]
    for method, path, template in templates:
        who = "admin" if path == "/v1/plans" else "senco"
        for field in template:
            for value in bad_values:
                if value is None and field in OPTIONAL_FIELDS:
                    continue  # null is a fine value for an optional field
                content = json.dumps({**template, field: value}).encode()
                response = api.client.request(method, path, content=content,
                                              headers=api.headers(who, **{"Content-Type": "application/json"}))
                where = (method, path, field, str(value)[:40])
                assert response.status_code == 422, (*where, response.status_code, response.text[:300])
                problem = assert_problem(response, 422)
                named = [e["field"] for e in problem["errors"]]
                assert any(f == field or f.startswith(field + ".") for f in named), (*where, named)
    # Nested fields: the pupil's, and a review's attendees.
    for pupil_field in ("upn", "given_name", "family_name", "date_of_birth"):
        for value in bad_values:
            body = samples.plan_body()
            body["pupil"][pupil_field] = value
            response = api.post("/v1/plans", body)
            assert_problem(response, 422, field=f"pupil.{pupil_field}")
    for value in bad_values:
        response = api.post(f"{plan}/reviews", samples.review(attendees=[{"role": value, "name": "Pat"}]))
        problem = assert_problem(response, 422)
        assert all(e["field"].startswith("attendees") for e in problem["errors"]), problem
    assert api.event_count(ids["plan"]) == count


def test_lone_surrogates_in_text_are_refused_not_a_500(api: Api) -> None:
    # "\ud800" is well-formed JSON text but no Unicode character; it cannot be stored as UTF-8.
    plan_id = api.open_plan()
    raw = b'{"kind": "parent_view", "text": "caf\\ud800"}'
    response = api.send_raw("POST", f"/v1/plans/{plan_id}/contributions", raw)
    assert_problem(response, 422, field="text")
    assert api.event_count(plan_id) == 1
    assert api.verify(plan_id)["ok"] is True


def test_nan_and_infinity_are_refused(api: Api) -> None:
    ids = api.full_plan()
    plan = f"/v1/plans/{ids['plan']}"
    count = api.event_count(ids["plan"])
    for token in (b"NaN", b"Infinity", b"-Infinity"):
        for path, raw in (
            (f"{plan}/provisions/{ids['provision']}", b'{"sessions_per_week": ' + token + b"}"),
            (f"{plan}/outcomes/{ids['outcome']}/progress",
             b'{"measured_on": "2026-11-20", "note": "n", "source": "s", "value": ' + token + b"}"),
        ):
            method = "PATCH" if "provisions" in path else "POST"
            for headers in ({}, {"Idempotency-Key": f"nan-{token.decode()}-{method}"}):
                response = api.send_raw(method, path, raw, **headers)
                assert_problem(response, 422)
    assert api.event_count(ids["plan"]) == count


def test_validation_errors_list_every_bad_field_at_once(api: Api) -> None:
    ids = api.full_plan()
    body = samples.provision([ids["barrier"]], sessions_per_week=0, minutes_per_session=999, group_size=0)
    problem = assert_problem(api.post(f"/v1/plans/{ids['plan']}/provisions", body), 422)
    assert {"sessions_per_week", "minutes_per_session", "group_size"} <= {e["field"] for e in problem["errors"]}
    for field in ("sessions_per_week", "minutes_per_session", "group_size"):
        assert field in problem["detail"]
