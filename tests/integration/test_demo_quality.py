"""The demo school's quality report flags only real gaps (issue 11), on both stores: its reviews involve the
parents, its outcomes not met by their target date are carried over at the review, every barrier has support, its
parents' responses say whose they are and how they were given, and the school is named.

What the demo builds depends on today's date (its history runs up to today), so these tests assert what must hold
whatever the date.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from isp_ledger.application import Ledger
from isp_ledger.bootstrap import build_ledger
from isp_ledger.demo import DemoClock, build_demo
from isp_ledger.domain.quality import delivery_window
from isp_ledger.domain.stamp import london_date
from projections import delivery, quality
from projections.runner import Projector

REAL_GAPS_ONLY = {"parents_not_involved_in_last_review", "barrier_without_support", "provision_without_barrier",
                  "outcome_without_success_criteria", "targeted_plus_without_professional_advice"}


@pytest.fixture
def demo_ledger(env: dict[str, str]) -> Iterator[Ledger]:
    ledger = build_ledger(env, clock=DemoClock())
    try:
        yield ledger
    finally:
        ledger.close()


def test_the_demo_schools_quality_report_flags_only_real_gaps(demo_ledger: Ledger) -> None:
    ledger = demo_ledger
    report = build_demo(ledger, plans=14, seed=11)
    projector = Projector(ledger.store)
    projector.catch_up(lambda done, head: None)
    urn = report.setting_urn
    today = london_date(ledger.clock.now())
    window = delivery_window(ledger.calendars.school_calendar(urn), today)
    delivered = None
    if window is not None:
        delivered = delivery.provision_figures(projector.models[delivery.Delivery.name].view, urn, *window,
                                               ledger.calendars.school_calendar,
                                               late_entry_days=ledger.calendars.late_entry_days)
    rows = quality.report(projector.models[quality.Quality.name].view, urn, today, delivered, window)
    found = Counter(gap["code"] for row in rows for gap in row["gaps"])
    assert not set(found) & REAL_GAPS_ONLY, found
    for row in rows:
        codes = {gap["code"] for gap in row["gaps"]}
        if "outcome_past_target_date" in codes:  # carried over at every review held on time
            assert codes & {"review_overdue", "no_review_in_12_months"}, row
        if "too_few_parent_meetings" in codes:  # a review a term, each with the parents
            assert codes & {"review_overdue", "no_review_in_12_months"}, row
    open_plans = sum(1 for p in report.plans if p.open)
    assert len(rows) <= open_plans // 2, (len(rows), open_plans, found)

    senco = ledger.accounts.authenticate(report.token("senco"))
    assert senco is not None
    assert ledger.setting_details.details(senco, urn)["name"] == report.school_name
    assert ledger.setting_details.shown(urn)["shown_as"] == f"{report.school_name} (URN {urn})"
    responses = [e for p in report.plans for e in ledger.history.plan_events(senco, p.plan_id)
                 if e["type"] == "AcknowledgementRecorded"]
    assert responses
    assert all(e["data"]["given_by"] and e["data"]["method"] for e in responses)
