"""Saved groups in the store, on SQLite and PostgreSQL, through the application as the pages call it: two people
naming or changing a group at the same moment (in two processes) never leave two live groups of one name or lose
a change silently; and a session logged from a group is the sessions ``record_session`` records.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any
from uuid import UUID

import pytest

from isp_ledger.application import Ledger
from isp_ledger.bootstrap import build_ledger
from isp_ledger.domain.errors import LedgerError, RuleViolation, StaleVersion
from tests import samples
from tests.conftest import SETTING, FakeClock, People


def member(ledger: Ledger, people: People) -> dict[str, str]:
    senco = people.senco
    plan_id = UUID(ledger.commands.open_plan(senco, **samples.plan_body(agreed_on="2026-09-01")).body["plan_id"])
    barrier = ledger.commands.add_item(senco, plan_id, "barriers", samples.barrier(), agreed_on="2026-09-01")
    provision = ledger.commands.add_item(senco, plan_id, "provisions", samples.provision([barrier.body["item_id"]]),
                                         agreed_on="2026-09-01")
    return {"plan_id": str(plan_id), "provision_id": provision.body["item_id"]}


def at_once(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls together; each one's answer, or the refusal it raised."""
    start = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        start.wait()
        try:
            results[index] = calls[index]()
        except LedgerError as e:
            results[index] = e

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.fixture
def other(env: dict[str, str], clock: FakeClock) -> Any:
    """The same store, as another process sees it."""
    second = build_ledger(env, clock=clock)
    yield second
    second.close()


def test_two_groups_named_alike_at_once_one_is_refused(ledger: Ledger, other: Ledger, people: People) -> None:
    pupil = member(ledger, people)
    results = at_once(*(lambda lg=lg, name=name: lg.groups.create(people.senco, SETTING, name=name, members=[pupil])
                        for lg, name in ((ledger, "Phonics"), (other, "phonics "))))
    refused = [r for r in results if isinstance(r, RuleViolation)]
    assert len(refused) == 1 and refused[0].rule == "group_name_taken", results
    assert [g["name"] for g in ledger.groups.list(people.teacher, SETTING)] in (["Phonics"], ["phonics"])


def test_two_changes_at_once_both_land_unless_if_match_says_otherwise(ledger: Ledger, other: Ledger,
                                                                        people: People) -> None:
    pupil = member(ledger, people)
    group_id = UUID(ledger.groups.create(people.senco, SETTING, name="Phonics", members=[pupil])["group_id"])

    def rename(lg: Ledger, name: str, if_match: int | None) -> Callable[[], Any]:
        return lambda: lg.groups.change(people.senco, SETTING, group_id, name=name, members=[pupil],
                                        if_match=if_match)

    results = at_once(rename(ledger, "Phonics A", None), rename(other, "Phonics B", None))
    assert sorted(r["version"] for r in results) == [2, 3], results
    history = ledger.groups.history(people.senco, SETTING, group_id)
    assert [v["version"] for v in history] == [3, 2, 1]
    assert {v["name"] for v in history[:2]} == {"Phonics A", "Phonics B"}

    results = at_once(rename(ledger, "Phonics C", 3), rename(other, "Phonics D", 3))
    stale = [r for r in results if isinstance(r, StaleVersion)]
    assert len(stale) == 1 and stale[0].actual == 4, results
    assert len(ledger.groups.history(people.senco, SETTING, group_id)) == 4


def test_a_group_session_through_the_application_is_one_session_on_each_plan(ledger: Ledger,
                                                                              people: People) -> None:
    amara, ben = member(ledger, people), member(ledger, people)
    [group] = [ledger.groups.get(people.teacher, SETTING, UUID(ledger.groups.create(
        people.senco, SETTING, name="Phonics", members=[amara, ben], led_by="Mrs Patel")["group_id"]))]
    assert [m["in_force"] for m in group["members"]] == [True, True]
    result = ledger.groups.log_session(people.teacher, SETTING, UUID(group["group_id"]), date="2026-11-19",
                                       attended=[ben], absent_reason="pupil_declined")
    assert result.status_code == 201
    assert [(e["plan_id"], e["status"]) for e in result.body["entries"]] == [
        (amara["plan_id"], "missed"), (ben["plan_id"], "delivered")]
    stored = [ledger.history.plan_events(people.admin, UUID(plan["plan_id"]))[-1] for plan in (amara, ben)]
    assert [(e["data"]["status"], e["data"]["missed_reason"], e["data"]["session_id"]) for e in stored] == [
        ("missed", "pupil_declined", result.body["session_id"]), ("delivered", None, result.body["session_id"])]
