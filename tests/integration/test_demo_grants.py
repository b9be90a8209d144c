"""The demo shares its plans (CONTRACT.md §10), on both stores: every child's parent is given access the day the
plan is opened, the professional the Targeted Plus and Specialist plans, the complaint handler the first child's
plan; the tokens it prints work, and a parent's reads land in their child's plan's access log.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from isp_ledger.application import Ledger
from isp_ledger.bootstrap import build_ledger
from isp_ledger.demo import DemoClock, build_demo, describe
from isp_ledger.domain.errors import NotFound


@pytest.fixture
def demo_ledger(env: dict[str, str]) -> Iterator[Ledger]:
    ledger = build_ledger(env, clock=DemoClock())
    try:
        yield ledger
    finally:
        ledger.close()


def test_the_demo_shares_every_plan_with_its_parent_and_some_with_a_professional_and_a_complaint_handler(
    demo_ledger: Ledger,
) -> None:
    ledger = demo_ledger
    report = build_demo(ledger, plans=5, seed=3)
    admin = ledger.accounts.authenticate(report.token("admin"))
    assert admin is not None
    granted: Counter[str] = Counter()
    for plan in report.plans:
        events = ledger.history.plan_events(admin, plan.plan_id)
        grants = [e for e in events if e["type"] == "AccessGranted"]
        opened = next(e for e in events if e["type"] == "PlanOpened")
        parents = [g for g in grants if g["data"]["relationship"] == "parent"]
        assert len(parents) == 1, plan  # shared with the child's parent...
        assert parents[0]["recorded_at"][:10] == opened["recorded_at"][:10]  # ...the day the plan was opened
        assert parents[0]["actor"]["role"] == "senco" and parents[0]["reason"]
        granted.update(g["data"]["relationship"] for g in grants)
        professional = [g for g in grants if g["data"]["relationship"] == "professional"]
        assert len(professional) == (0 if opened["data"]["tier"] == "targeted" else 1), plan
        assert ledger.integrity.verify(None, plan.plan_id).ok
    assert granted["complaint_handler"] == 1
    assert report.tally.grants == granted

    parent = ledger.accounts.authenticate(report.token("parent"))
    handler = ledger.accounts.authenticate(report.token("complaint_handler"))
    assert parent is not None and handler is not None and report.parent_plan is not None
    child = report.parent_plan.plan_id
    assert [row["plan_id"] for row in ledger.grants.granted_to(parent)] == [str(child)]
    assert ledger.history.plan_document(handler, child)["plan_id"] == str(child)
    for other in report.plans[1:]:
        with pytest.raises(NotFound):
            ledger.history.plan_document(parent, other.plan_id)
    log = ledger.access_log.entries(parent, child)["entries"]
    assert [(e["user"]["name"], e.get("relationship")) for e in log[:3]] == [
        (parent.name, "parent"), (handler.name, "complaint_handler"), (parent.name, "parent")]
    lines = "\n".join(describe(report))
    assert report.token("parent") in lines and report.token("professional") in lines
    assert f"/v1/plans/{child}/access-log" in lines


def test_the_demos_parents_have_e_mail_addresses_and_the_senco_lists_them(demo_ledger: Ledger) -> None:
    ledger = demo_ledger
    report = build_demo(ledger, plans=3, seed=9)
    senco = ledger.accounts.authenticate(report.token("senco"))
    assert senco is not None
    parents = [a for a in ledger.accounts.visible_to(senco) if a.role == "parent"]
    assert len(parents) == 3, "the SENCO lists the parents granted on the setting's plans"
    assert all(a.email and a.email.endswith("@example.org") for a in parents)
    assert len({a.email for a in parents}) == 3
