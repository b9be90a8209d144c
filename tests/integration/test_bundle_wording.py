"""An evidence bundle read as a parent reads it (issue 11, problem 8): dates in words inside its sentences, no
version numbers, a review's decisions, a parent's response to the plan as it stood on a day, the acronyms it uses
spelled out. On bundles made from both stores, of a realistic school year."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from isp_ledger.application import Ledger
from isp_ledger.bundle.build import build_bundle
from isp_ledger.bundle.render import render_html
from tests.conftest import FakeClock, People
from tests.school_year import script_school_year
from tests.unit.test_wording_sentences import ISO_DATE, broken_rules


@pytest.fixture
def bundle(ledger: Ledger, clock: FakeClock, people: People) -> dict[str, Any]:
    year = script_school_year(ledger, clock, people.senco, people.teacher)
    return build_bundle(ledger, people.senco, year.plan_id)


def text_of(page: str) -> str:
    """What a reader sees of an HTML page: its text, without tags, styles or the charts' drawing."""
    page = re.sub(r"<(style|svg)\b.*?</\1>", " ", page, flags=re.DOTALL)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_the_pages_a_parent_reads_have_dates_in_words_and_no_version_numbers(bundle: dict[str, Any]) -> None:
    page = render_html(bundle)
    # The integrity section shows the signed receipt's instant exactly as signed, for anyone checking it by hand.
    readable = text_of(page.split('<section id="integrity"', 1)[0])
    assert not ISO_DATE.findall(readable)
    assert not re.findall(r"\bversion \d", readable)
    assert "What was decided: Progress slower this term" in readable
    assert re.search(r"Disagreed with the plan as it stood on 18 March 2027 \(after entry \d+\)", readable)
    assert "SENCO the special educational needs co-ordinator" in readable
    assert re.search(r"from the record as it stood after entry \d+\.", readable)
    assert re.search(r"Prepared for Sam Senco \(SENCO\) at \d\d:\d\d on \d+ \w+ 20\d\d", readable)


def test_every_entry_of_the_change_log_reads_as_a_sentence(bundle: dict[str, Any]) -> None:
    texts = [str(value) for change in bundle["changes"] for value in (change["reason"],) if value]
    texts += [bundle["plan_at_end"]["pupil"]["given_name"], "<b>in writing</b>"]
    for document in (bundle["plan_at_start"], bundle["plan_at_end"]):
        for section in ("barriers", "provisions", "adjustments", "outcomes"):
            texts += [item["description"] for item in (document or {}).get(section, [])]
    for change in bundle["changes"]:
        assert not list(broken_rules(change["summary"], texts)), change["summary"]
        assert bundle["format_version"] == 3
