"""Web sessions (CONTRACT.md §13): the cookie's flags, idle and absolute expiry, signing out, and a disabled user's
sessions ending at once, whether they are disabled over the API or on the command line."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from isp_ledger.access import User
from isp_ledger.api.app import create_app
from isp_ledger.application import Ledger
from tests.conftest import FakeClock
from tests.web.conftest import Outbox, Pages

EMAIL = "sam.senco@example.org"


def test_the_session_cookie_is_httponly_lax_and_secure_except_on_this_machine(
    ledger: Ledger, outbox: Outbox, senco: User
) -> None:
    for base_url, secure in (("http://localhost", False), ("http://127.0.0.1:8000", False),
                             ("https://isp.school.example.org", True)):
        with TestClient(create_app(ledger, close_ledger=False), base_url=base_url) as client:
            cookie = Pages(client, outbox).sign_in(EMAIL).headers["set-cookie"]
            flags = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
            assert cookie.startswith("isp_session=")
            assert {"httponly", "path", "max-age"} <= flags
            assert "samesite=lax" in cookie.lower()
            assert ("secure" in flags) is secure, base_url


def test_sign_out_ends_the_session_on_the_server(pages: Pages, senco: User) -> None:
    pages.sign_in(EMAIL)
    stolen = pages.client.cookies["isp_session"]
    signed_out = pages.post("/sign-out", {})
    assert signed_out.status_code == 303 and signed_out.headers["location"] == "/signed-out"
    assert "You have signed out" in pages.client.get("/signed-out").text
    pages.client.cookies.set("isp_session", stolen)  # the old cookie, kept by someone
    assert not pages.signed_in()


def test_a_session_ends_after_thirty_idle_minutes(pages: Pages, senco: User, clock: FakeClock) -> None:
    pages.sign_in(EMAIL)
    for _ in range(3):  # busy: each request keeps it alive
        clock.advance(minutes=20)
        assert pages.signed_in()
    clock.advance(minutes=30)
    response = pages.client.get("/?q=okafor", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=/%3Fq%3Dokafor", "and back where they were after"


def test_a_session_ends_twelve_hours_after_sign_in_however_busy(pages: Pages, senco: User,
                                                                clock: FakeClock) -> None:
    pages.sign_in(EMAIL)
    for _ in range(12 * 3 - 1):
        clock.advance(minutes=20)
        assert pages.signed_in()
    clock.advance(minutes=20)
    assert not pages.signed_in()


@pytest.fixture
def admin_token(ledger: Ledger) -> str:
    _admin, token = ledger.accounts.add_user(name="Ada Admin", role="admin")
    return token


@pytest.fixture
def two_browsers(ledger: Ledger, outbox: Outbox) -> Iterator[tuple[Pages, Pages]]:
    app = create_app(ledger, close_ledger=False)
    with TestClient(app, base_url="http://localhost") as one, TestClient(app, base_url="http://localhost") as two:
        yield Pages(one, outbox), Pages(two, outbox)


def test_disabling_a_user_over_the_api_ends_all_their_sessions_at_once(
    two_browsers: tuple[Pages, Pages], ledger: Ledger, senco: User, admin_token: str
) -> None:
    phone, laptop = two_browsers
    phone.sign_in(EMAIL)
    laptop.sign_in(EMAIL)
    assert phone.signed_in() and laptop.signed_in()
    disabled = phone.client.post(f"/v1/users/{senco.user_id}/disable",
                                 headers={"Authorization": f"Bearer {admin_token}"})
    assert disabled.status_code == 200, disabled.text
    assert not phone.signed_in() and not laptop.signed_in()
    assert ledger.sign_in.store.sessions_of(senco.user_id) == 0


def test_disabling_a_user_on_the_command_line_ends_their_sessions(pages: Pages, ledger: Ledger,
                                                                  senco: User) -> None:
    pages.sign_in(EMAIL)
    ledger.accounts.disable(None, senco.user_id)  # what `isp-ledger users disable` calls
    response = pages.client.get("/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/sign-in"
    assert ledger.sign_in.store.sessions_of(senco.user_id) == 0
