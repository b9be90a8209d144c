"""The rules a SENCO relies on once a plan is open (CONTRACT.md §4, DOMAIN.md): census codes, sensible numbers,
provision that addresses real barriers, items that end, a plan that closes, reviews at least yearly.

Field problems are refused as :class:`InvalidInput` naming the field; a rule of the plan as a whole refuses
with :class:`RuleViolation` naming the rule.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from isp_ledger.domain.errors import InvalidInput, NotFound, RuleViolation
from isp_ledger.domain.plan import Plan
from isp_ledger.domain.stamp import Actor, Stamp
from isp_ledger.domain.view import plan_document
from tests import samples

SENCO = Actor("u-senco", "Sam Senco", "senco")
NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)
BY = Stamp(SENCO, NOW)


def open_plan(tier: str = "targeted", agreed_on: str = "2026-09-01", **overrides: Any) -> Plan:
    return Plan.open(BY, pupil=samples.pupil(), setting_urn="123456", tier=tier, agreed_on=agreed_on, **overrides)


def specialist_plan() -> Plan:
    return open_plan("specialist", ehcp_reference="EHCP-801-2026-0042")


def fields_refused(error: pytest.ExceptionInfo[InvalidInput]) -> set[str]:
    return {e.field for e in error.value.errors}


def with_barrier(plan: Plan | None = None, **barrier: Any) -> tuple[Plan, str]:
    plan = plan or open_plan()
    return plan, plan.add_item(BY, "barriers", samples.barrier(**barrier), agreed_on="2026-09-01")


def sample_fields(section: str, barrier_id: str, **overrides: Any) -> dict[str, Any]:
    """Well-formed fields of an item of ``section`` addressing ``barrier_id``."""
    if section == "barriers":
        return samples.barrier(**overrides)
    fields: dict[str, Any] = getattr(samples, section[:-1])([barrier_id])
    return {**fields, **overrides}


def add(plan: Plan, section: str, barrier_id: str) -> str:
    """An item agreed on 1 October, so that it can be amended or ended on any later day."""
    return plan.add_item(BY, section, sample_fields(section, barrier_id), agreed_on="2026-10-01")


# ------------------------------------------------------------------ barriers: census codes and areas of need


@pytest.mark.parametrize(
    ("need_type", "area_of_need"),
    [
        ("SPLD", "cognition_and_learning"),
        ("SLCN", "communication_and_interaction"),
        ("ASD", "communication_and_interaction"),
        ("SEMH", "semh"),
        ("HI", "sensory_and_physical"),
        ("OTH", "semh"),
        ("NSA", "sensory_and_physical"),
    ],
)
def test_a_barrier_takes_a_census_need_type_within_its_area_of_need(need_type: str, area_of_need: str) -> None:
    plan, barrier_id = with_barrier(need_type=need_type, area_of_need=area_of_need)
    barrier = plan.items[barrier_id]
    assert (barrier["need_type"], barrier["area_of_need"], barrier["status"]) == (need_type, area_of_need, "active")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"need_type": "DYSLEXIA"}, "need_type"),
        ({"area_of_need": "behaviour"}, "area_of_need"),
        ({"need_type": "SPLD", "area_of_need": "semh"}, "need_type"),  # SPLD is cognition and learning
    ],
)
def test_a_barrier_with_a_wrong_code_is_refused(overrides: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        with_barrier(None, **overrides)
    assert field in fields_refused(refused)


def test_nsa_is_refused_beside_an_ehcp() -> None:
    with pytest.raises(InvalidInput, match="NSA"):
        with_barrier(specialist_plan(), need_type="NSA")

    plan, barrier_id = with_barrier(specialist_plan(), need_type="SPLD")
    with pytest.raises(InvalidInput, match="NSA"):
        plan.amend_item(BY, "barriers", barrier_id, {"need_type": "NSA"})


def test_a_plan_with_an_active_nsa_barrier_cannot_move_to_the_specialist_tier_until_it_is_resolved() -> None:
    plan, barrier_id = with_barrier(need_type="NSA")
    with pytest.raises(RuleViolation) as refused:
        plan.change_tier(BY, tier="specialist", ehcp_reference="EHCP-1", reason="EHCP issued")
    assert refused.value.rule == "nsa_beside_ehcp"

    plan.end_item(BY, "barriers", barrier_id, reason="assessed: now SPLD")
    plan.change_tier(BY, tier="specialist", ehcp_reference="EHCP-1", reason="EHCP issued")
    assert plan.state["tier"] == "specialist"


# ------------------------------------------------------------------ text


@pytest.mark.parametrize(
    ("section", "field", "limit"),
    [("barriers", "description", 2_000), ("barriers", "evidence", 10_000), ("provisions", "delivered_by", 200)],
)
def test_text_is_limited_in_length(section: str, field: str, limit: int) -> None:
    plan, barrier_id = with_barrier()
    item_id = plan.add_item(BY, section, sample_fields(section, barrier_id, **{field: "x" * limit}))
    assert len(plan.items[item_id][field]) == limit

    with pytest.raises(InvalidInput, match=f"at most {limit}"):
        plan.add_item(BY, section, sample_fields(section, barrier_id, **{field: "x" * (limit + 1)}))


@pytest.mark.parametrize("text", ["", "   ", "nul\x00byte"])
def test_a_description_must_be_real_text(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        with_barrier(description=text)
    assert fields_refused(refused) == {"description"}


def test_a_misspelt_field_is_refused_rather_than_ignored() -> None:
    plan, barrier_id = with_barrier()
    with pytest.raises(InvalidInput) as refused:
        plan.add_item(BY, "provisions", {**samples.provision([barrier_id]), "minutes": 30})
    assert "minutes" in fields_refused(refused)


# ------------------------------------------------------------------ provision: specific and measurable


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("sessions_per_week", 0),
        ("sessions_per_week", -1),
        ("sessions_per_week", "3"),
        ("minutes_per_session", 0),
        ("minutes_per_session", 481),
        ("minutes_per_session", 30.5),
        ("group_size", 0),
        ("group_size", True),
        ("location", "playground"),
    ],
)
def test_provision_numbers_out_of_range_are_refused(field: str, value: Any) -> None:
    plan, barrier_id = with_barrier()
    with pytest.raises(InvalidInput) as refused:
        plan.add_item(BY, "provisions", samples.provision([barrier_id], **{field: value}))
    assert fields_refused(refused) == {field}


def test_provision_numbers_at_the_edges_of_their_range_are_accepted() -> None:
    plan, barrier_id = with_barrier()
    for overrides in ({"sessions_per_week": 0.5}, {"minutes_per_session": 1}, {"minutes_per_session": 480},
                      {"group_size": 1}):
        item_id = plan.add_item(BY, "provisions", samples.provision([barrier_id], **overrides))
        assert overrides.items() <= plan.items[item_id].items()


def test_a_provision_cannot_end_before_it_starts() -> None:
    plan, barrier_id = with_barrier()
    with pytest.raises(InvalidInput) as refused:
        plan.add_item(BY, "provisions", samples.provision([barrier_id], starts_on="2026-09-07", ends_on="2026-09-06"))
    assert fields_refused(refused) == {"ends_on"}


# ------------------------------------------------------------------ links to barriers


@pytest.mark.parametrize("section", ["provisions", "adjustments", "outcomes"])
def test_provision_adjustments_and_outcomes_must_address_a_barrier_of_this_plan(section: str) -> None:
    plan, _ = with_barrier()
    _, elsewhere = with_barrier()  # a barrier of another pupil's plan
    for barrier_ids in ([], ["no-such-barrier"], [elsewhere]):
        with pytest.raises(InvalidInput) as refused:
            plan.add_item(BY, section, sample_fields(section, "unused", barrier_ids=barrier_ids))
        assert fields_refused(refused) == {"barrier_ids"}


def test_a_resolved_barrier_cannot_be_addressed_by_new_provision() -> None:
    plan, barrier_id = with_barrier()
    plan.end_item(BY, "barriers", barrier_id, reason="Reading age now in line with peers")
    with pytest.raises(InvalidInput, match="resolved, not active"):
        plan.add_item(BY, "provisions", samples.provision([barrier_id]))


def test_an_amendment_cannot_link_a_resolved_barrier() -> None:
    plan, first = with_barrier()
    _, second = with_barrier(plan, description="Struggles with working memory in multi-step tasks")
    provision_id = plan.add_item(BY, "provisions", samples.provision([first]))
    plan.end_item(BY, "barriers", second, reason="No longer a barrier")
    with pytest.raises(InvalidInput, match="not active"):
        plan.amend_item(BY, "provisions", provision_id, {"barrier_ids": [first, second]})


def test_provision_cannot_be_agreed_before_the_barrier_it_addresses_was_identified() -> None:
    plan = open_plan()
    barrier_id = plan.add_item(BY, "barriers", samples.barrier(), agreed_on="2026-10-01")
    with pytest.raises(InvalidInput, match="identified on 2026-10-01"):
        plan.add_item(BY, "provisions", samples.provision([barrier_id]), agreed_on="2026-09-15")


# ------------------------------------------------------------------ ending items


@pytest.mark.parametrize(
    ("section", "outcome", "status"),
    [
        ("barriers", None, "resolved"),
        ("provisions", None, "ended"),
        ("adjustments", None, "withdrawn"),
        ("outcomes", "achieved", "achieved"),
        ("outcomes", "discontinued", "discontinued"),
    ],
)
def test_ending_an_item_records_its_status_date_and_reason(section: str, outcome: str | None, status: str) -> None:
    plan, barrier_id = with_barrier()
    item_id = barrier_id if section == "barriers" else add(plan, section, barrier_id)

    plan.end_item(BY, section, item_id, reason="Agreed at the autumn review", outcome=outcome, agreed_on="2026-11-19")

    item = plan.items[item_id]
    assert (item["status"], item["ended_on"], item["ended_reason"]) == (
        status, "2026-11-19", "Agreed at the autumn review"
    )


def test_closing_an_outcome_needs_achieved_or_discontinued() -> None:
    plan, barrier_id = with_barrier()
    outcome_id = plan.add_item(BY, "outcomes", samples.outcome([barrier_id]))
    for outcome in (None, "abandoned"):
        with pytest.raises(InvalidInput) as refused:
            plan.end_item(BY, "outcomes", outcome_id, reason="Reviewed", outcome=outcome)
        assert fields_refused(refused) == {"outcome"}


def test_only_outcomes_take_an_outcome_and_every_ending_needs_a_reason() -> None:
    plan, barrier_id = with_barrier()
    with pytest.raises(InvalidInput) as refused:
        plan.end_item(BY, "barriers", barrier_id, reason="Resolved", outcome="achieved")
    assert fields_refused(refused) == {"outcome"}
    with pytest.raises(InvalidInput) as refused:
        plan.end_item(BY, "barriers", barrier_id, reason="  ")
    assert fields_refused(refused) == {"reason"}


@pytest.mark.parametrize("section", ["barriers", "provisions", "adjustments", "outcomes"])
def test_an_ended_item_can_no_longer_change(section: str) -> None:
    plan, barrier_id = with_barrier()
    item_id = barrier_id if section == "barriers" else add(plan, section, barrier_id)
    outcome = "achieved" if section == "outcomes" else None
    plan.end_item(BY, section, item_id, reason="Done", outcome=outcome)

    noun = section[:-1]
    with pytest.raises(RuleViolation) as refused:
        plan.amend_item(BY, section, item_id, {"description": "A later thought"})
    assert refused.value.rule == f"{noun}_not_active"
    with pytest.raises(RuleViolation) as refused:
        plan.end_item(BY, section, item_id, reason="Again", outcome=outcome)
    assert refused.value.rule == f"{noun}_not_active"


def test_an_item_is_found_only_in_its_own_section() -> None:
    plan, barrier_id = with_barrier()
    with pytest.raises(NotFound):
        plan.amend_item(BY, "provisions", barrier_id, {"description": "x"})
    with pytest.raises(NotFound):
        plan.end_item(BY, "barriers", "no-such-item", reason="x")


def test_an_amendment_must_change_something() -> None:
    plan, barrier_id = with_barrier()
    provision_id = plan.add_item(BY, "provisions", samples.provision([barrier_id]))
    for changes in ({}, {"sessions_per_week": 3}):  # 3 is what it already says
        with pytest.raises(InvalidInput) as refused:
            plan.amend_item(BY, "provisions", provision_id, changes)
        assert fields_refused(refused) == {"changes"}


# ------------------------------------------------------------------ a closed plan


def test_closing_a_plan_records_when_and_why() -> None:
    plan = open_plan()
    plan.close(BY, reason="Moved to a new school", agreed_on="2026-11-18")
    assert not plan.is_open
    assert (plan.state["closed_on"], plan.state["closed_reason"]) == ("2026-11-18", "Moved to a new school")
    assert plan_document(plan)["next_review_due"] is None  # type: ignore[index]


@pytest.mark.parametrize(
    "command",
    [
        lambda plan, ids: plan.add_item(BY, "barriers", samples.barrier()),
        lambda plan, ids: plan.amend_item(BY, "provisions", ids["provision"], {"sessions_per_week": 5}),
        lambda plan, ids: plan.end_item(BY, "provisions", ids["provision"], reason="Stopped"),
        lambda plan, ids: plan.hold_review(BY, samples.review()),
        lambda plan, ids: plan.record_contribution(BY, {"kind": "parent_view", "text": "Still worried"}),
        lambda plan, ids: plan.change_tier(BY, tier="targeted_plus", ehcp_reference=None, reason="SaLT involved"),
        lambda plan, ids: plan.close(BY, reason="Closed twice"),
    ],
    ids=["add", "amend", "end", "review", "contribution", "tier", "close"],
)
def test_a_closed_plan_refuses_every_change(command: Any) -> None:
    plan, barrier_id = with_barrier()
    ids = {"provision": plan.add_item(BY, "provisions", samples.provision([barrier_id]))}
    plan.close(BY, reason="Left the school")

    with pytest.raises(RuleViolation) as refused:
        command(plan, ids)
    assert refused.value.rule == "plan_closed"


# ------------------------------------------------------------------ tier changes


def test_changing_tier_follows_the_same_ehcp_rule_as_opening() -> None:
    plan = open_plan()
    with pytest.raises(InvalidInput) as refused:
        plan.change_tier(BY, tier="specialist", ehcp_reference=None, reason="EHCP issued")
    assert fields_refused(refused) == {"ehcp_reference"}

    plan.change_tier(BY, tier="specialist", ehcp_reference="EHCP-801-2026-0042", reason="EHCP issued")
    assert (plan.state["tier"], plan.state["ehcp_reference"]) == ("specialist", "EHCP-801-2026-0042")


def test_a_tier_change_needs_a_reason_and_a_change() -> None:
    plan = open_plan()
    with pytest.raises(InvalidInput) as refused:
        plan.change_tier(BY, tier="targeted_plus", ehcp_reference=None, reason="")
    assert fields_refused(refused) == {"reason"}
    with pytest.raises(RuleViolation) as violation:
        plan.change_tier(BY, tier="targeted", ehcp_reference=None, reason="Still targeted")
    assert violation.value.rule == "no_change"


# ------------------------------------------------------------------ reviews and other facts


@pytest.mark.parametrize(
    ("held_on", "next_review_due", "accepted"),
    [
        ("2026-11-19", "2027-11-19", True),  # exactly 12 months
        ("2026-11-19", "2027-11-20", False),
        ("2026-11-19", "2026-11-19", False),
        ("2024-02-29", "2025-02-28", True),  # 12 months after a leap day
        ("2024-02-29", "2025-03-01", False),
    ],
)
def test_a_review_sets_the_next_one_at_most_12_months_ahead(held_on: str, next_review_due: str, accepted: bool) -> None:
    plan = open_plan(agreed_on="2024-01-10")
    fields = samples.review(held_on=held_on, next_review_due=next_review_due)
    if accepted:
        plan.hold_review(BY, fields)
        assert plan_document(plan)["next_review_due"] == next_review_due  # type: ignore[index]
    else:
        with pytest.raises(InvalidInput) as refused:
            plan.hold_review(BY, fields)
        assert fields_refused(refused) == {"next_review_due"}


def test_a_review_is_recorded_once_held_and_not_before_the_plan_opened() -> None:
    plan = open_plan(agreed_on="2026-09-01")
    with pytest.raises(InvalidInput) as refused:
        plan.hold_review(BY, samples.review(held_on="2026-11-21", next_review_due="2027-03-01"))
    assert fields_refused(refused) == {"held_on"}
    with pytest.raises(RuleViolation) as violation:
        plan.hold_review(BY, samples.review(held_on="2026-08-31", next_review_due="2027-03-01"))
    assert violation.value.rule == "before_plan_opened"


def test_progress_is_measured_no_earlier_than_the_outcome_was_set_and_no_later_than_today() -> None:
    plan, barrier_id = with_barrier()
    outcome_id = plan.add_item(BY, "outcomes", samples.outcome([barrier_id]), agreed_on="2026-10-01")
    progress = {"value": 12, "note": "Read 12 of 20", "source": "termly check"}

    with pytest.raises(RuleViolation) as violation:
        plan.record_progress(BY, outcome_id, {**progress, "measured_on": "2026-09-30"})
    assert violation.value.rule == "before_outcome_set"
    with pytest.raises(InvalidInput) as refused:
        plan.record_progress(BY, outcome_id, {**progress, "measured_on": "2026-11-21"})
    assert fields_refused(refused) == {"measured_on"}
    plan.record_progress(BY, outcome_id, {**progress, "measured_on": "2026-11-20"})
    assert [p["value"] for p in plan_document(plan)["outcomes"][0]["progress"]] == [12]  # type: ignore[index]


def test_professional_advice_names_the_profession() -> None:
    plan = open_plan("targeted_plus")
    with pytest.raises(InvalidInput) as refused:
        plan.record_contribution(BY, {"kind": "professional_advice", "text": "Use visual timetables"})
    assert fields_refused(refused) == {"profession"}
    plan.record_contribution(BY, {"kind": "professional_advice", "profession": "speech and language therapist",
                                  "text": "Use visual timetables"})


GIVEN = {"given_by": "Pat Okafor", "method": "signed_form"}  # staff record a parent's response: whose, and how


def test_a_parent_acknowledges_a_version_that_exists() -> None:
    plan = open_plan()
    with pytest.raises(InvalidInput) as refused:
        plan.record_acknowledgement(BY, {"version": 2, "response": "agree", **GIVEN})
    assert fields_refused(refused) == {"version"}
    plan.record_acknowledgement(BY, {"version": 1, "response": "disagree", "comment": "Too few sessions", **GIVEN})
    assert plan_document(plan)["acknowledgements"][0]["version"] == 1  # type: ignore[index]
