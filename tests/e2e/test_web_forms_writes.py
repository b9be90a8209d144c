"""The plan forms write what a person typed, through the ledger's commands, and a refusal comes back as the same
form: a field's error beside it (422), a rule of the plan in the summary (409), a plan changed meanwhile (412),
each with the values typed kept and nothing written. On both stores."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from isp_ledger.api.app import create_app
from isp_ledger.application import Ledger
from isp_ledger.domain.records import is_voided
from tests import samples
from tests.conftest import People
from tests.e2e.web_forms_helpers import Pages, add_barrier, date_fields, open_plan

STALE = "The plan changed since you opened this page: check the current plan and try again"


@pytest.fixture
def pages(ledger: Ledger, people: People) -> Iterator[Pages]:
    with TestClient(create_app(ledger, close_ledger=False)):
        yield Pages(create_app(ledger, close_ledger=False), ledger, people)


def summary(page: str) -> list[str]:
    """The error summary's messages, as a person reads them."""
    box = re.search(r'govuk-error-summary__list">(.*?)</ul>', page, flags=re.DOTALL)
    assert box, "no error summary"
    items = re.findall(r"<li>(.*?)</li>", box.group(1), re.DOTALL)
    return [html.unescape(re.sub(r"<[^>]+>", "", item).strip()) for item in items]


def test_a_senco_opens_a_plan_and_sees_it_done_once(pages: Pages, ledger: Ledger, people: People) -> None:
    upn = samples.new_upn()
    response = pages.post("senco", "/plans/new", {
        "upn": upn.lower(), "given_name": "Zoë", "family_name": "O'Neill", **date_fields("date_of_birth", "2017-05-14"),
        "tier": "targeted", **date_fields("agreed_on", "2026-11-02")})
    assert response.status_code == 303
    plan_id = response.headers["location"].removeprefix("/plans/")
    document = ledger.history.plan_document(people.senco, UUID(plan_id))
    assert document["pupil"] == {"upn": upn, "given_name": "Zoë", "family_name": "O'Neill",
                                 "date_of_birth": "2017-05-14"}
    assert (document["setting_urn"], document["opened_on"]) == ("123456", "2026-11-02")
    shown = pages.get("senco", "/")
    assert "govuk-notification-banner--success" in shown.text and "Plan opened" in shown.text
    assert "Plan opened" not in pages.get("senco", "/").text  # shown once


def test_a_refused_plan_comes_back_with_each_field_named_and_the_values_kept(pages: Pages, ledger: Ledger,
                                                                           people: People) -> None:
    response = pages.post("senco", "/plans/new", {
        "upn": "A12345678901X", "given_name": "Amara", "family_name": "",
        "date_of_birth-day": "31", "date_of_birth-month": "2", "date_of_birth-year": "2017", "tier": "specialist"})
    assert response.status_code == 422
    assert summary(response.text) == ["Date of birth must be a real date"]
    assert 'value="Amara"' in response.text and 'value="31"' in response.text
    response = pages.post("senco", "/plans/new", {
        "upn": "A12345678901X", "given_name": "Amara", "family_name": "",
        **date_fields("date_of_birth", "2017-05-14"), "tier": "specialist"})
    assert response.status_code == 422
    messages = summary(response.text)
    assert any(m.startswith("UPN ") for m in messages)
    assert "Family name is required" in messages
    assert any(m.startswith("EHCP reference") for m in messages)
    assert 'href="#upn"' in response.text and 'href="#family_name"' in response.text
    assert 'id="upn-error"' in response.text  # the message beside the field
    assert 'value="A12345678901X"' in response.text and 'value="specialist" checked' in response.text
    upn = samples.new_upn()
    response = pages.post("senco", "/plans/new", {"upn": upn, "given_name": "Amara", "family_name": " ",
                                                  **date_fields("date_of_birth", "2017-05-14"), "tier": "targeted"})
    assert response.status_code == 422
    assert ledger.store.accounts.open_plan_for(ledger.upn_key(upn)) is None  # nothing was opened


