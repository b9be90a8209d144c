"""Reading a plan in a real browser (both stores): a SENCO reads the plan now and as it was, its history with the
marks, what changed, the delivery chart, downloads the evidence bundle and opens the setting's reports; a parent,
without JavaScript, reads the same plan. Every page checked with axe (WCAG 2.2 A/AA) at 390 and 1280 px, and
photographed at both widths (test-results/screenshots/read-*.png)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import httpx2 as httpx
from playwright.sync_api import Page, expect

from isp_ledger.application import Ledger
from tests import samples
from tests.browser.helpers import check_both_widths, screenshot, sign_in
from tests.conftest import SETTING, FakeClock
from tests.mailbox import Mailbox


def school(ledger: Ledger, clock: FakeClock, base_url: str) -> dict[str, Any]:
    """A plan with every section, a back-dated entry, a correction, an entry recorded in error and sessions,
    shared with a parent; written through the API as the SENCO and a teacher would."""
    senco, senco_token = ledger.accounts.add_user(name="Sam Senco", role="senco", setting_urn=SETTING,
                                                  email="senco@example.org")
    _teacher, teacher_token = ledger.accounts.add_user(name="Tess Teacher", role="teacher", setting_urn=SETTING)
    parent, _ = ledger.accounts.add_user(name="Pat Parent", role="parent", email="parent@example.org")
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {senco_token}"}) as api:
        def post(path: str, body: dict[str, Any], token: str | None = None) -> dict[str, Any]:
            headers = {"Authorization": f"Bearer {token}"} if token else None
            response = api.post(path, json=body, headers=headers)
            assert response.status_code in (200, 201), response.text
            answer: dict[str, Any] = response.json()
            return answer

        assert api.put(f"/v1/settings/{SETTING}", json={"name": "Millbrook Primary"}).status_code == 200
        plan_id = post("/v1/plans", samples.plan_body(pupil=samples.pupil()))["plan_id"]
        plan = f"/v1/plans/{plan_id}"
        barrier = post(f"{plan}/barriers", samples.barrier())["item_id"]
        provision = post(f"{plan}/provisions", samples.provision([barrier]))
        post(f"{plan}/adjustments", samples.adjustment([barrier]))
        outcome = post(f"{plan}/outcomes", samples.outcome([barrier]))["item_id"]
        post(f"{plan}/grants", {"user_id": parent.user_id, "relationship": "parent"})
        wrong = post(f"{plan}/contributions", {"kind": "parent_view", "text": "A note about another child"})
        clock.set(dt.datetime(2026, 12, 4, 15, 0, tzinfo=dt.UTC))
        post(f"{plan}/outcomes/{outcome}/progress",
             {"measured_on": "2026-12-01", "value": 12, "note": "12 of 20 words", "source": "phonics check"})
        post(f"{plan}/corrections", {"event_id": provision["event_id"], "reason": "The agreement says 4 a week",
                                     "changes": {"sessions_per_week": 4}})
        post(f"{plan}/corrections", {"event_id": wrong["event_id"], "reason": "Put on the wrong plan", "void": True})
        for day, status in (("2026-11-30", "delivered"), ("2026-12-01", "delivered"), ("2026-12-02", "missed"),
                            ("2026-12-03", "delivered")):
            post("/v1/deliveries", {"entries": [{"plan_id": plan_id, "provision_id": provision["item_id"]}],
                                    "date": day, "status": status,
                                    **({"minutes": 30} if status == "delivered" else
                                       {"missed_reason": "pupil_absent"})}, teacher_token)
    return {"plan_id": plan_id, "senco": senco}


def test_a_senco_reads_a_plan_its_history_changes_and_delivery_and_downloads_the_bundle(
    page: Page, live_server: str, smtp: Mailbox, ledger: Ledger, clock: FakeClock
) -> None:
    plan_id = school(ledger, clock, live_server)["plan_id"]
    sign_in(page, live_server, smtp, "senco@example.org")
    page.get_by_role("link", name="Okafor, Amara").click()
    expect(page.get_by_role("heading", name="Amara Okafor's plan")).to_be_visible()
    expect(page.get_by_text("Millbrook Primary (URN 123456)").first).to_be_visible()
    expect(page.get_by_text("4 sessions a week, 30 minutes each")).to_be_visible()
    check_both_widths(page, "read-plan-senco")

    page.get_by_role("group", name="See the plan as it was on a date").get_by_label("Day").fill("20")
    page.get_by_label("Month").fill("11")
    page.get_by_label("Year").fill("2026")
    page.get_by_role("button", name="Show the plan on this date").click()
    expect(page.get_by_text("This is the plan as it was on 20 November 2026.")).to_be_visible()
    check_both_widths(page, "read-plan-as-of")

    page.get_by_role("link", name="History of the plan").click()
    expect(page.get_by_role("heading", name="History of Amara Okafor's plan")).to_be_visible()
    for mark in ("Back-dated", "Corrected", "Recorded in error"):
        expect(page.locator(".govuk-tag", has_text=mark).first).to_be_visible()
    expect(page.get_by_text("Put on the wrong plan").first).to_be_visible()
    check_both_widths(page, "read-history")

    page.get_by_role("link", name="What changed between two dates").click()
    page.get_by_role("group", name="From").get_by_label("Day").fill("4")
    page.get_by_role("group", name="From").get_by_label("Month").fill("12")
    page.get_by_role("group", name="From").get_by_label("Year").fill("2026")
    page.get_by_role("button", name="Show the changes").click()
    expect(page.get_by_text("Changes recorded from 4 December 2026 to 4 December 2026")).to_be_visible()
    expect(page.get_by_text("Progress towards outcomes")).to_be_visible()
    check_both_widths(page, "read-changes")

    page.get_by_role("link", name="Support planned and delivered").click()
    chart = page.get_by_role("img", name="Sessions planned and delivered")
    expect(chart).to_be_visible()
    expect(page.get_by_role("table", name="Small-group phonics with a trained TA")).to_be_visible()
    check_both_widths(page, "read-delivery")
    with page.expect_download(timeout=60_000) as download:  # the PDF is drawn on request (WeasyPrint)
        page.get_by_role("link", name="Download the evidence bundle for this period (PDF)").click()
    assert download.value.suggested_filename.startswith(f"isp-evidence-{plan_id}-")
    assert download.value.path().read_bytes().startswith(b"%PDF")

    page.goto(f"{live_server}/")
    page.get_by_role("link", name="Reviews due").click()
    expect(page.get_by_role("heading", name="Reviews due")).to_be_visible()
    check_both_widths(page, "read-reviews-due")
    page.get_by_role("link", name="Gaps to fix in plans").click()
    expect(page.get_by_role("heading", name="Gaps to fix in plans")).to_be_visible()
    check_both_widths(page, "read-quality")


def test_a_parent_reads_the_same_plan_and_its_history_without_javascript(
    new_page: Callable[..., Page], live_server: str, smtp: Mailbox, ledger: Ledger, clock: FakeClock
) -> None:
    school(ledger, clock, live_server)
    page = new_page(javascript=False)
    sign_in(page, live_server, smtp, "parent@example.org")
    page.get_by_role("link", name="Amara Okafor").click()
    expect(page.get_by_role("heading", name="Amara Okafor's plan")).to_be_visible()
    expect(page.get_by_text("4 sessions a week, 30 minutes each")).to_be_visible()
    expect(page.get_by_role("link", name="Respond to the plan")).to_be_visible()
    expect(page.get_by_role("link", name="Change", exact=True)).to_have_count(0)
    screenshot(page, "read-plan-parent")  # axe needs JavaScript: the same page is checked in the SENCO's journey
    page.get_by_role("link", name="History of the plan").click()
    expect(page.locator(".govuk-tag", has_text="Recorded in error").first).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"^(Correct|Mark as recorded in error) \(entry"))).to_have_count(0)
    page.get_by_role("link", name="Support planned and delivered").click()
    expect(page.get_by_role("img", name="Sessions planned and delivered")).to_be_visible()
