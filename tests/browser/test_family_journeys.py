"""Families' journeys in a real browser (both stores): a parent signs in by code, disagrees with the plan with a
comment, adds their views and their child's, and sees their own visit among who has looked at the plan; the plan's
one-page summary prints on one A4 page; a professional adds advice; a complaint handler reads the summary but can
neither respond nor see the access log; staff record a parent's response with JavaScript off. Every page is
checked with axe (WCAG 2.2 A/AA) at 390 and 1280 px, and photographed at both widths."""

from __future__ import annotations

import io
from collections.abc import Callable
from uuid import UUID

from playwright.sync_api import Page, expect
from pypdf import PdfReader

from isp_ledger.access import User
from isp_ledger.application import Ledger
from tests import samples
from tests.browser.helpers import SCREENSHOTS, check_both_widths, screenshot, sign_in
from tests.conftest import SETTING
from tests.mailbox import Mailbox

People = Callable[..., User]


def typical_plan(ledger: Ledger, senco: User, given_name: str = "Amara", family_name: str = "Okafor") -> UUID:
    """A plan as a school writes one: two needs, two provisions, two adjustments, two outcomes with progress."""
    opened = ledger.commands.open_plan(senco, pupil=samples.pupil(given_name=given_name, family_name=family_name),
                                       setting_urn=SETTING, tier="targeted")
    plan_id = UUID(opened.body["plan_id"])
    add = ledger.commands.add_item
    reading = add(senco, plan_id, "barriers", samples.barrier()).body["item_id"]
    focus = add(senco, plan_id, "barriers", samples.barrier(
        description="Finds it hard to stay on task for more than ten minutes in whole-class teaching",
        area_of_need="semh", need_type="SEMH", evidence="Class teacher's observations, October 2026")).body["item_id"]
    add(senco, plan_id, "provisions", samples.provision([reading]))
    add(senco, plan_id, "provisions", samples.provision(
        [focus], description="ELSA (Emotional Literacy Support Assistant) sessions", delivered_by="ELSA",
        group_size=1, sessions_per_week=1, minutes_per_session=30))
    add(senco, plan_id, "adjustments", samples.adjustment([reading]))
    add(senco, plan_id, "adjustments", samples.adjustment(
        [focus], description="Movement breaks between tasks, with a timer", category="routines"))
    for barrier, description in ((reading, None), (focus, "Stays on task for 15 minutes with one prompt")):
        fields = samples.outcome([barrier]) if description is None else samples.outcome(
            [barrier], description=description, success_criteria="Three observations in a fortnight",
            baseline="5 minutes", target="15 minutes")
        outcome = add(senco, plan_id, "outcomes", fields).body["item_id"]
        ledger.commands.record_progress(senco, plan_id, outcome, {
            "measured_on": "2026-11-20", "note": "Good start; more practice at home would help", "source": "TA"})
    return plan_id


def test_a_parent_disagrees_adds_views_and_sees_who_has_looked(
        page: Page, live_server: str, smtp: Mailbox, ledger: Ledger, person: People) -> None:
    senco = person("senco", setting=SETTING, name="Sam Senco")
    parent = person("parent", name="Pat Parent")
    plan_id = typical_plan(ledger, senco)
    second = typical_plan(ledger, senco, given_name="Kofi")
    for granted in (plan_id, second):
        ledger.grants.grant(senco, granted, user_id=parent.user_id, relationship="parent")
    ledger.history.plan_document(senco, plan_id)
    plan = f"{live_server}/plans/{plan_id}"

    sign_in(page, live_server, smtp, "parent@example.org")
    expect(page.get_by_role("link", name="Amara Okafor")).to_be_visible()  # a parent with two children
    expect(page.get_by_role("link", name="Kofi Okafor")).to_be_visible()
    check_both_widths(page, "family-your-plans-two-children")

    page.goto(f"{plan}/respond")
    expect(page.get_by_role("heading", name="Do you agree with this plan?")).to_be_visible()
    check_both_widths(page, "family-respond")
    page.get_by_label("Comment (optional)").fill("Phonics three times a week is not enough")
    page.get_by_role("button", name="Send my answer").click()
    expect(page.get_by_role("link", name="Select whether you agree with the plan")).to_be_visible()
    expect(page.get_by_label("Comment (optional)")).to_have_value("Phonics three times a week is not enough")
    check_both_widths(page, "family-respond-error")
    page.get_by_label("I disagree with it").check()
    page.get_by_role("button", name="Send my answer").click()
    expect(page).to_have_url(plan)

    for kind, label, heading, words in (
            ("parent_view", "Views", "Add your views", "She is tired after the phonics group"),
            ("pupil_voice", "Views", "Add your child's views", "I like the group but it is noisy")):
        page.goto(f"{plan}/views/new?kind={kind}")
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
        check_both_widths(page, f"family-views-{kind}")
        page.get_by_label(label).fill(words)
        page.get_by_role("button", name=heading).click()
        expect(page).to_have_url(plan)

    page.goto(f"{plan}/access-log")
    expect(page.get_by_role("cell", name="You read who has looked at the plan.")).to_be_visible()
    expect(page.get_by_role("cell", name="Sam Senco (SENCO) read the plan as it stands.")).to_be_visible()
    check_both_widths(page, "family-access-log")

    document = ledger.history.plan_document(senco, plan_id)
    assert [a["response"] for a in document["acknowledgements"]] == ["disagree"]
    assert [c["kind"] for c in document["contributions"]] == ["parent_view", "pupil_voice"]