def test_a_second_plan_for_a_pupil_is_refused_by_the_rule(pages: Pages, ledger: Ledger, people: People) -> None:
    pupil = samples.pupil()
    ledger.commands.open_plan(people.senco, pupil=pupil, setting_urn="123456", tier="targeted")
    response = pages.post("senco", "/plans/new", {
        "upn": pupil["upn"], "given_name": "Amara", "family_name": "Okafor",
        **date_fields("date_of_birth", "2017-05-14"), "tier": "targeted"})
    assert response.status_code == 409
    assert "already has an open plan" in summary(response.text)[0]
    assert f'value="{pupil["upn"]}"' in response.text


def test_provision_is_added_for_the_needs_ticked_with_numbers_as_numbers(pages: Pages, ledger: Ledger,
                                                                         people: People) -> None:
    plan_id = open_plan(ledger, people)
    barrier_id = add_barrier(ledger, people, plan_id)
    other = add_barrier(ledger, people, plan_id, description="Struggles to sit still on the carpet")
    form = pages.get("senco", f"/plans/{plan_id}/provisions/new")
    assert "Finds it hard to blend sounds" in form.text and "Struggles to sit still" in form.text
    response = pages.post("senco", f"/plans/{plan_id}/provisions/new", {
        "description": "Small-group phonics", "barrier_ids": [barrier_id, other], "delivered_by": "teaching assistant",
        "sessions_per_week": "1.5", "minutes_per_session": "30", "group_size": "4", "location": "withdrawal",
        **date_fields("starts_on", "2026-11-09"), **date_fields("agreed_on", "2026-11-06")})
    assert response.status_code == 303, summary(response.text)
    assert response.headers["location"] == f"/plans/{plan_id}"
    provision = ledger.history.plan_document(people.senco, UUID(plan_id))["provisions"][0]
    assert provision["barrier_ids"] == [barrier_id, other]
    assert (provision["sessions_per_week"], provision["minutes_per_session"], provision["group_size"]) == (1.5, 30, 4)
    assert (provision["starts_on"], provision["agreed_on"], provision["ends_on"]) == ("2026-11-09", "2026-11-06", None)
    assert "Provision added" in pages.get("senco", "/").text


def test_a_number_that_is_no_number_and_a_rule_of_the_domain_each_come_back(pages: Pages, ledger: Ledger,
                                                                           people: People) -> None:
    plan_id = open_plan(ledger, people)
    barrier_id = add_barrier(ledger, people, plan_id)
    fields = {"description": "Small-group phonics", "barrier_ids": [barrier_id], "delivered_by": "TA",
              "sessions_per_week": "three", "minutes_per_session": "30", "group_size": "4", "location": "withdrawal",
              **date_fields("starts_on", "2026-11-09")}
    response = pages.post("senco", f"/plans/{plan_id}/provisions/new", fields)
    assert response.status_code == 422
    assert summary(response.text) == ["Sessions a week must be a number, like 3"]
    assert 'value="three"' in response.text and f'value="{barrier_id}" checked' in response.text
    response = pages.post("senco", f"/plans/{plan_id}/provisions/new", {**fields, "sessions_per_week": "40"})
    assert response.status_code == 422
    assert summary(response.text)[0].startswith("Sessions a week must be from 0.05 to 35")
    assert ledger.history.plan_document(people.senco, UUID(plan_id))["provisions"] == []


def test_a_form_opened_before_someone_else_wrote_is_refused_with_values_kept(pages: Pages, ledger: Ledger,
                                                                            people: People) -> None:
    plan_id = open_plan(ledger, people)
    form = pages.get("senco", f"/plans/{plan_id}/barriers/new")
    seen = re.search(r'name="version" value="(\d+)"', form.text).group(1)  # type: ignore[union-attr]
    add_barrier(ledger, people, plan_id, description="Written meanwhile by a colleague")
    response = pages.post("senco", f"/plans/{plan_id}/barriers/new", {
        "version": seen, "description": "Tires quickly when writing", "area_of_need": "sensory_and_physical",
        "need_type": "PD", "evidence": "OT report"})
    assert response.status_code == 412
    assert summary(response.text) == [STALE]
    assert "Tires quickly when writing" in response.text and 'value="PD" selected' in response.text
    current = ledger.plans.current(UUID(plan_id)).version
    assert f'name="version" value="{current}"' in response.text  # sent again, it is a decision taken knowingly
    assert len(ledger.history.plan_document(people.senco, UUID(plan_id))["barriers"]) == 1


