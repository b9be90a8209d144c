"""Hardening found by probing the service (issue 12, item 7), over HTTP on both stores: what a refusal reveals,
request bodies, failed authentications, security headers, what /healthz tells whom, and writes to a damaged
record."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from isp_ledger.api.app import create_app
from isp_ledger.api.middleware import DOCS_CSP, HTML_CSP, STRICT_CSP
from isp_ledger.bootstrap import build_ledger
from isp_ledger.web.templating import PAGE_CSP
from tests import samples
from tests.conftest import OTHER_SETTING, FakeClock, People
from tests.e2e.helpers import Api, assert_problem
from tests.integration.rawstore import RawStore

PYTHON_ERROR = re.compile(r"\b[A-Z][A-Za-z]*(Error|Exception)\b|Traceback|Expecting value|line \d+ column")


@contextmanager
def service(env: dict[str, str], clock: FakeClock, **settings: str) -> Iterator[TestClient]:
    """Another process of the service on the test's store, with its own settings."""
    ledger = build_ledger({**env, **settings}, clock=clock)
    with TestClient(create_app(ledger, close_ledger=True), raise_server_exceptions=False) as client:
        yield client


# ------------------------------------------------------------------------------------------ one open plan per UPN


def test_the_one_open_plan_refusal_names_the_plan_only_to_those_who_may_see_it(api: Api) -> None:
    body = samples.plan_body()
    plan_id = api.open_plan(pupil=body["pupil"])
    for who in ("senco", "admin"):  # may see it: told which plan, to amend it
        refused = assert_problem(api.post("/v1/plans", body, who), 409, rule="one_open_plan_per_upn")
        assert plan_id in refused["detail"]
    elsewhere = assert_problem(api.post("/v1/plans", {**body, "setting_urn": OTHER_SETTING}, "other_senco"), 409,
                               rule="one_open_plan_per_upn")
    assert plan_id not in elsewhere.__repr__(), "neither in the detail nor anywhere else in the answer"
    assert "123456" not in elsewhere["detail"], "nor which setting holds it"
    assert "elsewhere" in elsewhere["detail"] and "transfer" in elsewhere["detail"]
    assert body["pupil"]["upn"] in elsewhere["detail"]


# ------------------------------------------------------------------------------------------ request bodies


def test_a_body_over_the_limit_is_refused_413_before_anything_else(
    env: dict[str, str], clock: FakeClock, people: People
) -> None:
    with service(env, clock, ISP_LEDGER_MAX_BODY_BYTES="4096") as client:
        large = b'{"kind": "parent_view", "text": "' + b"x" * 5000 + b'"}'
        for headers in ({}, people.headers("senco"), {"Authorization": "Bearer isp_garbage"}):
            response = client.post("/v1/plans", content=large, headers={**headers, "content-type": "application/json"})
            assert_problem(response, 413, detail_contains="ISP_LEDGER_MAX_BODY_BYTES")

        def chunks() -> Iterator[bytes]:  # no Content-Length: sent in chunks
            yield large[:3000]
            yield large[3000:]

        response = client.post("/v1/plans", content=chunks(), headers=people.headers("senco"))
        assert_problem(response, 413)
        within = client.post("/v1/plans", json=samples.plan_body(), headers=people.headers("senco"))
        assert within.status_code == 201, within.text


def test_the_default_limit_leaves_room_for_large_bodies(client: TestClient, people: People) -> None:
    session = {"entries": [{"plan_id": str(UUID(int=n)), "provision_id": "p"} for n in range(200)],
               "date": "2026-11-18", "status": "delivered"}
    response = client.post("/v1/deliveries", json=session, headers=people.headers("senco"))
    assert response.status_code != 413, "a large group's session is well within the limit"


# ------------------------------------------------------------------------------------------ failed authentication


def test_failed_authentication_is_limited_per_client_and_a_good_token_is_never_held_up(
    env: dict[str, str], clock: FakeClock, people: People
) -> None:
    default = {k: v for k, v in env.items() if k != "ISP_LEDGER_AUTH_FAILURES_PER_MINUTE"}
    ledger = build_ledger(default, clock=clock)
    app = create_app(ledger, close_ledger=True)
    with TestClient(app, raise_server_exceptions=False) as client, \
            TestClient(app, raise_server_exceptions=False, client=("192.0.2.7", 4000)) as neighbour:
        started = time.monotonic()
        statuses = [client.get("/v1/me", headers={"Authorization": f"Bearer isp_guess{n}"}).status_code
                    for n in range(25)]
        assert statuses == [401] * 20 + [429] * 5, "20 a minute by default"
        refused = client.get("/v1/plans", headers={"Authorization": "Bearer isp_another"})
        assert_problem(refused, 429)
        assert 1 <= int(refused.headers["Retry-After"]) <= 3
        assert time.monotonic() - started < 10
        assert client.get("/v1/me", headers=people.headers("teacher")).status_code == 200
        assert client.get("/healthz").status_code == 200
        assert_problem(client.get("/v1/me"), 401)  # no token: no guess, answered as ever
        assert_problem(neighbour.get("/v1/me", headers={"Authorization": "Bearer isp_guess"}), 401)


