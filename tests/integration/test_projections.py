"""The read models against the event log, on both stores: equal to a replay, rebuildable, exactly once."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import time
from typing import Any
from uuid import UUID

import orjson
import pytest
from eventsourcing.persistence import OperationalError as PersistenceOperationalError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isp_ledger.access import User
from isp_ledger.api.read_side import ReadSide
from isp_ledger.application import Ledger
from isp_ledger.bootstrap import build_ledger
from isp_ledger.domain.errors import LedgerError
from projections import READ_MODELS, batches, current_plan
from projections import rebuild as rebuild_module
from projections.base import Upsert, View
from projections.rebuild import plan_ranges, rebuild
from projections.runner import Projector
from tests.conftest import FakeClock, People
from tests.integration.read_models import read_model_rows
from tests.samples import adjustment, barrier, outcome, plan_body, provision, review

OPS = ("open", "barrier", "provision", "adjustment", "outcome", "amend_provision", "amend_barrier", "end", "progress",
       "review", "parent_view", "advice", "acknowledge", "correct", "tier", "close", "project", "pause", "resume",
       "void")
WITH_SESSIONS = (*OPS, "session")  # sessions of provision, logged as a teacher would


class Workload:
    """Applies generated commands to a ledger, ignoring those the plan refuses (as a real user would see)."""

    def __init__(self, ledger: Ledger, user: User, clock: FakeClock, projector: Projector) -> None:
        self.ledger, self.user, self.clock, self.projector = ledger, user, clock, projector
        self.plans: list[UUID] = []
        self.items: dict[UUID, dict[str, list[str]]] = {}

    def run(self, op: str, a: int, b: int) -> None:
        self.clock.advance(hours=7)
        if op == "project":
            self.projector.step()
            return
        if op == "open" or not self.plans:
            result = self.ledger.commands.open_plan(self.user, **plan_body(agreed_on=self._day(b % 20 + 10)))
            plan_id = UUID(result.body["plan_id"])
            self.plans.append(plan_id)
            self.items[plan_id] = {"barriers": [], "provisions": [], "adjustments": [], "outcomes": []}
            return
        plan_id = self.plans[a % len(self.plans)]
        with contextlib.suppress(LedgerError):
            self._command(op, plan_id, a, b)

    def _day(self, days_ago: int) -> str:
        return (self.clock.now().date() - dt.timedelta(days=days_ago)).isoformat()

    def _command(self, op: str, plan_id: UUID, a: int, b: int) -> None:
        ledger, user, items = self.ledger, self.user, self.items[plan_id]
        barriers = items["barriers"] or ["none"]
        agreed = self._day(b % 4) if b % 3 == 0 else None
        if op in ("barrier", "provision", "adjustment", "outcome"):
            fields = {"barrier": lambda: barrier(description=f"barrier {b}"),
                      # A provision may end within a few days: the read model, written while it was in force,
                      # must read as ended once the clock passes its last day.
                      "provision": lambda: provision([barriers[b % len(barriers)]], sessions_per_week=1 + b % 5,
                                                     **({"ends_on": self._day(-(b % 3))} if b % 4 == 0 else {})),
                      "adjustment": lambda: adjustment([barriers[b % len(barriers)]]),
                      "outcome": lambda: outcome([barriers[b % len(barriers)]],
                                                 success_criteria="" if b % 2 else "18/20")}[op]()
            section = op + "s"
            result = ledger.commands.add_item(user, plan_id, section, fields, agreed_on=agreed)
            items[section].append(result.body["item_id"])
        elif op == "amend_provision" and items["provisions"]:
            ledger.commands.amend_item(user, plan_id, "provisions", items["provisions"][b % len(items["provisions"])],
                              {"sessions_per_week": 1 + b % 4}, reason=f"review {b}", agreed_on=agreed)
        elif op == "amend_barrier" and items["barriers"]:
            ledger.commands.amend_item(user, plan_id, "barriers", items["barriers"][b % len(items["barriers"])],
                              {"description": f"barrier now {b}"})
        elif op == "end":
            section = ("barriers", "provisions", "adjustments", "outcomes")[b % 4]
            if items[section]:
                ledger.commands.end_item(user, plan_id, section, items[section][a % len(items[section])], reason="done",
                                outcome="achieved" if section == "outcomes" else None)
        elif op == "pause" and items["provisions"]:
            ledger.commands.pause_item(user, plan_id, "provisions", items["provisions"][b % len(items["provisions"])],
                              reason=f"pause {b}", agreed_on=agreed,
                              until=self._day(b % 3 - 1) if b % 2 else None)  # yesterday, today, or tomorrow
        elif op == "resume" and items["provisions"]:
            ledger.commands.resume_item(user, plan_id, "provisions", items["provisions"][a % len(items["provisions"])],
                               agreed_on=agreed)
        elif op == "progress" and items["outcomes"]:
            ledger.commands.record_progress(user, plan_id, items["outcomes"][b % len(items["outcomes"])],
                                   {"measured_on": self._day(0), "value": b % 20, "note": "checked",
                                    "source": "termly check"})
        elif op == "review":
            held = self.clock.now().date()
            ledger.commands.hold_review(user, plan_id, review(held_on=held.isoformat(),
                                                      next_review_due=(held + dt.timedelta(days=90)).isoformat()))
        elif op == "parent_view":
            ledger.commands.record_contribution(user, plan_id, {"kind": "parent_view", "text": f"view {b}"},
                                                agreed_on=agreed)
        elif op == "advice":
            ledger.commands.record_contribution(user, plan_id, {"kind": "professional_advice", "profession": "SaLT",
                                                       "text": "advice"})
        elif op == "session" and items["provisions"]:
            provision_id = items["provisions"][b % len(items["provisions"])]
            missed = {"status": "missed", "missed_reason": "pupil_absent"} if b % 3 == 0 else {"status": "delivered"}
            ledger.commands.record_session(user, entries=[{"plan_id": str(plan_id), "provision_id": provision_id}],
                                  session={"date": self._day(b % 4), **missed})
        elif op == "acknowledge":
            ledger.commands.record_acknowledgement(user, plan_id, {"version": 1, "response": "agree",
                                                                   "given_by": "Pat Okafor", "method": "email"})
        elif op == "correct":
            events = ledger.history.plan_events(user, plan_id)
            target = events[b % len(events)]
            by_type: dict[str, dict[str, Any]] = {"ProvisionAgreed": {"sessions_per_week": 1 + a % 6},
                                                  "ProvisionPaused": {"until": self._day(a % 3)},
                                                  "ContributionRecorded": {"text": f"corrected {a}"},
                                                  "SessionRecorded": {"note": f"corrected {a}"},
                                                  "BarrierIdentified": {"description": f"corrected {a}"}}
            changes = by_type.get(target["type"], {"reason": f"corrected {a}"})
            ledger.commands.correct(user, plan_id, event_id=target["event_id"], reason="typo", changes=changes)
        elif op == "void":  # anything may be named: what cannot be struck out is refused
            events = ledger.history.plan_events(user, plan_id)
            ledger.commands.correct(user, plan_id, event_id=events[b % len(events)]["event_id"],
                                    reason="recorded in error", void=True)
        elif op == "tier":
            ledger.commands.change_tier(user, plan_id, tier=("targeted", "targeted_plus")[b % 2], ehcp_reference=None,
                               reason="reviewed")
        elif op == "close":
            ledger.commands.close_plan(user, plan_id, reason="left the school")


def assert_current_plans_match_log(ledger: Ledger, user: User, projector: Projector, plans: list[UUID]) -> None:
    view = projector.models["current_plan"].view
    for plan_id in plans:
        stored = current_plan.read(view, plan_id, ledger.history.today())
        assert stored is not None
        assert orjson.loads(stored.json) == ledger.history.plan_document(user, plan_id)


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(WITH_SESSIONS), st.integers(0, 10**6), st.integers(0, 10**6)),
                min_size=1, max_size=30))
def test_current_plan_equals_a_replay_of_the_log_for_any_commands(
    ledger: Ledger, people: People, clock: FakeClock, commands: list[tuple[str, int, int]]
) -> None:
    projector = Projector(ledger.store)
    workload = Workload(ledger, people.admin, clock, projector)
    for op, a, b in commands:
        workload.run(op, a, b)
    number_pending(ledger)
    projector.catch_up()
    assert projector.position() == ledger.store.recorder.max_notification_id()
    assert_current_plans_match_log(ledger, people.admin, projector, workload.plans)


def busy_ledger(ledger: Ledger, people: People, clock: FakeClock, n: int = 120) -> Workload:
    projector = Projector(ledger.store, batch_size=7)  # small batches: many partial flushes
    workload = Workload(ledger, people.admin, clock, projector)
    script = [OPS[(i * 7) % len(OPS)] for i in range(n)]
    for i, op in enumerate(script):
        workload.run(op, i * 31 + 3, i * 17 + 5)
    number_pending(ledger)
    projector.catch_up()
    return workload


def number_pending(ledger: Ledger) -> None:
    sequencer = getattr(ledger.store.recorder, "sequencer", None)
    if sequencer is not None:
        sequencer.number_pending()


def test_a_rebuild_gives_exactly_what_incremental_projection_gave(
    ledger: Ledger, people: People, clock: FakeClock
) -> None:
    workload = busy_ledger(ledger, people, clock)
    incremental = workload.projector
    before = {name: read_model_rows(model.view) for name, model in incremental.models.items()}
    assert sum(len(r) for r in before["timeline"].values()) == ledger.store.recorder.max_notification_id()

    generations = rebuild(ledger.store)

    for name, generation in generations.items():
        assert generation == incremental.models[name].view.generation + 1
        view = View(incremental.sql, name, generation, READ_MODELS[name].tables, sealer=ledger.store.sealer)
        assert read_model_rows(view) == before[name], name
    assert incremental.registry.currents() == generations


@pytest.mark.parametrize(("batch_size", "stage_from_rows"), [(7, 2_000), (7, 1), (10_000, 2_000)],
                         ids=["small-batches", "small-batches-all-upserts-staged", "one-batch"])
def test_a_rebuild_gives_the_same_rows_whatever_its_batches(
    ledger: Ledger, people: People, clock: FakeClock, batch_size: int, stage_from_rows: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Small batches split plans between batches: a plan's rows are written by both, and a correction may
    update a timeline entry written by an earlier batch. Events written while the rebuild runs (after it read
    the head) are projected in the sequence's order before the switch. On PostgreSQL, large upserts go through
    a temporary table: ``stage_from_rows=1`` sends every upsert that way, replacing rows of earlier batches."""
    monkeypatch.setattr(Upsert, "STAGE_FROM_ROWS", stage_from_rows)
    workload = busy_ledger(ledger, people, clock)
    incremental = workload.projector
    written: list[int] = []

    def write_meanwhile(done: int, head: int) -> None:
        if len(written) < 3:  # a new plan, then events of old plans: all after the rebuild's head
            for i, op in enumerate(("open", "parent_view", "correct", "tier")):
                workload.run(op, len(written) * 5 + i, i + 1)
            written.append(done)

    generations = rebuild(ledger.store, progress=write_meanwhile, batch_size=batch_size)

    assert written
    number_pending(ledger)
    incremental.catch_up()
    head = ledger.store.recorder.max_notification_id()
    for name, generation in generations.items():
        view = View(incremental.sql, name, generation, READ_MODELS[name].tables, sealer=ledger.store.sealer)
        assert read_model_rows(view) == read_model_rows(incremental.models[name].view), name
        assert view.position() == head


