"""What every benchmark shares: the sizes, timing two sides alternately, a ledger in a schema of its own."""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import psycopg

from isp_ledger.access import User
from isp_ledger.application import Ledger
from isp_ledger.bootstrap import build_ledger

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
