"""A realistic event log for the projection benchmarks, written through the ledger's own commands.

Each plan follows the same life: it is opened, gets barriers, provisions, an adjustment and outcomes, then a
repeating round of the things that happen to a plan over the years (progress, parents' and professionals'
views, amended provisions, reviews, acknowledgements, a tier change, corrections of earlier entries). Every
event is a real, hash-chained event made by ``Ledger``'s normal methods, so the read models do their normal
work on it (a correction, for instance, updates the timeline entry it corrects).

Writers work on their plans in turn, one command per plan, so consecutive events in the log belong to
different plans, as they do when many schools use the service at once: that is also the hardest order for a
rebuild, since every batch touches many plans.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from stdnum.gb import upn as stdnum_upn

from isp_ledger.access import User
from isp_ledger.application import Ledger, WriteResult

# The first steps of every plan (after it is opened), then ROUND over and over.
SETUP = ("barrier", "barrier", "barrier", "provision", "provision", "adjustment", "outcome", "outcome")
ROUND = ("progress", "parent_view", "amend_provision", "progress", "advice", "review", "acknowledge",
         "amend_barrier", "progress", "pupil_voice", "correct", "tier", "progress", "parent_view")


def upn_for(n: int) -> str:
    """A valid UPN, different for every ``n`` below 10 million."""
    body = f"{801 + n // 10_000_000:03d}{(n // 1000) % 10000:04d}{26:02d}{n % 1000:03d}"
    return stdnum_upn.calc_check_digit(body) + body


@dataclass
class PlanScript:
    """One plan and what is needed to write its next command."""

    plan_id: uuid.UUID
    steps: int = 1  # commands written so far (the opening is the first)
    barriers: list[str] = field(default_factory=list)
    provisions: list[str] = field(default_factory=list)
    outcomes: list[str] = field(default_factory=list)
    last_contribution: str | None = None  # event id of the latest contribution, for corrections
    tier: str = "targeted"

    def next_op(self) -> str:
        k = self.steps - 1
        return SETUP[k] if k < len(SETUP) else ROUND[(k - len(SETUP)) % len(ROUND)]


def open_plan(ledger: Ledger, user: User, n: int, setting_urn: str = "123456") -> PlanScript:
    result = ledger.commands.open_plan(
        user,
        pupil={"upn": upn_for(n), "given_name": f"Pupil{n % 97}", "family_name": f"Family {n}",
               "date_of_birth": "2016-01-01"},
        setting_urn=setting_urn,
        tier="targeted",
    )
    return PlanScript(uuid.UUID(result.body["plan_id"]))


def write_next(ledger: Ledger, user: User, script: PlanScript) -> WriteResult:
    """Write the plan's next command; returns the ledger's result (plan id, version, event id)."""
    op = script.next_op()
    n = script.steps
    plan_id = script.plan_id
    today = dt.date.today()
    result: WriteResult
    if op == "barrier":
        area, need = [("cognition_and_learning", "SPLD"), ("communication_and_interaction", "SLCN"),
                      ("semh", "SEMH")][len(script.barriers) % 3]
        result = ledger.commands.add_item(user, plan_id, "barriers", {
            "description": f"Barrier {n}: finds it hard to blend sounds when decoding unfamiliar words",
            "area_of_need": area, "need_type": need, "evidence": "Phonics screening check: 22/40",
        })
        script.barriers.append(result.body["item_id"])
    elif op == "provision":
        result = ledger.commands.add_item(user, plan_id, "provisions", {
            "description": f"Small-group phonics with a trained TA ({n})",
            "barrier_ids": script.barriers[:2], "delivered_by": "teaching assistant", "group_size": 4,
            "sessions_per_week": 3, "minutes_per_session": 30, "location": "withdrawal",
            "starts_on": today.isoformat(), "evidence_basis": "EEF: phonics, high impact for low cost",
        })
        script.provisions.append(result.body["item_id"])
    elif op == "adjustment":
        result = ledger.commands.add_item(user, plan_id, "adjustments", {
            "description": "Seated near the front, away from the door", "category": "environment",
            "barrier_ids": script.barriers[2:3],
        })
    elif op == "outcome":
        result = ledger.commands.add_item(user, plan_id, "outcomes", {
            "description": f"Reads CVC and CCVC words accurately ({n})",
            "success_criteria": "Reads 18 of 20 unseen CVC/CCVC words in a termly check",
            "barrier_ids": script.barriers[:1], "target_date": (today + dt.timedelta(days=300)).isoformat(),
            "baseline": "9/20", "target": "18/20",
        })
        script.outcomes.append(result.body["item_id"])
    elif op == "progress":
        result = ledger.commands.record_progress(user, plan_id, script.outcomes[n % len(script.outcomes)], {
            "measured_on": today.isoformat(), "value": n % 20,
            "note": f"Read {n % 20} of 20 unseen words in the weekly check.", "source": "weekly check",
        })
    elif op in ("parent_view", "advice", "pupil_voice"):
        fields: dict[str, Any] = {
            "parent_view": {"kind": "parent_view", "text": f"Parent view {n}: reading together at home most nights."},
            "advice": {"kind": "professional_advice", "profession": "speech and language therapist",
                       "text": f"Advice {n}: keep instructions short and check understanding."},
            "pupil_voice": {"kind": "pupil_voice", "text": f"I like the phonics group ({n})."},
        }[op]
        result = ledger.commands.record_contribution(user, plan_id, fields)
        script.last_contribution = result.body["event_id"]
    elif op == "amend_provision":
        provision = script.provisions[n % len(script.provisions)]
        result = ledger.commands.amend_item(user, plan_id, "provisions", provision, {"sessions_per_week": 1 + n % 5},
                                   reason=f"Timetable change agreed with parent ({n}).")
    elif op == "amend_barrier":
        barrier = script.barriers[n % len(script.barriers)]
        result = ledger.commands.amend_item(user, plan_id, "barriers", barrier,
                                   {"evidence": f"Phonics screening check {n}: {n % 40}/40"})
    elif op == "review":
        result = ledger.commands.hold_review(user, plan_id, {
            "held_on": today.isoformat(),
            "attendees": [{"role": "SENCO", "name": "Sam Senco"}, {"role": "parent", "name": "Pat Parent"}],
            "parent_views": "Pleased with progress at home.", "pupil_views": "I like the phonics group.",
            "summary": f"Review {n}: good progress; continue provision.",
            "next_review_due": (today + dt.timedelta(days=90)).isoformat(),
        })
    elif op == "acknowledge":
        result = ledger.commands.record_acknowledgement(user, plan_id, {"version": n, "response": "agree",
                                                                        "given_by": "Pat Okafor",
                                                                        "method": "signed_form"})
    elif op == "tier":
        script.tier = "targeted_plus" if script.tier == "targeted" else "targeted"
        result = ledger.commands.change_tier(user, plan_id, tier=script.tier, ehcp_reference=None,
                                    reason=f"Reviewed support needed ({n}).")
    elif op == "correct":
        assert script.last_contribution is not None
        result = ledger.commands.correct(user, plan_id, event_id=script.last_contribution, reason="typo",
                                changes={"text": f"Corrected contribution {n}."})
    else:  # pragma: no cover
        raise AssertionError(op)
    script.steps += 1
    return result


def build_log(ledger: Ledger, user: User, *, plans: int, events_per_plan: int, writers: int,
              first_n: int = 1_000_000, progress: Callable[[int], None] | None = None) -> list[PlanScript]:
    """Open ``plans`` plans and write ``events_per_plan`` events to each (opening included), from ``writers``
    threads, each taking its plans in turn."""
    scripts: list[PlanScript | None] = [None] * plans
    written = [0] * writers
    errors: list[BaseException] = []

    def writer(w: int) -> None:
        try:
            mine = range(w, plans, writers)
            for i in mine:
                scripts[i] = open_plan(ledger, user, first_n + i)
                written[w] += 1
            for _ in range(events_per_plan - 1):
                for i in mine:
                    script = scripts[i]
                    assert script is not None
                    write_next(ledger, user, script)
                    written[w] += 1
                if progress is not None and w == 0:
                    progress(sum(written))
        except BaseException as e:  # reported by the caller
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(w,), name=f"bench-log-{w}") for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return [s for s in scripts if s is not None]
