"""The ledger's sequence of notification ids, which the read side follows, under concurrent writers.

Whatever writes at once (threads of one process, two applications in one process, a second process), once
numbering has caught up the sequence is 1..N with no gap and no duplicate, covers every stored event exactly
once, and gives each plan's events in version order. On PostgreSQL the numbering is done afterwards by the
background sequencer (``storage/postgres.py``): these tests wait for it rather than calling it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from functools import partial
from pathlib import Path
from uuid import UUID

import pytest
from eventsourcing.persistence import Notification

from isp_ledger.access import User
from isp_ledger.application import Ledger
from isp_ledger.bootstrap import build_ledger
from isp_ledger.domain.errors import RuleViolation
from tests.conftest import FakeClock, People
from tests.integration.rawstore import RawStore
from tests.samples import plan_body

THREADS = 8
WRITES = 50


def write_contributions(ledger: Ledger, user: User, plan_id: UUID, count: int, tag: str) -> None:
    """``count`` parent views; a writer refused only because the plan was too busy tries again, as a client would."""
    for i in range(count):
        while True:
            try:
                ledger.commands.record_contribution(user, plan_id, {"kind": "parent_view", "text": f"{tag} {i}"})
                break
            except RuleViolation as e:
                if e.rule != "too_busy":
                    raise


def run_together(jobs: list[Callable[[], None]]) -> None:
    """Run every job in its own thread, all released at once; re-raise the first failure."""
    start = threading.Barrier(len(jobs))
    failures: list[BaseException] = []

    def run(job: Callable[[], None]) -> None:
        try:
            start.wait()
            job()
        except BaseException as e:  # reported below, in the test's thread
            failures.append(e)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a writer hung"
    if failures:
        raise failures[0]


def open_plans(ledger: Ledger, user: User, count: int) -> list[UUID]:
    return [UUID(ledger.commands.open_plan(user, **plan_body()).body["plan_id"]) for _ in range(count)]


def wait_for_numbering(ledger: Ledger, raw: RawStore, timeout: float = 15.0) -> int:
    """Wait until every stored event has its place in the sequence (numbered by the ledger on its own)."""
    stored = raw.count("isp_events")
    deadline = time.monotonic() + timeout
    while (ledger.store.recorder.max_notification_id() or 0) < stored:
        assert time.monotonic() < deadline, (
            f"only {ledger.store.recorder.max_notification_id()} of {stored} events were numbered within {timeout:.0f}s"
        )
        time.sleep(0.02)
    if raw.kind == "postgresql":
        assert raw.count("isp_unsequenced") == 0, "events were numbered but left noted as unnumbered"
    return stored


def assert_gap_free_sequence(ledger: Ledger, raw: RawStore, expected_events: int) -> None:
    stored = wait_for_numbering(ledger, raw)
    assert stored == expected_events, f"{stored} events stored, {expected_events} written"
    notifications: list[Notification] = []
    while True:
        page = ledger.store.recorder.select_notifications(len(notifications) + 1, 1000)
        if not page:
            break
        notifications.extend(page)
    ids = [n.id for n in notifications]
    assert ids == list(range(1, stored + 1)), _first_difference(ids, stored)
    assert ledger.store.recorder.max_notification_id() == stored

    in_sequence = [(str(n.originator_id), n.originator_version) for n in notifications]
    assert len(set(in_sequence)) == len(in_sequence), "an event has two places in the sequence"
    rows = raw.fetch(f"SELECT originator_id, originator_version FROM {raw.table('isp_events')}")
    assert set(in_sequence) == {(str(plan), int(version)) for plan, version in rows}

    versions: dict[str, list[int]] = defaultdict(list)
    for plan_id, version in in_sequence:
        versions[plan_id].append(version)
    for plan_id, seen in versions.items():
        assert seen == list(range(1, len(seen) + 1)), f"plan {plan_id}'s events out of order: {seen}"


def _first_difference(ids: list[int], stored: int) -> str:
    for expected, actual in enumerate(ids, start=1):
        if actual != expected:
            return f"{len(ids)} ids for {stored} events; first wrong at position {expected}: {actual}"
    return f"{len(ids)} ids for {stored} events"


@pytest.mark.parametrize("layout", ["a plan each", "one plan for all", "half and half"])
def test_threads_writing_through_one_ledger_get_ids_1_to_n(
    ledger: Ledger, people: People, store_url: str, layout: str
) -> None:
    own = open_plans(ledger, people.senco, THREADS)
    shared = own[0]
    targets = {"a plan each": own, "one plan for all": [shared] * THREADS,
               "half and half": [shared if t % 2 else own[t] for t in range(THREADS)]}[layout]

    run_together([partial(write_contributions, ledger, people.senco, plan_id, WRITES, f"thread {t}")
                  for t, plan_id in enumerate(targets)])

    assert_gap_free_sequence(ledger, RawStore(store_url), THREADS + THREADS * WRITES)


SHARING = ["own plans only", "one plan shared too"]


@pytest.mark.parametrize("sharing", SHARING)
def test_two_applications_on_one_store_get_ids_1_to_n(
    ledger: Ledger, people: People, env: dict[str, str], clock: FakeClock, store_url: str, sharing: str
) -> None:
    """Two Ledger instances, each with its own connections, cache and (on PostgreSQL) sequencer, as two
    processes would have. Writes to a shared plan conflict, and the loser's command is re-run."""
    other = build_ledger(env, clock=clock)
    try:
        shared, mine, theirs = open_plans(ledger, people.senco, 3)
        jobs: list[Callable[[], None]] = []
        for app, own_plan, name in ((ledger, mine, "first"), (other, theirs, "second")):
            for t in range(THREADS // 2):
                plan_id = shared if t % 2 and sharing == "one plan shared too" else own_plan
                jobs.append(partial(write_contributions, app, people.senco, plan_id, WRITES, f"{name} {t}"))
        run_together(jobs)
    finally:
        other.close()

    assert_gap_free_sequence(ledger, RawStore(store_url), 3 + THREADS * WRITES)
    if sharing == "one plan shared too":
        assert ledger.history.plan_document(people.senco, shared)["version"] == 1 + THREADS // 2 * WRITES


OTHER_PROCESS = """
import datetime as dt, sys
from functools import partial
from uuid import UUID
from isp_ledger.bootstrap import build_ledger
from tests.conftest import FakeClock
from tests.integration.test_sequence import run_together, write_contributions

token, shared, own, count = sys.argv[1], UUID(sys.argv[2]), UUID(sys.argv[3]), int(sys.argv[4])
ledger = build_ledger(clock=FakeClock(dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.timezone.utc)))
try:
    user = ledger.accounts.authenticate(token)
    assert user is not None
    print("ready", flush=True)
    sys.stdin.readline()
    run_together([partial(write_contributions, ledger, user, plan, count, f"other process {i}")
                  for i, plan in enumerate([shared, own, shared, own])])
finally:
    ledger.close()
print("done", flush=True)
"""


@pytest.mark.parametrize("sharing", SHARING)
def test_a_second_process_writing_at_the_same_time(
    ledger: Ledger, people: People, env: dict[str, str], store_url: str, sharing: str
) -> None:
    mine, theirs, shared = open_plans(ledger, people.senco, 3)
    if sharing == "own plans only":  # each process writes only to its own plan
        ours, their_targets = [mine] * 4, (theirs, theirs)
    else:  # and both to the shared one: the other process's writers and this one's collide
        ours, their_targets = [shared, mine, shared, mine], (shared, theirs)
    writes = 40
    process = subprocess.Popen(
        [sys.executable, "-c", OTHER_PROCESS, people.tokens["senco"], *map(str, their_targets), str(writes)],
        env={**os.environ, **env},
        cwd=Path(__file__).parents[2],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None and process.stdin is not None
        ready = process.stdout.readline()
        assert ready.strip() == "ready", ready + process.communicate(timeout=30)[1]
        process.stdin.write("go\n")
        process.stdin.flush()
        run_together([partial(write_contributions, ledger, people.senco, plan_id, writes, f"this process {t}")
                      for t, plan_id in enumerate(ours)])
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert out.strip() == "done", out + err

    # The other process has exited: whatever its sequencer had not numbered yet is numbered by this one's.
    assert_gap_free_sequence(ledger, RawStore(store_url), 3 + 8 * writes)
    if sharing == "one plan shared too":
        assert ledger.history.plan_document(people.senco, shared)["version"] == 1 + 4 * writes
