"""Who has looked at the plan, as a parent reads it, and the one-page summary of the plan (both stores)."""

from __future__ import annotations

import html
import re

from isp_ledger.application import Ledger
from tests.conftest import SETTING, FakeClock, People
from tests.e2e.family_pages import PUPIL_NAME, Browser, shared_plan


def rows(page: str) -> list[str]:
    """The access log's rows as read: "22 November 2026 at 10:00 | You read who has looked at the plan."."""
    found = re.findall(r'<time datetime="[^"]+">([^<]+)</time></td>\s*<td class="govuk-table__cell">([^<]+)</td>',
                       page)
    return [f"{html.unescape(when)} | {html.unescape(what)}" for when, what in found]


def test_a_parent_sees_who_has_looked_at_the_plan_newest_first_in_sentences(ledger: Ledger, people: People,
                                                                          clock: FakeClock) -> None:
    shared = shared_plan(ledger, people, clock)  # the clock now reads 22 November 2026, 10:00 UTC
    ledger.history.plan_document(people.senco, shared.plan_id)
    clock.advance(minutes=65)
    ledger.history.plan_document(people.professional, shared.plan_id)
    clock.advance(minutes=5)
    page = Browser(ledger, shared.people["parent"]).get(f"{shared.url}/access-log")
    assert page.status_code == 200
    assert "<h1 class=\"govuk-heading-l\">Who has looked at this plan</h1>" in page.text
    assert rows(page.text)[:3] == [
        "22 November 2026 at 11:10 | You read who has looked at the plan.",
        "22 November 2026 at 11:05 | Dr Pro (professional) read the plan as it stands.",
        "22 November 2026 at 10:00 | Sam Senco (SENCO) read the plan as it stands.",
    ]


def test_the_access_log_is_paged_and_a_bad_page_address_is_refused_plainly(ledger: Ledger, people: People,
                                                                          clock: FakeClock) -> None:
    shared = shared_plan(ledger, people, clock)
    for _ in range(30):
        ledger.history.plan_document(people.teacher, shared.plan_id)
    senco = Browser(ledger, people.senco)
    first = senco.get(f"{shared.url}/access-log")
    assert len(rows(first.text)) == 25
    older = re.search(r'href="(/plans/[^"]+/access-log\?cursor=[^"]+)"', first.text)
    assert older, "no link to earlier entries"
    second = senco.get(html.unescape(older.group(1)))
    assert second.status_code == 200
    assert "Back to the newest" in second.text
    assert rows(second.text) and not set(rows(second.text)) & set(rows(first.text)[:1])
    assert "Tess Teacher (teacher) read the plan as it stands." in second.text

    bad = senco.get(f"{shared.url}/access-log?cursor=not-ours")
    assert bad.status_code == 422
    assert "cursor is not one this service gave out" in bad.text.lower()


def test_the_summary_shows_the_plan_in_plain_words_and_is_logged_as_a_read(ledger: Ledger, people: People,
                                                                          clock: FakeClock) -> None:
    shared = shared_plan(ledger, people, clock)
    ledger.setting_details.set_details(people.senco, SETTING, name="Hawthorn Road Primary School",
                                       local_authority=None)
    page = Browser(ledger, shared.people["parent"]).get(f"{shared.url}/summary")
    assert page.status_code == 200
    text = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.text)))
    for expected in (
        PUPIL_NAME, "Hawthorn Road Primary School (URN 123456)", "Targeted", "What makes learning harder",
        "Finds it hard to blend sounds when decoding unfamiliar words", "Cognition and learning",
        "Small-group phonics with a trained TA", "3 sessions a week, 30 minutes each",
        "Teaching assistant, in a group of 4, withdrawn from class", "Seated near the front, away from the door",
        "Reads CVC and CCVC words accurately", "By 16 July 2027", "Latest progress, 20 November 2026: 12.",
        "Reads 12 of 20 words",
    ):
        assert expected in text, expected
    assert 'class="govuk-template__body app-summary"' in page.text  # the print styles apply to it
    log = ledger.access_log.entries(people.admin, shared.plan_id)["entries"]
    assert any(e["user"]["user_id"] == shared.people["parent"].user_id and e["detail"] == "Read the plan as it stands"
               for e in log)


def test_the_summary_leaves_out_what_has_ended(ledger: Ledger, people: People, clock: FakeClock) -> None:
    shared = shared_plan(ledger, people, clock)
    plan = ledger.history.plan_document(people.admin, shared.plan_id)
    ledger.commands.end_item(people.senco, shared.plan_id, "adjustments", plan["adjustments"][0]["id"],
                             reason="No longer needed")
    page = Browser(ledger, people.senco).get(f"{shared.url}/summary")
    assert "Seated near the front" not in page.text
    assert "None recorded yet." in page.text
