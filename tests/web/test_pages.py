"""The landing page (``/``) for each kind of person, the way back after signing in, and the plain error pages."""

from __future__ import annotations

from uuid import UUID

from isp_ledger.access import User
from isp_ledger.application import Ledger
from tests.samples import new_upn, pupil
from tests.web.conftest import Pages

EMAIL = "sam.senco@example.org"


def open_plan(ledger: Ledger, by: User, given: str, family: str, setting: str = "123456",
              upn: str | None = None) -> UUID:
    body = pupil(given_name=given, family_name=family, **({"upn": upn} if upn else {}))
    return UUID(ledger.commands.open_plan(by, pupil=body, setting_urn=setting, tier="targeted").body["plan_id"])


def test_staff_see_their_settings_plans_search_them_and_each_row_is_logged(pages: Pages, ledger: Ledger,
                                                                           senco: User) -> None:
    other, _ = ledger.accounts.add_user(name="Otto", role="senco", setting_urn="654321")
    upn = new_upn()
    amara = open_plan(ledger, senco, "Amara", "Okafor", upn=upn)
    open_plan(ledger, senco, "Zoë", "O'Neill")
    elsewhere = open_plan(ledger, other, "Elsewhere", "Pupil", setting="654321")
    pages.sign_in(EMAIL)
    home = pages.client.get("/")
    assert home.status_code == 200
    assert "Okafor, Amara" in home.text and "O&#39;Neill, Zoë" in home.text
    assert f'href="/plans/{amara}"' in home.text
    assert "Elsewhere" not in home.text and str(elsewhere) not in home.text
    found = pages.client.get("/", params={"q": "zoe"})
    assert "O&#39;Neill, Zoë" in found.text and "Okafor" not in found.text
    by_upn = pages.client.get("/", params={"q": upn.lower()})
    assert "Okafor, Amara" in by_upn.text and "Zoë" not in by_upn.text
    entries = [entry for _, entry in ledger.access_log.store.page(amara, before=None, limit=10)]
    assert len(entries) == 2, "the whole list and the search by UPN showed Amara; the search for Zoë did not"
    assert all(e.user_id == senco.user_id and "list of plans" in e.detail for e in entries), entries


def test_a_search_that_cannot_be_made_is_shown_on_the_form(pages: Pages, senco: User) -> None:
    pages.sign_in(EMAIL)
    response = pages.client.get("/", params={"q": "'-"})
    assert response.status_code == 422
    assert "There is a problem" in response.text and 'href="#q"' in response.text


def test_a_parent_sees_only_the_plans_shared_with_them(pages: Pages, ledger: Ledger, senco: User) -> None:
    parent, _ = ledger.accounts.add_user(name="Pat Parent", role="parent", email="pat@example.org")
    shared = open_plan(ledger, senco, "Amara", "Okafor")
    open_plan(ledger, senco, "Not", "Theirs")
    ledger.grants.grant(senco, shared, user_id=parent.user_id, relationship="parent")
    pages.sign_in("pat@example.org")
    home = pages.client.get("/")
    assert "Your plans" in home.text and "Amara Okafor" in home.text and "Theirs" not in home.text
    assert f'href="/plans/{shared}"' in home.text


def test_after_signing_in_a_person_goes_back_where_they_were_and_never_to_another_site(
    pages: Pages, senco: User
) -> None:
    asked = pages.client.get("/?q=okafor", follow_redirects=False)
    assert asked.headers["location"] == "/sign-in?next=/%3Fq%3Dokafor"
    pages.ask_code(EMAIL)
    back = pages.enter_code(EMAIL, pages.outbox.code_for(EMAIL), next_path="/?q=okafor")
    assert back.headers["location"] == "/?q=okafor"
    for elsewhere in ("//evil.example.org/", "https://evil.example.org/", "/\\evil.example.org", "/v1/me"):
        pages.client.cookies.clear()
        pages.ask_code(EMAIL)
        away = pages.enter_code(EMAIL, pages.outbox.code_for(EMAIL), next_path=elsewhere)
        assert away.headers["location"] == "/", elsewhere


def test_unknown_pages_are_a_plain_page_not_found_and_the_api_still_answers_json(pages: Pages,
                                                                                  senco: User) -> None:
    pages.sign_in(EMAIL)
    page = pages.client.get("/no-such-page")
    assert page.status_code == 404 and "Page not found" in page.text
    assert page.headers["content-type"].startswith("text/html")
    api = pages.client.get("/v1/no-such-thing")
    assert api.status_code == 404 and api.headers["content-type"] == "application/problem+json"


def test_the_stylesheet_is_served_and_names_no_gds_transport(pages: Pages) -> None:
    css = pages.client.get("/assets/app.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert ".govuk-generic-header" in css.text
    assert "GDS Transport" not in css.text and "@font-face" not in css.text
    assert pages.client.get("/assets/govuk-frontend.min.js").status_code == 200
