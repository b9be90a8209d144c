"""A thin helper over the HTTP API for the end-to-end tests, and assertions on its answers.

It only sends requests and reads answers: every expectation a test makes is about what a client sees.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from zoneinfo import ZoneInfo

import httpx2 as httpx
from fastapi.testclient import TestClient

from tests import samples
from tests.conftest import FakeClock, People

PROBLEM = "application/problem+json"
WRITE_KEYS = {"plan_id", "version", "event_id", "recorded_at"}
GENESIS = "0" * 64
KINDS = ("barriers", "provisions", "adjustments", "outcomes")


def assert_problem(
    response: httpx.Response,
    status: int,
    *,
    field: str | None = None,
    rule: str | None = None,
    detail_contains: str | None = None,
) -> dict[str, Any]:
    """``response`` is an RFC 9457 problem with ``status``; a 422 names ``field``, a 409 names ``rule``."""
    assert response.status_code == status, f"expected {status}, got {response.status_code}: {response.text[:800]}"
    assert response.headers["content-type"].split(";")[0].strip() == PROBLEM, response.headers["content-type"]
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    for key in ("type", "title", "detail"):
        assert isinstance(body[key], str) and body[key].strip(), f"{key} missing in {body}"
    if status == 422:
        errors = body["errors"]
        assert isinstance(errors, list) and errors, body
        for error in errors:
            assert isinstance(error["field"], str) and error["field"], body
            assert isinstance(error["message"], str) and error["message"], body
        if field is not None:
            assert field in [e["field"] for e in errors], f"no error on {field!r}: {errors}"
    elif field is not None:
        raise AssertionError("field is only checked on 422")
    if rule is not None:
        assert body.get("rule") == rule, body
    if detail_contains is not None:
        assert detail_contains.lower() in body["detail"].lower(), body["detail"]
    return body


def assert_written(response: httpx.Response, status: int = 201, *, item: bool = False) -> dict[str, Any]:
    """A successful write: its status, the write body of CONTRACT.md §2, and an ETag naming the new version."""
    assert response.status_code == status, f"expected {status}, got {response.status_code}: {response.text[:800]}"
    assert response.headers["content-type"].split(";")[0] == "application/json"
    body: dict[str, Any] = response.json()
    expected_keys = WRITE_KEYS | ({"item_id"} if item else set())
    assert set(body) == expected_keys, body
    uuid.UUID(body["plan_id"])
    uuid.UUID(body["event_id"])
    if item:
        assert isinstance(body["item_id"], str) and body["item_id"]
    assert isinstance(body["version"], int) and body["version"] >= 1
    recorded_at = dt.datetime.fromisoformat(body["recorded_at"])
    assert recorded_at.utcoffset() is not None, "recorded_at must carry an offset"
    assert response.headers["etag"] == f'"{body["version"]}"'
    return body


def london_date(instant: str) -> str:
    return dt.datetime.fromisoformat(instant).astimezone(ZoneInfo("Europe/London")).date().isoformat()


class Api:
    """Requests as one of ``people`` (``who``), with the usual sample bodies."""

    def __init__(self, client: TestClient, people: People, clock: FakeClock) -> None:
        self.client = client
        self.people = people
        self.clock = clock

    def headers(self, who: str | None = "senco", **extra: str) -> dict[str, str]:
        if who is None:
            return dict(extra)
        return self.people.headers(who, **{k.replace("_", "-"): v for k, v in extra.items()})

    # ------------------------------------------------------------ raw requests

    def post(self, path: str, body: Any = None, who: str | None = "senco", **headers: str) -> httpx.Response:
        return self.client.post(path, json=body, headers=self.headers(who, **headers))

    def patch(self, path: str, body: Any = None, who: str | None = "senco", **headers: str) -> httpx.Response:
        return self.client.patch(path, json=body, headers=self.headers(who, **headers))

    def get(self, path: str, who: str | None = "senco", **params: str) -> httpx.Response:
        return self.client.get(path, params=params or None, headers=self.headers(who))

    def send_raw(self, method: str, path: str, content: bytes, who: str | None = "senco",
                 content_type: str = "application/json", **headers: str) -> httpx.Response:
        return self.client.request(method, path, content=content,
                                   headers=self.headers(who, **{"Content-Type": content_type}, **headers))

    # ------------------------------------------------------------ plans

    def open_plan(self, who: str = "senco", **overrides: Any) -> str:
        response = self.post("/v1/plans", samples.plan_body(**overrides), who)
        return str(assert_written(response, 201)["plan_id"])

    def plan(self, plan_id: str, who: str = "senco", **params: str) -> dict[str, Any]:
        response = self.get(f"/v1/plans/{plan_id}", who, **params)
        assert response.status_code == 200, response.text
        document: dict[str, Any] = response.json()
        return document

    def events(self, plan_id: str, who: str = "admin") -> list[dict[str, Any]]:
        response = self.get(f"/v1/plans/{plan_id}/events", who)
        assert response.status_code == 200, response.text
        events: list[dict[str, Any]] = response.json()["events"]
        return events

    def event_count(self, plan_id: str) -> int:
        return len(self.events(plan_id))

    def verify(self, plan_id: str, who: str = "admin") -> dict[str, Any]:
        response = self.get(f"/v1/plans/{plan_id}/verify", who)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    # ------------------------------------------------------------ sections and facts

    def add(self, plan_id: str, kind: str, body: dict[str, Any], who: str = "senco") -> str:
        response = self.post(f"/v1/plans/{plan_id}/{kind}", body, who)
        return str(assert_written(response, 201, item=True)["item_id"])

    def add_barrier(self, plan_id: str, **overrides: Any) -> str:
        return self.add(plan_id, "barriers", samples.barrier(**overrides))

    def full_plan(self) -> dict[str, str]:
        """A plan with one barrier, provision, adjustment and outcome; their ids by kind (singular)."""
        plan_id = self.open_plan()
        barrier = self.add_barrier(plan_id)
        return {
            "plan": plan_id,
            "barrier": barrier,
            "provision": self.add(plan_id, "provisions", samples.provision([barrier])),
            "adjustment": self.add(plan_id, "adjustments", samples.adjustment([barrier])),
            "outcome": self.add(plan_id, "outcomes", samples.outcome([barrier])),
        }

    @staticmethod
    def item(document: dict[str, Any], kind: str, item_id: str) -> dict[str, Any]:
        matches: list[dict[str, Any]] = [i for i in document[kind] if i["id"] == item_id]
        assert len(matches) == 1, f"{kind} {item_id} not in {document[kind]}"
        return matches[0]
