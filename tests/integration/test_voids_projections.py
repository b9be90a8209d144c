"""Voids and provisions ended by their end date in the read models, on both stores: a rebuild gives exactly what
incremental projection gave, the current plan read from its rows equals the plan folded from the log (also once a
provision's last day has passed with no event since), and a review struck out no longer sets when the next is due.
(The delivery figures without a session struck out are shown over HTTP, ``tests/e2e/test_voids_api.py``.)"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import orjson

from isp_ledger.application import Ledger
from projections import READ_MODELS, current_plan, reviews_due
from projections.base import View
from projections.rebuild import rebuild
from projections.runner import Projector
from tests import samples
from tests.conftest import SETTING, FakeClock, People
from tests.integration.read_models import read_model_rows


def at(clock: FakeClock, day: str) -> None:
    clock.set(dt.datetime.fromisoformat(f"{day}T10:00:00+00:00"))


def plan_with_voids(ledger: Ledger, people: People, clock: FakeClock) -> dict[str, Any]:
    """A plan of September to November 2026 with a session, a parent's view, a review and an adjustment struck out,
    and a block of therapy that ends on 20 November."""
    user, commands = people.senco, ledger.commands
    at(clock, "2026-09-01")
    ledger.calendars.set_calendar(user, SETTING, holidays=[{"start": "2026-10-26", "end": "2026-10-30"}],
                                  closures=[])
    plan_id = UUID(commands.open_plan(user, **samples.plan_body(next_review_due="2026-11-30")).body["plan_id"])
    barrier = commands.add_item(user, plan_id, "barriers", samples.barrier()).body["item_id"]
    phonics = commands.add_item(user, plan_id, "provisions", samples.provision([barrier])).body["item_id"]
    block = commands.add_item(user, plan_id, "provisions", samples.provision(
        [barrier], description="Block of therapy", ends_on="2026-11-20")).body["item_id"]
    adjustment = commands.add_item(user, plan_id, "adjustments", samples.adjustment([barrier])).body
    at(clock, "2026-11-17")
    entries = [{"plan_id": str(plan_id), "provision_id": phonics}]
    kept = commands.record_session(user, entries=entries, session={"date": "2026-11-16", "status": "delivered"})
    wrong = commands.record_session(user, entries=entries, session={"date": "2026-11-17", "status": "delivered"})
    view = commands.record_contribution(user, plan_id, {"kind": "parent_view", "text": "Wrong child"}).body
    review = commands.hold_review(user, plan_id, samples.review(held_on="2026-11-17",
                                                                next_review_due="2027-03-19")).body
    at(clock, "2026-11-18")
    for event_id in (wrong.body["entries"][0]["event_id"], view["event_id"], review["event_id"],
                     adjustment["event_id"]):
        commands.correct(user, plan_id, event_id=event_id, reason="Recorded in error", void=True)
    return {"plan": plan_id, "phonics": phonics, "block": block, "kept": kept.body["entries"][0]["event_id"]}


def test_a_rebuild_gives_what_incremental_projection_gave_and_the_plan_read_equals_the_log(
    ledger: Ledger, people: People, clock: FakeClock
) -> None:
    ids = plan_with_voids(ledger, people, clock)
    projector = Projector(ledger.store, batch_size=3)  # small batches: the void and its entry in different ones
    sequencer = getattr(ledger.store.recorder, "sequencer", None)
    if sequencer is not None:
        sequencer.number_pending()
    projector.catch_up()
    before = {name: read_model_rows(model.view) for name, model in projector.models.items()}
    generations = rebuild(ledger.store)
    for name, generation in generations.items():
        assert read_model_rows(View(projector.sql, name, generation, READ_MODELS[name].tables,
                                    sealer=ledger.store.sealer)) == before[name], name

    view = projector.models["current_plan"].view
    for day in ("2026-11-20", "2026-11-21"):  # the block's last day, and the next: no event in between
        at(clock, day)
        stored = current_plan.read(view, ids["plan"], ledger.history.today())
        assert stored is not None
        document = orjson.loads(stored.json)
        assert document == ledger.history.plan_document(people.senco, ids["plan"])
        [block] = [p for p in document["provisions"] if p["id"] == ids["block"]]
        assert block["status"] == ("active" if day == "2026-11-20" else "ended")
        assert (document["adjustments"], document["contributions"], document["reviews"]) == ([], [], [])
        assert document["next_review_due"] == "2026-11-30"  # as the plan was opened: the review was struck out

    due = reviews_due.report(projector.models["reviews_due"].view, SETTING, dt.date(2026, 11, 21))
    assert [(p["plan_id"], p["next_review_due"], p["last_review_on"]) for p in due] == [
        (str(ids["plan"]), "2026-11-30", None)]
