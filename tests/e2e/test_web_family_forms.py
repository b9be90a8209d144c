"""The family pages' forms (CONTRACT.md §4, §13): a response to the plan and views or advice are recorded and lead
back to the plan with a notice; a refusal (422 field, 412 changed plan, 409 rule) is the same form again with the
GOV.UK error summary, each message by its field, and what was typed kept (both stores)."""

from __future__ import annotations

import re
from typing import Any

from isp_ledger.application import Ledger
from tests import samples
from tests.conftest import FakeClock, People
from tests.e2e.family_pages import Browser, SharedPlan, shared_plan


def document(ledger: Ledger, people: People, shared: SharedPlan) -> dict[str, Any]:
    return ledger.history.plan_document(people.admin, shared.plan_id)


def version_on(html: str) -> str:
    found = re.search(r'name="version" value="(\d+)"', html)
    assert found, "the form names no version"
    return found.group(1)


def error_summary(html: str) -> str:
    found = re.search(r'<div class="govuk-error-summary".*?</div>\s*</div>', html, flags=re.DOTALL)
    assert found, "no error summary"
    return found.group(0)


def test_a_parent_disagrees_with_a_comment_and_is_taken_back_to_the_plan(ledger: Ledger, people: People,
                                                                        clock: FakeClock) -> None:
    shared = shared_plan(ledger, people, clock)
    parent = Browser(ledger, shared.people["parent"])
    form = parent.get(f"{shared.url}/respond")
    version = version_on(form.text)
    assert f"version {version}, last changed on 20 November 2026" in form.text
    assert "Parent&#39;s name" not in form.text and 'name="method"' not in form.text  # theirs: in their own name

    response = parent.post(f"{shared.url}/respond", {"version": version, "response": "disagree",
                                                     "comment": "Phonics three times a week is not enough"})
    assert response.status_code == 303
    assert response.headers["location"] == shared.url
    assert response.cookies.get("isp_notice") == "response-recorded"
    [acknowledgement] = document(ledger, people, shared)["acknowledgements"]
    assert acknowledgement["response"] == "disagree"
    assert acknowledgement["comment"] == "Phonics three times a week is not enough"
    assert acknowledgement["version"] == int(version)
    assert acknowledgement["recorded_by"]["user_id"] == shared.people["parent"].user_id
    assert "given_by" not in acknowledgement


def test_a_response_without_an_answer_comes_back_with_the_comment_kept(ledger: Ledger, people: People,
                                                                      clock: FakeClock) -> None:
    shared = shared_plan(ledger, people, clock)
    parent = Browser(ledger, shared.people["parent"])
    version = version_on(parent.get(f"{shared.url}/respond").text)
    response = parent.post(f"{shared.url}/respond", {"version": version, "comment": "Not sure yet"})
    assert response.status_code == 422
    summary = error_summary(response.text)
    assert 'href="#response"' in summary and "Select whether you agree with the plan" in summary
    assert 'id="response-error"' in response.text  # the message beside the radios
    assert ">Not sure yet</textarea>" in response.text
    assert "<title>Error: " in response.text
    assert document(ledger, people, shared)["acknowledgements"] == []


def test_a_plan_changed_since_the_form_was_opened_is_said_and_the_new_version_offered(
        ledger: Ledger, people: People, clock: FakeClock) -> None:
    shared = shared_plan(ledger, people, clock)
    parent = Browser(ledger, shared.people["parent"])
    seen = version_on(parent.get(f"{shared.url}/respond").text)
    barrier = document(ledger, people, shared)["barriers"][0]["id"]
    ledger.commands.add_item(people.senco, shared.plan_id, "adjustments", samples.adjustment([barrier]))

    response = parent.post(f"{shared.url}/respond", {"version": seen, "response": "agree", "comment": "Thanks"})
    assert response.status_code == 412
    summary = error_summary(response.text)
    assert "The plan changed since you opened this page: read the changes, then tell us if you agree" in summary
    assert f'href="{shared.url}/changes?from={seen}"' in summary
    assert version_on(response.text) == str(int(seen) + 1)  # sending it again answers the plan as it now is
    assert ">Thanks</textarea>" in response.text and 'value="agree" checked' in response.text
    assert document(ledger, people, shared)["acknowledgements"] == []


