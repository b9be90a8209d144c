"""Every form is protected against cross-site request forgery (asgi-csrf's token, and Sec-Fetch-Site); the API,
which takes bearer tokens, is not touched by it."""

from __future__ import annotations

from isp_ledger.access import User
from isp_ledger.application import Ledger
from tests.samples import plan_body
from tests.web.conftest import Pages

EMAIL = "sam.senco@example.org"
REFUSED = "Sorry, that did not work"


def test_a_form_without_its_token_is_refused_with_a_plain_page(pages: Pages, senco: User) -> None:
    pages.sign_in(EMAIL)
    for data in ({}, {"csrftoken": "forged"}):
        response = pages.client.post("/sign-out", data=data, follow_redirects=False)
        assert response.status_code == 403
        assert response.headers["content-type"].startswith("text/html")
        assert REFUSED in response.text and "Go back, reload the page, and try again" in response.text
    assert pages.signed_in(), "nothing was done"


def test_a_form_posted_with_no_cookie_at_all_is_refused(pages: Pages, senco: User) -> None:
    """A browser sends no SameSite=Lax cookie with another site's POST: that is no reason to skip the check."""
    pages.client.cookies.clear()
    response = pages.client.post("/sign-in", data={"email": EMAIL}, follow_redirects=False)
    assert response.status_code == 403 and REFUSED in response.text
    assert pages.outbox.sent == []


def test_a_form_from_another_site_is_refused_even_with_the_token(pages: Pages, senco: User) -> None:
    token = pages.token()
    cross = pages.client.post("/sign-in", data={"csrftoken": token, "email": EMAIL},
                              headers={"Sec-Fetch-Site": "cross-site"}, follow_redirects=False)
    assert cross.status_code == 403 and REFUSED in cross.text
    assert pages.outbox.sent == []
    same = pages.client.post("/sign-in", data={"csrftoken": token, "email": EMAIL},
                             headers={"Sec-Fetch-Site": "same-origin"}, follow_redirects=False)
    assert same.status_code == 200 and pages.outbox.sent


def test_the_api_takes_bearer_tokens_as_before_with_or_without_cookies(pages: Pages, ledger: Ledger,
                                                                       senco: User) -> None:
    _user, token = ledger.accounts.add_user(name="Api Senco", role="senco", setting_urn="123456")
    pages.sign_in(EMAIL)  # the client now holds the page cookies too
    response = pages.client.post("/v1/plans", json=plan_body(), headers={"Authorization": f"Bearer {token}",
                                                                         "Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 201, response.text
    assert pages.client.post("/v1/plans", json=plan_body()).status_code == 401, "a session is no API credential"
