"""Sharing a plan and a setting's groups in a real browser (both stores): a SENCO invites a parent by email, gives a
complaint handler access until a date and takes it away; the parent signs in with a code and sees the plan; a SENCO
creates a group; a teacher on a phone logs a session from it, unticking one pupil, and the plan's delivery figures
count it. axe (WCAG 2.2 A/AA) and screenshots at 390 and 1280 px on each page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from uuid import UUID

import httpx2 as httpx
from playwright.sync_api import Page, expect

from isp_ledger.access import User
from isp_ledger.application import Ledger
from tests import samples
from tests.browser.helpers import check_both_widths, sign_in
from tests.conftest import SETTING
from tests.mailbox import Mailbox

GROUPS = f"/settings/{SETTING}/groups"


def pupil(ledger: Ledger, senco: User, given: str, family: str, description: str) -> tuple[UUID, str]:
    body = samples.pupil(given_name=given, family_name=family)
    plan = UUID(ledger.commands.open_plan(senco, pupil=body, setting_urn=SETTING, tier="targeted",
                                          agreed_on="2026-09-01").body["plan_id"])
    barrier = ledger.commands.add_item(senco, plan, "barriers", samples.barrier(), agreed_on="2026-09-01")
    provision = ledger.commands.add_item(senco, plan, "provisions", samples.provision(
        [barrier.body["item_id"]], description=description, minutes_per_session=20), agreed_on="2026-09-01")
    return plan, str(provision.body["item_id"])


def test_a_senco_invites_a_parent_and_gives_then_takes_away_a_complaint_handlers_access(
    page: Page, new_page: Callable[..., Page], live_server: str, smtp: Mailbox, ledger: Ledger,
    person: Callable[..., User],
) -> None:
    senco = person("senco", setting=SETTING, name="Sam Senco")
    ledger.accounts.create_user(senco, name="Chris Panel", role="complaint_handler", email="chris@example.org")
    plan, _ = pupil(ledger, senco, "Amira", "Khan", "Phonics catch-up")
    sign_in(page, live_server, smtp, "senco@example.org")
    page.goto(f"{live_server}/plans/{plan}/access")
    expect(page.get_by_role("heading", name="Who can see this plan")).to_be_visible()
    check_both_widths(page, "access")

    invite = page.get_by_role("form", name="Invite a parent or professional by email")
    invite.get_by_label("Full name").fill("Farah Khan")
    invite.get_by_label("Email address").fill("farah.khan@example")
    invite.get_by_label("Parent or carer").check()
    invite.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter an email address in the right form")
    expect(invite.get_by_label("Full name")).to_have_value("Farah Khan")
    check_both_widths(page, "access-invite-error")
    invite.get_by_label("Email address").fill("farah.khan@example.org")
    invite.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("Invitation sent")).to_be_visible()
    expect(page.get_by_role("table", name="Who has access now")).to_contain_text("Farah Khan")
    invitation = smtp.wait_for("farah.khan@example.org")
    text = invitation.get_content()
    assert f"{live_server}/sign-in" in text and not re.search(r"\b\d{6}\b", text)  # where to sign in, no code

    grant = page.get_by_role("form", name="Give access to someone with an account")
    grant.get_by_label("Person").select_option(label="Chris Panel (complaint handler)")
    grant.get_by_label("Complaint handler").check()
    grant.get_by_role("button", name="Give access").click()
    expect(page.get_by_role("alert")).to_contain_text("Last day of access is required for a complaint handler")
    check_both_widths(page, "access-grant-error")
    grant.get_by_label("Day").fill("31")
    grant.get_by_label("Month").fill("1")
    grant.get_by_label("Year").fill("2027")
    grant.get_by_label("Reason (optional)").fill("Complaint 42")
    grant.get_by_role("button", name="Give access").click()
    expect(page.get_by_text("Access given")).to_be_visible()
    page.get_by_role("link", name="Take away access from Chris Panel").click()
    expect(page.get_by_role("heading", name="Take away Chris Panel's access")).to_be_visible()
    check_both_widths(page, "access-revoke")
    page.get_by_label("Reason (optional)").fill("Complaint closed")
    page.get_by_role("button", name="Take away access").click()
    expect(page.get_by_text("Access taken away")).to_be_visible()
    expect(page.get_by_role("table", name="Access that has ended")).to_contain_text("Complaint closed")
    check_both_widths(page, "access-after")

    parent = new_page(width=390)
    sign_in(parent, live_server, smtp, "farah.khan@example.org")
    expect(parent.get_by_role("link", name="Amira Khan")).to_be_visible()


def test_a_senco_creates_a_group_and_a_teacher_logs_a_session_on_a_phone(
    page: Page, new_page: Callable[..., Page], live_server: str, smtp: Mailbox, ledger: Ledger,
    person: Callable[..., User],
) -> None:
    senco = person("senco", setting=SETTING, name="Sam Senco")
    person("teacher", setting=SETTING, name="Tess Assistant")
    members = [pupil(ledger, senco, "Amira", "Khan", "Phonics catch-up"),
               pupil(ledger, senco, "Ben", "Jones", "Phonics catch-up"),
               pupil(ledger, senco, "Cal", "Evans", "Phonics catch-up")]
    sign_in(page, live_server, smtp, "senco@example.org")
    page.get_by_role("link", name="Groups: log a session").click()
    check_both_widths(page, "groups-empty")
    page.get_by_role("button", name="Create a group").click()
    page.get_by_label("Name of the group").fill("Year 2 phonics")
    page.get_by_label("Led by (optional)").fill("Mrs Patel")
    for label in ("Amira K.", "Ben J.", "Cal E."):
        page.get_by_label(re.compile(label)).check()
    check_both_widths(page, "group-new")
    page.get_by_role("button", name="Save group").click()
    expect(page.get_by_text("Group created")).to_be_visible()
    check_both_widths(page, "groups")

    phone = new_page(width=390)
    sign_in(phone, live_server, smtp, "teacher@example.org")
    phone.get_by_role("link", name="Groups: log a session").click()  # two taps from the landing page
    phone.get_by_role("button", name="Log a session of Year 2 phonics").click()
    expect(phone.get_by_role("group", name="Who attended?")).to_be_visible()
    check_both_widths(phone, "group-session")
    phone.set_viewport_size({"width": 390, "height": 900})
    phone.get_by_label(re.compile("Cal E.")).uncheck()
    phone.get_by_label("Day").fill("19")
    phone.get_by_role("button", name="Save session").click()
    expect(phone.get_by_text("Session saved for 3 pupils (1 absent)")).to_be_visible()
    check_both_widths(phone, "groups-saved")

    _, token = ledger.accounts.add_user(name="Reader", role="senco", setting_urn=SETTING)
    for (plan, provision), delivered, missed in zip(members, (1, 1, 0), (0, 0, 1), strict=True):
        week = {"from": "2026-11-16", "to": "2026-11-20"}
        figures = httpx.get(f"{live_server}/v1/plans/{plan}/delivery", params=week,
                            headers={"Authorization": f"Bearer {token}"})
        assert figures.status_code == 200, figures.text
        [row] = [r for r in figures.json()["provisions"] if r["provision_id"] == provision]
        assert (row["delivered_sessions"], row["missed_sessions"]) == (delivered, missed)