def test_a_response_to_a_closed_plan_is_refused_by_its_rule(ledger: Ledger, people: People, clock: FakeClock) -> None:
    shared = shared_plan(ledger, people, clock)
    parent = Browser(ledger, shared.people["parent"])
    ledger.commands.close_plan(people.senco, shared.plan_id, reason="Moved away")
    version = version_on(parent.get(f"{shared.url}/respond").text)
    response = parent.post(f"{shared.url}/respond", {"version": version, "response": "seen", "comment": "Seen"})
    assert response.status_code == 409
    assert "closed" in error_summary(response.text).lower()
    assert ">Seen</textarea>" in response.text


def test_staff_record_a_parents_response_naming_the_parent_and_how_it_was_given(
        ledger: Ledger, people: People, clock: FakeClock) -> None:
    shared = shared_plan(ledger, people, clock)
    senco = Browser(ledger, people.senco)
    form = senco.get(f"{shared.url}/respond")
    assert "Parent&#39;s name" in form.text and "On a signed form" in form.text
    version = version_on(form.text)

    refused = senco.post(f"{shared.url}/respond", {"version": version, "response": "agree"})
    assert refused.status_code == 422
    summary = error_summary(refused.text)
    assert "Enter the name of the parent whose response this is" in summary
    assert "Select how the parent gave their response" in summary

    response = senco.post(f"{shared.url}/respond", {"version": version, "response": "agree", "given_by": "Pat Parent",
                                                    "method": "phone", "comment": "Happy with it"})
    assert response.status_code == 303
    [acknowledgement] = document(ledger, people, shared)["acknowledgements"]
    assert (acknowledgement["given_by"], acknowledgement["method"]) == ("Pat Parent", "phone")


def test_a_parent_adds_their_views_and_their_childs(ledger: Ledger, people: People, clock: FakeClock) -> None:
    shared = shared_plan(ledger, people, clock)
    parent = Browser(ledger, shared.people["parent"])
    assert "<h1 class=\"govuk-heading-l\">Add your views</h1>" in parent.get(
        f"{shared.url}/views/new?kind=parent_view").text
    assert "<h1 class=\"govuk-heading-l\">Add your child&#39;s views</h1>" in parent.get(
        f"{shared.url}/views/new?kind=pupil_voice").text
    for kind, text, notice in (("parent_view", "She is tired after phonics", "views-added"),
                               ("pupil_voice", "I like the group", "child-views-added")):
        response = parent.post(f"{shared.url}/views/new?kind={kind}", {"text": text})
        assert response.status_code == 303
        assert response.headers["location"] == shared.url
        assert response.cookies.get("isp_notice") == notice
    added = [(c["kind"], c["text"]) for c in document(ledger, people, shared)["contributions"]]
    assert added == [("parent_view", "She is tired after phonics"), ("pupil_voice", "I like the group")]


def test_empty_views_and_advice_without_a_profession_come_back_with_their_messages(
        ledger: Ledger, people: People, clock: FakeClock) -> None:
    shared = shared_plan(ledger, people, clock)
    parent = Browser(ledger, shared.people["parent"])
    response = parent.post(f"{shared.url}/views/new?kind=parent_view", {"text": "   "})
    assert response.status_code == 422
    assert "Enter the views or advice to add" in error_summary(response.text)

    professional = Browser(ledger, people.professional)
    page = professional.get(f"{shared.url}/views/new?kind=professional_advice")
    assert "Add professional advice" in page.text and "Your profession" in page.text
    advice = "Use a visual timetable; check understanding with pictures"
    response = professional.post(f"{shared.url}/views/new?kind=professional_advice", {"text": advice})
    assert response.status_code == 422
    assert "Enter your profession, for example speech and language therapist" in error_summary(response.text)
    assert f">{advice}</textarea>" in response.text

    response = professional.post(f"{shared.url}/views/new?kind=professional_advice",
                                 {"text": advice, "profession": "Speech and language therapist"})
    assert response.status_code == 303 and response.headers["location"] == shared.url
    assert response.cookies.get("isp_notice") == "advice-added"
    [added] = document(ledger, people, shared)["contributions"]
    assert (added["kind"], added["profession"], added["text"]) == ("professional_advice",
                                                                   "Speech and language therapist", advice)


