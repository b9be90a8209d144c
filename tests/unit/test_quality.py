"""The quality report's gaps (CONTRACT.md §6), worked out from a plan on a given day: for each gap, a plan that has
it and one that does not. Plans are written on Friday 20 November 2026; ``today`` is given to each check, since
most gaps depend on it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from isp_ledger.domain import codes
from isp_ledger.domain.calendar import SchoolCalendar
from isp_ledger.domain.plan import Plan
from isp_ledger.domain.quality import (
    delivery_window,
    is_parent_role,
    last_review_on,
    next_review_due,
    plan_gaps,
    quality_facts,
)
from isp_ledger.domain.stamp import Actor, Stamp
from isp_ledger.domain.validation import add_months
from tests import samples

NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)
BY = Stamp(Actor("u-senco", "Sam Senco", "senco"), NOW)
PARENT = Stamp(Actor("u-parent", "Pat Okafor", "parent"), NOW)
TODAY = dt.date(2026, 11, 20)
GIVEN = {"given_by": "Pat Okafor", "method": "signed_form"}
STAFF_ONLY = [{"role": "SENCO", "name": "Sam Senco"}, {"role": "class teacher", "name": "Mr Bennett"}]


def complete(tier: str = "targeted", opened: str = "2026-09-01") -> tuple[Plan, dict[str, str]]:
    """An open plan with no gap: a barrier met by a provision with its evidence basis, an outcome with success
    criteria; professional advice on a Targeted Plus plan."""
    reference = "EHC-2026-0142" if tier == "specialist" else None
    plan = Plan.open(BY, pupil=samples.pupil(), setting_urn="123456", tier=tier, agreed_on=opened,
                     ehcp_reference=reference)
    barrier = plan.add_item(BY, "barriers", samples.barrier(), agreed_on=opened)
    ids = {
        "barrier": barrier,
        "provision": plan.add_item(BY, "provisions", samples.provision([barrier], starts_on=opened), agreed_on=opened),
        "outcome": plan.add_item(BY, "outcomes", samples.outcome([barrier]), agreed_on=opened),
    }
    if tier == "targeted_plus":
        plan.record_contribution(BY, {"kind": "professional_advice", "profession": "educational psychologist",
                                      "text": "Working memory below average"}, agreed_on=opened)
    return plan, ids


def found(plan: Plan, today: dt.date = TODAY, **options: Any) -> list[tuple[str, str | None]]:
    gaps = plan_gaps(plan, today, **options)
    for gap in gaps:
        assert gap["code"] in codes.QUALITY_GAPS and gap["message"].strip(), gap
        assert "_" not in gap["message"], f"no codes or field names in what a SENCO reads: {gap['message']}"
    return [(g["code"], g.get("item_id")) for g in gaps]


def review(plan: Plan, held_on: str, next_review_due: str | None = None, **fields: Any) -> None:
    """A review held on ``held_on`` with the parent there; the next due four months later unless said."""
    due = next_review_due or add_months(dt.date.fromisoformat(held_on), 4).isoformat()
    plan.hold_review(BY, samples.review(held_on=held_on, next_review_due=due, **fields))


@pytest.mark.parametrize("tier", codes.TIERS)
def test_a_complete_plan_has_no_gaps(tier: str) -> None:
    plan, _ = complete(tier)
    assert found(plan) == []


def test_a_closed_plan_has_no_gaps() -> None:
    plan = Plan.open(BY, pupil=samples.pupil(), setting_urn="123456", tier="targeted", agreed_on="2026-09-01")
    assert found(plan) == [("plan_without_outcomes", None)]
    plan.close(BY, reason="Left the school")
    assert found(plan) == []


def test_a_plan_with_no_outcomes_and_one_whose_outcomes_are_all_closed() -> None:
    plan, ids = complete()
    assert found(plan) == []
    plan.end_item(BY, "outcomes", ids["outcome"], reason="Reads 19 of 20 words", outcome="achieved")
    [gap] = plan_gaps(plan, TODAY)
    assert gap["code"] == "plan_without_outcomes" and "closed" in gap["message"]
    plan.add_item(BY, "outcomes", samples.outcome([ids["barrier"]], description="Reads a short text aloud"))
    assert found(plan) == []
    bare = Plan.open(BY, pupil=samples.pupil(), setting_urn="123456", tier="specialist",
                     ehcp_reference="EHC-1", agreed_on="2026-09-01")
    [gap] = plan_gaps(bare, TODAY)
    assert gap["code"] == "plan_without_outcomes" and "no intended outcomes" in gap["message"]


def test_a_barrier_with_no_provision_or_adjustment() -> None:
    plan, _ = complete()
    second = plan.add_item(BY, "barriers", samples.barrier(description="Loses place when copying from the board",
                                                           area_of_need="sensory_and_physical", need_type="VI"))
    assert found(plan) == [("barrier_without_support", second)]
    assert "Loses place when copying from the board" in plan_gaps(plan, TODAY)[0]["message"]
    plan.add_item(BY, "adjustments", samples.adjustment([second]))
    assert found(plan) == []


def test_provision_past_its_end_date_supports_nothing_from_the_next_day() -> None:
    plan, ids = complete()
    plan.amend_item(BY, "provisions", ids["provision"], {"ends_on": "2026-12-18"}, reason="A block of one term")
    review(plan, "2026-11-19")
    assert found(plan, dt.date(2026, 12, 18)) == []  # its last day: still in place
    assert found(plan, dt.date(2026, 12, 19)) == [("barrier_without_support", ids["barrier"])]


def test_a_provision_addressing_no_barrier_still_in_the_plan() -> None:
    plan, ids = complete()
    plan.add_item(BY, "adjustments", samples.adjustment([ids["barrier"]]))
    plan.end_item(BY, "barriers", ids["barrier"], reason="Blends confidently now")
    assert found(plan) == [("provision_without_barrier", ids["provision"])]
    plan.amend_item(BY, "provisions", ids["provision"], {"ends_on": "2026-11-20"}, reason="Finishing")
    assert found(plan) == [("provision_without_barrier", ids["provision"])]
    assert found(plan, dt.date(2026, 11, 21)) == []  # ended by its date: nothing to fix


def test_targeted_provision_without_an_evidence_basis() -> None:
    plan, ids = complete()
    provision = samples.provision([ids["barrier"]], description="Daily reading with an adult")
    del provision["evidence_basis"]
    unevidenced = plan.add_item(BY, "provisions", provision)
    assert found(plan) == [("targeted_provision_without_evidence", unevidenced)]
    plan.amend_item(BY, "provisions", unevidenced, {"evidence_basis": "EEF: reading aloud"})
    assert found(plan) == []
    specialist, s_ids = complete("specialist")
    specialist.add_item(BY, "provisions", {**provision, "barrier_ids": [s_ids["barrier"]]})
    assert found(specialist) == []  # only Targeted provision is asked for one


def test_an_outcome_without_success_criteria() -> None:
    plan, ids = complete()
    vague = plan.add_item(BY, "outcomes", samples.outcome([ids["barrier"]], success_criteria=""))
    assert found(plan) == [("outcome_without_success_criteria", vague)]
    plan.amend_item(BY, "outcomes", vague, {"success_criteria": "Reads 15 of 20 words"})
    assert found(plan) == []


def test_an_outcome_still_open_after_its_target_date() -> None:
    plan, ids = complete()
    assert found(plan, dt.date(2027, 7, 16)) == [("review_overdue", None)]  # the target day itself: not yet
    gaps = plan_gaps(plan, dt.date(2027, 7, 17))
    assert [(g["code"], g.get("item_id")) for g in gaps] == [("outcome_past_target_date", ids["outcome"]),
                                                             ("review_overdue", None)]
    assert "16 July 2027" in gaps[0]["message"]
    plan.amend_item(BY, "outcomes", ids["outcome"], {"target_date": "2027-12-17"}, reason="More time agreed")
    assert ("outcome_past_target_date", ids["outcome"]) not in found(plan, dt.date(2027, 7, 17))


def test_a_review_overdue_and_no_review_in_twelve_months() -> None:
    plan, _ = complete(opened="2026-06-01")  # first review due 12 weeks later, 24 August
    [gap] = plan_gaps(plan, TODAY)
    assert gap["code"] == "review_overdue" and "24 August 2026" in gap["message"]
    review(plan, "2026-11-19")
    assert found(plan) == []
    assert found(plan, dt.date(2027, 3, 20)) == [("review_overdue", None)]
    # A year without a review is the stronger gap, shown alone.
    assert "review_overdue" in dict(found(plan, dt.date(2027, 11, 19)))
    assert "no_review_in_12_months" not in dict(found(plan, dt.date(2027, 11, 19)))
    a_year_on = plan_gaps(plan, dt.date(2027, 11, 20))
    assert "review_overdue" not in {g["code"] for g in a_year_on}
    [gap] = [g for g in a_year_on if g["code"] == "no_review_in_12_months"]
    assert "the last was on 19 November 2026" in gap["message"]
    never, _ = complete(opened="2025-11-19")
    [gap] = [g for g in plan_gaps(never, TODAY) if g["code"] == "no_review_in_12_months"]
    assert "opened on 19 November 2025 and has never been reviewed" in gap["message"]


def test_parents_not_involved_in_the_last_review() -> None:
    plan, _ = complete()
    review(plan, "2026-10-01", attendees=STAFF_ONLY, parent_views="")
    [gap] = plan_gaps(plan, TODAY)
    assert gap["code"] == "parents_not_involved_in_last_review" and "1 October 2026" in gap["message"]
    review(plan, "2026-11-19")  # the parent came: involved, whether or not a separate view was added since
    assert found(plan) == []
    only_views = complete()[0]
    review(only_views, "2026-11-19", attendees=STAFF_ONLY, parent_views="Phoned in: happy with the plan.")
    assert found(only_views) == []
    # The latest review decides, even when an earlier one was recorded after it.
    review(plan, "2026-11-10", attendees=STAFF_ONLY, parent_views=" ")
    assert found(plan) == []


@pytest.mark.parametrize(("role", "parent"), [
    ("parent", True), ("Parent (mum)", True), ("Mum", True), ("dad", True), ("foster carer", True),
    ("Grandmother (kinship carer)", True), ("step-father", True), ("Parents", True),
    ("SENCO", False), ("class teacher", False), ("Parent support adviser", False), ("family support worker", False),
    ("educational psychologist", False), ("pupil", False),
])
def test_who_among_the_attendees_is_a_parent(role: str, parent: bool) -> None:
    assert is_parent_role(role) is parent


def _year_old_plan(tier: str = "targeted") -> Plan:
    plan, _ = complete(tier, opened="2025-09-01")
    return plan


def test_fewer_than_three_meetings_with_parents_in_twelve_months() -> None:
    plan = _year_old_plan()
    review(plan, "2025-11-10")  # more than 12 months ago: does not count
    review(plan, "2026-03-12")
    review(plan, "2026-07-09", next_review_due="2027-01-09")
    [gap] = plan_gaps(plan, TODAY)
    assert gap["code"] == "too_few_parent_meetings"
    assert "met only twice" in gap["message"] and "12 March 2026 and 9 July 2026" in gap["message"]
    # A response given by post is the parent's voice, not a meeting; one given in person is.
    plan.record_acknowledgement(BY, {"version": 3, "response": "agree", **GIVEN}, agreed_on="2026-10-05")
    assert [c for c, _ in found(plan)] == ["too_few_parent_meetings"]
    plan.record_acknowledgement(BY, {"version": 3, "response": "agree", "given_by": "Pat Okafor",
                                     "method": "in_person"}, agreed_on="2026-10-06")
    assert found(plan) == []


def test_meetings_on_one_day_count_once_and_a_review_without_parents_is_no_meeting() -> None:
    plan = _year_old_plan("targeted_plus")
    review(plan, "2026-03-12")
    plan.record_acknowledgement(BY, {"version": 2, "response": "agree", "given_by": "Pat Okafor",
                                     "method": "in_person"}, agreed_on="2026-03-12")
    review(plan, "2026-07-09", attendees=STAFF_ONLY, parent_views="")
    review(plan, "2026-11-19")
    [gap] = [g for g in plan_gaps(plan, TODAY) if g["code"] == "too_few_parent_meetings"]
    assert "met only twice" in gap["message"]


def test_three_meetings_a_year_are_asked_of_sen_support_plans_open_a_year() -> None:
    assert "too_few_parent_meetings" in dict(found(_year_old_plan()))
    assert "too_few_parent_meetings" in dict(found(_year_old_plan("targeted_plus")))
    assert "too_few_parent_meetings" not in dict(found(_year_old_plan("specialist")))  # the EHCP's annual review
    young, _ = complete(opened="2025-11-20")  # open exactly a year: not yet asked, as for a review
    assert "too_few_parent_meetings" not in dict(found(young))
    assert "too_few_parent_meetings" in dict(found(young, dt.date(2026, 11, 21)))


def test_a_parents_disagreement_with_no_review_or_change_since() -> None:
    plan, ids = complete()
    review(plan, "2026-11-02")
    plan.record_acknowledgement(BY, {"version": plan.version, "response": "disagree", "comment": "Too few sessions",
                                     **GIVEN}, agreed_on="2026-11-05")
    [gap] = plan_gaps(plan, TODAY)
    assert gap["code"] == "disagreement_unanswered"
    assert "Pat Okafor disagreed with the plan on 5 November 2026" in gap["message"]
    assert "Too few sessions" in gap["message"]
    review(plan, "2026-11-04")  # recorded later, but held before the disagreement: no answer to it
    assert [c for c, _ in found(plan)] == ["disagreement_unanswered"]
    plan.amend_item(BY, "provisions", ids["provision"], {"sessions_per_week": 4}, reason="Agreed with parent")
    assert found(plan) == []


def test_a_disagreement_is_answered_by_a_review_or_the_parents_agreement() -> None:
    plan, _ = complete()
    plan.record_acknowledgement(PARENT, {"version": 3, "response": "disagree"}, agreed_on="2026-11-05")
    [gap] = plan_gaps(plan, TODAY)
    assert gap["message"].startswith("Pat Okafor disagreed")  # the parent who recorded it
    review(plan, "2026-11-19")
    assert found(plan) == []
    again, _ = complete()
    again.record_acknowledgement(BY, {"version": 3, "response": "disagree", **GIVEN}, agreed_on="2026-11-05")
    again.record_acknowledgement(BY, {"version": 3, "response": "seen", **GIVEN}, agreed_on="2026-11-06")
    assert [c for c, _ in found(again)] == ["disagreement_unanswered"]  # seeing is not agreeing
    again.record_acknowledgement(BY, {"version": 3, "response": "agree", **GIVEN}, agreed_on="2026-11-09")
    assert found(again) == []


def test_a_targeted_plus_plan_without_professional_advice() -> None:
    plan, _ = complete()
    plan.change_tier(BY, tier="targeted_plus", ehcp_reference=None, reason="Little progress")
    assert found(plan) == [("targeted_plus_without_professional_advice", None)]
    plan.record_contribution(BY, {"kind": "parent_view", "text": "Please involve the speech therapist"})
    assert found(plan) == [("targeted_plus_without_professional_advice", None)]
    plan.record_contribution(BY, {"kind": "professional_advice", "profession": "speech and language therapist",
                                  "text": "Language group three times a week"})
    assert found(plan) == []


# ------------------------------------------------------------------------------------------------ delivery


WINDOW = (dt.date(2026, 10, 9), dt.date(2026, 11, 19))


def figures(planned: float, delivered: int, missed: int = 0, staff_absent: int = 0) -> dict[str, Any]:
    """A provision's figures as the delivery report gives them; ``missed`` sessions with the pupil absent, and
    ``staff_absent`` more."""
    rate = round(delivered / planned, 2) if planned else None
    by_reason = {reason: 0 for reason in codes.MISSED_REASONS} | {"pupil_absent": missed,
                                                                  "staff_absent": staff_absent}
    return {"planned_sessions": planned, "delivered_sessions": delivered, "missed_sessions": missed + staff_absent,
            "missed_by_reason": by_reason, "delivery_rate": rate,
            "unrecorded_sessions": max(0.0, planned - delivered - missed - staff_absent)}


def test_a_provision_delivered_at_under_three_quarters_of_its_planned_sessions() -> None:
    plan, ids = complete()
    delivery = {ids["provision"]: figures(18, 13, 1, 2)}  # 72%
    gaps = plan_gaps(plan, TODAY, delivery, WINDOW)
    assert [(g["code"], g.get("item_id")) for g in gaps] == [("provision_under_delivered", ids["provision"])]
    assert gaps[0]["message"] == (
        "The provision “Small-group phonics with a trained TA” was delivered at 72% of its planned sessions over "
        "the last six school weeks (9 October 2026 to 19 November 2026): 13 delivered of 18 planned, 3 missed (1 "
        "pupil absent, 2 staff absent), 2 not recorded. Find out why, and record any sessions not yet logged.")
    [gap] = plan_gaps(plan, TODAY, {ids["provision"]: figures(18, 12, 6)}, WINDOW)
    assert gap["message"].endswith("12 delivered of 18 planned, 6 missed (6 pupil absent). Find out why, and agree "
                                   "with the parents how the sessions missed will be made up.")
    assert found(plan, delivery={ids["provision"]: figures(18, 14)}, window=WINDOW) == []  # 78%
    assert found(plan, delivery={ids["provision"]: figures(20, 15)}, window=WINDOW) == []  # exactly 75%
    assert found(plan, delivery={ids["provision"]: figures(0, 0)}, window=WINDOW) == []
    # One session short is no pattern: a fortnightly block missing one of its three sessions is not a gap.
    therapy = plan.add_item(BY, "provisions", samples.provision([ids["barrier"]], description="SALT block",
                                                                sessions_per_week=0.5))
    assert found(plan, delivery={therapy: figures(3, 2, 1)}, window=WINDOW) == []
    assert found(plan, delivery={therapy: figures(3, 1, 2)}, window=WINDOW) == [
        ("provision_under_delivered", therapy)]


def test_delivery_is_judged_once_the_window_holds_two_weeks_of_the_provision() -> None:
    plan, ids = complete()  # three sessions a week
    assert found(plan, delivery={ids["provision"]: figures(5.4, 0)}, window=WINDOW) == []
    assert found(plan, delivery={ids["provision"]: figures(6, 0)}, window=WINDOW) == [
        ("provision_under_delivered", ids["provision"])]
    late = plan.add_item(BY, "provisions", samples.provision([ids["barrier"]], description="Precision teaching",
                                                             sessions_per_week=5, starts_on="2026-11-02"),
                         agreed_on="2026-10-20")
    assert found(plan, delivery={late: figures(9, 1)}, window=WINDOW) == []  # under two of its weeks
    [gap] = plan_gaps(plan, TODAY, {late: figures(14, 3)}, WINDOW)
    assert gap["item_id"] == late
    assert "at 21% of its planned sessions since it started on 2 November 2026: 3 delivered of 14" in gap["message"]


def test_delivery_of_provision_past_its_end_date_is_not_judged() -> None:
    plan, ids = complete()
    plan.add_item(BY, "adjustments", samples.adjustment([ids["barrier"]]))
    plan.amend_item(BY, "provisions", ids["provision"], {"ends_on": "2026-11-13"}, reason="Block finished")
    assert found(plan, delivery={ids["provision"]: figures(15, 5)}, window=WINDOW) == []


def test_the_last_six_school_weeks_are_counted_by_the_settings_calendar() -> None:
    weekdays = SchoolCalendar()
    assert delivery_window(weekdays, TODAY) == (dt.date(2026, 10, 9), dt.date(2026, 11, 19))
    half_term = SchoolCalendar(((dt.date(2026, 10, 26), dt.date(2026, 10, 30)),),
                               frozenset({dt.date(2026, 11, 13)}))
    # Six school weeks back from Thursday 19 November, skipping half term and the INSET day.
    start, end = delivery_window(half_term, TODAY) or (None, None)
    assert (start, end) == (dt.date(2026, 10, 1), dt.date(2026, 11, 19))
    assert len(half_term.school_days(start, end)) == 30  # type: ignore[arg-type]
    assert delivery_window(SchoolCalendar(((dt.date(2025, 1, 1), dt.date(2027, 1, 1)),)), TODAY) is None


# ------------------------------------------------------------------------------------------------ voided entries


def void(plan: Plan, kind: str, index: int = -1) -> None:
    """Mark a fact's record voided, in the shape the plan keeps for an entry recorded in error."""
    records = plan.facts[kind]
    record = records[index]
    records[index] = {**record, "voided": {"event_id": "e-void", "version": plan.version + 1,
                                           "recorded_at": "2026-11-20T10:00:00.000000+00:00",
                                           "actor": BY.actor.as_dict(), "reason": "Put on the wrong child's plan"}}


