"""Helpers of the read pages' fast tests (no browser): a TestClient signed in as one of ``people``, and a plan with
something in every section.

Signing in by code is the browser tests' business (``tests/browser``); here a session is opened the way
``SignIn.check_code`` opens one, so each of the many cases costs one request.
"""

from __future__ import annotations

import secrets
from typing import Any

import httpx2 as httpx
from fastapi.testclient import TestClient

from isp_ledger.application import Ledger
from isp_ledger.application.signin import token_digest
from isp_ledger.web.deps import SESSION_COOKIE
from tests import samples
from tests.conftest import People
from tests.e2e.helpers import Api


def page_as(client: TestClient, ledger: Ledger, people: People, who: str | None, path: str,
            **params: str) -> httpx.Response:
    """GET a page as ``who`` (a key of ``people``; ``None``: signed out), without following redirects."""
    client.cookies.clear()
    if who is not None:
        token = secrets.token_urlsafe(32)
        ledger.sign_in.store.add_session(token_digest(token), people.users[who].user_id, ledger.clock.now())
        client.cookies.set(SESSION_COOKIE, token)
    return client.get(path, params=params or None, follow_redirects=False)


def rich_plan(api: Api) -> dict[str, Any]:
    """A plan with a need, a provision, an adjustment, an outcome with progress, a review, a parent's view and a
    response, shared with the parent, the professional and the complaint handler."""
    ids = api.full_plan()
    plan_id = ids["plan"]
    for key, relationship in (("parent", "parent"), ("professional", "professional"),
                              ("complaint_handler", "complaint_handler")):
        body: dict[str, Any] = {"user_id": api.people.users[key].user_id, "relationship": relationship}
        if relationship == "complaint_handler":
            body["expires_on"] = "2027-06-30"
        response = api.post(f"/v1/plans/{plan_id}/grants", body)
        assert response.status_code == 201, response.text
    version = api.plan(plan_id)["version"]
    for path, body, who in (
        (f"outcomes/{ids['outcome']}/progress",
         {"measured_on": "2026-11-20", "value": 12, "note": "12 of 20 words", "source": "phonics check"}, "senco"),
        ("reviews", samples.review(held_on="2026-11-20"), "senco"),
        ("contributions", {"kind": "parent_view", "text": "Reads with us every night."}, "parent"),
        ("acknowledgements", {"version": version, "response": "agree"}, "parent"),
    ):
        response = api.post(f"/v1/plans/{plan_id}/{path}", body, who)
        assert response.status_code == 201, response.text
    return ids
