"""The read pages over a period, through the pages' routes (no browser): what changed between two dates, support
planned against delivered (chart and table), the evidence bundle's PDF, and a setting's reports."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient

from isp_ledger.application import Ledger
from tests import samples
from tests.conftest import SETTING, People
from tests.e2e.helpers import Api
from tests.e2e.web_read import page_as


def test_what_changed_lists_each_section_with_fields_before_and_after(
        client: TestClient, ledger: Ledger, people: People, api: Api) -> None:
    ids = api.full_plan()
    plan_id = ids["plan"]
    api.clock.set(dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.UTC))
    assert api.patch(f"/v1/plans/{plan_id}/provisions/{ids['provision']}",
                     {"sessions_per_week": 2, "location": "in_class", "reason": "Timetable"}).status_code == 200
    assert api.post(f"/v1/plans/{plan_id}/adjustments/{ids['adjustment']}/end",
                    {"reason": "No longer needed"}).status_code == 200
    assert api.post(f"/v1/plans/{plan_id}/contributions",
                    {"kind": "parent_view", "text": "Much happier at school"}, "senco"
                    ).status_code == 201
    page = page_as(client, ledger, people, "senco", f"/plans/{plan_id}/changes",
                   **{"from-day": "1", "from-month": "12", "from-year": "2026",
                      "to-day": "2", "to-month": "12", "to-year": "2026"})
    assert page.status_code == 200, page.text
    text = page.text
    for words in ("Changes recorded from 1 December 2026 to 2 December 2026", "Changed: Small-group phonics",
                  "Number of sessions a week", "<td class=\"govuk-table__cell\">3</td>",
                  "<td class=\"govuk-table__cell\">2</td>", "Withdrawn from class".lower(), "in class",
                  "Ended:", "withdrawn on 2 December 2026. Reason: No longer needed",
                  "Parent&#39;s view added on 2 December 2026", "Much happier at school"):
        assert words in text, words
    assert "Finds it hard to blend" not in text  # the need was added before the period
    whole = page_as(client, ledger, people, "senco", f"/plans/{plan_id}/changes", **{"from": "2026-11-20"}).text
    assert "Added:" in whole and "Finds it hard to blend" in whole
    quiet = page_as(client, ledger, people, "senco", f"/plans/{plan_id}/changes",
                    **{"from": "2026-11-25", "to": "2026-11-30"}).text
    assert "Nothing in the plan changed in this period." in quiet


def test_a_period_that_is_no_period_is_an_error_beside_the_field_with_what_was_typed(
        client: TestClient, ledger: Ledger, people: People, api: Api) -> None:
    plan_id = api.open_plan()
    for page in ("changes", "delivery"):
        backwards = page_as(client, ledger, people, "senco", f"/plans/{plan_id}/{page}",
                            **{"from-day": "20", "from-month": "11", "from-year": "2026",
                               "to-day": "1", "to-month": "11", "to-year": "2026"})
        assert backwards.status_code == 422
        assert "The first day must not be after the last day" in backwards.text
        assert 'href="#from-day"' in backwards.text and 'value="20"' in backwards.text
        half = page_as(client, ledger, people, "senco", f"/plans/{plan_id}/{page}",
                       **{"to-day": "1", "to-month": "", "to-year": "2026"})
        assert half.status_code == 422 and "The last day must include a month" in half.text
    bundle = page_as(client, ledger, people, "senco", f"/plans/{plan_id}/bundle.pdf", **{"from": "2026-13-01"})
    assert bundle.status_code == 422 and "This was not done" in bundle.text


def test_delivery_shows_the_chart_with_its_figures_in_words_and_the_table(
        client: TestClient, ledger: Ledger, people: People, api: Api) -> None:
    ids = api.full_plan()
    plan_id = ids["plan"]
    api.clock.set(dt.datetime(2026, 12, 4, 16, 0, tzinfo=dt.UTC))
    for day, status in (("2026-11-30", "delivered"), ("2026-12-01", "delivered"), ("2026-12-02", "missed")):
        body = {"entries": [{"plan_id": plan_id, "provision_id": ids["provision"]}], "date": day,
                "status": status, **({"minutes": 30} if status == "delivered" else {"missed_reason": "pupil_absent"})}
        assert api.post("/v1/deliveries", body, "teacher").status_code == 201
    page = page_as(client, ledger, people, "teacher", f"/plans/{plan_id}/delivery",
                   **{"from": "2026-11-30", "to": "2026-12-04"})
    assert page.status_code == 200, page.text
    text = page.text
    assert '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 360' in text and 'role="img"' in text
    api_figures = api.get(f"/v1/plans/{plan_id}/delivery", "teacher", **{"from": "2026-11-30", "to": "2026-12-04"})
    planned = api_figures.json()["provisions"][0]["planned_sessions"]
    assert f"Small-group phonics with a trained TA: {planned:g} sessions planned, 2 delivered." in text
    assert "The figures, provision by provision" in text
    assert '<caption class="govuk-table__caption govuk-table__caption--s">Small-group phonics' in text
    assert "Sessions missed (pupil absent: 1)" in text
    assert f'href="/plans/{plan_id}/bundle.pdf?from=2026-11-30&amp;to=2026-12-04"' in text


def test_the_evidence_bundle_downloads_as_the_apis_pdf(
        client: TestClient, ledger: Ledger, people: People, api: Api) -> None:
    plan_id = api.full_plan()["plan"]
    give = api.post(f"/v1/plans/{plan_id}/grants", {"user_id": people.parent.user_id, "relationship": "parent"})
    assert give.status_code == 201, give.text
    for who in ("senco", "parent"):
        response = page_as(client, ledger, people, who, f"/plans/{plan_id}/bundle.pdf",
                           **{"from": "2026-11-01", "to": "2026-11-20"})
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/pdf" and response.content.startswith(b"%PDF")
        assert response.headers["content-disposition"] == (
            f'attachment; filename="isp-evidence-{plan_id}-2026-11-01-to-2026-11-20.pdf"')


def test_the_settings_reports_link_each_plan_and_say_what_to_do(
        client: TestClient, ledger: Ledger, people: People, api: Api) -> None:
    due = api.open_plan(next_review_due="2026-12-01")
    api.add(due, "provisions", samples.provision([api.add_barrier(due)]))
    reviews = page_as(client, ledger, people, "senco", f"/settings/{SETTING}/reviews-due").text
    assert f'href="/plans/{due}"' in reviews and "1 December 2026" in reviews and "in 11 days" in reviews
    assert "the setting with URN 123456" in reviews
    api.clock.set(dt.datetime(2026, 12, 3, 10, 0, tzinfo=dt.UTC))
    overdue = page_as(client, ledger, people, "teacher", f"/settings/{SETTING}/reviews-due").text
    assert "Overdue by 2 days" in overdue
    quality = page_as(client, ledger, people, "senco", f"/settings/{SETTING}/quality").text
    assert f'href="/plans/{due}"' in quality and "The next review was due on 1 December 2026" in quality
    other = page_as(client, ledger, people, "other_senco", "/settings/654321/reviews-due").text
    assert "No review is overdue" in other and "Okafor" not in other