def test_a_change_sends_only_what_differs(pages: Pages, ledger: Ledger, people: People) -> None:
    plan_id = open_plan(ledger, people)
    barrier_id = add_barrier(ledger, people, plan_id)
    result = ledger.commands.add_item(people.senco, UUID(plan_id), "provisions", samples.provision([barrier_id]),
                                      agreed_on="2026-09-07")
    provision_id = result.body["item_id"]
    form = pages.get("senco", f"/plans/{plan_id}/provisions/{provision_id}/edit")
    assert 'value="Small-group phonics with a trained TA"' not in form.text  # a description is a text area
    assert "Small-group phonics with a trained TA</textarea>" in form.text and 'value="3"' in form.text
    fields = {"description": "Small-group phonics with a trained TA", "barrier_ids": [barrier_id],
              "delivered_by": "teaching assistant", "sessions_per_week": "2", "minutes_per_session": "30",
              "group_size": "4", "location": "withdrawal", **date_fields("starts_on", "2026-09-07"),
              "evidence_basis": "EEF: phonics, high impact for low cost", "reason": "Agreed at the review"}
    response = pages.post("senco", f"/plans/{plan_id}/provisions/{provision_id}/edit", fields)
    assert response.status_code == 303, summary(response.text)
    record = ledger.plans.current(UUID(plan_id)).records[provision_id][-1]
    assert record["type"] == "ProvisionAmended"
    assert record["data"]["changes"] == {"sessions_per_week": 2}
    assert record["reason"] == "Agreed at the review"
    again = pages.post("senco", f"/plans/{plan_id}/provisions/{provision_id}/edit", fields)
    assert again.status_code == 422
    assert summary(again.text) == ["Name at least one field to change"]


def test_an_outcome_is_closed_as_achieved_and_progress_recorded_by_a_teacher(pages: Pages, ledger: Ledger,
                                                                              people: People) -> None:
    plan_id = open_plan(ledger, people)
    barrier_id = add_barrier(ledger, people, plan_id)
    outcome_id = ledger.commands.add_item(people.senco, UUID(plan_id), "outcomes", samples.outcome([barrier_id]),
                                          agreed_on="2026-09-07").body["item_id"]
    response = pages.post("teacher", f"/plans/{plan_id}/outcomes/{outcome_id}/progress", {
        **date_fields("measured_on", "2026-11-16"), "value": "14", "note": "Reads 14 of 20", "source": "Termly check"})
    assert response.status_code == 303, summary(response.text)
    response = pages.post("senco", f"/plans/{plan_id}/outcomes/{outcome_id}/end", {"reason": ""})
    assert response.status_code == 422
    assert set(summary(response.text)) == {"Whether the outcome was achieved is required", "Reason is required"}
    response = pages.post("senco", f"/plans/{plan_id}/outcomes/{outcome_id}/end", {
        "outcome": "achieved", "reason": "Reads fluently now"})
    assert response.status_code == 303, summary(response.text)
    outcome = ledger.history.plan_document(people.senco, UUID(plan_id))["outcomes"][0]
    assert outcome["status"] == "achieved"
    assert [(p["value"], p["source"]) for p in outcome["progress"]] == [(14, "Termly check")]


