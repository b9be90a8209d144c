"""Pausing and resuming a provision: the rules of the commands, and what a pause means for sessions, planned
sessions, the document, the diff, the quality report and the timeline.

Set in the autumn term of 2026; "today" is Friday 20 November 2026. The provision is 3 x 30-minute sessions a
week from Monday 7 September, agreed on 1 September.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any, cast

import pytest

from isp_ledger.domain.calendar import WEEKDAYS_ONLY
from isp_ledger.domain.diff import diff_documents
from isp_ledger.domain.errors import InvalidInput, RuleViolation
from isp_ledger.domain.plan import Plan
from isp_ledger.domain.planning import SchoolDays, Tally, plan_schedule, provision_schedule, tally_provision
from isp_ledger.domain.quality import plan_gaps
from isp_ledger.domain.stamp import Actor, Stamp
from isp_ledger.domain.summaries import summarise
from isp_ledger.domain.view import plan_document
from isp_ledger.domain.wording import kind_of
from tests import samples

BY = Stamp(Actor("u-senco", "Sam Senco", "senco"), dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC))
BY_TA = Stamp(Actor("u-ta", "Tess Teacher", "teacher"), dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC))


def plan_with_provision() -> tuple[Plan, str]:
    plan = Plan.open(BY, pupil=samples.pupil(), setting_urn="123456", tier="targeted", agreed_on="2026-09-01")
    barrier = plan.add_item(BY, "barriers", samples.barrier(), agreed_on="2026-09-01")
    provision = plan.add_item(BY, "provisions", samples.provision([barrier], description="small-group phonics"),
                              agreed_on="2026-09-01")
    return plan, provision


def pause(plan: Plan, provision: str, agreed_on: str, until: str | None = None, reason: str = "Exam fortnight") -> None:
    plan.pause_item(BY, "provisions", provision, reason=reason, until=until, agreed_on=agreed_on)


def planned_sessions(plan: Plan, provision: str, start: str, end: str) -> float:
    window = (dt.date.fromisoformat(start), dt.date.fromisoformat(end))
    tallies = tally_provision(provision_schedule(provision, plan.records[provision]),
                              plan_schedule(plan.records["plan"]), (), *window,
                              school_days=lambda _urn: SchoolDays(WEEKDAYS_ONLY, *window))
    return float(tallies.get("", Tally()).planned_sessions)


def session(plan: Plan, provision: str, date: str) -> None:
    plan.record_session(BY_TA, provision, {"date": date, "status": "delivered"}, "s-1")


def refused(error: pytest.ExceptionInfo[RuleViolation]) -> str:
    return error.value.rule


# ------------------------------------------------------------------ the item's status


def test_a_paused_provision_shows_when_and_why_and_a_resumed_one_is_active_again() -> None:
    plan, provision = plan_with_provision()
    pause(plan, provision, "2026-11-02", until="2026-11-13")
    item = plan.items[provision]
    assert (item["status"], item["paused_on"], item["paused_until"], item["paused_reason"]) == (
        "paused", "2026-11-02", "2026-11-13", "Exam fortnight")

    plan.resume_item(BY, "provisions", provision, agreed_on="2026-11-09", reason="Exams moved")
    item = plan.items[provision]
    assert item["status"] == "active"
    assert "paused_on" not in item and "paused_until" not in item
    # as in force on a day of the pause, the document shows it paused
    on_day = plan_document(plan, "2026-11-05")
    assert on_day is not None
    assert on_day["provisions"][0]["status"] == "paused"
    before = plan_document(plan, "2026-11-01")
    assert before is not None
    assert before["provisions"][0]["status"] == "active"


def test_a_paused_provision_may_be_amended_and_stays_paused_and_may_be_ended() -> None:
    plan, provision = plan_with_provision()
    pause(plan, provision, "2026-11-02")
    plan.amend_item(BY, "provisions", provision, {"sessions_per_week": 2}, agreed_on="2026-11-03")
    assert (plan.items[provision]["status"], plan.items[provision]["sessions_per_week"]) == ("paused", 2)
    plan.end_item(BY, "provisions", provision, reason="No longer needed", agreed_on="2026-11-04")
    assert plan.items[provision]["status"] == "ended"
    assert "paused_on" not in plan.items[provision]


# ------------------------------------------------------------------ the rules


def test_only_an_active_provision_can_be_paused() -> None:
    plan, provision = plan_with_provision()
    pause(plan, provision, "2026-11-02")
    with pytest.raises(RuleViolation) as error:
        pause(plan, provision, "2026-11-03")
    assert refused(error) == "provision_already_paused"
    assert "2026-11-02" in error.value.detail

    plan.end_item(BY, "provisions", provision, reason="Stopped", agreed_on="2026-11-04")
    with pytest.raises(RuleViolation) as error:
        pause(plan, provision, "2026-11-05")
    assert refused(error) == "provision_not_active"


def test_a_pause_that_ran_out_by_its_until_date_leaves_the_provision_free_to_be_paused_again() -> None:
    plan, provision = plan_with_provision()
    pause(plan, provision, "2026-10-05", until="2026-10-09")
    with pytest.raises(RuleViolation):
        pause(plan, provision, "2026-10-09")  # the last day of the pause: still paused
    pause(plan, provision, "2026-10-12", until="2026-10-16", reason="Trip week")
    assert plan.items[provision]["paused_on"] == "2026-10-12"


def test_only_a_paused_provision_can_be_resumed() -> None:
    plan, provision = plan_with_provision()
    with pytest.raises(RuleViolation) as error:
        plan.resume_item(BY, "provisions", provision, agreed_on="2026-11-02")
    assert refused(error) == "provision_not_paused"
    plan.end_item(BY, "provisions", provision, reason="Stopped", agreed_on="2026-11-04")
    with pytest.raises(RuleViolation) as error:
        plan.resume_item(BY, "provisions", provision)
    assert refused(error) == "provision_not_active"


def test_only_a_provision_can_be_paused() -> None:
    plan, _ = plan_with_provision()
    barrier = plan.section_items["barriers"][0]
    with pytest.raises(RuleViolation) as error:
        plan.pause_item(BY, "barriers", barrier, reason="x", agreed_on="2026-11-02")
    assert refused(error) == "barrier_cannot_pause"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"reason": "", "agreed_on": "2026-11-02"}, "reason"),
        ({"reason": "Exams", "agreed_on": "2026-11-21"}, "agreed_on"),  # tomorrow
        ({"reason": "Exams", "agreed_on": "2026-11-02", "until": "2026-11-01"}, "until"),
        ({"reason": "Exams", "agreed_on": "2026-11-02", "until": "soon"}, "until"),
    ],
)
def test_a_pause_needs_a_reason_a_date_not_in_the_future_and_an_until_not_before_it(
    fields: dict[str, Any], field: str
) -> None:
    plan, provision = plan_with_provision()
    with pytest.raises(InvalidInput) as error:
        plan.pause_item(BY, "provisions", provision, **fields)
    assert {e.field for e in error.value.errors} == {field}


def test_a_pause_or_resumption_never_goes_backwards_on_the_provision() -> None:
    plan, provision = plan_with_provision()
    plan.amend_item(BY, "provisions", provision, {"sessions_per_week": 2}, agreed_on="2026-11-02")
    with pytest.raises(RuleViolation) as error:
        pause(plan, provision, "2026-10-30")
    assert refused(error) == "agreed_on_goes_backwards"
    assert "corrections" in error.value.detail
    pause(plan, provision, "2026-11-09")
    with pytest.raises(RuleViolation) as error:
        plan.resume_item(BY, "provisions", provision, agreed_on="2026-11-06")
    assert refused(error) == "agreed_on_goes_backwards"


@pytest.mark.parametrize("command", ["pause twice", "resume active", "until before", "backwards"])
def test_a_refused_pause_or_resumption_leaves_the_plan_untouched(command: str) -> None:
    plan, provision = plan_with_provision()
    if command == "pause twice":
        pause(plan, provision, "2026-11-02")
    plan.collect_events()
    before = copy.deepcopy({k: v for k, v in vars(plan).items() if k != "_pending_events"})
    with pytest.raises((RuleViolation, InvalidInput)):
        if command == "pause twice":
            pause(plan, provision, "2026-11-03")
        elif command == "resume active":
            plan.resume_item(BY, "provisions", provision)
        elif command == "until before":
            pause(plan, provision, "2026-11-02", until="2026-10-01")
        else:
            pause(plan, provision, "2026-08-01")
    assert plan.pending_events == []
    assert {k: v for k, v in vars(plan).items() if k != "_pending_events"} == before


# ------------------------------------------------------------------ sessions on paused days


def test_a_session_on_a_paused_day_is_refused_naming_the_pause_and_its_reason() -> None:
    plan, provision = plan_with_provision()
    pause(plan, provision, "2026-11-02", until="2026-11-06", reason="Exam fortnight")
    session(plan, provision, "2026-10-30")  # before the pause
    for day in ("2026-11-02", "2026-11-06"):  # its first and last day
        with pytest.raises(RuleViolation) as error:
            session(plan, provision, day)
        assert refused(error) == "provision_paused"
        assert "paused on 2026-11-02" in error.value.detail
        assert "until 2026-11-06" in error.value.detail
        assert "Exam fortnight" in error.value.detail
    session(plan, provision, "2026-11-09")  # the pause ran out on Friday


def test_sessions_are_owed_again_from_the_day_a_provision_is_resumed() -> None:
    plan, provision = plan_with_provision()
    pause(plan, provision, "2026-11-02", reason="TA on leave")
    with pytest.raises(RuleViolation) as error:
        session(plan, provision, "2026-11-10")
    assert "until resumed" in error.value.detail
    plan.resume_item(BY, "provisions", provision, agreed_on="2026-11-11")
    session(plan, provision, "2026-11-11")
    with pytest.raises(RuleViolation):
        session(plan, provision, "2026-11-10")  # still paused that day, as the record now stands


# ------------------------------------------------------------------ planned sessions


def test_a_one_week_pause_owes_exactly_one_weeks_sessions_fewer() -> None:
    plan, provision = plan_with_provision()
    assert planned_sessions(plan, provision, "2026-11-02", "2026-11-20") == 9
    pause(plan, provision, "2026-11-09", until="2026-11-13")
    assert planned_sessions(plan, provision, "2026-11-02", "2026-11-20") == 6
    assert planned_sessions(plan, provision, "2026-11-09", "2026-11-13") == 0
    assert planned_sessions(plan, provision, "2026-11-16", "2026-11-20") == 3


def test_a_pause_until_resumed_owes_nothing_until_the_day_it_is_resumed() -> None:
    plan, provision = plan_with_provision()
    pause(plan, provision, "2026-11-11")  # Wednesday: Monday and Tuesday still owe 2 x 3/5
    assert planned_sessions(plan, provision, "2026-11-09", "2026-11-20") == pytest.approx(1.2)
    plan.resume_item(BY, "provisions", provision, agreed_on="2026-11-18")  # Wednesday to Friday owe 3 x 3/5
    assert planned_sessions(plan, provision, "2026-11-09", "2026-11-20") == pytest.approx(3.0)


def test_an_amendment_during_a_pause_applies_once_the_provision_is_owed_again() -> None:
    plan, provision = plan_with_provision()
    pause(plan, provision, "2026-11-09", until="2026-11-13")
    plan.amend_item(BY, "provisions", provision, {"sessions_per_week": 5}, agreed_on="2026-11-10")
    assert planned_sessions(plan, provision, "2026-11-02", "2026-11-20") == 3 + 0 + 5


def test_a_corrected_until_date_changes_the_sessions_owed() -> None:
    plan, provision = plan_with_provision()
    pause(plan, provision, "2026-11-09", until="2026-11-13")
    pause_event = plan.records[provision][-1]["event_id"]
    with pytest.raises(InvalidInput) as error:
        plan.correct(BY, event_id=pause_event, reason="Typo", changes={"until": "2026-11-01"})
    assert {e.field for e in error.value.errors} == {"changes.until"}
    plan.correct(BY, event_id=pause_event, reason="Typo", changes={"until": "2026-11-10"})
    assert planned_sessions(plan, provision, "2026-11-09", "2026-11-13") == pytest.approx(1.8)


# ------------------------------------------------------------------ what readers see


def test_the_timeline_says_a_provision_was_paused_and_resumed() -> None:
    plan, provision = plan_with_provision()
    before = copy.deepcopy(plan)
    pause(plan, provision, "2026-11-16", until="2027-01-08", reason="exam fortnight")
    paused_event = cast(Plan.Event, plan.pending_events[-1])
    assert summarise(paused_event, before) == (
        "Provision “small-group phonics” paused from 16 November 2026 until 8 January 2027. Reason: exam fortnight.")
    before = copy.deepcopy(plan)
    plan.resume_item(BY, "provisions", provision, agreed_on="2026-11-18")
    assert summarise(cast(Plan.Event, plan.pending_events[-1]), before) == (
        "Provision “small-group phonics” restarted on 18 November 2026.")
    assert kind_of("ProvisionPaused") == kind_of("ProvisionResumed") == "provision"


def test_the_diff_shows_the_status_change_of_a_pause() -> None:
    plan, provision = plan_with_provision()
    start = plan_document(plan)
    pause(plan, provision, "2026-11-16", until="2026-11-27")
    changes = diff_documents(start, plan_document(plan))  # type: ignore[arg-type]
    [amended] = changes["provisions"]["amended"]
    assert amended["changes"]["status"] == {"before": "active", "after": "paused"}
    assert amended["changes"]["paused_until"] == {"before": None, "after": "2026-11-27"}
    assert changes["provisions"]["ended"] == []


def test_a_paused_provision_still_supports_its_barriers_in_the_quality_report() -> None:
    plan, provision = plan_with_provision()
    plan.add_item(BY, "outcomes", samples.outcome(plan.section_items["barriers"]), agreed_on="2026-09-01")
    plan.record_contribution(BY, {"kind": "parent_view", "text": "Happy"}, agreed_on="2026-09-02")
    assert plan_gaps(plan, BY.today) == []
    pause(plan, provision, "2026-11-16")
    assert plan_gaps(plan, BY.today) == []
