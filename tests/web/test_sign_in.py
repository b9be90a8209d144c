"""Signing in by a code mailed to the address (CONTRACT.md §13): what a person sees for each way it can go."""

from __future__ import annotations

import logging
import re

import pytest
from fastapi.testclient import TestClient

from isp_ledger.access import User
from isp_ledger.api.app import create_app
from isp_ledger.application import Ledger
from isp_ledger.application.signin import ADDRESS_LIMIT, CLIENT_LIMIT
from isp_ledger.bootstrap import build_ledger
from tests.conftest import FakeClock
from tests.web.conftest import Pages

EMAIL = "sam.senco@example.org"
REFUSED = "That code is not right, or it is no longer valid"


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_the_right_code_signs_in_once_and_lands_on_the_plans(pages: Pages, senco: User) -> None:
    asked = pages.ask_code("Sam.Senco@EXAMPLE.org")  # an address matches whatever its case
    assert asked.status_code == 200
    assert "Check your email" in asked.text
    code = pages.outbox.code_for(EMAIL)
    assert re.fullmatch(r"\d{6}", code)
    signed_in = pages.enter_code(EMAIL, code)
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/"
    home = pages.client.get("/")
    assert "Signed in as" in home.text and "Sam Senco" in home.text
    pages.client.cookies.clear()
    again = pages.enter_code(EMAIL, code)
    assert again.status_code == 422 and REFUSED in again.text, "a code signs in once"


def test_a_wrong_code_is_refused_with_the_form_and_its_error(pages: Pages, senco: User) -> None:
    pages.ask_code(EMAIL)
    response = pages.enter_code(EMAIL, wrong(pages.outbox.code_for(EMAIL)))
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert "There is a problem" in response.text  # the GOV.UK error summary
    assert 'href="#code"' in response.text and 'id="code-error"' in response.text
    assert "<title>Error: " in response.text
    assert "isp_session" not in response.headers.get("set-cookie", "")
    assert not pages.signed_in()
    bad_form = pages.enter_code(EMAIL, "12ab")
    assert bad_form.status_code == 422 and "Enter the 6-digit code" in bad_form.text


def test_after_five_wrong_tries_the_code_is_dead_and_a_new_one_is_needed(pages: Pages, senco: User) -> None:
    pages.ask_code(EMAIL)
    code = pages.outbox.code_for(EMAIL)
    for _ in range(5):
        assert pages.enter_code(EMAIL, wrong(code)).status_code == 422
    assert pages.enter_code(EMAIL, code).status_code == 422, "the right code, too late"
    pages.ask_code(EMAIL)
    assert pages.enter_code(EMAIL, pages.outbox.code_for(EMAIL)).status_code == 303


def test_a_code_lasts_ten_minutes(pages: Pages, senco: User, clock: FakeClock) -> None:
    pages.ask_code(EMAIL)
    clock.advance(minutes=9, seconds=59)
    assert pages.enter_code(EMAIL, pages.outbox.code_for(EMAIL)).status_code == 303
    pages.client.cookies.clear()
    pages.ask_code(EMAIL)
    clock.advance(minutes=10)
    expired = pages.enter_code(EMAIL, pages.outbox.code_for(EMAIL))
    assert expired.status_code == 422 and REFUSED in expired.text


def test_a_new_code_replaces_the_last(pages: Pages, senco: User) -> None:
    pages.ask_code(EMAIL)
    first = pages.outbox.code_for(EMAIL)
    pages.ask_code(EMAIL)
    second = pages.outbox.code_for(EMAIL)
    if first != second:
        assert pages.enter_code(EMAIL, first).status_code == 422
    assert pages.enter_code(EMAIL, second).status_code == 303


def _page(text: str, email: str) -> str:
    """The page without what differs between any two answers: the CSRF token and the address as typed."""
    return re.sub(r'name="csrftoken" value="[^"]+"', "", text).replace(email, "ADDRESS")


def test_an_unknown_or_disabled_address_gets_the_same_answer_and_no_mail(pages: Pages, ledger: Ledger,
                                                                          senco: User) -> None:
    gone, _ = ledger.accounts.add_user(name="Gone", role="teacher", setting_urn="123456", email="gone@example.org")
    ledger.accounts.disable(None, gone.user_id)
    known = pages.ask_code(EMAIL)
    for other in ("nobody@example.org", "gone@example.org"):
        answer = pages.ask_code(other)
        assert answer.status_code == known.status_code == 200
        assert _page(answer.text, other) == _page(known.text, EMAIL)
        refused = pages.enter_code(other, "123456")
        assert refused.status_code == 422 and REFUSED in refused.text
    assert [to for to, _ in pages.outbox.sent] == [EMAIL]


def test_a_malformed_address_is_asked_for_again(pages: Pages) -> None:
    response = pages.ask_code("not an address")
    assert response.status_code == 422
    assert "Enter an email address in the right form" in response.text
    assert 'value="not an address"' in response.text, "what was typed is kept"


def test_codes_are_limited_per_address_and_per_client(pages: Pages, senco: User, clock: FakeClock) -> None:
    for _ in range(ADDRESS_LIMIT):
        assert pages.ask_code(EMAIL).status_code == 200
    limited = pages.ask_code(EMAIL)
    assert limited.status_code == 429
    assert "too many tries to sign in for this email address" in limited.text
    assert len(pages.outbox.sent) == ADDRESS_LIMIT
    clock.advance(minutes=15)
    assert pages.ask_code(EMAIL).status_code == 200, "the limit passes"
    clock.advance(minutes=15)
    for n in range(CLIENT_LIMIT):
        assert pages.ask_code(f"someone{n}@example.org").status_code == 200
    from_here = pages.ask_code("one.more@example.org")
    assert from_here.status_code == 429 and "from your network" in from_here.text


def test_without_smtp_the_code_is_written_to_the_log(env: dict[str, str], clock: FakeClock,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    ledger = build_ledger(env, clock=clock)
    try:
        ledger.accounts.add_user(name="Solo", role="admin", email="solo@example.org")
        with TestClient(create_app(ledger, close_ledger=False), base_url="http://localhost") as client, \
                caplog.at_level(logging.WARNING, logger="isp_ledger.mail"):
            token = re.search(r'name="csrftoken" value="([^"]+)"', client.get("/sign-in").text)
            assert token
            client.post("/sign-in", data={"csrftoken": token.group(1), "email": "solo@example.org"})
            logged = [r for r in caplog.records if "solo@example.org" in r.getMessage()]
            assert logged and logged[0].levelno == logging.WARNING
            code = re.search(r"code for solo@example.org is (\d{6})", logged[0].getMessage())
            assert code
            signed_in = client.post("/sign-in/code", data={"csrftoken": token.group(1), "email": "solo@example.org",
                                                           "code": code.group(1)}, follow_redirects=False)
            assert signed_in.status_code == 303
    finally:
        ledger.close()
