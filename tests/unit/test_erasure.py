"""An erased plan, read every way the domain reads a plan (issue 13 item 5): nothing crashes on the ``null`` values,
and the plan folded before the erasure (a cache, the projector's) reads exactly as one replayed from the erased
events. Also the rules of erasure and legal holds on the aggregate.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any, cast

import pytest

from isp_ledger.domain import grants, privacy, quality
from isp_ledger.domain.diff import diff_documents
from isp_ledger.domain.errors import RuleViolation
from isp_ledger.domain.events import PlanEvent
from isp_ledger.domain.personal import CLEAR_REASONS, actor_split, split
from isp_ledger.domain.plan import Plan
from isp_ledger.domain.stamp import Actor
from isp_ledger.domain.summaries import summarise
from isp_ledger.domain.view import plan_document
from isp_ledger.storage.mapper import event_from_envelope
from tests import samples
from tests.unit.test_wording_sentences import at, broken_rules, realistic_history

ADMIN = Actor("u-admin", "Ada Admin", "admin")


def as_read_after_erasure(event: PlanEvent) -> PlanEvent:
    """The event as storage reads it back once the plan's key is gone: each personal value ``null``, the reason
    too (but an erasure's), and the name of anyone not staff (``storage/mapper.py``)."""
    event_type = type(event).__name__
    envelope = {
        "type": event_type, "plan_id": str(event.originator_id), "version": event.originator_version,
        "event_id": event.event_id, "recorded_at": event.recorded_at, "agreed_on": event.agreed_on,
        "actor": actor_split(event.actor)[0], "reason": event.reason if event_type in CLEAR_REASONS else None,
        "data": split(event.data())[0], "hash": "0" * 64,
        "class_version": getattr(type(event), "class_version", 1),
    }
    return event_from_envelope(envelope)


def fold(events: list[PlanEvent]) -> Plan:
    plan: Plan | None = None
    for event in events:
        plan = cast(Plan, event.mutate(plan))
    assert plan is not None
    return plan


@pytest.fixture(scope="module")
def events() -> list[PlanEvent]:
    return realistic_history().events


def test_a_plan_wiped_in_memory_reads_as_one_replayed_from_the_erased_events(events: list[PlanEvent]) -> None:
    wiped = fold(events)
    replayed = fold([as_read_after_erasure(e) for e in events])
    assert plan_document(wiped, None, "2050-01-01") == plan_document(replayed, None, "2050-01-01")
    assert wiped.items == replayed.items and wiped.state == replayed.state
    for day in ("2026-09-03", "2026-10-14", "2026-11-20"):
        assert plan_document(wiped, day) == plan_document(replayed, day)
    document = plan_document(replayed, None, "2050-01-01", privacy=True)
    assert document is not None
    assert document["erased"] is True and document["legal_hold"] is None
    assert document["pupil"] == {"upn": None, "given_name": None, "family_name": None, "date_of_birth": None}
    assert document["status"] == "closed" and document["opened_on"] == "2026-09-03"  # the structure stays
    assert all(b["description"] is None for b in document["barriers"])
    assert document["provisions"][0]["sessions_per_week"] == 3  # numbers are not personal


def test_every_reading_of_an_erased_plan_copes_with_nulls(events: list[PlanEvent]) -> None:
    erased = [as_read_after_erasure(e) for e in events]
    before: Plan | None = None
    documents = []
    for event in erased:
        summary = summarise(event, before)
        assert not list(broken_rules(summary, [])), summary
        assert "None" not in summary
        before = cast(Plan, event.mutate(before))
        documents.append(plan_document(before, None, before.modified_on.date().isoformat()))
    assert before is not None
    for old, new in itertools.pairwise(documents):
        assert old is not None and new is not None
        diff_documents(old, new)
    for day in ("2026-09-03", "2026-11-20", "2027-07-21"):
        assert plan_document(before, day) is not None
    assert [g.name for g in grants.grants_of(before)] == [None, None]
    assert [g.as_json("2050-01-01")["user"]["name"] for g in grants.grants_of(before)] == [None, None]
    quality.quality_facts(before)
    assert quality.plan_gaps(before, dt.date(2050, 1, 1)) == []


def test_the_erasure_entry_keeps_its_reason_and_the_staff_who_made_it(events: list[PlanEvent]) -> None:
    plan = fold([as_read_after_erasure(e) for e in events])
    erasure = privacy.erasure_of(plan)
    assert erasure is not None
    assert erasure["reason"] == "Retention period ended (date of birth + 31 years)"
    assert erasure["actor"] == {"user_id": "u-admin", "name": "Ada Admin", "role": "admin"}


# ------------------------------------------------------------------ the rules


def closed_plan() -> Plan:
    plan = Plan.open(at("2026-09-10"), pupil=samples.pupil(), setting_urn="123456", tier="targeted",
                     agreed_on="2026-09-03")
    plan.close(at("2026-09-20"), reason="Left the school")
    return plan


def rule_of(call: Any) -> str:
    with pytest.raises(RuleViolation) as refused:
        call()
    return refused.value.rule


def test_an_open_plan_is_closed_before_it_is_erased() -> None:
    plan = Plan.open(at("2026-09-10"), pupil=samples.pupil(), setting_urn="123456", tier="targeted")
    assert rule_of(lambda: plan.erase(at("2026-09-20", who=ADMIN), reason="Asked")) == "plan_open"


def test_a_plan_under_a_legal_hold_is_not_erased_until_the_hold_is_lifted() -> None:
    plan = closed_plan()
    plan.set_legal_hold(at("2026-09-21", who=ADMIN), reason="Tribunal pending")
    assert privacy.legal_hold(plan) == {"since": plan.facts["privacy"][0]["recorded_at"], "by": ADMIN.as_dict()}
    assert rule_of(lambda: plan.set_legal_hold(at("2026-09-22", who=ADMIN), reason="Again")) == (
        "legal_hold_already_set")
    assert rule_of(lambda: plan.erase(at("2026-09-22", who=ADMIN), reason="Retention")) == "legal_hold"
    plan.lift_legal_hold(at("2026-09-23", who=ADMIN), reason="Tribunal over")
    assert rule_of(lambda: plan.lift_legal_hold(at("2026-09-24", who=ADMIN), reason="Again")) == "no_legal_hold"
    plan.erase(at("2026-09-24", who=ADMIN), reason="Retention")
    assert privacy.is_erased(plan)


def test_nothing_is_recorded_on_an_erased_plan() -> None:
    plan = closed_plan()
    plan.erase(at("2026-09-24", who=ADMIN), reason="Retention")
    assert plan.state["pupil"]["given_name"] is None  # wiped in memory at once
    erasure_id = plan.facts["privacy"][0]["event_id"]
    opened_id = plan.records["plan"][0]["event_id"]
    for call in (
        lambda: plan.erase(at("2026-09-25", who=ADMIN), reason="Again"),
        lambda: plan.set_legal_hold(at("2026-09-25", who=ADMIN), reason="Late"),
        lambda: plan.correct(at("2026-09-25"), event_id=opened_id, reason="Typo", changes={"tier": "universal"}),
        lambda: plan.void(at("2026-09-25"), event_id=erasure_id, reason="Wrong plan"),
    ):
        assert rule_of(call) == "plan_erased"


def test_an_erasure_or_a_hold_is_not_corrected_nor_struck_out() -> None:
    plan = closed_plan()
    plan.set_legal_hold(at("2026-09-21", who=ADMIN), reason="Tribunal pending")
    hold_id = plan.facts["privacy"][0]["event_id"]
    assert rule_of(lambda: plan.void(at("2026-09-22"), event_id=hold_id, reason="No")) == "cannot_void"
    assert rule_of(lambda: plan.correct(at("2026-09-22"), event_id=hold_id, reason="Typo",
                                        changes={"agreed_on": "2026-09-20"})) == "privacy_not_corrected"
