"""The transparency log of plan heads (CONTRACT.md §7, ``storage/transparency.py``), on both stores.

Entries appear as plans are written, with positions 1..N and no gap even under concurrent writers (on
PostgreSQL, appended by the background sequencer as it numbers events). ``verify`` then catches what the
per-plan chain alone cannot: events removed from the end of a plan, and events added behind the ledger's back;
and it reports a damaged log. A consistent truncation of both the events and the end of the log is the one thing
a plan's verify cannot see; a signed log head held from before catches it.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any
from uuid import UUID

import orjson
import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi.testclient import TestClient

from isp_ledger.api.app import create_app
from isp_ledger.application import Ledger
from isp_ledger.bootstrap import build_ledger
from tests.cli import isp_ledger
from tests.conftest import FakeClock, People
from tests.integration.rawstore import RawStore
from tests.integration.test_integrity import contract_seal
from tests.integration.test_sequence import run_together, write_contributions
from tests.samples import plan_body

GENESIS = "0" * 64
VERSIONS = 5  # of every plan built by new_plan


def new_plan(ledger: Ledger, people: People, versions: int = VERSIONS) -> UUID:
    plan_id = UUID(ledger.commands.open_plan(people.senco, **plan_body()).body["plan_id"])
    for i in range(versions - 1):
        ledger.commands.record_contribution(people.senco, plan_id, {"kind": "parent_view", "text": f"View {i}"})
    return plan_id


def log_now(ledger: Ledger) -> None:
    """On PostgreSQL, have the sequencer number (and so log) everything committed, rather than wait for it."""
    sequencer = getattr(ledger.store.recorder, "sequencer", None)
    if sequencer is not None:
        sequencer.number_pending()


def head_of(raw: RawStore, plan_id: UUID) -> tuple[int, str]:
    states = raw.states(plan_id)
    version = max(states)
    return version, orjson.loads(states[version])["hash"]


def assert_sound_log(raw: RawStore) -> list[dict[str, Any]]:
    """Positions 1..N; each entry's hash is SHA-256 of the RFC 8785 form of its other fields (computed here,
    without the ledger's code) and links to the one before; each plan's latest entry is its stored head."""
    entries = raw.log()
    assert [e["position"] for e in entries] == list(range(1, len(entries) + 1))
    prev = GENESIS
    latest: dict[str, dict[str, Any]] = {}
    for e in entries:
        content = {k: e[k] for k in ("position", "plan_id", "version", "head_hash", "recorded_at", "prev_entry_hash")}
        assert e["prev_entry_hash"] == prev, e
        assert e["entry_hash"] == hashlib.sha256(rfc8785.dumps(content)).hexdigest(), e
        assert e["version"] > latest.get(e["plan_id"], {"version": 0})["version"], "a plan's heads go forward"
        prev = e["entry_hash"]
        latest[e["plan_id"]] = e
    plans = {str(plan_id) for (plan_id,) in raw.fetch(f"SELECT DISTINCT originator_id FROM {raw.table('isp_events')}")}
    assert set(latest) == plans
    for plan_id, e in latest.items():
        assert (e["version"], e["head_hash"]) == head_of(raw, UUID(plan_id)), plan_id
    return entries


@pytest.fixture
def cold_client(env: dict[str, str], clock: FakeClock) -> Iterator[TestClient]:
    """The API of a second process on the same store."""
    ledger = build_ledger({**env, "ISP_LEDGER_PROJECTIONS": "external"}, clock=clock)
    with TestClient(create_app(ledger, close_ledger=True), raise_server_exceptions=False) as test_client:
        yield test_client


# ---------------------------------------------------------------- the log as plans are written


def test_each_write_appends_the_plans_new_head(ledger: Ledger, people: People, store_url: str) -> None:
    raw = RawStore(store_url)
    first = new_plan(ledger, people)
    second = new_plan(ledger, people, versions=2)
    ledger.commands.record_contribution(people.senco, first, {"kind": "parent_view", "text": "Later"})
    log_now(ledger)
    entries = assert_sound_log(raw)
    if raw.kind == "sqlite":  # appended in each write's own transaction: one entry per command here
        assert [(e["plan_id"], e["version"]) for e in entries] == (
            [(str(first), v) for v in range(1, VERSIONS + 1)] + [(str(second), 1), (str(second), 2),
                                                                  (str(first), VERSIONS + 1)])
    else:  # one entry per plan per numbering pass, for its highest version in the pass
        assert 2 <= len(entries) <= VERSIONS + 3


def test_concurrent_writers_through_two_ledgers_leave_a_gap_free_log(
    ledger: Ledger, people: People, env: dict[str, str], clock: FakeClock, store_url: str
) -> None:
    """Threads of two applications (two sequencers on PostgreSQL) writing to their own plans and a shared one;
    the log is left to the background sequencers, not numbered by the test."""
    raw = RawStore(store_url)
    other = build_ledger(env, clock=clock)
    try:
        plans = [new_plan(ledger, people, versions=1) for _ in range(5)]
        jobs: list[Callable[[], None]] = [partial(write_contributions, app, people.senco, plan_id, 15, f"writer {i}")
                for i, (app, plan_id) in enumerate(
                    [(ledger, plans[0]), (other, plans[0]), (ledger, plans[1]), (other, plans[2]),
                     (ledger, plans[3]), (other, plans[4]), (ledger, plans[4]), (other, plans[1])])]
        run_together(jobs)
    finally:
        other.close()
    deadline = time.monotonic() + 15
    while True:
        heads = {str(p): head_of(raw, p) for p in plans}
        latest = {e["plan_id"]: (e["version"], e["head_hash"]) for e in raw.log()}
        if all(latest.get(p) == head for p, head in heads.items()):
            break
        assert time.monotonic() < deadline, f"the log did not catch up: {latest} != {heads}"
        time.sleep(0.02)
    entries = assert_sound_log(raw)
    assert len(entries) <= raw.count("isp_events")
    for plan_id in plans:
        result = ledger.integrity.verify(None, plan_id)
        assert result.ok and result.log_version == result.head_version, result


# ---------------------------------------------------------------- events removed from the end


def assert_truncation_reported(result: dict[str, Any], logged: int, now_ends: int) -> None:
    assert result["ok"] is False, result
    assert result["first_bad_version"] == now_ends + 1, result
    assert f"records version {logged}" in result["detail"], result
    assert f"the store ends at version {now_ends}" in result["detail"], result
    assert "removed from the end" in result["detail"], result
    assert result["events_checked"] == now_ends
    assert "first_bad_log_position" in result


@pytest.mark.parametrize("removed", [1, 2])
def test_events_removed_from_the_end_are_reported_by_the_ledger_over_http_and_by_the_command(
    ledger: Ledger, people: People, store_url: str, env: dict[str, str], client: TestClient,
    cold_client: TestClient, removed: int
) -> None:
    raw = RawStore(store_url)
    tampered, intact = new_plan(ledger, people), new_plan(ledger, people)
    log_now(ledger)
    for version in range(VERSIONS, VERSIONS - removed, -1):
        raw.delete(tampered, version)
    now_ends = VERSIONS - removed

    assert_truncation_reported(ledger.integrity.verify(None, tampered).as_dict(), VERSIONS, now_ends)
    for api in (client, cold_client):
        response = api.get(f"/v1/plans/{tampered}/verify", headers=people.headers("senco"))
        assert response.status_code == 200, response.text
        assert_truncation_reported(response.json(), VERSIONS, now_ends)
    bad = isp_ledger(env, "verify", str(tampered))
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert_truncation_reported(orjson.loads(bad.stdout), VERSIONS, now_ends)
    assert "removed from the end" in bad.stderr

    response = client.get(f"/v1/plans/{intact}/verify", headers=people.headers("senco"))
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True and body["head_version"] == VERSIONS, body
    assert body["log_version"] == VERSIONS and body["log_entry_hash"] == raw.log(intact)[-1]["entry_hash"]
    good = isp_ledger(env, "verify", str(intact))
    assert good.returncode == 0, good.stdout + good.stderr
    assert orjson.loads(good.stdout)["log_position"] == body["log_position"]
    assert client.get(f"/v1/plans/{tampered}/receipt", headers=people.headers("senco")).status_code == 409


def test_a_plan_whose_events_were_all_removed_is_reported_to_an_administrator(
    ledger: Ledger, people: People, store_url: str, cold_client: TestClient
) -> None:
    raw = RawStore(store_url)
    plan_id = new_plan(ledger, people, versions=2)
    log_now(ledger)
    raw.delete(plan_id, 2)
    raw.delete(plan_id, 1)
    response = cold_client.get(f"/v1/plans/{plan_id}/verify", headers=people.headers("admin"))
    assert response.status_code == 200, response.text
    assert response.json()["ok"] is False and "holds no events" in response.json()["detail"]
    assert cold_client.get(f"/v1/plans/{plan_id}/verify", headers=people.headers("senco")).status_code == 404


def test_an_event_added_behind_the_ledgers_back_is_reported(
    ledger: Ledger, people: People, store_url: str
) -> None:
    """A well-sealed, well-chained extra event, inserted directly: its chain holds, but the log never saw it."""
    raw = RawStore(store_url)
    plan_id = new_plan(ledger, people)
    log_now(ledger)
    last = orjson.loads(raw.states(plan_id)[VERSIONS])
    forged = {**last["event"], "version": VERSIONS + 1, "prev_hash": last["hash"], "event_id": "forged"}
    raw.insert(plan_id, VERSIONS + 1, forged["type"], contract_seal(forged)[0])
    result = ledger.integrity.verify(None, plan_id)
    assert not result.ok and result.first_bad_version == VERSIONS + 1, result
    assert "behind the ledger's back" in result.detail


# ---------------------------------------------------------------- a damaged log


def test_an_altered_or_removed_log_entry_is_reported(ledger: Ledger, people: People, store_url: str) -> None:
    raw = RawStore(store_url)
    plan_id = new_plan(ledger, people)
    log_now(ledger)
    later = new_plan(ledger, people, versions=1)  # so that the plan's entries are not the last in the log
    log_now(ledger)
    entry = raw.log(plan_id)[-1]
    position = entry["position"]

    raw.set_log_entry(position, head_hash="0" * 64)  # the head it records, altered
    result = ledger.integrity.verify(None, plan_id)
    assert not result.ok and result.first_bad_log_position == position, result
    assert f"the entry at position {position} was altered" in result.detail

    # Altered consistently, its own entry hash recomputed: the next entry's link no longer holds.
    content = {**{k: entry[k] for k in raw.LOG_COLUMNS if k != "entry_hash"}, "head_hash": "0" * 64}
    raw.set_log_entry(position, entry_hash=hashlib.sha256(rfc8785.dumps(content)).hexdigest())
    result = ledger.integrity.verify(None, plan_id)
    assert not result.ok and result.first_bad_log_position == position + 1, result
    assert f"the chain is broken between positions {position} and {position + 1}" in result.detail

    raw.delete_log_entry(position)  # gone altogether: the plan's head is no longer logged
    result = ledger.integrity.verify(None, plan_id)
    assert not result.ok and result.first_bad_version is not None, result
    assert result.first_bad_version <= entry["version"], result
    # Named by the plan's entry before it, when that is its neighbour; else the head is simply not logged.
    assert (f"the entry at position {position} is missing" in result.detail
            or "log entries were removed" in result.detail), result
    beside = ledger.integrity.verify(None, later)  # the entry after the gap is later's: its verify names the gap too
    assert not beside.ok and f"the entry at position {position} is missing" in beside.detail, beside
    gap = ledger.integrity.check_log(None).as_dict()
    assert gap["ok"] is False and gap["first_bad_position"] == position, gap


# ---------------------------------------------------------------- signed log heads and receipts


def public_key(client: TestClient, people: People) -> Ed25519PublicKey:
    key = client.get("/v1/keys", headers=people.headers("parent")).json()["keys"][0]
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(key["public_key"]))


def check_offline(statement: dict[str, Any], key: Ed25519PublicKey) -> None:
    signed = {k: v for k, v in statement.items() if k not in ("key_id", "algorithm", "signature")}
    key.verify(base64.b64decode(statement["signature"]), rfc8785.dumps(signed))  # raises if it does not hold


def test_a_signed_log_head_catches_the_consistent_truncation_of_events_and_log(
    ledger: Ledger, people: People, store_url: str, env: dict[str, str], client: TestClient, tmp_path: Path
) -> None:
    raw = RawStore(store_url)
    plan_id = new_plan(ledger, people, versions=VERSIONS - 1)
    log_now(ledger)
    ledger.commands.record_contribution(people.senco, plan_id, {"kind": "parent_view", "text": "The last"})
    log_now(ledger)  # so that the last version has a log entry of its own, the log's last
    response = client.get("/v1/log/head", headers=people.headers("parent"))
    assert response.status_code == 200, response.text
    head = response.json()
    assert head["statement"] == "isp-ledger log head"
    assert (head["position"], head["entry_hash"]) == (raw.log()[-1]["position"], raw.log()[-1]["entry_hash"])
    check_offline(head, public_key(client, people))
    held = tmp_path / "head.json"
    held.write_text(response.text)

    check = client.post("/v1/log/verify", json=head, headers=people.headers("admin"))
    assert check.status_code == 200 and check.json()["ok"] is True, check.text
    assert check.json()["entries_checked"] == head["position"]
    assert client.post("/v1/log/verify", headers=people.headers("senco")).status_code == 403
    assert client.post("/v1/log/verify", json={**head, "position": head["position"] - 1},
                       headers=people.headers("admin")).json()["ok"] is False  # an edited head

    # The intruder removes the plan's last event and the log entry that recorded it, the log's last.
    raw.delete(plan_id, VERSIONS)
    raw.delete_log_entry(head["position"])
    assert ledger.integrity.verify(None, plan_id).ok  # what a plan's verify cannot see (transparency.py says so) ...
    check = client.post("/v1/log/verify", json=head, headers=people.headers("admin"))
    assert check.json()["ok"] is False, check.text  # ... the held head can
    assert "removed from its end" in check.json()["detail"]
    bad = isp_ledger(env, "verify-log", str(held))
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert orjson.loads(bad.stdout)["ok"] is False


def test_a_receipt_carries_the_signed_log_entry_of_its_head(
    ledger: Ledger, people: People, store_url: str, client: TestClient, env: dict[str, str]
) -> None:
    plan_id = new_plan(ledger, people)
    response = client.get(f"/v1/plans/{plan_id}/receipt", headers=people.headers("senco"))
    assert response.status_code == 200, response.text
    receipt = response.json()
    entry = receipt["log_entry"]
    assert entry["statement"] == "isp-ledger log entry"
    assert (entry["plan_id"], entry["version"], entry["head_hash"]) == (str(plan_id), VERSIONS, receipt["head_hash"])
    stored = RawStore(store_url).log(plan_id)[-1]
    assert {k: entry[k] for k in RawStore.LOG_COLUMNS} == stored
    check_offline(entry, public_key(client, people))
    check = client.post("/v1/log/verify", json=entry, headers=people.headers("admin"))
    assert check.json()["ok"] is True, check.text
    assert client.post("/v1/receipts/verify", json=receipt, headers=people.headers("senco")).json()["ok"] is True
    good = isp_ledger(env, "verify-log")
    assert good.returncode == 0, good.stdout + good.stderr
    assert orjson.loads(good.stdout)["plans_checked"] == 1


def test_a_store_from_before_the_log_starts_it_from_each_plans_head(
    ledger: Ledger, people: People, store_url: str, env: dict[str, str], clock: FakeClock
) -> None:
    raw = RawStore(store_url)
    plans = [new_plan(ledger, people, versions=v) for v in (1, 3)]
    log_now(ledger)
    raw.execute(f"DROP TABLE {raw.table('isp_head_log')}")
    reopened = build_ledger(env, clock=clock)
    try:
        entries = assert_sound_log(raw)
        assert sorted((e["plan_id"], e["version"]) for e in entries) == sorted((str(p), v) for p, v in
                                                                              zip(plans, (1, 3), strict=True))
        assert all(reopened.integrity.verify(None, p).ok for p in plans)
    finally:
        reopened.close()
