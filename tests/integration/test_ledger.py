"""The Ledger application on both stores: users and their tokens, one open plan per UPN, writers in two
processes, long plans loaded through snapshots, and ``isp-ledger users add``."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import threading
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import psycopg
import pytest
from fastapi.testclient import TestClient

from isp_ledger.application import Ledger
from isp_ledger.bootstrap import build_ledger
from isp_ledger.domain.errors import InvalidInput, RuleViolation, StaleVersion
from tests.cli import isp_ledger
from tests.conftest import SETTING, FakeClock, People, postgres_dsn
from tests.integration.rawstore import RawStore
from tests.samples import barrier, outcome, plan_body, provision

# ---------------------------------------------------------------- users and tokens


def test_users_authenticate_by_token_and_only_a_digest_is_stored(ledger: Ledger, store_url: str) -> None:
    added = [
        ledger.accounts.add_user(name="Ada Admin", role="admin"),
        ledger.accounts.add_user(name="Sam Senco", role="senco", setting_urn=SETTING),
        ledger.accounts.add_user(name="Tess Teacher", role="teacher", setting_urn=SETTING),
        ledger.accounts.add_user(name="Pat Parent", role="parent"),
    ]
    tokens = [token for _, token in added]
    assert len(set(tokens)) == len(tokens)
    for user, token in added:
        assert ledger.accounts.authenticate(token) == user
    assert ledger.accounts.authenticate(tokens[0] + "x") is None
    assert ledger.accounts.authenticate("") is None

    rows = RawStore(store_url).fetch(f"SELECT * FROM {RawStore(store_url).table('isp_users')}")
    assert len(rows) == len(added)
    stored = "\n".join(str(value) for row in rows for value in row)
    for token in tokens:
        assert token not in stored
        assert token[len(token) // 2 :] not in stored, "not even part of a token is stored"


@pytest.mark.parametrize(
    ("role", "setting", "field"),
    [("headteacher", None, "role"), ("senco", None, "setting"), ("teacher", "12345", "setting"),
     ("parent", SETTING, "setting")],
)
def test_a_user_that_cannot_exist_is_refused_and_not_stored(
    ledger: Ledger, store_url: str, role: str, setting: str | None, field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        ledger.accounts.add_user(name="Somebody", role=role, setting_urn=setting)
    assert field in [e.field for e in refused.value.errors]
    assert RawStore(store_url).count("isp_users") == 0


# ---------------------------------------------------------------- one open plan per UPN


def test_one_open_plan_per_upn_in_this_and_another_process(
    ledger: Ledger, people: People, env: dict[str, str], clock: FakeClock, store_url: str
) -> None:
    body = plan_body()
    upn = body["pupil"]["upn"]
    first = UUID(ledger.commands.open_plan(people.senco, **body).body["plan_id"])

    other = build_ledger(env, clock=clock)
    try:
        for app in (ledger, other):
            with pytest.raises(RuleViolation) as refused:
                app.commands.open_plan(people.senco, **{**body, "tier": "targeted_plus"})
            assert refused.value.rule == "one_open_plan_per_upn"
            assert upn in refused.value.detail and str(first) in refused.value.detail
        ledger.commands.open_plan(people.senco, **plan_body())  # another pupil is fine

        other.commands.close_plan(people.senco, first, reason="moved school")
        second = UUID(ledger.commands.open_plan(people.senco, **body).body["plan_id"])
        assert second != first
        with pytest.raises(RuleViolation):
            other.commands.open_plan(people.senco, **body)
    finally:
        other.close()

    raw = RawStore(store_url)
    rows = raw.fetch(f"SELECT * FROM {raw.table('isp_open_plans')}")
    assert len(rows) == 2
    assert upn not in "\n".join(str(value) for row in rows for value in row), "the UPN is not stored in clear"


def test_concurrent_openings_for_one_pupil_from_two_processes_leave_one_plan(
    ledger: Ledger, people: People, env: dict[str, str], clock: FakeClock, store_url: str
) -> None:
    other = build_ledger(env, clock=clock)
    body = plan_body()
    opened: list[str] = []
    refused: list[str] = []
    start = threading.Barrier(8)

    def open_plan(app: Ledger) -> None:
        start.wait()
        try:
            opened.append(app.commands.open_plan(people.senco, **body).body["plan_id"])
        except RuleViolation as e:
            refused.append(e.rule)

    threads = [threading.Thread(target=open_plan, args=(app,)) for app in [ledger, other] * 4]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        other.close()
    assert len(opened) == 1 and refused == ["one_open_plan_per_upn"] * 7
    assert RawStore(store_url).count("isp_events") == 1


# ---------------------------------------------------------------- writers in two processes


@contextlib.contextmanager
def sequencer_paused(store_url: str) -> Iterator[None]:
    """On PostgreSQL, hold the sequencer's advisory lock, so nothing written meanwhile is numbered yet (as
    when two writers commit within one batch delay). SQLite numbers events as it writes them: nothing to do."""
    raw = RawStore(store_url)
    if raw.kind == "sqlite":
        yield
        return
    with psycopg.connect(postgres_dsn(), autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (f"{raw.schema}.isp_events.sequencer",))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (f"{raw.schema}.isp_events.sequencer",))


def test_a_write_that_loses_a_race_with_another_process_is_run_again_on_the_fresh_plan(
    ledger: Ledger, people: People, env: dict[str, str], clock: FakeClock, store_url: str
) -> None:
    plan_id = UUID(ledger.commands.open_plan(people.senco, **plan_body()).body["plan_id"])
    other = build_ledger(env, clock=clock)
    try:
        assert other.history.plan_document(people.senco, plan_id)["version"] == 1  # now in its memory at version 1
        with sequencer_paused(store_url):
            ledger.commands.record_contribution(people.senco, plan_id, {"kind": "parent_view", "text": "first"})
            result = other.commands.record_contribution(people.senco, plan_id,
                                                        {"kind": "parent_view", "text": "second"})
        assert result.body["version"] == 3
        texts = [c["text"] for c in ledger.history.plan_document(people.senco, plan_id)["contributions"]]
        assert texts == ["first", "second"]
    finally:
        other.close()


def test_a_conditional_write_that_loses_a_race_with_another_process_is_stale(
    ledger: Ledger, people: People, env: dict[str, str], clock: FakeClock, store_url: str
) -> None:
    plan_id = UUID(ledger.commands.open_plan(people.senco, **plan_body()).body["plan_id"])
    other = build_ledger(env, clock=clock)
    try:
        assert other.history.plan_document(people.senco, plan_id)["version"] == 1
        with sequencer_paused(store_url):
            ledger.commands.record_contribution(people.senco, plan_id, {"kind": "parent_view", "text": "first"})
            with pytest.raises(StaleVersion) as stale:
                other.commands.record_contribution(people.senco, plan_id, {"kind": "parent_view", "text": "second"},
                                          if_match=1)
        assert stale.value.actual == 2
    finally:
        other.close()
    assert RawStore(store_url).count("isp_events") == 2


# ---------------------------------------------------------------- long plans and snapshots

LONG_PLAN = 3000


def write_long_plan(ledger: Ledger, people: People, clock: FakeClock) -> tuple[UUID, list[str]]:
    """A plan of LONG_PLAN events of many kinds; and the instants, a third and two thirds of the way."""
    senco = people.senco
    plan_id = UUID(ledger.commands.open_plan(senco, **plan_body(tier="targeted_plus")).body["plan_id"])
    barriers = [
        ledger.commands.add_item(senco, plan_id, "barriers", barrier(description=f"barrier {i}")).body["item_id"]
        for i in range(5)
    ]
    provisions = [
        ledger.commands.add_item(senco, plan_id, "provisions", provision([b])).body["item_id"] for b in barriers
    ]
    outcome_id = ledger.commands.add_item(senco, plan_id, "outcomes", outcome(barriers[:2])).body["item_id"]
    instants = []
    version = 12
    i = 0
    while version < LONG_PLAN:
        clock.advance(minutes=1)
        step = i % 4
        if step == 0:
            result = ledger.commands.amend_item(senco, plan_id, "barriers", barriers[i % 5],
                                       {"description": f"barrier {i % 5}, seen again {i}"}, reason="observed")
        elif step == 1:
            result = ledger.commands.amend_item(senco, plan_id, "provisions", provisions[i // 4 % 5],
                                       {"sessions_per_week": 1 + i // 20 % 5}, reason=f"timetable {i}")
        elif step == 2:
            result = ledger.commands.record_contribution(senco, plan_id, {"kind": "parent_view", "text": f"view {i}"})
        else:
            result = ledger.commands.record_progress(senco, plan_id, outcome_id, {
                "measured_on": clock.now().date().isoformat(), "value": i % 20, "note": f"check {i}",
                "source": "termly check"})
        version = result.body["version"]
        if version in (LONG_PLAN // 3, 2 * LONG_PLAN // 3):
            instants.append(result.body["recorded_at"])
        i += 1
    return plan_id, instants


def documents(app: Ledger, people: People, plan_id: UUID, instants: list[str]) -> list[dict[str, Any]]:
    """The plan now, as at each instant, and as of a day in the middle."""
    at = [app.history.plan_document(people.senco, plan_id, as_at=dt.datetime.fromisoformat(i)) for i in instants]
    return [app.history.plan_document(people.senco, plan_id), *at,
            app.history.plan_document(people.senco, plan_id, as_of=dt.date.fromisoformat(instants[0][:10]))]


def test_a_long_plan_loads_through_its_snapshots_in_a_fresh_process_exactly_as_written(
    ledger: Ledger, people: People, env: dict[str, str], clock: FakeClock, store_url: str
) -> None:
    plan_id, instants = write_long_plan(ledger, people, clock)
    ledger.store.snapshotter.flush()
    expected = documents(ledger, people, plan_id, instants)
    assert expected[0]["version"] == LONG_PLAN

    raw = RawStore(store_url)
    snapshot_ids = str(plan_id) if raw.kind == "sqlite" else plan_id
    snapshots = raw.fetch(
        f"SELECT originator_version FROM {raw.table('isp_snapshots')} WHERE originator_id = ?", (snapshot_ids,)
    )
    assert snapshots, "a plan of 3000 events has snapshots"
    assert LONG_PLAN - max(v for (v,) in snapshots) <= LONG_PLAN // 8 + 1, "a load replays at most an eighth"

    fresh = build_ledger(env, clock=clock)
    try:
        assert documents(fresh, people, plan_id, instants) == expected
    finally:
        fresh.close()

    # A snapshot is only a cache: without any, a replay of the events gives the same plan.
    raw.execute(f"DELETE FROM {raw.table('isp_snapshots')}")
    replayed = build_ledger(env, clock=clock)
    try:
        assert documents(replayed, people, plan_id, instants) == expected
    finally:
        replayed.close()


# ---------------------------------------------------------------- isp-ledger users add


def test_users_add_json_prints_one_object_whose_token_works(
    ledger: Ledger, env: dict[str, str], client: TestClient
) -> None:
    done = isp_ledger(env, "users", "add", "--name", "Sam Senco", "--role", "senco", "--setting", SETTING, "--json")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1, done.stdout
    created = json.loads(lines[0])
    assert isinstance(created, dict)
    assert {"user_id", "role", "token"} <= set(created)
    assert created["role"] == "senco"

    user = ledger.accounts.authenticate(created["token"])
    assert user is not None
    assert (user.user_id, user.name, user.role, user.setting_urn) == (created["user_id"], "Sam Senco", "senco",
                                                                      SETTING)
    response = client.get("/v1/me", headers={"Authorization": f"Bearer {created['token']}"})
    assert response.status_code == 200, response.text
    assert response.json()["user_id"] == created["user_id"]


@pytest.mark.parametrize(
    ("args", "named"),
    [(["--role", "headteacher"], "role"), (["--role", "senco"], "setting"),
     (["--role", "senco", "--setting", "12345"], "setting")],
)
def test_users_add_with_a_bad_role_or_setting_fails_clearly(
    ledger: Ledger, env: dict[str, str], store_url: str, args: list[str], named: str
) -> None:
    done = isp_ledger(env, "users", "add", "--name", "Somebody", *args, "--json")
    assert done.returncode != 0
    assert done.stdout.strip() == "", "nothing that looks like a created user"
    message = " ".join(done.stderr.split())
    assert named in message.lower(), message
    if named == "role":
        assert "headteacher" in message and "senco" in message, "says what was given and what is allowed"
    assert "Traceback" not in done.stderr
    assert RawStore(store_url).count("isp_users") == 0
