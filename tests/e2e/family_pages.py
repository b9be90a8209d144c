"""The family pages' TestClient helpers: a signed-in person's browser without the browser, and a plan shared with a
parent, a professional and a complaint handler (and once with parents whose access ended).

A session is made as signing in by code makes one (``SignIn.check_code`` stores it); the sign-in forms themselves
are the browser tests' (``tests/browser``). Forms are sent with the CSRF token of the page, as a browser sends them.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from uuid import UUID

import httpx2 as httpx
from fastapi.testclient import TestClient

from isp_ledger.access import User
from isp_ledger.api.app import create_app
from isp_ledger.application import Ledger
from isp_ledger.application.signin import token_digest
from isp_ledger.web.deps import SESSION_COOKIE
from tests import samples
from tests.conftest import SETTING, FakeClock, People

TOKEN = re.compile(r'name="csrftoken" value="([^"]+)"')
PUPIL = {"given_name": "Amara", "family_name": "Okafor"}
PUPIL_NAME = "Amara Okafor"


class Browser:
    """One person's visits to the pages (cookies kept between requests; redirects not followed)."""

    def __init__(self, ledger: Ledger, user: User | None) -> None:
        # localhost: the cookies are Secure elsewhere, and would not be sent back over http://testserver.
        self.client = TestClient(create_app(ledger, close_ledger=False), base_url="http://localhost",
                                 raise_server_exceptions=False, follow_redirects=False)
        if user is not None:
            token = secrets.token_urlsafe(32)
            ledger.sign_in.store.add_session(token_digest(token), user.user_id, ledger.clock.now())
            self.client.cookies.set(SESSION_COOKIE, token)

    def get(self, url: str) -> httpx.Response:
        return self.client.get(url)

    def post(self, url: str, data: dict[str, str], *, token_from: str = "/") -> httpx.Response:
        """Send a form, with the CSRF token of the page ``token_from`` (any page of the site carries one)."""
        page = self.client.get(token_from)
        found = TOKEN.search(page.text)
        assert found, f"no CSRF token on {token_from} ({page.status_code})"
        return self.client.post(url, data={"csrftoken": found.group(1), **data})


@dataclass
class SharedPlan:
    plan_id: UUID
    people: dict[str, User] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"/plans/{self.plan_id}"


def shared_plan(ledger: Ledger, people: People, clock: FakeClock) -> SharedPlan:
    """A plan of SETTING with every section filled, shared with ``people``'s parent, professional and complaint
    handler; and with three more parents, whose access expired, was revoked, and was never given. The clock is
    moved on past the expiry."""
    senco = people.senco
    opened = ledger.commands.open_plan(senco, pupil=samples.pupil(**PUPIL), setting_urn=SETTING, tier="targeted")
    plan_id = UUID(opened.body["plan_id"])
    barrier = ledger.commands.add_item(senco, plan_id, "barriers", samples.barrier()).body["item_id"]
    ledger.commands.add_item(senco, plan_id, "provisions", samples.provision([barrier]))
    ledger.commands.add_item(senco, plan_id, "adjustments", samples.adjustment([barrier]))
    outcome = ledger.commands.add_item(senco, plan_id, "outcomes", samples.outcome([barrier])).body["item_id"]
    ledger.commands.record_progress(senco, plan_id, outcome, {"measured_on": "2026-11-20", "value": 12,
                                                              "note": "Reads 12 of 20 words", "source": "TA check"})
    shared = SharedPlan(plan_id, dict(people.users))
    for key in ("parent", "professional", "complaint_handler"):
        ledger.grants.grant(senco, plan_id, user_id=people.users[key].user_id, relationship=people.users[key].role,
                            expires_on="2027-06-30" if key == "complaint_handler" else None)
    for key, name in (("expired_parent", "Eve Expired"), ("revoked_parent", "Rex Revoked"),
                      ("ungranted_parent", "Una Ungranted")):
        shared.people[key], _token = ledger.accounts.add_user(name=name, role="parent")
    ledger.grants.grant(senco, plan_id, user_id=shared.people["expired_parent"].user_id, relationship="parent",
                        expires_on="2026-11-20")
    revoked = ledger.grants.grant(senco, plan_id, user_id=shared.people["revoked_parent"].user_id,
                                  relationship="parent").body["grant_id"]
    ledger.grants.revoke(senco, plan_id, revoked, reason="Given in error")
    clock.advance(days=2)  # the expired parent's grant ended at the end of 20 November
    return shared
