"""Benchmarks of isp-ledger against raw psycopg on the same PostgreSQL, in the same run.

Each figure is a ratio, application ÷ raw (higher is better; 1.0 means as fast as hand-written SQL), so that a
busy or slow machine moves both sides together. Prints a table, then, as the last line, one JSON object.

    python bench/run.py            # uses ISP_LEDGER_BENCH_DATABASE_URL or postgresql://postgres@127.0.0.1:5432/test

The write path (issue 2): (a) one event per command against one-row-per-transaction inserts; (b) the same
with eight writers on different plans; (c) loading a plan of 2,000 events against fetching its 2,000 rows.

The read side (issue 3), over a log of its own written through the ledger's commands (see ``workload.py``):
(a) catching up: ``projections.rebuild.rebuild`` of every read model, in events per second, against inserting
the same number of rows of the same size with psycopg in batches; (b) lag under load: a projector following
the log while writers run at half the application's measured write rate (b above); for each write, the time
from its commit to every read model having processed it. The projector runs as deployed on PostgreSQL, as its
own process (``isp-ledger project``, docker-compose's ``projector`` service), its progress read from the
read models' tracking table every 5 ms; ``ISP_LEDGER_BENCH_LAG_PROJECTOR=thread`` runs it in the writers'
process instead, as ``serve`` does on SQLite.

Sizes (defaults are what the issues require; smaller ones are for trying the benchmark out):

    ISP_LEDGER_BENCH_WRITES             events per round of the write benchmarks (3000)
    ISP_LEDGER_BENCH_ROUNDS             alternating rounds of the write and load benchmarks (5)
    ISP_LEDGER_BENCH_PROJECTION_EVENTS  events in the read side's log (200000)
    ISP_LEDGER_BENCH_EVENTS_PER_PLAN    events per plan in that log (100)
    ISP_LEDGER_BENCH_PROJECTION_ROUNDS  alternating rounds of rebuild and raw batched inserts (3)
    ISP_LEDGER_BENCH_RAW_BATCH          rows per transaction of the raw batched inserts (2000)
    ISP_LEDGER_BENCH_LAG_SECONDS        how long the lag is measured under load (30)
    ISP_LEDGER_BENCH_LAG_WARMUP         seconds of load before measuring, while the projector loads the plans (5)
    ISP_LEDGER_BENCH_LAG_PROJECTOR      process (default) or thread
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import json
import math
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from workload import PlanScript, build_log, write_next  # noqa: E402

from isp_ledger.access import User  # noqa: E402
from isp_ledger.application import Ledger  # noqa: E402
from isp_ledger.bootstrap import build_ledger
from isp_ledger.domain.errors import LedgerError  # noqa: E402
from isp_ledger.storage.chain import canonical  # noqa: E402
from isp_ledger.storage.sql import Sql  # noqa: E402
from projections import READ_MODELS  # noqa: E402
from projections.base import ReadModel, View  # noqa: E402
from projections.rebuild import rebuild
from projections.registry import Registry  # noqa: E402
from projections.runner import Projector  # noqa: E402

DATABASE_URL = os.environ.get("ISP_LEDGER_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
WRITES = int(os.environ.get("ISP_LEDGER_BENCH_WRITES", "3000"))
WRITERS = 8
REPLAY_EVENTS = 2000
ROUNDS = int(os.environ.get("ISP_LEDGER_BENCH_ROUNDS", "5"))
PROJECTION_EVENTS = int(os.environ.get("ISP_LEDGER_BENCH_PROJECTION_EVENTS", "200000"))
EVENTS_PER_PLAN = int(os.environ.get("ISP_LEDGER_BENCH_EVENTS_PER_PLAN", "100"))
PROJECTION_ROUNDS = int(os.environ.get("ISP_LEDGER_BENCH_PROJECTION_ROUNDS", "3"))
RAW_BATCH = int(os.environ.get("ISP_LEDGER_BENCH_RAW_BATCH", "2000"))
LAG_SECONDS = float(os.environ.get("ISP_LEDGER_BENCH_LAG_SECONDS", "30"))
LAG_WARMUP = float(os.environ.get("ISP_LEDGER_BENCH_LAG_WARMUP", "5"))
LAG_PROJECTOR = os.environ.get("ISP_LEDGER_BENCH_LAG_PROJECTOR", "process")


def note(message: str) -> None:
    """Progress, on stderr: stdout holds only the table and the JSON line."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclass
