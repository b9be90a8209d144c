"""Grants and the access log in the store, on SQLite and PostgreSQL: the index of grants is written with the events
it indexes (never without them, never twice), answers the listings that start from a person, and the access log
keeps every entry of a batch, newest first.
"""

from __future__ import annotations

import datetime as dt
import uuid
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from isp_ledger.api.app import create_app
from isp_ledger.application import Ledger
from isp_ledger.application.grants import ActiveGrants
from isp_ledger.bootstrap import build_ledger
from isp_ledger.domain.errors import RuleViolation
from isp_ledger.domain.grants import grants_of
from isp_ledger.storage.access_log import AccessEntry
from isp_ledger.storage.grants import GrantIndex
from tests.conftest import OTHER_SETTING, SETTING, FakeClock, People
from tests.integration.rawstore import RawStore
from tests.samples import plan_body


def open_plan(ledger: Ledger, people: People, setting: str = SETTING) -> UUID:
    senco = people.senco if setting == SETTING else people.other_senco
    return UUID(ledger.commands.open_plan(senco, **plan_body(setting_urn=setting)).body["plan_id"])


def test_the_index_follows_grants_and_revocations_and_answers_by_person_and_setting(
    ledger: Ledger, people: People, clock: FakeClock
) -> None:
    ours, theirs = open_plan(ledger, people), open_plan(ledger, people, OTHER_SETTING)
    parent, pro = people.parent.user_id, people.professional.user_id
    ledger.grants.grant(people.senco, ours, user_id=parent, relationship="parent")
    given = ledger.grants.grant(people.other_senco, theirs, user_id=parent, relationship="parent",
                                expires_on="2026-12-31").body
    ledger.grants.grant(people.senco, ours, user_id=pro, relationship="professional", expires_on="2026-11-20")
    index = GrantIndex(ledger.store.datastore)
    assert [g.plan_id for g in index.in_force_for(parent, "2026-11-20")] == [ours, theirs]
    lookup = ActiveGrants(index, ledger.plans)
    assert lookup.users_granted_on_setting(SETTING) == {parent, pro}
    assert lookup.settings_granting(parent) == {SETTING, OTHER_SETTING}
    clock.set(dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC))  # the professional's grant ended last night
    assert lookup.users_granted_on_setting(SETTING) == {parent}
    ledger.grants.revoke(people.other_senco, theirs, given["grant_id"])
    assert lookup.settings_granting(parent) == {SETTING}
    assert [g.plan_id for g in index.in_force_for(parent, "2026-11-21")] == [ours]
    assert index.in_force_for(people.teacher.user_id, "2026-11-21") == []


def test_a_grant_written_after_a_conflict_is_indexed_once(
    ledger: Ledger, people: People, env: dict[str, str], clock: FakeClock
) -> None:
    plan_id = open_plan(ledger, people)
    other = build_ledger(env, clock=clock)  # another process, which has the plan cached at version 1
    try:
        assert other.plans.cached_or_loaded(plan_id).version == 1
        ledger.grants.grant(people.senco, plan_id, user_id=people.parent.user_id, relationship="parent")
        # The other process's write meets the version stored meanwhile, reloads, re-checks and writes again.
        other.grants.grant(people.senco, plan_id, user_id=people.professional.user_id, relationship="professional")
        held = grants_of(other.plans.current(plan_id))
    finally:
        other.close()
    assert [g.relationship for g in held] == ["parent", "professional"]
    rows = GrantIndex(ledger.store.datastore).sql.fetch("SELECT grant_id FROM {isp_grants} ORDER BY granted_at")
    assert [row[0] for row in rows] == [g.grant_id for g in held]


def test_a_refused_grant_leaves_nothing_in_the_index(ledger: Ledger, people: People) -> None:
    plan_id = open_plan(ledger, people)
    ledger.grants.grant(people.senco, plan_id, user_id=people.parent.user_id, relationship="parent")
    for refused in ({"user_id": people.parent.user_id, "relationship": "parent"},  # already granted
                    {"user_id": people.teacher.user_id, "relationship": "parent"}):
        with pytest.raises(RuleViolation):
            ledger.grants.grant(people.senco, plan_id, **refused)
    index = GrantIndex(ledger.store.datastore)
    assert len(index.sql.fetch("SELECT 1 FROM {isp_grants}")) == 1
    assert ledger.plans.current(plan_id).version == 2