def test_a_rebuild_whose_write_fails_is_dropped_even_if_the_next_batch_is_being_done_again(
    ledger: Ledger, people: People, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch's rows are written while the next batch is read. If that write fails just as the next batch is
    abandoned (a damaged plan found in it), the rebuild must fail, not carry on from past the lost rows; the
    live generation stays current and the new one is dropped."""
    workload = busy_ledger(ledger, people, clock, n=40)
    live = workload.projector.registry.currents()
    calls = {"write": 0, "read": 0}
    write_rows, read_pages = rebuild_module._PlanByPlan._write_rows, rebuild_module._PlanByPlan._read_pages

    def failing_write(self: Any, prepared: Any) -> None:
        calls["write"] += 1
        if calls["write"] == 1:
            raise RuntimeError("the disk is full")
        write_rows(self, prepared)

    def damaged_once(self: Any, after: Any, stop: Any) -> Any:
        calls["read"] += 1
        if calls["read"] == 2:
            time.sleep(0.2)  # the first batch's write has failed by now
            raise batches.DamagedMidBatch
        return read_pages(self, after, stop)

    monkeypatch.setattr(rebuild_module._PlanByPlan, "_write_rows", failing_write)
    monkeypatch.setattr(rebuild_module._PlanByPlan, "_read_pages", damaged_once)
    with pytest.raises(RuntimeError, match="the disk is full"):
        rebuild(ledger.store, batch_size=7)
    assert workload.projector.registry.currents() == live


def test_a_store_failure_while_loading_a_plan_is_not_taken_for_damage(
    ledger: Ledger, people: People, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A projector started afresh loads each plan from the store before its next event. If the store fails
    then, the batch fails and is done again later; the plan is not passed over as damaged."""
    workload = busy_ledger(ledger, people, clock, n=40)
    workload.run("open", 0, 1)
    number_pending(ledger)
    workload.projector.catch_up()
    ledger.commands.record_contribution(people.admin, workload.plans[-1],
                                        {"kind": "parent_view", "text": "Reads nightly"})
    number_pending(ledger)
    restarted = Projector(ledger.store)
    load = restarted._load_plan
    failures: list[UUID] = []

    def flaky_load(plan_id: UUID, version: int) -> Any:
        if not failures:
            failures.append(plan_id)
            raise PersistenceOperationalError("connection lost")
        return load(plan_id, version)

    monkeypatch.setattr(restarted, "_load_plan", flaky_load)
    restarted.plans._load = flaky_load
    with pytest.raises(PersistenceOperationalError):
        restarted.catch_up()
    restarted.catch_up()
    assert failures and restarted.damaged == {}
    assert restarted.position() == ledger.store.recorder.max_notification_id()
    generations = rebuild(ledger.store)
    for name, model in restarted.models.items():
        rebuilt = View(restarted.sql, name, generations[name], READ_MODELS[name].tables, sealer=ledger.store.sealer)
        assert read_model_rows(model.view) == read_model_rows(rebuilt), name


def test_a_rebuild_in_several_processes_gives_exactly_what_incremental_projection_gave(
    ledger: Ledger, people: People, clock: FakeClock
) -> None:
    """On PostgreSQL, three worker processes; SQLite has one writer, so asked for workers it rebuilds in one
    process, with the same result."""
    workload = busy_ledger(ledger, people, clock)
    incremental = workload.projector
    before = {name: read_model_rows(model.view) for name, model in incremental.models.items()}
    head = ledger.store.recorder.max_notification_id()
    assert head is not None
    shares = [ledger.store.notifications_in_plan_order(head, (low or UUID(int=0), 0), 10_000, below)
              for low, below in plan_ranges(3)]
    # every event in exactly one range (a range may hold no plan), each plan's events together and in order
    assert sorted(n.id for share in shares for n in share) == list(range(1, head + 1))
    for share in shares:
        keys = [(n.originator_id, n.originator_version) for n in share]
        assert keys == sorted(keys)

    generations = rebuild(ledger.store, workers=3)

    for name, generation in generations.items():
        view = View(incremental.sql, name, generation, READ_MODELS[name].tables, sealer=ledger.store.sealer)
        assert read_model_rows(view) == before[name], name
        assert view.sql.fetch(view.q("SELECT application_name, notification_id FROM {tracking}")) == [
            ("isp_ledger", head)
        ]
    assert incremental.registry.currents() == generations


def test_the_service_keeps_answering_during_a_rebuild_and_then_reads_the_new_generation(
    ledger: Ledger, people: People, clock: FakeClock
) -> None:
    workload = busy_ledger(ledger, people, clock, n=80)
    read_side = ReadSide(ledger)
    plan_id = workload.plans[0]
    expected = current_plan.read(read_side.view("current_plan"), plan_id)
    failures: list[BaseException] = []
    done = threading.Event()

    def keep_reading() -> None:
        while not done.is_set():
            try:
                assert current_plan.read(read_side.view("current_plan"), plan_id) == expected
            except BaseException as e:
                failures.append(e)
                return

    reader = threading.Thread(target=keep_reading)
    reader.start()
    try:
        generations = rebuild(ledger.store)
    finally:
        done.set()
        reader.join()
    assert not failures
    time.sleep(1.1)  # the read side caches the current generation for a second
    assert read_side.view("current_plan").generation == generations["current_plan"]
    assert current_plan.read(read_side.view("current_plan"), plan_id) == expected


def test_a_running_projector_follows_a_rebuild_and_drops_the_old_generation(
    ledger: Ledger, people: People, clock: FakeClock
) -> None:
    workload = busy_ledger(ledger, people, clock, n=40)
    live = Projector(ledger.store)
    live.start()
    try:
        old = live.models["timeline"].view
        generations = rebuild(ledger.store, ["timeline"])
        deadline = time.monotonic() + 10
        while live.models["timeline"].view.generation != generations["timeline"]:
            assert time.monotonic() < deadline, "the live projector did not switch"
            time.sleep(0.05)
        workload.run("parent_view", 0, 1)  # new events reach the new generation
        number_pending(ledger)
        head = ledger.store.recorder.max_notification_id() or 0
        assert live.wait_for("timeline", head, timeout=10)
        if old.sql.dialect == "sqlite":
            tables = old.sql.fetch("SELECT count(*) FROM sqlite_master WHERE name = ?", (old.table("entries"),))
        else:
            tables = old.sql.fetch(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
                (old.sql.datastore.schema, old.table("entries")),  # type: ignore[union-attr]
            )
        assert tables[0][0] == 0, "the old generation's tables were dropped"
    finally:
        live.stop()


def test_a_projector_in_one_process_sees_commits_made_by_another(
    ledger: Ledger, env: dict[str, str], people: People, clock: FakeClock
) -> None:
    projector = Projector(ledger.store)
    projector.start()
    other_process = build_ledger(env, clock=clock)  # its own connections: on SQLite only data_version can tell
    try:
        result = other_process.commands.open_plan(people.admin, **plan_body())
        plan_id = UUID(result.body["plan_id"])
        position = None
        deadline = time.monotonic() + 10
        while position is None and time.monotonic() < deadline:
            number_pending(other_process)
            position = other_process.store.position_of(plan_id, 1)
        assert position is not None
        assert projector.wait_for("current_plan", position, timeout=10)
        assert current_plan.read(projector.models["current_plan"].view, plan_id) is not None
    finally:
        projector.stop()
        other_process.close()


def test_a_batch_that_fails_is_not_half_applied(ledger: Ledger, people: People, clock: FakeClock) -> None:
    projector = Projector(ledger.store)
    workload = Workload(ledger, people.admin, clock, projector)
    for i in range(6):
        workload.run("parent_view" if i else "open", 0, i)
    number_pending(ledger)
    timeline = projector.models["timeline"]
    original_write = timeline.write

    def failing_write(cursor: Any, rows: Any) -> None:
        original_write(cursor, rows)
        raise RuntimeError("disk full")

    timeline.write = failing_write  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        projector.step()
    assert timeline.view.position() == 0
    assert timeline.view.sql.fetch(timeline.view.q("SELECT count(*) FROM {entries}"))[0][0] == 0
    timeline.write = original_write  # type: ignore[method-assign]
    projector.catch_up()
    assert timeline.view.sql.fetch(timeline.view.q("SELECT count(*) FROM {entries}"))[0][0] == 6