def test_a_review_keeps_the_attendees_typed_and_its_twelve_month_rule(pages: Pages, ledger: Ledger,
                                                                     people: People) -> None:
    plan_id = open_plan(ledger, people)
    fields = {**date_fields("held_on", "2026-11-19"), "attendee-1-role": "SENCO", "attendee-1-name": "Sam Senco",
              "attendee-2-role": "", "attendee-2-name": "", "attendee-3-role": "Parent", "attendee-3-name": "Pat",
              "parent_views": "Pleased", "pupil_views": "", "summary": "Continue",
              **date_fields("next_review_due", "2028-01-10")}
    response = pages.post("senco", f"/plans/{plan_id}/reviews/new", fields)
    assert response.status_code == 422
    assert summary(response.text)[0].startswith("When the next review is due must be within 12 months")
    assert 'value="Pat"' in response.text and 'href="#next_review_due-day"' in response.text
    response = pages.post("senco", f"/plans/{plan_id}/reviews/new", {
        **fields, **date_fields("next_review_due", "2027-03-19")})
    assert response.status_code == 303, summary(response.text)
    review = ledger.history.plan_document(people.senco, UUID(plan_id))["reviews"][0]
    assert review["attendees"] == [{"role": "SENCO", "name": "Sam Senco"}, {"role": "Parent", "name": "Pat"}]
    assert (review["pupil_views"], review["next_review_due"]) == ("", "2027-03-19")


def test_an_entry_is_corrected_and_one_others_depend_on_cannot_be_voided(pages: Pages, ledger: Ledger,
                                                                         people: People) -> None:
    plan_id = open_plan(ledger, people)
    barrier_id = add_barrier(ledger, people, plan_id)
    ledger.commands.add_item(people.senco, UUID(plan_id), "provisions", samples.provision([barrier_id]),
                             agreed_on="2026-09-07")
    event_id = ledger.plans.current(UUID(plan_id)).records[barrier_id][0]["event_id"]
    form = pages.get("senco", f"/plans/{plan_id}/entries/{event_id}/correct")
    assert "The entry as recorded" in form.text and "Finds it hard to blend sounds" in form.text
    response = pages.post("senco", f"/plans/{plan_id}/entries/{event_id}/correct", {
        "description": "Finds it hard to blend sounds", "area_of_need": "cognition_and_learning",
        "need_type": "SPLD", "evidence": "Phonics screening check, June 2026: 24/40", "reason": "Score mistyped",
        **date_fields("agreed_on", "2026-09-02")})
    assert response.status_code == 303, summary(response.text)
    plan = ledger.plans.current(UUID(plan_id))
    correction = plan.records[barrier_id][0]["corrections"][-1]
    assert correction["changes"] == {"description": "Finds it hard to blend sounds",
                                     "evidence": "Phonics screening check, June 2026: 24/40"}
    response = pages.post("senco", f"/plans/{plan_id}/entries/{event_id}/void", {"reason": "Wrong child"})
    assert response.status_code == 409
    assert "provision" in summary(response.text)[0].lower()
    assert 'Wrong child</textarea>' in response.text
    assert not is_voided(ledger.plans.current(UUID(plan_id)).records[barrier_id][0])


def test_an_entry_recorded_in_error_is_struck_out_and_the_plan_closed(pages: Pages, ledger: Ledger,
                                                                      people: People) -> None:
    plan_id = open_plan(ledger, people)
    barrier_id = add_barrier(ledger, people, plan_id)
    event_id = ledger.plans.current(UUID(plan_id)).records[barrier_id][0]["event_id"]
    assert "cannot be undone" in pages.get("senco", f"/plans/{plan_id}/entries/{event_id}/void").text
    response = pages.post("senco", f"/plans/{plan_id}/entries/{event_id}/void", {"reason": "Wrong child's plan"})
    assert response.status_code == 303, summary(response.text)
    assert ledger.history.plan_document(people.senco, UUID(plan_id))["barriers"] == []
    response = pages.post("senco", f"/plans/{plan_id}/close", {"reason": "Left the school"})
    assert response.status_code == 303, summary(response.text)
    assert ledger.history.plan_document(people.senco, UUID(plan_id))["status"] == "closed"
    assert "Plan closed" in pages.get("senco", "/").text
