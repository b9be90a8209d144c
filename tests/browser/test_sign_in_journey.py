"""Signing in with a code from the mail, landing on one's plans, and signing out, in a real browser (both stores)."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from playwright.sync_api import Page, expect

from isp_ledger.access import User
from isp_ledger.application import Ledger
from tests.browser.helpers import check_both_widths, sign_in
from tests.conftest import SETTING
from tests.mailbox import Mailbox
from tests.samples import pupil


def test_a_senco_signs_in_with_the_code_sees_their_plans_and_signs_out(
    page: Page, live_server: str, smtp: Mailbox, ledger: Ledger, person: Callable[..., User]
) -> None:
    senco = person("senco", setting=SETTING, name="Sam Senco")
    ledger.commands.open_plan(senco, pupil=pupil(given_name="Amara", family_name="Okafor"), setting_urn=SETTING,
                              tier="targeted")
    page.goto(f"{live_server}/")
    expect(page).to_have_url(f"{live_server}/sign-in")
    check_both_widths(page, "sign-in")
    page.get_by_label("Email address").fill("SENCO@example.org")  # addresses are compared whatever their case
    page.get_by_role("button", name="Send me a code").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    check_both_widths(page, "sign-in-code")
    page.get_by_label("Code from the email").fill(smtp.code_for("senco@example.org", 1))
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(f"{live_server}/")
    expect(page.get_by_text("Signed in as Sam Senco")).to_be_visible()
    expect(page.get_by_role("link", name="Okafor, Amara")).to_be_visible()
    check_both_widths(page, "plans")
    page.get_by_label("Find a pupil").fill("okaf")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name="Okafor, Amara")).to_be_visible()
    page.get_by_label("Find a pupil").fill("nobody")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("No plans match “nobody”.")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="You have signed out")).to_be_visible()
    check_both_widths(page, "signed-out")
    page.goto(f"{live_server}/")
    expect(page).to_have_url(f"{live_server}/sign-in")


def test_a_parent_signs_in_without_javascript_and_sees_the_plans_shared_with_them(
    new_page: Callable[..., Page], live_server: str, smtp: Mailbox, ledger: Ledger, person: Callable[..., User]
) -> None:
    senco = person("senco", setting=SETTING)
    parent = person("parent", name="Pat Parent")
    opened = ledger.commands.open_plan(senco, pupil=pupil(given_name="Zoë", family_name="O'Neill"),
                                       setting_urn=SETTING, tier="targeted")
    ledger.grants.grant(senco, UUID(opened.body["plan_id"]), user_id=parent.user_id, relationship="parent")
    without_js = new_page(javascript=False)
    sign_in(without_js, live_server, smtp, "parent@example.org")
    expect(without_js.get_by_role("heading", name="Your plans")).to_be_visible()
    expect(without_js.get_by_role("link", name="Zoë O'Neill")).to_be_visible()
    without_js.get_by_role("button", name="Sign out").click()
    expect(without_js.get_by_role("heading", name="You have signed out")).to_be_visible()

    page = new_page()  # axe-core runs in the page, so the same page is checked with JavaScript on
    sign_in(page, live_server, smtp, "parent@example.org")
    expect(page.get_by_role("link", name="Zoë O'Neill")).to_be_visible()
    check_both_widths(page, "your-plans")