# ------------------------------------------------------------------------------------------ headers


def assert_secured(response: Any, policy: str = STRICT_CSP) -> None:
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff", response.request.url
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-store"
    assert headers["Content-Security-Policy"] == policy, response.request.url
    assert "server" not in headers


def test_every_response_carries_the_security_headers(api: Api) -> None:
    plan_id = api.open_plan()
    for response in (
        api.get(f"/v1/plans/{plan_id}"),
        api.get(f"/v1/plans/{plan_id}/events"),
        api.get(f"/v1/plans/{plan_id}/bundle", format="pdf"),
        api.get("/v1/plans", None),
        api.get(f"/v1/plans/{UUID(int=1)}"),
        api.post(f"/v1/plans/{plan_id}/contributions", {"kind": "nonsense"}),
        api.client.get("/healthz"),
        api.client.get("/openapi.json"),
        api.client.get("/metrics"),
        api.client.get("/v1/no-such-thing"),
    ):
        assert_secured(response)
    assert_secured(api.client.get("/no-such-page"), PAGE_CSP)  # a web page's "Page not found" (tests/web)
    assert_secured(api.get(f"/v1/plans/{plan_id}/bundle", format="html"), HTML_CSP)
    assert_secured(api.client.get("/docs"), DOCS_CSP)


# ------------------------------------------------------------------------------------------ /healthz


def test_healthz_without_a_token_says_only_whether_the_service_is_up(api: Api) -> None:
    api.open_plan()
    response = api.client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert_problem(api.client.get("/healthz", headers={"Authorization": "Bearer isp_garbage"}), 401)
    for who in ("senco", "teacher", "parent"):
        assert_problem(api.client.get("/healthz", headers=api.headers(who)), 403)
    detail = api.client.get("/healthz", headers=api.headers("admin")).json()
    assert {"status", "store", "version", "projections", "projector"} <= set(detail)
    assert "damaged_plans" in detail["projector"]


def test_damaged_plans_are_named_to_administrators_only(
    env: dict[str, str], clock: FakeClock, people: People, store_url: str
) -> None:
    detached = build_ledger({**env, "ISP_LEDGER_PROJECTIONS": "external"}, clock=clock)
    try:
        plan_id = UUID(detached.commands.open_plan(people.senco, **samples.plan_body()).body["plan_id"])
        detached.commands.record_contribution(people.senco, plan_id, {"kind": "parent_view", "text": "Fine"})
        detached.store.number_pending()
    finally:
        detached.close()
    _damage(RawStore(store_url), plan_id, 2)
    with service(env, clock) as client:
        admin: dict[str, Any] = {}
        for _ in range(200):
            admin = client.get("/healthz", headers=people.headers("admin")).json()
            if admin["projector"]["damaged_plans"]:
                break
            time.sleep(0.05)
        assert str(plan_id) in admin["projector"]["damaged_plans"]
        public = client.get("/healthz")
        assert public.json() == {"status": "ok"} and str(plan_id) not in public.text


# ------------------------------------------------------------------------------------------ a damaged record


def _damage(raw: RawStore, plan_id: UUID, version: int) -> None:
    state = raw.states(plan_id)[version]
    at = state.index(b'"data":') + len(b'"data":')
    raw.set_state(plan_id, version, state[:at] + b"z" + state[at + 1:])  # no longer JSON


@pytest.mark.parametrize("what", ["write", "read"])
def test_a_damaged_record_is_refused_naming_verify_and_no_python_error(
    what: str, api: Api, env: dict[str, str], clock: FakeClock, store_url: str
) -> None:
    ids = api.full_plan()
    _damage(RawStore(store_url), UUID(ids["plan"]), 3)
    with service(env, clock, ISP_LEDGER_PROJECTIONS="external") as cold:  # a process that never held the plan
        if what == "write":
            response = cold.post(f"/v1/plans/{ids['plan']}/contributions", json={"kind": "parent_view", "text": "Hi"},
                                 headers=api.headers())
        else:
            response = cold.get(f"/v1/plans/{ids['plan']}", params={"as_of": "2026-11-20"}, headers=api.headers())
    body = assert_problem(response, 409, rule="record_intact")
    assert "verify" in body["detail"] and f"/v1/plans/{ids['plan']}/verify" in body["detail"]
    assert not PYTHON_ERROR.search(response.text), body["detail"]
