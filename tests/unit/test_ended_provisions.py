"""A provision's ``ends_on`` is its last day in force: from the next day it is ended, in every view, without anyone
recording it (CONTRACT.md §8)."""

from __future__ import annotations

import datetime as dt

from isp_ledger.domain.diff import diff_documents
from isp_ledger.domain.plan import Plan
from isp_ledger.domain.records import as_on, status_on
from isp_ledger.domain.stamp import Actor, Stamp
from isp_ledger.domain.view import plan_document
from tests import samples

BY = Stamp(Actor("u-senco", "Sam Senco", "senco"), dt.datetime(2026, 9, 10, 10, 0, tzinfo=dt.UTC))


def plan_with_a_block_of_therapy() -> tuple[Plan, str, str]:
    """A block of speech and language therapy from 7 September to 30 October 2026, beside phonics with no end."""
    plan = Plan.open(BY, pupil=samples.pupil(), setting_urn="123456", tier="targeted", agreed_on="2026-09-01")
    barrier = plan.add_item(BY, "barriers", samples.barrier(), agreed_on="2026-09-02")
    block = plan.add_item(BY, "provisions", samples.provision(
        [barrier], description="Block of speech and language therapy", ends_on="2026-10-30"), agreed_on="2026-09-07")
    phonics = plan.add_item(BY, "provisions", samples.provision([barrier]), agreed_on="2026-09-07")
    return plan, block, phonics


def provision(document: dict[str, object] | None, item_id: str) -> dict[str, object]:
    assert document is not None
    [item] = [p for p in document["provisions"] if p["id"] == item_id]  # type: ignore[attr-defined]
    return item  # type: ignore[no-any-return]


def test_a_provision_is_in_force_on_its_end_date_and_ended_from_the_next_day() -> None:
    plan, block, phonics = plan_with_a_block_of_therapy()
    item = plan.items[block]
    assert status_on(item, "2026-10-30") == "active"
    assert status_on(item, "2026-10-31") == "ended"
    assert status_on(plan.items[phonics], "2027-07-21") == "active"  # no end date: never ends by itself
    shown = as_on(item, "2026-10-31")
    assert (shown["status"], shown["ended_on"]) == ("ended", "2026-10-31")
    assert shown["ended_reason"] == "Its agreed end date, 30 October 2026, has passed."
    assert as_on(item, "2026-10-30") is item and as_on(item, None) is item
    assert plan.items[block]["status"] == "active"  # what was recorded is untouched: the views apply the date


def test_a_paused_provision_past_its_end_date_is_ended_too() -> None:
    plan, block, _ = plan_with_a_block_of_therapy()
    plan.pause_item(BY, "provisions", block, reason="Therapist on leave", agreed_on="2026-09-09")
    shown = as_on(plan.items[block], "2026-11-02")
    assert shown["status"] == "ended" and "paused_on" not in shown


def test_the_plan_now_and_as_of_any_day_shows_it_ended_from_the_day_after() -> None:
    plan, block, phonics = plan_with_a_block_of_therapy()
    assert provision(plan_document(plan, "2026-10-30"), block)["status"] == "active"
    assert provision(plan_document(plan, "2026-10-31"), block)["status"] == "ended"
    assert provision(plan_document(plan, "2027-07-21"), block)["status"] == "ended"
    assert provision(plan_document(plan, "2027-07-21"), phonics)["status"] == "active"
    assert provision(plan_document(plan, None, "2026-10-30"), block)["status"] == "active"  # now, on the last day
    assert provision(plan_document(plan, None, "2026-11-02"), block)["status"] == "ended"  # now, after it


def test_the_diff_across_the_end_date_lists_it_as_ended() -> None:
    plan, block, _ = plan_with_a_block_of_therapy()
    before = plan_document(plan, None, "2026-10-01")
    after = plan_document(plan, None, "2026-11-02")
    assert after is not None
    changes = diff_documents(before, after)
    assert changes["provisions"]["ended"] == [{
        "id": block, "description": "Block of speech and language therapy", "status": "ended",
        "ended_on": "2026-10-31", "reason": "Its agreed end date, 30 October 2026, has passed.",
    }]
    assert changes["provisions"]["amended"] == []
