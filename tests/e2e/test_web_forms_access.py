"""Who gets each plan form (CONTRACT.md §10, §13): every form route × every caller, on both stores. A plan the
caller may not see is "Page not found"; one they may see but not change is a 403 page; neither shows the pupil.
A write refused for the caller's role changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from isp_ledger.api.app import create_app
from isp_ledger.application import Ledger
from tests import samples
from tests.conftest import People
from tests.e2e.web_forms_helpers import ROLES, Pages, add_barrier, grant, open_plan

EDIT = {"admin": 200, "senco": 200, "teacher": 403, "other_senco": 404, "parent": 403, "parent_without_grant": 404,
        "professional": 403, "complaint_handler": 403, "signed_out": 303}
PROGRESS = {**EDIT, "teacher": 200}
OPEN = {"admin": 200, "senco": 200, "teacher": 403, "other_senco": 200, "parent": 403, "parent_without_grant": 403,
        "professional": 403, "complaint_handler": 403, "signed_out": 303}


@pytest.fixture
def pages(ledger: Ledger, people: People) -> Iterator[Pages]:
    user, _token = ledger.accounts.add_user(name="Pam Other", role="parent")
    people.users["parent_without_grant"] = user
    with TestClient(create_app(ledger, close_ledger=False)):  # runs the app's start-up once
        yield Pages(create_app(ledger, close_ledger=False), ledger, people)


@pytest.fixture
def plan(ledger: Ledger, people: People) -> dict[str, str]:
    plan_id = open_plan(ledger, people)
    barrier_id = add_barrier(ledger, people, plan_id)
    outcome = ledger.commands.add_item(people.senco, UUID(plan_id), "outcomes", samples.outcome([barrier_id]),
                                       agreed_on="2026-09-03")
    for who in ("parent", "professional", "complaint_handler"):
        grant(ledger, people, plan_id, who)
    event_id = ledger.plans.current(UUID(plan_id)).records[barrier_id][0]["event_id"]
    return {"plan_id": plan_id, "barrier_id": barrier_id, "outcome_id": str(outcome.body["item_id"]),
            "event_id": event_id}


def form_paths(plan: dict[str, str]) -> list[tuple[str, dict[str, int]]]:
    p, b, o, e = plan["plan_id"], plan["barrier_id"], plan["outcome_id"], plan["event_id"]
    return [
        *[(f"/plans/{p}/{kind}/new", EDIT) for kind in ("barriers", "provisions", "adjustments", "outcomes")],
        (f"/plans/{p}/barriers/{b}/edit", EDIT), (f"/plans/{p}/barriers/{b}/end", EDIT),
        (f"/plans/{p}/outcomes/{o}/edit", EDIT), (f"/plans/{p}/outcomes/{o}/end", EDIT),
        (f"/plans/{p}/outcomes/{o}/progress", PROGRESS), (f"/plans/{p}/reviews/new", EDIT),
        (f"/plans/{p}/entries/{e}/correct", EDIT), (f"/plans/{p}/entries/{e}/void", EDIT),
        (f"/plans/{p}/close", EDIT),
    ]


@pytest.mark.parametrize("who", ROLES)
def test_each_form_answers_each_caller_as_section_10_says(pages: Pages, plan: dict[str, str], who: str) -> None:
    for path, expected in [("/plans/new", OPEN), *form_paths(plan)]:
        response = pages.get(who, path)
        assert response.status_code == expected[who], (who, path, response.status_code)
        if expected[who] == 303:
            assert response.headers["location"].startswith("/sign-in?next=/plans/")
        if expected[who] != 200:
            assert "Okafor" not in response.text and "Amara" not in response.text, (who, path)
        if expected[who] == 404:
            assert "Page not found" in response.text
        if expected[who] == 403:
            assert "You cannot do this" in response.text


@pytest.mark.parametrize("who", ["teacher", "other_senco", "parent", "professional", "complaint_handler"])
def test_a_write_refused_for_the_role_changes_nothing(pages: Pages, ledger: Ledger, plan: dict[str, str],
                                                      who: str) -> None:
    plan_id = UUID(plan["plan_id"])
    before = ledger.plans.current(plan_id).version
    response = pages.post(who, f"/plans/{plan_id}/close", {"reason": "No longer needed", "version": str(before)},
                          form_path="/")
    assert response.status_code == EDIT[who]
    assert ledger.plans.current(plan_id).version == before


def test_unknown_plans_items_entries_and_sections_are_not_found(pages: Pages, plan: dict[str, str]) -> None:
    p = plan["plan_id"]
    for path in ("/plans/00000000-0000-4000-8000-000000000000/barriers/new", "/plans/not-a-plan/close",
                 f"/plans/{p}/reviews/nope", f"/plans/{p}/grants/new", f"/plans/{p}/barriers/nope/edit",
                 f"/plans/{p}/outcomes/{plan['barrier_id']}/progress", f"/plans/{p}/entries/nope/correct"):
        response = pages.get("senco", path)
        assert response.status_code == 404, path
        assert "Page not found" in response.text
