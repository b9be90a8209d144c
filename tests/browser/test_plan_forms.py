"""A SENCO keeps a plan by its forms in a real browser (both stores): opens it, adds a need, provision addressing
it and an outcome, records a review, corrects one entry and strikes out another; each form checked by axe at a
phone's width and a desktop's, with screenshots. And one need added by keyboard alone (Tab, Enter, Space and
typing)."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from playwright.sync_api import Page, expect

from isp_ledger.access import User
from isp_ledger.application import Ledger
from tests.browser.helpers import check_both_widths, sign_in
from tests.conftest import SETTING
from tests.mailbox import Mailbox
from tests.samples import new_upn


def fill_date(page: Page, name: str, day: int, month: int, year: int) -> None:
    page.locator(f"#{name}-day").fill(str(day))
    page.locator(f"#{name}-month").fill(str(month))
    page.locator(f"#{name}-year").fill(str(year))


def done(page: Page, banner: str) -> str:
    """After a write: the success banner on the page the form went to (the plan's), and the plan's id."""
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(banner)
    return page.url.rsplit("/plans/", 1)[1]


def test_a_senco_keeps_a_plan_by_its_forms(page: Page, live_server: str, smtp: Mailbox, ledger: Ledger,
                                           person: Callable[..., User]) -> None:
    senco = person("senco", setting=SETTING, name="Sam Senco")
    ledger.setting_details.set_details(senco, SETTING, name="Hillside Primary", local_authority=None)
    sign_in(page, live_server, smtp, "senco@example.org")

    page.goto(f"{live_server}/plans/new")
    expect(page.get_by_text("Hillside Primary (URN 123456)")).to_be_visible()
    check_both_widths(page, "form-open-plan")
    page.get_by_label("Unique Pupil Number (UPN)").fill(new_upn())
    page.get_by_label("First name").fill("Amara")
    page.get_by_label("Family name").fill("Okafor")
    fill_date(page, "date_of_birth", 14, 5, 2017)
    page.get_by_label("Targeted", exact=True).check()
    page.get_by_role("button", name="Open the plan").click()
    plan_id = done(page, "Plan opened")
    base = f"{live_server}/plans/{plan_id}"

    page.goto(f"{base}/barriers/new")
    page.get_by_role("button", name="Add a need").click()  # nothing filled in: every field says what it needs
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page.locator("#description-error")).to_contain_text("What makes learning harder is required")
    check_both_widths(page, "form-need-errors")
    page.get_by_label("What makes learning harder").fill("Finds it hard to blend sounds")
    page.get_by_label("Cognition and learning").check()
    page.get_by_label("Type of need").select_option("SPLD")
    page.get_by_label("Evidence").fill("Phonics screening check: 22/40")
    page.get_by_role("button", name="Add a need").click()
    done(page, "Need added")

    page.goto(f"{base}/provisions/new")
    check_both_widths(page, "form-provision")
    page.get_by_label("Provision", exact=True).fill("Small-group phonics")
    page.get_by_label("Finds it hard to blend sounds").check()
    page.get_by_label("Who delivers it").fill("teaching assistant")
    page.get_by_label("Sessions a week").fill("3")
    page.get_by_label("Minutes each session").fill("30")
    page.get_by_label("Group size").fill("4")
    page.get_by_label("Withdrawn from class").check()
    fill_date(page, "starts_on", 23, 11, 2026)
    page.get_by_role("button", name="Add provision").click()
    done(page, "Provision added")

    page.goto(f"{base}/outcomes/new")
    page.get_by_label("Outcome", exact=True).fill("Reads CVC words accurately")
    page.get_by_label("How success will be judged").fill("18 of 20 in a termly check")
    page.get_by_label("Finds it hard to blend sounds").check()
    fill_date(page, "target_date", 16, 7, 2027)
    page.get_by_role("button", name="Add an outcome").click()
    done(page, "Outcome added")

    page.goto(f"{base}/reviews/new")
    check_both_widths(page, "form-review")
    fill_date(page, "held_on", 20, 11, 2026)
    page.get_by_label("Role of person 1").fill("SENCO")
    page.get_by_label("Name of person 1").fill("Sam Senco")
    page.get_by_label("Role of person 2").fill("Parent")
    page.get_by_label("Name of person 2").fill("Pat Okafor")
    page.get_by_label("What the parents said (optional)").fill("Pleased with progress")
    page.get_by_label("Summary of what was decided").fill("Continue the phonics group")
    fill_date(page, "next_review_due", 19, 3, 2027)
    page.get_by_role("button", name="Record the review").click()
    done(page, "Review recorded")

    plan = ledger.plans.current(UUID(plan_id))
    provision_id = plan.section_items["provisions"][0]
    outcome_id = plan.section_items["outcomes"][0]
    page.goto(f"{base}/provisions/{provision_id}/edit")
    check_both_widths(page, "form-provision-change")
    page.get_by_label("Sessions a week").fill("2")
    page.get_by_label("Why it changed").fill("Agreed at the review")
    page.get_by_role("button", name="Save the change").click()
    done(page, "Provision changed")

    entry = ledger.plans.current(UUID(plan_id)).records[provision_id][0]["event_id"]
    page.goto(f"{base}/entries/{entry}/correct")
    expect(page.get_by_role("heading", name="The entry as recorded")).to_be_visible()
    check_both_widths(page, "form-correct")
    page.get_by_label("Minutes each session").fill("35")
    page.get_by_label("Why it is being corrected").fill("The sessions were always 35 minutes")
    page.get_by_role("button", name="Save the correction").click()
    done(page, "Entry corrected")

    barrier_entry = ledger.plans.current(UUID(plan_id)).records[plan.section_items["barriers"][0]][0]["event_id"]
    page.goto(f"{base}/entries/{barrier_entry}/void")  # provision addresses it: the rule says no
    page.get_by_label("Why it was recorded in error").fill("Wrong child")
    page.get_by_role("button", name="Strike it out").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page.get_by_label("Why it was recorded in error")).to_have_value("Wrong child")

    outcome_entry = ledger.plans.current(UUID(plan_id)).records[outcome_id][0]["event_id"]
    page.goto(f"{base}/entries/{outcome_entry}/void")
    check_both_widths(page, "form-void")
    page.get_by_label("Why it was recorded in error").fill("Set on the wrong child's plan")
    page.get_by_role("button", name="Strike it out").click()
    done(page, "Entry struck out as recorded in error")

    document = ledger.history.plan_document(senco, UUID(plan_id))
    assert [p["minutes_per_session"] for p in document["provisions"]] == [35]
    assert [p["sessions_per_week"] for p in document["provisions"]] == [2]
    assert document["outcomes"] == [] and len(document["reviews"]) == 1

    page.goto(f"{base}/close")
    check_both_widths(page, "form-close")


def tab_to(page: Page, selector: str, limit: int = 80) -> None:
    """Press Tab until ``selector`` has the focus (and fail if it never does)."""
    for _ in range(limit):
        if page.evaluate(f"document.activeElement.matches({selector!r})"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def test_a_need_is_added_by_keyboard_alone(page: Page, live_server: str, smtp: Mailbox, ledger: Ledger,
                                           person: Callable[..., User]) -> None:
    senco = person("senco", setting=SETTING)
    plan_id = ledger.commands.open_plan(senco, pupil={"upn": new_upn(), "given_name": "Amara",
                                                      "family_name": "Okafor", "date_of_birth": "2017-05-14"},
                                        setting_urn=SETTING, tier="targeted").body["plan_id"]
    sign_in(page, live_server, smtp, "senco@example.org")
    page.goto(f"{live_server}/plans/{plan_id}/barriers/new")
    tab_to(page, "#description")
    page.keyboard.type("Needs instructions repeated")
    tab_to(page, "#area_of_need")  # the first choice
    page.keyboard.press("Space")
    tab_to(page, "#need_type")
    page.keyboard.type("Speech")  # a select chooses by typing its option's first letters
    tab_to(page, "#evidence")
    page.keyboard.type("Speech and language therapist's report")
    tab_to(page, "button.govuk-button[data-module='govuk-button']:not(.govuk-button--secondary)")
    page.keyboard.press("Enter")
    done(page, "Need added")
    barrier = ledger.history.plan_document(senco, UUID(plan_id))["barriers"][0]
    assert (barrier["description"], barrier["area_of_need"], barrier["need_type"]) == (
        "Needs instructions repeated", "communication_and_interaction", "SLCN")
