"""`isp-ledger project` as its own process on PostgreSQL: killed with SIGKILL mid-stream and restarted, it
resumes where it left off, losing no event and applying none twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from uuid import UUID

import orjson
import pytest

from isp_ledger.application import Ledger
from isp_ledger.storage.sql import Sql
from projections import READ_MODELS, current_plan
from projections.base import View
from projections.rebuild import rebuild
from projections.registry import Registry
from tests.conftest import People
from tests.integration.read_models import read_model_rows
from tests.samples import plan_body

PLANS = 12
EVENTS_PER_PLAN = 250


def start_projector(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as output:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [sys.executable, "-c", "from isp_ledger.cli import main; main()", "project"],
            env={**os.environ, **env},
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def position(ledger: Ledger, name: str = "timeline") -> int:
    sql = Sql(ledger.store.factory.datastore)
    view = View(sql, name, Registry(sql).current(name), READ_MODELS[name].tables)
    view.create_table()
    return view.position()


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


@pytest.mark.parametrize("store_url", ["postgres"], indirect=True)
def test_a_projector_killed_mid_stream_resumes_exactly_where_it_left_off(
    ledger: Ledger, people: People, env: dict[str, str], tmp_path: Path
) -> None:
    plans = [UUID(ledger.commands.open_plan(people.admin, **plan_body()).body["plan_id"]) for _ in range(PLANS)]

    def write() -> None:
        for i in range(EVENTS_PER_PLAN - 1):
            for plan_id in plans:
                ledger.commands.record_contribution(people.admin, plan_id, {"kind": "parent_view", "text": f"view {i}"})

    writer = threading.Thread(target=write)
    writer.start()
    log = tmp_path / "projector.log"
    projector = start_projector(env, log)
    try:
        wait_until(lambda: position(ledger) > 0, 60, "the projector to start projecting")
        projector.send_signal(signal.SIGKILL)
        projector.wait(timeout=10)
        killed_at = position(ledger)
        writer.join()
        ledger.store.number_pending()  # PostgreSQL: the sequencer numbers what was committed
        head = ledger.store.recorder.max_notification_id()
        assert head == PLANS * EVENTS_PER_PLAN
        assert killed_at < head, "the projector was killed before it had caught up"

        projector = start_projector(env, log)
        for name in READ_MODELS:
            def caught_up(name: str = name) -> bool:
                return position(ledger, name) == head

            wait_until(caught_up, 120, f"{name} to catch up after restart")
    finally:
        projector.send_signal(signal.SIGTERM)
        projector.wait(timeout=15)
    assert projector.returncode == 0, log.read_text()

    # Nothing lost and nothing twice: one timeline entry per event, and every read model exactly as a rebuild
    # from zero makes it.
    sql = Sql(ledger.store.factory.datastore)
    registry = Registry(sql)
    sealer = ledger.store.sealer
    live = {name: View(sql, name, registry.current(name), READ_MODELS[name].tables, sealer=sealer)
            for name in READ_MODELS}
    assert live["timeline"].sql.fetch(live["timeline"].q("SELECT count(*) FROM {entries}"))[0][0] == head
    for plan_id in plans:
        stored = current_plan.read(live["current_plan"], plan_id)
        assert stored is not None and stored.version == EVENTS_PER_PLAN
        assert orjson.loads(stored.json) == ledger.history.plan_document(people.admin, plan_id)
    expected = {name: read_model_rows(view) for name, view in live.items()}
    for name, generation in rebuild(ledger.store).items():
        rebuilt = View(sql, name, generation, READ_MODELS[name].tables, sealer=sealer)
        assert read_model_rows(rebuilt) == expected[name], name
