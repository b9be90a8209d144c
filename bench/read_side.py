"""The read side's benchmarks: rebuilding every read model against batched raw inserts, and lag under load."""

from __future__ import annotations

import bisect
import math
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from common import (
    EVENTS_PER_PLAN,
    LAG_PROJECTOR,
    LAG_SECONDS,
    LAG_WARMUP,
    PROJECTION_EVENTS,
    PROJECTION_ROUNDS,
    RAW_BATCH,
    WRITERS,
    Result,
    compare,
    ledger_in_own_schema,
    note,
)
from workload import PlanScript, build_log, write_next

from isp_ledger.domain.errors import LedgerError
from isp_ledger.storage.sql import Sql
from projections import READ_MODELS
from projections.base import ReadModel, View
from projections.log import EventLog
from projections.rebuild import rebuild
from projections.registry import Registry
from projections.runner import Projector


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
        self.events = self.ledger.store.max_position()
        assert self.events == total, (self.events, total)
        note(f"log written: {total} events in {elapsed:.0f}s ({total / elapsed:.0f} events/s)")
        return total / elapsed

    def sequence_all(self) -> None:
        self.ledger.store.number_pending()

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
        head_before = self.ledger.store.max_position()
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
            head = self.ledger.store.max_position()
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
            head_at_stop = self.ledger.store.max_position()
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

    def __init__(self, log: EventLog) -> None:
        super().__init__(log)
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