def test_the_summary_prints_on_one_a4_page(page: Page, live_server: str, smtp: Mailbox, ledger: Ledger,
                                           person: People) -> None:
    senco = person("senco", setting=SETTING, name="Sam Senco")
    ledger.setting_details.set_details(senco, SETTING, name="Hawthorn Road Primary School", local_authority=None)
    plan_id = typical_plan(ledger, senco)
    sign_in(page, live_server, smtp, "senco@example.org")
    page.goto(f"{live_server}/plans/{plan_id}/summary")
    expect(page.get_by_role("heading", name="Amara Okafor")).to_be_visible()
    expect(page.get_by_text("Hawthorn Road Primary School (URN 123456)")).to_be_visible()
    check_both_widths(page, "family-summary")

    pdf = page.pdf(format="A4", print_background=True)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "family-summary.pdf").write_bytes(pdf)
    printed = PdfReader(io.BytesIO(pdf))
    assert len(printed.pages) == 1
    text = printed.pages[0].extract_text()
    assert "Amara Okafor" in text and "Sign out" not in text and "isp-ledger: an open-source" not in text
    assert "Back to the plan" not in text and "Signed in as" not in text
    page.emulate_media(media="print")  # how it prints, to look at
    page.set_viewport_size({"width": 794, "height": 1123})
    page.screenshot(path=str(SCREENSHOTS / "family-summary-print.png"), full_page=True)
    page.emulate_media(media="screen")
    page.goto(f"{live_server}/plans/{plan_id}/respond")  # staff's form: the parent's name and how they gave it
    expect(page.get_by_role("group", name="How did they give it?")).to_be_visible()
    check_both_widths(page, "family-respond-staff")


def test_a_professional_with_many_plans_adds_advice(page: Page, live_server: str, smtp: Mailbox, ledger: Ledger,
                                                    person: People) -> None:
    senco = person("senco", setting=SETTING)
    professional = person("professional", name="Dr Ola Adeyemi")
    names = ("Amara", "Bea", "Cal", "Dev", "Esme", "Finn", "Gus", "Hana", "Ivo", "Jude", "Kit", "Lola")
    plans = [typical_plan(ledger, senco, given_name=name, family_name="Taylor") if i == 0 else UUID(
        ledger.commands.open_plan(senco, pupil=samples.pupil(given_name=name, family_name="Taylor"),
                                  setting_urn=SETTING, tier="targeted_plus").body["plan_id"])
        for i, name in enumerate(names)]
    for plan_id in plans:
        ledger.grants.grant(senco, plan_id, user_id=professional.user_id, relationship="professional")
    sign_in(page, live_server, smtp, "professional@example.org")
    expect(page.get_by_role("link", name="Lola Taylor")).to_be_visible()
    check_both_widths(page, "family-your-plans-professional")

    page.goto(f"{live_server}/plans/{plans[0]}/views/new?kind=professional_advice")
    check_both_widths(page, "family-advice")
    page.get_by_label("Your profession").fill("Speech and language therapist")
    page.get_by_label("Advice").fill("Pre-teach key words before each topic; check understanding with pictures")
    page.get_by_role("button", name="Add professional advice").click()
    expect(page).to_have_url(f"{live_server}/plans/{plans[0]}")
    [advice] = ledger.history.plan_document(senco, plans[0])["contributions"]
    assert advice["profession"] == "Speech and language therapist"


def test_a_complaint_handler_reads_the_summary_but_cannot_respond_or_see_the_access_log(
        page: Page, live_server: str, smtp: Mailbox, ledger: Ledger, person: People) -> None:
    senco = person("senco", setting=SETTING)
    handler = person("complaint_handler", name="Chris Panel")
    plan_id = typical_plan(ledger, senco)
    ledger.grants.grant(senco, plan_id, user_id=handler.user_id, relationship="complaint_handler",
                        expires_on="2027-06-30")
    sign_in(page, live_server, smtp, "complaint_handler@example.org")
    page.goto(f"{live_server}/plans/{plan_id}/summary")
    expect(page.get_by_role("heading", name="Amara Okafor")).to_be_visible()
    for what in ("respond", "access-log"):
        response = page.goto(f"{live_server}/plans/{plan_id}/{what}")
        assert response is not None and response.status == 403
        expect(page.get_by_role("heading", name="You cannot do this")).to_be_visible()
        expect(page.get_by_text("Okafor")).to_have_count(0)
    check_both_widths(page, "family-forbidden")


def test_staff_record_a_parents_response_without_javascript(
        new_page: Callable[..., Page], live_server: str, smtp: Mailbox, ledger: Ledger, person: People) -> None:
    senco = person("senco", setting=SETTING, name="Sam Senco")
    plan_id = typical_plan(ledger, senco)
    page = new_page(javascript=False)
    sign_in(page, live_server, smtp, "senco@example.org")
    page.goto(f"{live_server}/plans/{plan_id}/respond")
    expect(page.get_by_role("heading", name="Record a parent's response to the plan")).to_be_visible()
    page.get_by_label("They agree with it").check()
    page.get_by_role("button", name="Record their response").click()
    expect(page.get_by_role("link", name="Enter the name of the parent whose response this is")).to_be_visible()
    expect(page.get_by_label("They agree with it")).to_be_checked()
    screenshot(page, "family-respond-staff-error")  # axe runs in the page's JavaScript: not here (axe of this
    # form, with JavaScript, is test_a_parent_disagrees_adds_views_and_sees_who_has_looked's)
    page.get_by_label("Parent's name").fill("Pat Parent")
    page.get_by_label("By phone").check()
    page.get_by_label("Their comment (optional)").fill("Happy with the new ELSA sessions")
    page.get_by_role("button", name="Record their response").click()
    expect(page).to_have_url(f"{live_server}/plans/{plan_id}")
    [response] = ledger.history.plan_document(senco, plan_id)["acknowledgements"]
    assert (response["given_by"], response["method"], response["response"]) == ("Pat Parent", "phone", "agree")
