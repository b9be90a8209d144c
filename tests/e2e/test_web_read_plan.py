"""The read pages through the pages' own routes (no browser), as each caller (CONTRACT.md §10, §13): who gets the
page, a 403, a 404 or the way to sign in; what the plan page and its history say; that a page view is logged in
the plan's access log exactly as the API's view of the same thing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from uuid import UUID

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient

from isp_ledger.application import Ledger
from isp_ledger.web.notices import NOTICE_COOKIE
from tests import samples
from tests.conftest import SETTING, People
from tests.e2e.helpers import Api, assert_written
from tests.e2e.web_read import page_as, rich_plan

PLAN_PAGES = ("", "/history", "/changes", "/delivery", "/bundle.pdf")
REPORTS = ("/settings/{urn}/reviews-due", "/settings/{urn}/quality")
# CONTRACT.md §10: who reads a plan of SETTING shared with the parent, the professional and the complaint handler.
PLAN_READERS = {"admin": 200, "senco": 200, "teacher": 200, "parent": 200, "professional": 200,
                "complaint_handler": 200, "other_senco": 404, "other_teacher": 404}
REPORT_READERS = {"admin": 200, "senco": 200, "teacher": 200, "other_senco": 403, "other_teacher": 403,
                  "parent": 403, "professional": 403, "complaint_handler": 403}


def test_each_caller_gets_each_read_page_or_not_as_the_contract_says(
        client: TestClient, ledger: Ledger, people: People, api: Api) -> None:
    shared = rich_plan(api)["plan"]
    unshared = api.open_plan(next_review_due="2026-12-01")  # due soon: in both reports
    for suffix in PLAN_PAGES:
        for who, status in PLAN_READERS.items():
            response = page_as(client, ledger, people, who, f"/plans/{shared}{suffix}")
            assert response.status_code == status, (who, suffix, response.text[:300])
            if status == 404:
                assert "Page not found" in response.text and "Okafor" not in response.text
        for who in ("parent", "professional", "complaint_handler"):  # no grant on this one: not even its existence
            response = page_as(client, ledger, people, who, f"/plans/{unshared}{suffix}")
            assert response.status_code == 404 and "Okafor" not in response.text, (who, suffix)
        response = page_as(client, ledger, people, None, f"/plans/{shared}{suffix}")
        assert response.status_code == 303
        assert response.headers["location"] == f"/sign-in?next=/plans/{shared}{suffix}"
        for missing in ("00000000-0000-4000-8000-000000000000", "not-a-plan"):
            assert page_as(client, ledger, people, "admin", f"/plans/{missing}{suffix}").status_code == 404
    for path in REPORTS:
        for who, status in REPORT_READERS.items():
            response = page_as(client, ledger, people, who, path.format(urn=SETTING))
            assert response.status_code == status, (who, path)
            if status == 403:
                assert "You cannot do this" in response.text and "Okafor" not in response.text
            else:
                assert "Okafor" in response.text, (who, path)
        assert page_as(client, ledger, people, None, path.format(urn=SETTING)).status_code == 303
        assert page_as(client, ledger, people, "admin", path.format(urn="not-a-urn")).status_code == 404


def test_the_plan_page_shows_every_section_in_plain_words_and_the_links_each_reader_may_follow(
        client: TestClient, ledger: Ledger, people: People, api: Api) -> None:
    ids = rich_plan(api)
    plan = f"/plans/{ids['plan']}"
    senco = page_as(client, ledger, people, "senco", plan).text
    for words in ("Amara Okafor", "14 May 2017", "Targeted", "Needs: what makes learning harder",
                  "Finds it hard to blend sounds", "3 sessions a week, 30 minutes each", "In a group of 4",
                  "A teaching assistant", "Withdrawn from class", "Reads 18 of 20 unseen", "12 of 20 words",
                  "Review held on 20 November 2026", "Reads with us every night.", "Agreed with the plan",
                  "Next review due", "19 March 2027"):
        assert words in senco, words
    assert f'href="{plan}/provisions/{ids["provision"]}/edit"' in senco
    assert f'href="{plan}/barriers/new"' in senco and f'href="{plan}/access"' in senco
    parent = page_as(client, ledger, people, "parent", plan).text
    assert "3 sessions a week, 30 minutes each" in parent  # the same plan...
    assert f"{plan}/respond" in parent and f"{plan}/access-log" in parent  # ...with the parent's own actions
    assert "/edit" not in parent and "/barriers/new" not in parent and f"{plan}/access\"" not in parent
    teacher = page_as(client, ledger, people, "teacher", plan).text
    assert f"{plan}/outcomes/{ids['outcome']}/progress" in teacher and "/edit" not in teacher
    handler = page_as(client, ledger, people, "complaint_handler", plan).text
    assert "access-log" not in handler and "/respond" not in handler and "/views/new" not in handler
    professional = page_as(client, ledger, people, "professional", plan).text
    assert "kind=professional_advice" in professional and "kind=parent_view" not in professional


def test_the_plan_as_it_was_on_a_date_is_labelled_and_leaves_out_what_came_later(
        client: TestClient, ledger: Ledger, people: People, api: Api) -> None:
    plan_id = api.open_plan()
    barrier = api.add_barrier(plan_id)
    api.clock.set(dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC))
    api.add(plan_id, "provisions", samples.provision([barrier], description="Speech therapy twice a week"))
    then = page_as(client, ledger, people, "senco", f"/plans/{plan_id}",
                   **{"as_of-day": "25", "as_of-month": "11", "as_of-year": "2026"})
    assert then.status_code == 200
    assert "This is the plan as it was on 25 November 2026" in then.text
    assert "Speech therapy" not in then.text and "Finds it hard to blend" in then.text
    assert "/edit" not in then.text  # nothing is changed through an old version
    assert 'value="25"' in then.text  # the date asked stays in the form
    linked = page_as(client, ledger, people, "senco", f"/plans/{plan_id}", as_of="2026-11-25")
    assert "This is the plan as it was on 25 November 2026" in linked.text
    now = page_as(client, ledger, people, "senco", f"/plans/{plan_id}").text
    assert "Speech therapy" in now and "This is the plan as it was on" not in now


@pytest.mark.parametrize(("parts", "message"), [
    (("31", "2", "2026"), "The date must be a real date"),
    (("", "2", "2026"), "The date must include a day"),
    (("x", "2", "2026"), "Enter the date as numbers"),
    (("1", "1", "2020"), "The plan was opened on 20 November 2026"),
])
def test_a_date_that_cannot_be_shown_is_an_error_beside_the_field_with_what_was_typed(
        client: TestClient, ledger: Ledger, people: People, api: Api, parts: tuple[str, str, str],
        message: str) -> None:
    plan_id = api.open_plan()
    day, month, year = parts
    response = page_as(client, ledger, people, "senco", f"/plans/{plan_id}",
                       **{"as_of-day": day, "as_of-month": month, "as_of-year": year})
    assert response.status_code == 422
    assert "There is a problem" in response.text and message in response.text
    assert 'href="#as_of-day"' in response.text and "govuk-error-message" in response.text
    assert f'value="{year}"' in response.text
    assert "Amara Okafor" in response.text  # the plan as it stands is still shown


def test_a_page_view_is_logged_as_the_api_logs_the_same_read(
        client: TestClient, ledger: Ledger, people: People, api: Api) -> None:
    plan_id = rich_plan(api)["plan"]
    store = ledger.access_log.store

    def logged(read: Callable[..., httpx.Response], *args: Any, **kwargs: Any) -> str:
        before = store.count(UUID(plan_id))
        response = read(*args, **kwargs)
        assert response.status_code == 200, response.text
        assert store.count(UUID(plan_id)) == before + 1
        return str(store.page(UUID(plan_id), before=None, limit=1)[0][1].detail)

    pairs = [
        ("", {}, "", {}), ("", {"as_of": "2026-11-20"}, "", {"as_of": "2026-11-20"}),
        ("/history", {}, "/timeline", {}),
        ("/changes", {"from": "2026-09-01", "to": "2026-11-20"}, "/diff", {"from": "2026-09-01", "to": "2026-11-20"}),
        ("/delivery", {"from": "2026-09-01", "to": "2026-11-20"}, "/delivery",
         {"from": "2026-09-01", "to": "2026-11-20"}),
        ("/bundle.pdf", {"from": "2026-11-01", "to": "2026-11-20"}, "/bundle",
         {"from": "2026-11-01", "to": "2026-11-20", "format": "pdf"}),
    ]
    for page, page_params, endpoint, api_params in pairs:
        for who in ("senco", "parent"):
            seen = logged(page_as, client, ledger, people, who, f"/plans/{plan_id}{page}", **page_params)
            asked = logged(api.get, f"/v1/plans/{plan_id}{endpoint}", who, **api_params)
            assert seen == asked, (page, who)


def test_the_history_marks_back_dated_corrected_and_voided_entries_and_offers_corrections_to_those_allowed(
        client: TestClient, ledger: Ledger, people: People, api: Api) -> None:
    plan_id = api.open_plan()
    barrier = api.add_barrier(plan_id)
    added = assert_written(api.post(f"/v1/plans/{plan_id}/provisions", samples.provision([barrier])), item=True)
    view = assert_written(api.post(f"/v1/plans/{plan_id}/contributions",
                                   {"kind": "parent_view", "text": "Wrong child's note"}), item=True)
    api.clock.set(dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC))
    api.add(plan_id, "adjustments", samples.adjustment([barrier], agreed_on="2026-11-24"))
    assert_written(api.post(f"/v1/plans/{plan_id}/corrections", {
        "event_id": added["event_id"], "reason": "Typed 3 sessions; the agreement says 4",
        "changes": {"sessions_per_week": 4}}))
    assert_written(api.post(f"/v1/plans/{plan_id}/corrections", {
        "event_id": view["event_id"], "reason": "Put on the wrong plan", "void": True}))
    senco = page_as(client, ledger, people, "senco", f"/plans/{plan_id}/history").text
    for words in ("Back-dated", "Agreed 24 November 2026, recorded at", "Corrected", "Corrected by entry 6",
                  "This corrects entry 3", "Recorded in error", "Put on the wrong plan",
                  "Marked as recorded in error by Sam Senco", "Sam Senco (SENCO)"):
        assert words in senco, words
    assert f"/plans/{plan_id}/entries/{added['event_id']}/correct" in senco
    assert f"/plans/{plan_id}/entries/{added['event_id']}/void" in senco
    assert f"/plans/{plan_id}/entries/{view['event_id']}/correct" not in senco  # already struck out
    parent = page_as(client, ledger, people, "admin", f"/plans/{plan_id}").text
    assert "Wrong child" not in parent  # the struck-out view is not part of the plan
    teacher = page_as(client, ledger, people, "teacher", f"/plans/{plan_id}/history").text
    assert "Back-dated" in teacher and "/entries/" not in teacher


def test_the_history_is_read_a_page_at_a_time_newest_first(
        client: TestClient, ledger: Ledger, people: People, api: Api) -> None:
    plan_id = api.open_plan()
    barrier = api.add_barrier(plan_id)
    for number in range(30):
        api.add(plan_id, "adjustments", samples.adjustment([barrier], description=f"Adjustment number {number}"))
    first = page_as(client, ledger, people, "senco", f"/plans/{plan_id}/history").text
    assert first.index("Adjustment number 29") < first.index("Adjustment number 28")
    assert 'id="entry-32"' in first and 'id="entry-8"' in first and 'id="entry-7"' not in first
    assert f"/plans/{plan_id}/history?before=8" in first
    older = page_as(client, ledger, people, "senco", f"/plans/{plan_id}/history", before="8").text
    assert 'id="entry-7"' in older and 'id="entry-1"' in older and 'id="entry-8"' not in older
    assert "Newest entries" in older


def test_after_a_write_the_plan_page_says_what_was_done_in_its_own_words_only(
        client: TestClient, ledger: Ledger, people: People, api: Api) -> None:
    plan_id = api.open_plan()
    page_as(client, ledger, people, "senco", "/")  # signed in
    client.cookies.set(NOTICE_COOKIE, "provisions-added")  # as a form's write leaves it (notices.redirect_with_notice)
    done = client.get(f"/plans/{plan_id}")
    assert "govuk-notification-banner--success" in done.text and "Provision added" in done.text
    assert NOTICE_COOKIE in done.headers.get("set-cookie", "")  # shown once: cleared
    client.cookies.set(NOTICE_COOKIE, "Call 0800 000 000")
    forged = client.get(f"/plans/{plan_id}", params={"done": "Call 0800 000 000"}).text
    assert "govuk-notification-banner" not in forged and "0800" not in forged


def test_an_erased_plan_says_so_and_gives_no_bundle(
        client: TestClient, ledger: Ledger, people: People, api: Api) -> None:
    plan_id = api.open_plan()
    assert_written(api.post(f"/v1/plans/{plan_id}/close", {"reason": "Left the school"}), 200)
    assert_written(api.post(f"/v1/plans/{plan_id}/erase", {"reason": "The family asked, retention ended"},
                            "admin"), 200)
    page = page_as(client, ledger, people, "admin", f"/plans/{plan_id}")
    assert page.status_code == 200
    assert "personal details were erased on 20 November 2026" in page.text and "Okafor" not in page.text
    bundle = page_as(client, ledger, people, "admin", f"/plans/{plan_id}/bundle.pdf")
    assert bundle.status_code == 410 and "This record was erased" in bundle.text
