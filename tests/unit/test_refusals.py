"""A refused command leaves the plan exactly as it was: no new event waiting to be saved, no state changed.

Commands check every rule before they trigger an event. These tests run one refused command of each kind
(invalid input, a rule of the plan, an unknown item) on a plan with some history and compare everything the
plan holds before and after.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from isp_ledger.domain.errors import InvalidInput, LedgerError, NotFound, RuleViolation
from isp_ledger.domain.plan import Plan
from isp_ledger.domain.stamp import Actor, Stamp
from tests import samples

BY = Stamp(Actor("u-senco", "Sam Senco", "senco"), dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC))

Ids = dict[str, str]


def plan_with_history() -> tuple[Plan, Ids]:
    plan = Plan.open(BY, pupil=samples.pupil(), setting_urn="123456", tier="targeted", agreed_on="2026-09-01")
    barrier = plan.add_item(BY, "barriers", samples.barrier(), agreed_on="2026-09-02")
    resolved = plan.add_item(BY, "barriers", samples.barrier(description="Reversals"), agreed_on="2026-09-02")
    provision = plan.add_item(BY, "provisions", samples.provision([barrier]), agreed_on="2026-09-10")
    outcome = plan.add_item(BY, "outcomes", samples.outcome([barrier]), agreed_on="2026-09-10")
    plan.amend_item(BY, "provisions", provision, {"sessions_per_week": 4}, agreed_on="2026-10-01")
    plan.end_item(BY, "barriers", resolved, reason="No longer seen", agreed_on="2026-10-01")
    plan.correct(BY, event_id=plan.records[provision][0]["event_id"], reason="Typo", changes={"group_size": 3})
    plan.hold_review(BY, samples.review())
    plan.collect_events()  # as if saved
    return plan, {"barrier": barrier, "resolved": resolved, "provision": provision, "outcome": outcome}


def everything_in(plan: Plan) -> dict[str, Any]:
    return copy.deepcopy({k: v for k, v in vars(plan).items() if k != "_pending_events"})


REFUSALS: list[tuple[str, type[LedgerError], Callable[[Plan, Ids], object]]] = [
    ("add with a bad field", InvalidInput,
     lambda plan, ids: plan.add_item(BY, "provisions", samples.provision([ids["barrier"]], minutes_per_session=0))),
    ("add for a resolved barrier", InvalidInput,
     lambda plan, ids: plan.add_item(BY, "adjustments", samples.adjustment([ids["resolved"]]))),
    ("add before the plan opened", RuleViolation,
     lambda plan, ids: plan.add_item(BY, "barriers", samples.barrier(), agreed_on="2026-08-01")),
    ("add agreed tomorrow", InvalidInput,
     lambda plan, ids: plan.add_item(BY, "barriers", samples.barrier(), agreed_on="2026-11-21")),
    ("amend going backwards", RuleViolation,
     lambda plan, ids: plan.amend_item(BY, "provisions", ids["provision"], {"sessions_per_week": 2},
                                       agreed_on="2026-09-30")),
    ("amend an ended item", RuleViolation,
     lambda plan, ids: plan.amend_item(BY, "barriers", ids["resolved"], {"description": "x"})),
    ("amend an unknown item", NotFound,
     lambda plan, ids: plan.amend_item(BY, "provisions", "no-such-item", {"description": "x"})),
    ("end without an outcome", InvalidInput,
     lambda plan, ids: plan.end_item(BY, "outcomes", ids["outcome"], reason="Reviewed")),
    ("review due in 13 months", InvalidInput,
     lambda plan, ids: plan.hold_review(BY, samples.review(next_review_due="2027-12-20"))),
    ("tier without an EHCP", InvalidInput,
     lambda plan, ids: plan.change_tier(BY, tier="specialist", ehcp_reference=None, reason="EHCP")),
    ("correct an unknown field", InvalidInput,
     lambda plan, ids: plan.correct(BY, event_id=plan.records[ids["barrier"]][0]["event_id"], reason="x",
                                    changes={"colour": "blue"})),
    ("correct out of order", RuleViolation,
     lambda plan, ids: plan.correct(BY, event_id=plan.records[ids["provision"]][1]["event_id"], reason="x",
                                    changes={"agreed_on": "2026-09-09"})),
    ("close without a reason", InvalidInput, lambda plan, ids: plan.close(BY, reason="")),
]


@pytest.mark.parametrize(("error", "command"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS])
def test_a_refused_command_leaves_the_plan_untouched(
    error: type[LedgerError], command: Callable[[Plan, Ids], object]
) -> None:
    plan, ids = plan_with_history()
    before = everything_in(plan)

    with pytest.raises(error):
        command(plan, ids)

    assert plan.pending_events == []
    assert everything_in(plan) == before


def test_a_refused_opening_creates_no_plan() -> None:
    with pytest.raises(InvalidInput):
        Plan.open(BY, pupil=samples.pupil(upn="A801200005001"), setting_urn="123456", tier="targeted")