class Result:
    name: str
    app: float
    raw: float
    unit: str
    raw_unit: str = ""

    @property
    def ratio(self) -> float:
        return self.app / self.raw


def compare(
    rounds: int,
    app: Callable[[], int],
    raw: Callable[[], int],
    *,
    before_app: Callable[[], None] | None = None,
    before_raw: Callable[[], None] | None = None,
) -> tuple[float, float]:
    """Median rates (items per second) of ``app`` and ``raw``, run alternately so that both see the same
    machine: a shared machine's speed drifts, and alternating keeps the drift out of the ratio. ``before_*``
    run untimed before each timed run (clearing what the previous round left)."""
    app_rates, raw_rates = [], []
    for _ in range(rounds):
        if before_app is not None:
            before_app()
        app_rates.append(rate(app))
        if before_raw is not None:
            before_raw()
        raw_rates.append(rate(raw))
    return statistics.median(app_rates), statistics.median(raw_rates)


def rate(fn: Callable[[], int]) -> float:
    started = time.perf_counter()
    items = fn()
    return items / (time.perf_counter() - started)


def ledger_in_own_schema(dsn: str, raw_table: str) -> tuple[str, str, Ledger, User]:
    """A fresh schema holding a Ledger's tables and ``raw_table``, shaped like the event rows, for the raw side;
    returns the schema, the Ledger's key directory, the Ledger and an admin."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
        conn.execute(
            f'CREATE TABLE "{schema}".{raw_table} (originator_id uuid NOT NULL, '
            "originator_version bigint NOT NULL, topic text NOT NULL, state bytea NOT NULL, "
            "PRIMARY KEY (originator_id, originator_version))"
        )
    keys = tempfile.mkdtemp(prefix="isp-ledger-bench-keys-")
    ledger = build_ledger({
        "ISP_LEDGER_DATABASE_URL": f"{dsn}?schema={schema}",
        "ISP_LEDGER_KEY_DIR": keys,
        "ISP_LEDGER_POOL_SIZE": "12",
    })
    admin, _ = ledger.accounts.add_user(name="Bench Admin", role="admin")
    return schema, keys, ledger, admin


class Bench:
    def __init__(self) -> None:
        self.dsn = DATABASE_URL.split("?", 1)[0]
        self.schema, self.keys, self.ledger, self.admin = ledger_in_own_schema(self.dsn, "raw_events")
        self.sample_state = canonical({"text": "x" * 700})

    def close(self) -> None:
        self.ledger.close()
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{self.schema}" CASCADE')

    # ------------------------------------------------------------------ helpers

    def new_plan(self, n: int, opened_on: dt.date | None = None) -> uuid.UUID:
        from stdnum.gb import upn

        body = f"8012000{26:02d}{n % 1000:03d}"
        la_body = f"{801:03d}{(2000 + n // 1000) % 10000:04d}{26:02d}{n % 1000:03d}"
        del body
        result = self.ledger.commands.open_plan(
            self.admin,
            pupil={"upn": upn.calc_check_digit(la_body) + la_body, "given_name": "Bench", "family_name": f"Pupil {n}",
                   "date_of_birth": "2016-01-01"},
            setting_urn="123456",
            tier="targeted",
            agreed_on=opened_on.isoformat() if opened_on else None,
        )
        return uuid.UUID(result.body["plan_id"])

    def contribute(self, user: User, plan_id: uuid.UUID, i: int) -> None:
        self.ledger.commands.record_contribution(
            user, plan_id, {"kind": "parent_view", "text": f"Parent view number {i}: reading together at home."}
        )

    def raw_insert(self, conn: psycopg.Connection[Any], plan_id: uuid.UUID, version: int) -> None:
        conn.execute(
            f'INSERT INTO "{self.schema}".raw_events VALUES (%s, %s, %s, %s)',
            (plan_id, version, "ContributionRecorded", self.sample_state),
        )

    # ------------------------------------------------------------------ (a) one writer

    def sequential_writes(self) -> Result:
        plan_id = self.new_plan(1)
        counter = iter(range(10**9))

        def app() -> int:
            for _ in range(WRITES):
                self.contribute(self.admin, plan_id, next(counter))
            return WRITES

        raw_plan = uuid.uuid4()
        versions = iter(range(1, 10**9))

        def raw() -> int:
            with psycopg.connect(self.dsn, autocommit=True) as conn:
                for _ in range(WRITES):
                    self.raw_insert(conn, raw_plan, next(versions))
            return WRITES

        return Result("one writer, one event per command", *compare(ROUNDS, app, raw), "events/s")

    # ------------------------------------------------------------------ (b) eight writers

    def concurrent_writes(self) -> Result:
        plans = [self.new_plan(100 + i) for i in range(WRITERS)]
        per_writer = WRITES // WRITERS
        counter = iter(range(10**9))

        def in_threads(work: Callable[[int], None]) -> int:
            threads = [threading.Thread(target=work, args=(i,)) for i in range(WRITERS)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            return per_writer * WRITERS

        def app() -> int:
            def writer(i: int) -> None:
                for _ in range(per_writer):
                    self.contribute(self.admin, plans[i], next(counter))

            return in_threads(writer)

        raw_plans = [uuid.uuid4() for _ in range(WRITERS)]
        raw_versions = [iter(range(1, 10**9)) for _ in range(WRITERS)]

        def raw() -> int:
            def writer(i: int) -> None:
                with psycopg.connect(self.dsn, autocommit=True) as conn:
                    for _ in range(per_writer):
                        self.raw_insert(conn, raw_plans[i], next(raw_versions[i]))

            return in_threads(writer)

        return Result(f"{WRITERS} writers on different plans", *compare(ROUNDS, app, raw), "events/s")

    # ------------------------------------------------------------------ (c) replay

    def replay(self) -> Result:
        plan_id = self.new_plan(999)
        for i in range(REPLAY_EVENTS - 1):
            self.contribute(self.admin, plan_id, i)
        statement = (
            f'SELECT originator_id, originator_version, topic, state FROM "{self.schema}".isp_events '
            "WHERE originator_id = %s ORDER BY originator_version"
        )

        def app() -> int:
            self.ledger.plans.evict(plan_id)
            plan = self.ledger.plans.load(plan_id)
            assert plan.version == REPLAY_EVENTS
            return 1

        # The raw side keeps one open connection, as the application keeps its pool: what is compared is
        # fetching the rows, not opening a connection.
        with psycopg.connect(self.dsn, autocommit=True) as conn:

            def raw() -> int:
                rows = conn.execute(statement, (plan_id,)).fetchall()
                assert len(rows) == REPLAY_EVENTS
                return 1

            return Result(f"load a plan of {REPLAY_EVENTS} events", *compare(ROUNDS * 3, app, raw), "loads/s")


class DeliveryBench:
    """Issue 4: logging group sessions, six pupils per request, through the Ledger (one transaction per request,
    each pupil's event chained on their own plan) against inserting the same rows, six per transaction."""

    GROUP = 6

    def __init__(self, bench: Bench) -> None:
        self.bench = bench
        self.ledger = bench.ledger
        self.start = dt.date.today() - dt.timedelta(days=400)
        self.entries: list[dict[str, str]] = []
        for n in range(self.GROUP):
            plan_id = bench.new_plan(5000 + n, opened_on=self.start)
            barrier = self.ledger.commands.add_item(bench.admin, plan_id, "barriers", {
                "description": "Finds it hard to blend sounds", "area_of_need": "cognition_and_learning",
                "need_type": "SPLD", "evidence": "Phonics screening check"}, agreed_on=self.start.isoformat())
            provision = self.ledger.commands.add_item(bench.admin, plan_id, "provisions", {
                "description": "Small-group phonics", "barrier_ids": [barrier.body["item_id"]],
                "delivered_by": "teaching assistant", "group_size": self.GROUP, "sessions_per_week": 3,
                "minutes_per_session": 30, "location": "withdrawal", "starts_on": self.start.isoformat(),
                "evidence_basis": "EEF: phonics"}, agreed_on=self.start.isoformat())
            self.entries.append({"plan_id": str(plan_id), "provision_id": provision.body["item_id"]})

    def sessions(self) -> Result:
        requests = max(1, WRITES // self.GROUP)
        days = itertools.cycle(self.start + dt.timedelta(days=d) for d in range(1, 390))

        def app() -> int:
            for _ in range(requests):
                self.ledger.commands.record_session(self.bench.admin, entries=self.entries, session={
                    "date": next(days).isoformat(), "status": "delivered", "minutes": 30,
                    "delivered_by": "Mrs Patel (TA)", "note": "Worked on blending CVC words"})
            return requests * self.GROUP

        schema = self.bench.schema
        with psycopg.connect(self.bench.dsn, autocommit=True) as conn:
            size = conn.execute(f"SELECT avg(length(state))::int FROM \"{schema}\".isp_events "
                                "WHERE topic = 'SessionRecorded'").fetchone()
        state = b"x" * int(size[0] if size and size[0] else 900)
        raw_plans = [uuid.uuid4() for _ in range(self.GROUP)]
        versions = itertools.count(1)
        insert = f'INSERT INTO "{schema}".raw_events VALUES (%s, %s, %s, %s)'

        def raw() -> int:
            with psycopg.connect(self.bench.dsn, autocommit=True) as conn, conn.cursor() as cursor:
                for _ in range(requests):
                    version = next(versions)
                    with conn.transaction():
                        cursor.executemany(insert, [(p, version, "SessionRecorded", state) for p in raw_plans])
            return requests * self.GROUP

        app()  # the first round also loads the plans: leave it out
        return Result(f"group sessions, {self.GROUP} pupils per request", *compare(ROUNDS, app, raw),
                      "pupil-sessions/s")


class BundleBench:
    """Issue 4: building the evidence bundle (JSON, as served) of a plan with a school year of history, against
    fetching that plan's stored rows with psycopg on an open connection."""

    def __init__(self, bench: Bench) -> None:
        self.bench = bench
        ledger, admin = bench.ledger, bench.admin
        opened = dt.date.today() - dt.timedelta(days=365)
        self.plan_id = bench.new_plan(7000, opened_on=opened)
        barrier = ledger.commands.add_item(admin, self.plan_id, "barriers", {
            "description": "Finds it hard to blend sounds", "area_of_need": "cognition_and_learning",
            "need_type": "SPLD", "evidence": "Phonics screening check"}, agreed_on=opened.isoformat())
        provisions = []
        for name, weekly in (("Small-group phonics", 3), ("Speech and language therapy", 1)):
            provisions.append(ledger.commands.add_item(admin, self.plan_id, "provisions", {
                "description": name, "barrier_ids": [barrier.body["item_id"]], "delivered_by": "teaching assistant",
                "group_size": 4, "sessions_per_week": weekly, "minutes_per_session": 30, "location": "withdrawal",
                "starts_on": opened.isoformat(), "evidence_basis": "EEF"}, agreed_on=opened.isoformat()
            ).body["item_id"])
        day, sessions = opened, 0
        while day < dt.date.today():
            day += dt.timedelta(days=1)
            if day.weekday() >= 5:
                continue
            for index, provision in enumerate(provisions):
                if index == 1 and day.weekday() != 2:
                    continue  # speech and language on Wednesdays
                if index == 0 and day.weekday() not in (0, 2, 4):
                    continue
                missed = sessions % 9 == 4
                ledger.commands.record_session(admin, entries=[{"plan_id": str(self.plan_id), "provision_id": provision}],
                                      session={"date": day.isoformat(), "status": "missed" if missed else "delivered",
                                               **({"missed_reason": "pupil_absent"} if missed else {})})
                sessions += 1
            if day.day == 1 and day.month in (1, 4, 7, 10):
                ledger.commands.record_contribution(admin, self.plan_id, {"kind": "parent_view",
                                                                 "text": "Reading more at home."},
                                           agreed_on=day.isoformat())
        self.events = ledger.history.plan_document(admin, self.plan_id)["version"]
        note(f"bundle: a plan of {self.events} events over a year ({sessions} sessions)")

    def bundle(self) -> Result:
        from isp_ledger.bundle.build import build_bundle

        def app() -> int:
            json.dumps(build_bundle(self.bench.ledger, self.bench.admin, self.plan_id))
            return 1

        statement = (f'SELECT originator_id, originator_version, topic, state FROM "{self.bench.schema}".isp_events '
                     "WHERE originator_id = %s ORDER BY originator_version")
        with psycopg.connect(self.bench.dsn, autocommit=True) as conn:

            def raw() -> int:
                assert len(conn.execute(statement, (self.plan_id,)).fetchall()) == self.events
                return 1

            return Result(f"one-year bundle ({self.events} events)", *compare(ROUNDS, app, raw), "bundles/s",
                          "reads/s")


class ReadSideBench:
    """Issue 3: the read models over a log of their own (a schema of its own, so the log is just the workload)."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.schema, self.keys, self.ledger, self.admin = ledger_in_own_schema(self.dsn, "raw_rows")
        self.sql = Sql(self.ledger.store.factory.datastore)
        self.scripts: list[PlanScript] = []
        self.events = 0

    def close(self) -> None:
        self.ledger.close()
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{self.schema}" CASCADE')

    # ------------------------------------------------------------------ the log

    def build_log(self) -> float:
        """Write the log through the ledger's commands; return the rate it was written at (events/s)."""
        plans = max(1, math.ceil(PROJECTION_EVENTS / EVENTS_PER_PLAN))
        total = plans * EVENTS_PER_PLAN
        note(f"writing a log of {total} events ({plans} plans of {EVENTS_PER_PLAN}) through the ledger ...")
        started = time.perf_counter()
        last_note = [started]

        def progress(written: int) -> None:
            if time.perf_counter() - last_note[0] > 15:
                last_note[0] = time.perf_counter()
                note(f"  ... {written} of {total} events written")

        self.scripts = build_log(self.ledger, self.admin, plans=plans, events_per_plan=EVENTS_PER_PLAN,
                                 writers=WRITERS, progress=progress)
        elapsed = time.perf_counter() - started
        self.sequence_all()
        self.events = self.ledger.store.recorder.max_notification_id() or 0  # type: ignore[attr-defined]
        assert self.events == total, (self.events, total)
        note(f"log written: {total} events in {elapsed:.0f}s ({total / elapsed:.0f} events/s)")
        return total / elapsed

    def sequence_all(self) -> None:
        self.ledger.store.recorder.sequencer.number_pending()  # type: ignore[attr-defined]

    # ------------------------------------------------------------------ (a) catching up

    def catch_up(self) -> Result:
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            size = conn.execute(f'SELECT avg(length(state))::int FROM "{self.schema}".isp_events').fetchone()
            topics = [row[0] for row in conn.execute(f'SELECT DISTINCT topic FROM "{self.schema}".isp_events')]
        state = b"x" * int(size[0] if size else 700)
        plan_ids = [uuid.uuid4() for _ in self.scripts]
        rows = [(plan_ids[i % len(plan_ids)], i // len(plan_ids) + 1, topics[i % len(topics)], state)
                for i in range(self.events)]
        insert = f'INSERT INTO "{self.schema}".raw_rows VALUES (%s, %s, %s, %s)'

        def app() -> int:
            rebuild(self.ledger.store)
            return self.events

        def raw() -> int:
            with psycopg.connect(self.dsn, autocommit=True) as conn, conn.cursor() as cursor:
                for start in range(0, len(rows), RAW_BATCH):
                    with conn.transaction():
                        cursor.executemany(insert, rows[start:start + RAW_BATCH])
            return len(rows)

        def truncate() -> None:
            with psycopg.connect(self.dsn, autocommit=True) as conn:
                conn.execute(f'TRUNCATE "{self.schema}".raw_rows')

        note(f"rebuilding the read models over {self.events} events, {PROJECTION_ROUNDS} rounds ...")
        app_rate, raw_rate = compare(PROJECTION_ROUNDS, app, raw, before_app=self.drop_retired, before_raw=truncate)
        truncate()
        self.drop_retired()
        return Result(f"rebuild read models, {self.events} events", app_rate, raw_rate, "events/s", "rows/s")

    def drop_retired(self) -> None:
        """Drop the generations earlier rounds replaced (a running projector would; none is running)."""
        registry = Registry(self.sql)
        for name, generation in registry.retired():
            View(self.sql, name, generation, READ_MODELS[name].tables).drop()
            registry.forget(name, generation)

    # ------------------------------------------------------------------ (b) lag under load

    def lag(self, write_rate: float) -> Lag:
        """Writers at ``write_rate`` in all, each on its own plans in turn at an even pace, while a projector
        follows the log in this process (as ``serve`` runs it). The projector starts as after a restart, with
        no plans in memory: a first pass writes once to every plan and lets it catch up, then the load runs
        for ``LAG_WARMUP`` seconds unmeasured and ``LAG_SECONDS`` measured."""
        self.sequence_all()
        head_before = self.ledger.store.recorder.max_notification_id() or 0  # type: ignore[attr-defined]
        projector: TimedProjector | ProjectorProcess
        if LAG_PROJECTOR == "thread":
            projector = TimedProjector(self.ledger.store)
        else:
            projector = ProjectorProcess(self.dsn, self.schema, self.keys, self.sql)
        assert projector.position() == head_before, "the rebuilt read models are at the head"
        interval = WRITERS / write_rate  # seconds between two writes of one writer
        writes: list[tuple[uuid.UUID, int, float]] = []  # plan, version, commit time
        failures: list[str] = []

        def run_writers(start: float, stop_at: float | None) -> None:
            """Until ``stop_at``, or (None) once over each writer's plans."""

            def writer(w: int) -> None:
                mine = self.scripts[w::WRITERS]
                due = start + w * interval / WRITERS  # writers spread evenly over the interval
                k = 0
                while stop_at is not None or k < len(mine):
                    now = time.monotonic()
                    if now < due:
                        time.sleep(due - now)
                    if stop_at is not None and due >= stop_at:
                        return
                    script = mine[k % len(mine)]
                    try:
                        result = write_next(self.ledger, self.admin, script)
                    except LedgerError as e:
                        failures.append(f"{e.__class__.__name__}: {e}")
                    else:
                        writes.append((script.plan_id, result.body["version"], time.monotonic()))
                    k += 1
                    due += interval

            threads = [threading.Thread(target=writer, args=(w,), name=f"bench-lag-{w}") for w in range(WRITERS)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()

        def caught_up(timeout: float) -> tuple[int, bool]:
            self.sequence_all()
            head = self.ledger.store.recorder.max_notification_id() or 0  # type: ignore[attr-defined]
            return head, projector.wait_until(head, timeout)

        projector.start()
        try:
            note(f"lag: warming the projector (one write to each of {len(self.scripts)} plans at "
                 f"{write_rate:.0f} writes/s, then catching up) ...")
            warm_started = time.monotonic()
            run_writers(warm_started, None)
            _, warm = caught_up(timeout=300)
            note(f"  ... warm after {time.monotonic() - warm_started:.0f}s" + ("" if warm else " (NOT caught up)"))
            where = "this process" if LAG_PROJECTOR == "thread" else "a process of its own"
            note(f"lag under load: {write_rate:.0f} writes/s from {WRITERS} writers, {LAG_WARMUP:.0f}s + "
                 f"{LAG_SECONDS:.0f}s measured, projector in {where} ...")
            writes.clear()
            start = time.monotonic() + 0.1
            measure_from = start + LAG_WARMUP
            stop_at = measure_from + LAG_SECONDS
            run_writers(start, stop_at)
            self.sequence_all()
            head_at_stop = self.ledger.store.recorder.max_notification_id() or 0  # type: ignore[attr-defined]
            behind_at_stop = head_at_stop - projector.position()
            _, done = caught_up(timeout=300)
            end = time.monotonic()
        finally:
            projector.stop()
        if failures:
            note(f"{len(failures)} writes refused during the lag test, e.g. {failures[0]}")
        positions = self.positions_of(head_before)
        times = [t for t, _ in projector.progress]
        reached = [p for _, p in projector.progress]
        lags = []
        for plan_id, version, committed in writes:
            if committed < measure_from:
                continue
            i = bisect.bisect_left(reached, positions[(plan_id, version)])
            lags.append((times[i] if i < len(times) else end) - committed)  # not reached: a lower bound
        measured = [c for _, _, c in writes if c >= measure_from]
        achieved = len(measured) / (max(measured) - measure_from) if len(measured) > 1 else 0.0
        return Lag(target_rate=write_rate, achieved_rate=achieved, lags=sorted(lags), caught_up=done,
                   behind_at_stop=behind_at_stop)

    def positions_of(self, after: int) -> dict[tuple[uuid.UUID, int], int]:
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            rows = conn.execute(
                f'SELECT originator_id, originator_version, notification_id FROM "{self.schema}".isp_sequence '
                "WHERE notification_id > %s",
                (after,),
            ).fetchall()
        return {(o, v): n for o, v, n in rows}


class TimedProjector(Projector):
    """The projector as it runs, noting when each batch was committed and the position it reached."""

    def __init__(self, ledger: Ledger) -> None:
        super().__init__(ledger)
        self.progress: list[tuple[float, int]] = []

    def _write(self, prepared: list[tuple[ReadModel, Any]], last_id: int) -> None:
        super()._write(prepared, last_id)
        self.progress.append((time.monotonic(), self.position()))

    def wait_until(self, position: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        return all(self.wait_for(name, position, max(0.0, deadline - time.monotonic())) for name in self.models)


class ProjectorProcess:
    """``isp-ledger project`` in a process of its own, its progress sampled from the tracking table every 5 ms."""

    POLL_SECONDS = 0.005

    def __init__(self, dsn: str, schema: str, key_dir: str, sql: Sql) -> None:
        self.env = {**os.environ, "ISP_LEDGER_DATABASE_URL": f"{dsn}?schema={schema}", "ISP_LEDGER_KEY_DIR": key_dir}
        currents = Registry(sql).currents()
        trackings = [f'SELECT notification_id FROM "{schema}".rm_{name}_g{generation}_tracking '
                     "WHERE application_name = 'isp_ledger'" for name, generation in currents.items()]
        self._query = f"SELECT min(notification_id) FROM ({' UNION ALL '.join(trackings)}) t"
        self._conn = psycopg.connect(dsn, autocommit=True)
        self.progress: list[tuple[float, int]] = []
        self._process: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._poller = threading.Thread(target=self._poll, name="bench-lag-poller", daemon=True)

    def position(self) -> int:
        row = self._conn.execute(self._query).fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def start(self) -> None:
        command = [str(Path(sys.executable).with_name("isp-ledger")), "project"]
        self._process = subprocess.Popen(command, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._poller.start()

    def _poll(self) -> None:
        last = -1
        with psycopg.connect(self._conn.info.dsn, autocommit=True) as conn:
            while not self._stopping.is_set():
                row = conn.execute(self._query).fetchone()
                position = int(row[0]) if row and row[0] is not None else 0
                if position != last:
                    self.progress.append((time.monotonic(), position))
                    last = position
                time.sleep(self.POLL_SECONDS)

    def wait_until(self, position: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.progress and self.progress[-1][1] >= position:
                return True
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(f"the projector process exited with {self._process.returncode}")
            time.sleep(0.05)
        return False

    def stop(self) -> None:
        if self._process is not None:
            self._process.send_signal(signal.SIGTERM)
            self._process.wait(timeout=30)
        self._stopping.set()
        self._poller.join(timeout=5)
        self._conn.close()


@dataclass
class Lag:
    target_rate: float
    achieved_rate: float
    lags: list[float]  # sorted, seconds
    caught_up: bool  # the projector reached the head after the writers stopped
    behind_at_stop: int  # events the projector had still to process when the writers stopped

    def quantile(self, q: float) -> float:
        if not self.lags:
            return math.nan
        return self.lags[min(len(self.lags) - 1, math.ceil(q * len(self.lags)) - 1)]


def main() -> None:
    bench = Bench()
    try:
        results = {
            "write_ratio": bench.sequential_writes(),
            "concurrent_write_ratio": bench.concurrent_writes(),
            "replay_ratio": bench.replay(),
            "delivery_ratio": DeliveryBench(bench).sessions(),
            "bundle_ratio": BundleBench(bench).bundle(),
        }
    finally:
        bench.close()
    read_side = ReadSideBench(bench.dsn)
    try:
        read_side.build_log()
        results["projection_ratio"] = read_side.catch_up()
        lag = read_side.lag(results["concurrent_write_ratio"].app / 2)
    finally:
        read_side.close()

    print(f"{'benchmark':<44} {'application':>16} {'raw psycopg':>16} {'ratio':>7}")
    for result in results.values():
        print(f"{result.name:<44} {result.app:>7.0f} {result.unit:<8} {result.raw:>7.0f} "
              f"{result.raw_unit or result.unit:<8} {result.ratio:>7.2f}")
    print(f"{'projection lag under load':<44} {'p50':>16} {'p99':>16} {'max':>7}")
    name = f"  {lag.achieved_rate:.0f} writes/s (target {lag.target_rate:.0f}), {len(lag.lags)} writes"
    print(f"{name:<44} {lag.quantile(0.5):>14.3f} s {lag.quantile(0.99):>14.3f} s "
          f"{lag.lags[-1] if lag.lags else math.nan:>5.2f} s")
    print(f"  events behind when the writers stopped: {lag.behind_at_stop}"
          + ("" if lag.caught_up else "; the projector did NOT catch up afterwards (lags are lower bounds)"))
    figures: dict[str, float] = {key: round(result.ratio, 3) for key, result in results.items()}
    figures["projection_p50_lag_seconds"] = round(lag.quantile(0.5), 3)
    figures["projection_p99_lag_seconds"] = round(lag.quantile(0.99), 3)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
