"""Who gets which family page (CONTRACT.md §10 on the pages of §13): each page × each caller gets the page, a 403
page, a "Page not found" or a redirect to sign in, and no pupil's content where §10 forbids it (both stores)."""

from __future__ import annotations

import uuid

from isp_ledger.application import Ledger
from tests.conftest import FakeClock, People
from tests.e2e.family_pages import PUPIL_NAME, Browser, shared_plan

CALLERS = ("admin", "senco", "teacher", "other_senco", "other_teacher", "parent", "professional",
           "complaint_handler", "expired_parent", "revoked_parent", "ungranted_parent")
# What each caller gets: 200 the page, 403 "You cannot do this", 404 "Page not found".
EXPECTED: dict[str, dict[str, int]] = {
    "respond": {"admin": 200, "senco": 200, "teacher": 403, "parent": 200, "professional": 403,
                "complaint_handler": 403},
    "views/new?kind=parent_view": {"admin": 200, "senco": 200, "teacher": 200, "parent": 200, "professional": 403,
                                   "complaint_handler": 403},
    "views/new?kind=pupil_voice": {"admin": 200, "senco": 200, "teacher": 200, "parent": 200, "professional": 403,
                                   "complaint_handler": 403},
    "views/new?kind=professional_advice": {"admin": 200, "senco": 200, "teacher": 200, "parent": 403,
                                           "professional": 200, "complaint_handler": 403},
    "access-log": {"admin": 200, "senco": 200, "teacher": 403, "parent": 200, "professional": 403,
                   "complaint_handler": 403},
    "summary": {"admin": 200, "senco": 200, "teacher": 200, "parent": 200, "professional": 200,
                "complaint_handler": 200},
}
HEADINGS = {403: "You cannot do this", 404: "Page not found"}


def test_each_family_page_answers_each_caller_as_section_10_says(ledger: Ledger, people: People,
                                                                 clock: FakeClock) -> None:
    shared = shared_plan(ledger, people, clock)
    wrong = []
    for caller in CALLERS:
        browser = Browser(ledger, shared.people[caller])
        for page, by_caller in EXPECTED.items():
            expected = by_caller.get(caller, 404)  # another setting's staff, and parents without access now
            response = browser.get(f"{shared.url}/{page}")
            if response.status_code != expected:
                wrong.append(f"{caller} {page}: {response.status_code}, expected {expected}")
                continue
            if expected != 200:
                if HEADINGS[expected] not in response.text or PUPIL_NAME in response.text or "Okafor" in response.text:
                    wrong.append(f"{caller} {page}: the {expected} page shows the wrong content")
            elif PUPIL_NAME not in response.text and page != "access-log":
                wrong.append(f"{caller} {page}: the page does not name the pupil")
    assert not wrong, "\n".join(wrong)


def test_signed_out_people_are_sent_to_sign_in_and_back(ledger: Ledger, people: People, clock: FakeClock) -> None:
    shared = shared_plan(ledger, people, clock)
    browser = Browser(ledger, None)
    for page in EXPECTED:
        response = browser.get(f"{shared.url}/{page}")
        assert response.status_code == 303, page
        assert response.headers["location"].startswith(f"/sign-in?next=/plans/{shared.plan_id}/"), page
        assert PUPIL_NAME not in response.text


def test_an_unknown_plan_a_malformed_address_and_an_unknown_kind_are_not_found(ledger: Ledger, people: People,
                                                                             clock: FakeClock) -> None:
    shared = shared_plan(ledger, people, clock)
    browser = Browser(ledger, people.admin)
    for url in (f"/plans/{uuid.uuid4()}/respond", f"/plans/{uuid.uuid4()}/summary",
                f"/plans/{uuid.uuid4()}/access-log", f"/plans/{uuid.uuid4()}/views/new?kind=parent_view",
                "/plans/not-a-plan/summary", f"{shared.url}/views/new?kind=gossip", f"{shared.url}/views/new"):
        response = browser.get(url)
        assert response.status_code == 404, url
        assert "Page not found" in response.text


def test_refused_callers_record_nothing(ledger: Ledger, people: People, clock: FakeClock) -> None:
    """A complaint handler cannot respond; a professional cannot add a parent's views; a parent without access
    learns nothing: the forms' writes are refused as their pages are, and the plan is unchanged."""
    shared = shared_plan(ledger, people, clock)
    version = ledger.plans.current(shared.plan_id).version
    sent = [
        ("complaint_handler", "respond", {"version": str(version), "response": "agree"}, 403),
        ("professional", "views/new?kind=parent_view", {"text": "Fine"}, 403),
        ("parent", "views/new?kind=professional_advice", {"text": "Fine", "profession": "OT"}, 403),
        ("revoked_parent", "respond", {"version": str(version), "response": "disagree"}, 404),
        ("ungranted_parent", "views/new?kind=parent_view", {"text": "Hello"}, 404),
    ]
    for caller, page, form, status in sent:
        response = Browser(ledger, shared.people[caller]).post(f"{shared.url}/{page}", form)
        assert response.status_code == status, (caller, page, response.text[:300])
        assert PUPIL_NAME not in response.text
    assert ledger.plans.current(shared.plan_id).version == version


def test_a_form_sent_without_its_csrf_token_is_refused(ledger: Ledger, people: People, clock: FakeClock) -> None:
    shared = shared_plan(ledger, people, clock)
    version = ledger.plans.current(shared.plan_id).version
    browser = Browser(ledger, shared.people["parent"])
    response = browser.client.post(f"{shared.url}/respond", data={"version": str(version), "response": "agree"})
    assert response.status_code == 403
    assert ledger.plans.current(shared.plan_id).version == version
