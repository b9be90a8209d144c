"""Benchmarks of isp-ledger against raw psycopg on the same PostgreSQL, in the same run.

Each figure is a ratio, application ÷ raw (higher is better; 1.0 means as fast as hand-written SQL), so that a
busy or slow machine moves both sides together. Prints a table, then, as the last line, one JSON object.

    python bench/run.py            # uses ISP_LEDGER_BENCH_DATABASE_URL or postgresql://postgres@127.0.0.1:5432/test

The write path (issue 2): (a) one event per command against one-row-per-transaction inserts; (b) the same
with eight writers on different plans; (c) loading a plan of 2,000 events against fetching its 2,000 rows.

Reads and the access log (issue 12): a parent reading a plan's current document through the application, every
read logged before it is answered, against the same read with the log off (``reads.py``; ``logged_read_ratio``).

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
    ISP_LEDGER_BENCH_READS              plan reads per round of the access log benchmark (2000)
    ISP_LEDGER_BENCH_PROJECTION_EVENTS  events in the read side's log (200000)
    ISP_LEDGER_BENCH_EVENTS_PER_PLAN    events per plan in that log (100)
    ISP_LEDGER_BENCH_PROJECTION_ROUNDS  alternating rounds of rebuild and raw batched inserts (3)
    ISP_LEDGER_BENCH_RAW_BATCH          rows per transaction of the raw batched inserts (2000)
    ISP_LEDGER_BENCH_LAG_SECONDS        how long the lag is measured under load (30)
    ISP_LEDGER_BENCH_LAG_WARMUP         seconds of load before measuring, while the projector loads the plans (5)
    ISP_LEDGER_BENCH_LAG_PROJECTOR      process (default) or thread
"""

import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from read_side import ReadSideBench  # noqa: E402
from reads import LoggedReadBench  # noqa: E402
from write_path import Bench, BundleBench, DeliveryBench  # noqa: E402


def main() -> None:
    bench = Bench()
    try:
        results = {
            "write_ratio": bench.sequential_writes(),
            "concurrent_write_ratio": bench.concurrent_writes(),
            "replay_ratio": bench.replay(),
            "delivery_ratio": DeliveryBench(bench).sessions(),
            "bundle_ratio": BundleBench(bench).bundle(),
            "logged_read_ratio": LoggedReadBench(bench).reads(),
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
