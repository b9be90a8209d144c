"""Driving the plan forms without a browser: a signed-in TestClient per person (a session made as signing in
makes one), the form's CSRF token read from the page, and a plan to write to, made through the ledger's commands.
"""

from __future__ import annotations

import re
import secrets
from typing import Any
from uuid import UUID

import httpx2 as httpx
from fastapi.testclient import TestClient

from isp_ledger.application import Ledger
from isp_ledger.application.signin import token_digest
from isp_ledger.web.deps import SESSION_COOKIE
from tests import samples
from tests.conftest import People

_TOKEN = re.compile(r'name="csrftoken" value="([^"]+)"')
_VERSION = re.compile(r'name="version" value="(\d+)"')
ROLES = ("admin", "senco", "teacher", "other_senco", "parent", "parent_without_grant", "professional",
         "complaint_handler", "signed_out")


class Pages:
    """``pages.get("senco", path)``; ``pages.post("senco", path, {...})`` sends the form with its CSRF token and,
    unless given, the plan version the form showed."""

    def __init__(self, app: Any, ledger: Ledger, people: People) -> None:
        self.app, self.ledger, self.people = app, ledger, people
        self.clients: dict[str, TestClient] = {}

    def client(self, who: str) -> TestClient:
        if who not in self.clients:
            client = TestClient(self.app, base_url="http://localhost", raise_server_exceptions=False,
                                follow_redirects=False)
            if who != "signed_out":
                token = secrets.token_urlsafe(32)
                user_id = self.people.users[who].user_id
                self.ledger.sign_in.store.add_session(token_digest(token), user_id, self.ledger.clock.now())
                client.cookies.set(SESSION_COOKIE, token)
            self.clients[who] = client
        return self.clients[who]

    def get(self, who: str, path: str) -> httpx.Response:
        return self.client(who).get(path)

    def post(self, who: str, path: str, data: dict[str, Any], *, form_path: str | None = None) -> httpx.Response:
        """POST ``data`` as the form at ``form_path`` (``path`` by default) would send it."""
        page = self.get(who, form_path or path if who != "signed_out" else "/sign-in")
        match = _TOKEN.search(page.text)
        assert match, f"no CSRF token on {form_path or path} ({page.status_code})"
        fields: dict[str, Any] = {"csrftoken": match.group(1), **data}
        if "version" not in data and (version := _VERSION.search(page.text)):
            fields["version"] = version.group(1)
        return self.client(who).post(path, data=fields)


def open_plan(ledger: Ledger, people: People, **overrides: Any) -> str:
    body = samples.plan_body(**overrides)
    result = ledger.commands.open_plan(people.senco, pupil=body["pupil"], setting_urn=body["setting_urn"],
                                       tier=body["tier"], agreed_on="2026-09-01")
    return str(result.body["plan_id"])


def add_barrier(ledger: Ledger, people: People, plan_id: str, **overrides: Any) -> str:
    result = ledger.commands.add_item(people.senco, UUID(plan_id), "barriers", samples.barrier(**overrides),
                                      agreed_on="2026-09-02")
    return str(result.body["item_id"])


def grant(ledger: Ledger, people: People, plan_id: str, who: str) -> None:
    user = people.users[who]
    ledger.grants.grant(people.senco, UUID(plan_id), user_id=user.user_id, relationship=user.role,
                        expires_on="2027-03-31" if user.role == "complaint_handler" else None)


def date_fields(name: str, iso: str) -> dict[str, str]:
    year, month, day = iso.split("-")
    return {f"{name}-day": str(int(day)), f"{name}-month": str(int(month)), f"{name}-year": year}
