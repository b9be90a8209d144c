"""Benchmarks of isp-ledger against raw psycopg on the same PostgreSQL, in the same run.

Each figure is a ratio, application ÷ raw (higher is better; 1.0 means as fast as hand-written SQL), so that a
busy or slow machine moves both sides together. Prints a table, then, as the last line, one JSON object.

    python bench/run.py            # uses ISP_LEDGER_BENCH_DATABASE_URL or postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import json
import os
import statistics
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from isp_ledger.access import User  # noqa: E402
from isp_ledger.application import Ledger  # noqa: E402
from isp_ledger.storage.chain import canonical  # noqa: E402

DATABASE_URL = os.environ.get("ISP_LEDGER_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
WRITES = int(os.environ.get("ISP_LEDGER_BENCH_WRITES", "3000"))
WRITERS = 8
REPLAY_EVENTS = 2000
ROUNDS = int(os.environ.get("ISP_LEDGER_BENCH_ROUNDS", "5"))


@dataclass
class Result:
    name: str
    app: float
    raw: float
    unit: str

    @property
    def ratio(self) -> float:
        return self.app / self.raw


def compare(rounds: int, app: Callable[[], int], raw: Callable[[], int]) -> tuple[float, float]:
    """Median rates (items per second) of ``app`` and ``raw``, run alternately so that both see the same
    machine: a shared machine's speed drifts, and alternating keeps the drift out of the ratio."""
    app_rates, raw_rates = [], []
    for _ in range(rounds):
        app_rates.append(rate(app))
        raw_rates.append(rate(raw))
    return statistics.median(app_rates), statistics.median(raw_rates)


def rate(fn: Callable[[], int]) -> float:
    started = time.perf_counter()
    items = fn()
    return items / (time.perf_counter() - started)


class Bench:
    def __init__(self) -> None:
        self.schema = f"bench_{uuid.uuid4().hex[:10]}"
        self.dsn = DATABASE_URL.split("?", 1)[0]
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{self.schema}"')
            conn.execute(
                f'CREATE TABLE "{self.schema}".raw_events (originator_id uuid NOT NULL, '
                "originator_version bigint NOT NULL, topic text NOT NULL, state bytea NOT NULL, "
                "PRIMARY KEY (originator_id, originator_version))"
            )
        self.keys = tempfile.mkdtemp(prefix="isp-ledger-bench-keys-")
        self.ledger = Ledger({
            "ISP_LEDGER_DATABASE_URL": f"{self.dsn}?schema={self.schema}",
            "ISP_LEDGER_KEY_DIR": self.keys,
            "ISP_LEDGER_POOL_SIZE": "12",
        })
        self.admin, _ = self.ledger.add_user(name="Bench Admin", role="admin")
        self.sample_state = canonical({"text": "x" * 700})

    def close(self) -> None:
        self.ledger.close()
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{self.schema}" CASCADE')

    # ------------------------------------------------------------------ helpers

    def new_plan(self, n: int) -> uuid.UUID:
        from stdnum.gb import upn

        body = f"8012000{26:02d}{n % 1000:03d}"
        la_body = f"{801:03d}{(2000 + n // 1000) % 10000:04d}{26:02d}{n % 1000:03d}"
        del body
        result = self.ledger.open_plan(
            self.admin,
            pupil={"upn": upn.calc_check_digit(la_body) + la_body, "given_name": "Bench", "family_name": f"Pupil {n}",
                   "date_of_birth": "2016-01-01"},
            setting_urn="123456",
            tier="targeted",
        )
        return uuid.UUID(result.body["plan_id"])

    def contribute(self, user: User, plan_id: uuid.UUID, i: int) -> None:
        self.ledger.record_contribution(
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
            self.ledger._cache_evict(plan_id)  # noqa: SLF001 - measure a load from the store, not the cache
            plan = self.ledger._load(plan_id)  # noqa: SLF001
            assert plan.version == REPLAY_EVENTS
            return 1

        def raw() -> int:
            with psycopg.connect(self.dsn, autocommit=True) as conn:
                rows = conn.execute(statement, (plan_id,)).fetchall()
            assert len(rows) == REPLAY_EVENTS
            return 1

        return Result(f"load a plan of {REPLAY_EVENTS} events", *compare(ROUNDS * 3, app, raw), "loads/s")


def main() -> None:
    bench = Bench()
    try:
        results = {
            "write_ratio": bench.sequential_writes(),
            "concurrent_write_ratio": bench.concurrent_writes(),
            "replay_ratio": bench.replay(),
        }
    finally:
        bench.close()
    print(f"{'benchmark':<40} {'application':>14} {'raw psycopg':>14} {'ratio':>7}")
    for result in results.values():
        print(f"{result.name:<40} {result.app:>10.0f} {result.unit:<3} {result.raw:>10.0f} {result.unit:<3} "
              f"{result.ratio:>7.2f}")
    print(json.dumps({key: round(result.ratio, 3) for key, result in results.items()}))


if __name__ == "__main__":
    main()
