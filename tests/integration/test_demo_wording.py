"""The demo school read as its users would read it (issue 11, problems 8 and 9): every entry of every plan's
history is a plain-English sentence, no plan is closed with a claim the product cannot back ("its whole history
sent to the new school": the ledger cannot yet move a plan), and the closing note's instructions work as written.
On both stores."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from isp_ledger.application import Ledger
from isp_ledger.bootstrap import build_ledger
from isp_ledger.demo import DemoClock, build_demo, texts
from isp_ledger.demo.report import describe
from tests.unit.test_wording_sentences import broken_rules

TRANSFER = re.compile(r"\b(sent|transferred|shared|passed on|handed over)\b", re.IGNORECASE)


@pytest.fixture
def demo(env: dict[str, str]) -> Iterator[tuple[Ledger, Any]]:
    ledger = build_ledger(env, clock=DemoClock())
    try:
        yield ledger, build_demo(ledger, plans=10, seed=3)
    finally:
        ledger.close()


def words_of(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for inner in value.values():
            yield from words_of(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from words_of(inner)


def test_every_entry_of_the_demo_reads_as_a_sentence_and_no_plan_claims_a_transfer(
    demo: tuple[Ledger, Any]
) -> None:
    ledger, report = demo
    admin = next(u for u in ledger.accounts.users() if u.role == "admin")
    closed = 0
    for plan in report.plans:
        events = ledger.history.plan_events(admin, plan.plan_id)
        written = [text for event in events for text in words_of(event["data"])]
        written += [event["reason"] for event in events if event["reason"]]
        for event in events:
            if event["type"] == "PlanClosed":
                closed += 1
                assert not TRANSFER.search(event["reason"]), event["reason"]
        replayed = _summaries(events)
        for summary in replayed:
            assert not list(broken_rules(summary, written)), (summary, list(broken_rules(summary, written)))
    assert all(not TRANSFER.search(reason) for reason in texts.CLOSING_REASONS.values())
    assert closed == sum(1 for p in report.plans if not p.open) > 0


def _summaries(events: list[dict[str, Any]]) -> list[str]:
    """Each entry's summary, folded from the events as the timeline and the bundle fold them."""
    from isp_ledger.bundle.content import replay  # noqa: PLC0415 - the bundle's fold, for this check only

    envelopes = [{k: v for k, v in event.items() if k != "backdated"} for event in events]
    return [s for s in replay(envelopes).summaries if s is not None]


def test_the_closing_note_says_how_to_start_the_service(demo: tuple[Ledger, Any]) -> None:
    _, report = demo
    lines = describe(report)
    assert any("run [bold]./dev serve[/bold] in another terminal first" in line for line in lines)
    assert not any("isp-ledger serve" in line for line in lines)
    json.dumps(lines)  # plain text and markup only