def test_views_longer_than_the_plan_keeps_are_refused_with_the_limit_named(ledger: Ledger, people: People,
                                                                         clock: FakeClock) -> None:
    shared = shared_plan(ledger, people, clock)
    parent = Browser(ledger, shared.people["parent"])
    response = parent.post(f"{shared.url}/views/new?kind=parent_view", {"text": "word " * 4000})
    assert response.status_code == 422
    assert "What you write must be at most" in error_summary(response.text)
    assert document(ledger, people, shared)["contributions"] == []


def test_staff_give_the_day_a_parent_responded_and_a_date_that_is_no_date_is_said_plainly(
        ledger: Ledger, people: People, clock: FakeClock) -> None:
    shared = shared_plan(ledger, people, clock)  # today is 22 November 2026
    senco = Browser(ledger, people.senco)
    version = version_on(senco.get(f"{shared.url}/respond").text)
    given = {"version": version, "response": "disagree", "given_by": "Pat Parent", "method": "letter",
             "comment": "We want more sessions"}
    for day, month, year, message in (("31", "2", "2026", "The date must be a real date"),
                                      ("1", "12", "26", "The date must be a real date"),
                                      ("23", "11", "2026", "The date must not be after today")):
        refused = senco.post(f"{shared.url}/respond", {**given, "agreed_on-day": day, "agreed_on-month": month,
                                                       "agreed_on-year": year})
        assert refused.status_code == 422, (day, month, year)
        summary = error_summary(refused.text)
        assert message in summary and 'href="#agreed_on-day"' in summary
        assert f'value="{day}"' in refused.text and ">We want more sessions</textarea>" in refused.text
    response = senco.post(f"{shared.url}/respond", {**given, "agreed_on-day": "21", "agreed_on-month": "11",
                                                    "agreed_on-year": "2026"})
    assert response.status_code == 303
    [acknowledgement] = document(ledger, people, shared)["acknowledgements"]
    assert acknowledgement["agreed_on"] == "2026-11-21"


def test_a_professional_dates_their_advice_and_a_parent_is_not_asked_for_a_date(
        ledger: Ledger, people: People, clock: FakeClock) -> None:
    shared = shared_plan(ledger, people, clock)
    parent = Browser(ledger, shared.people["parent"])
    assert "agreed_on-day" not in parent.get(f"{shared.url}/views/new?kind=parent_view").text
    parent.post(f"{shared.url}/views/new?kind=parent_view", {"text": "Tired", "agreed_on-day": "1",
                                                            "agreed_on-month": "1", "agreed_on-year": "2026"})
    professional = Browser(ledger, people.professional)
    assert "When was this advice given?" in professional.get(
        f"{shared.url}/views/new?kind=professional_advice").text
    response = professional.post(f"{shared.url}/views/new?kind=professional_advice", {
        "text": "Visual timetable", "profession": "Occupational therapist", "agreed_on-day": "21",
        "agreed_on-month": "11", "agreed_on-year": "2026"})
    assert response.status_code == 303
    days = [(c["kind"], c["agreed_on"]) for c in document(ledger, people, shared)["contributions"]]
    assert days == [("professional_advice", "2026-11-21"), ("parent_view", "2026-11-22")]  # a parent's: today