def test_a_voided_review_sets_no_review_date() -> None:
    plan, _ = complete()
    review(plan, "2026-10-01", next_review_due="2027-02-01")
    review(plan, "2026-11-19", next_review_due="2027-03-19")
    assert (last_review_on(plan), next_review_due(plan)) == ("2026-11-19", "2027-03-19")
    void(plan, "reviews")
    assert (last_review_on(plan), next_review_due(plan)) == ("2026-10-01", "2027-02-01")
    void(plan, "reviews", 0)
    assert (last_review_on(plan), next_review_due(plan)) == (None, "2026-11-24")  # as opened: 12 weeks on


def test_voided_entries_count_for_nothing() -> None:
    plan, _ = complete("targeted_plus")
    review(plan, "2026-10-01", attendees=STAFF_ONLY, parent_views="")
    review(plan, "2026-11-19")
    assert found(plan) == []
    void(plan, "reviews")  # the involving review was recorded in error: the one before it is the last
    assert found(plan) == [("parents_not_involved_in_last_review", None)]
    void(plan, "contributions", 0)  # the professional's advice was another child's
    assert ("targeted_plus_without_professional_advice", None) in found(plan)
    disagreeing, _ = complete()
    disagreeing.record_acknowledgement(BY, {"version": 3, "response": "disagree", **GIVEN})
    assert found(disagreeing) == [("disagreement_unanswered", None)]
    void(disagreeing, "acknowledgements")
    assert found(disagreeing) == []
    assert quality_facts(disagreeing)["disagreement"] is None
