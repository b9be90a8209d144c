"""The access log loses no read that was answered (CONTRACT.md §10), on both stores: a real server (``isp-ledger
serve`` in its own process) is killed with SIGKILL in the middle of a burst of reads, and every read whose answer
reached the client has its entry in the store. An entry is committed before its answer is sent; there is no queue
in memory for a crash to lose.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import httpx2 as httpx
import pytest
from eventsourcing.sqlite import SQLiteDatastore

from isp_ledger.application import Ledger
from isp_ledger.storage import sqlite
from tests.conftest import People
from tests.samples import plan_body

READERS = 8
ANSWERS_BEFORE_KILL = 120


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(env: dict[str, str], tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = free_port()
    log = (tmp_path / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-c", "from isp_ledger.cli import main; main()", "serve", "--port", str(port)],
        env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert process.poll() is None, (tmp_path / "server.log").read_text()
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.2)
    try:
        yield process, base
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
        log.close()


def test_no_answered_read_is_lost_when_the_server_is_killed(
    ledger: Ledger, people: People, server: tuple[subprocess.Popen[bytes], str]
) -> None:
    process, base = server
    opened = ledger.commands.open_plan(people.senco, **plan_body(agreed_on="2025-09-01")).body
    plan_id = UUID(opened["plan_id"])
    ledger.grants.grant(people.senco, plan_id, user_id=people.parent.user_id, relationship="parent")
    datastore = ledger.store.datastore
    if isinstance(datastore, SQLiteDatastore):  # a commit in WAL mode is on disk when it returns with synchronous FULL
        with sqlite.raw_connection(datastore, writer=False) as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2
    # Each read asks for the plan as it stood on a day of its own, so that its entry can be told apart.
    days = iter(dt.date(2025, 9, 1) + dt.timedelta(days=n) for n in range(100_000))
    lock = threading.Lock()
    answered: list[str] = []
    stop = threading.Event()

    def read(who: str) -> None:
        token = people.tokens[who]
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
            while not stop.is_set():
                with lock:
                    day = next(days).isoformat()
                try:
                    response = client.get(f"/v1/plans/{plan_id}", params={"as_of": day})
                except httpx.HTTPError:
                    return  # the server was killed under this request: no answer was received
                assert response.status_code == 200, response.text
                assert response.json()["plan_id"] == str(plan_id)
                with lock:
                    answered.append(day)

    readers = [threading.Thread(target=read, args=("parent" if n % 2 else "senco",)) for n in range(READERS)]
    for reader in readers:
        reader.start()
    deadline = time.monotonic() + 120
    while len(answered) < ANSWERS_BEFORE_KILL:
        assert time.monotonic() < deadline, f"only {len(answered)} reads answered"
        time.sleep(0.001)
    process.send_signal(signal.SIGKILL)  # in the middle of the burst: requests are in flight
    stop.set()
    process.wait(timeout=30)
    for reader in readers:
        reader.join(timeout=60)
    received = set(answered)
    entries = ledger.access_log.store.page(plan_id, before=None, limit=1_000_000)
    logged = {json.loads(entry.asked)["as_of"] for _, entry in entries if json.loads(entry.asked).get("as_of")}
    assert len(received) >= ANSWERS_BEFORE_KILL
    assert received <= logged, f"{len(received - logged)} answered reads have no entry: {sorted(received - logged)[:5]}"
    assert {entry.relationship for _, entry in entries} == {"parent", None}  # the parent read through the grant
    assert {entry.user_id for _, entry in entries} == {people.parent.user_id, people.senco.user_id}