def test_the_access_log_keeps_every_entry_of_a_long_batch_newest_first(ledger: Ledger) -> None:
    store = ledger.access_log.store
    plan_ids = [uuid.uuid4(), uuid.uuid4()]
    entries = [AccessEntry(plan_ids[n % 2], f"2026-11-20T10:00:00.{n:06d}+00:00", "u", "Sam Senco", "senco", None,
                           "The plan in a list", f"row {n}", "{}") for n in range(2_500)]
    store.append(entries)  # more rows than one statement takes: still one transaction
    assert store.count(plan_ids[0]) == store.count(plan_ids[1]) == 1_250
    page = store.page(plan_ids[1], before=None, limit=3)
    assert [entry.detail for _, entry in page] == ["row 2499", "row 2497", "row 2495"]
    older = store.page(plan_ids[1], before=page[-1][0], limit=2)
    assert [entry.detail for _, entry in older] == ["row 2493", "row 2491"]


def test_grants_held_in_a_snapshot_load_in_a_fresh_process(env: dict[str, str], people: People,
                                                           clock: FakeClock) -> None:
    snapshotting = {**env, "ISP_LEDGER_SNAPSHOT_INTERVAL": "10"}
    first = build_ledger(snapshotting, clock=clock)
    try:
        plan_id = open_plan(first, people)
        given = first.grants.grant(people.senco, plan_id, user_id=people.parent.user_id, relationship="parent",
                                   reason="Mum").body
        first.grants.revoke(people.senco, plan_id, given["grant_id"], reason="Moved away")
        first.grants.grant(people.senco, plan_id, user_id=people.complaint_handler.user_id,
                           relationship="complaint_handler", expires_on="2027-01-31")
        for n in range(12):  # past the interval: the plan is snapshotted with its grants in it
            first.commands.record_contribution(people.senco, plan_id, {"kind": "parent_view", "text": f"view {n}"})
        first.store.snapshotter.flush()
        expected = grants_of(first.plans.current(plan_id))
        assert first.store.snapshots is not None
        assert list(first.store.snapshots.get(plan_id)), "a snapshot was stored"
    finally:
        first.close()
    fresh = build_ledger(snapshotting, clock=clock)
    try:
        loaded = fresh.store.get(plan_id)
        assert loaded.snapshot_version > 0, "loaded from its snapshot"
        assert grants_of(loaded) == expected
        assert [g.status_on("2026-11-20") for g in expected] == ["revoked", "active"]
        assert fresh.plans.grant_for(people.complaint_handler, loaded) is not None
        assert fresh.plans.grant_for(people.parent, loaded) is None
    finally:
        fresh.close()


def test_a_damaged_record_is_not_shown_to_anyone_through_a_grant_and_its_existence_not_to_outsiders(
    ledger: Ledger, people: People, env: dict[str, str], store_url: str, clock: FakeClock
) -> None:
    plan_id = open_plan(ledger, people)
    ledger.grants.grant(people.senco, plan_id, user_id=people.parent.user_id, relationship="parent")
    ledger.commands.record_contribution(people.senco, plan_id, {"kind": "parent_view", "text": "fine"})
    RawStore(store_url).set_state(plan_id, 3, b'{"not": "a sealed event"}')  # altered behind the ledger's back
    fresh = build_ledger(env, clock=clock)  # a process that has not the plan in memory
    try:
        with TestClient(create_app(fresh, close_ledger=False), raise_server_exceptions=False) as client:
            def status(who: str, path: str = "") -> int:
                return client.get(f"/v1/plans/{plan_id}{path}", headers=people.headers(who)).status_code

            assert status("senco") == status("admin") == 409  # record_intact: run verify
            assert status("senco", "/events") == status("senco", "/verify") == 200
            for who in ("other_senco", "parent", "professional"):  # a grant read from a damaged record: no entry
                assert status(who) == status(who, "/events") == status(who, "/timeline") == 404, who
    finally:
        fresh.close()
