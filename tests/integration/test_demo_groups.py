"""The demo school saves its intervention groups (CONTRACT.md §8), on both stores: named by provision and days, never
by a pupil; each of two or more pupils whose provision is in force; ready for the teaching assistant to log from."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from isp_ledger.application import Ledger
from isp_ledger.bootstrap import build_ledger
from isp_ledger.demo import DemoClock, build_demo


@pytest.fixture
def demo_ledger(env: dict[str, str]) -> Iterator[Ledger]:
    ledger = build_ledger(env, clock=DemoClock())
    try:
        yield ledger
    finally:
        ledger.close()


def test_the_demo_saves_its_groups_for_the_teaching_assistant(demo_ledger: Ledger) -> None:
    report = build_demo(demo_ledger, plans=20, seed=5)
    assistant = demo_ledger.accounts.authenticate(report.token("ta"))
    assert assistant is not None and assistant.setting_urn is not None
    groups = demo_ledger.groups.list(assistant, assistant.setting_urn)
    assert groups, "the demo saved no group"
    names = {part for plan in report.plans for part in plan.pupil.split() if len(part) > 2}
    for group in groups:
        assert len(group["members"]) >= 2 and group["led_by"]
        assert all(m["visible"] and m["in_force"] for m in group["members"]), group
        assert not any(name in group["name"] for name in names), group["name"]
    assert len({g["name"] for g in groups}) == len(groups)
