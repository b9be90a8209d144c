"""Stored events that evolve, on both stores: the 2026 fixture's events (``SessionRecorded`` and
``AcknowledgementRecorded`` of class version 1) beside events of version 2, written by today's code and as the
next release will write them (with ``starts_at``, ``given_by`` and ``method``). The old events keep their exact
bytes and the chain verifies; everything reads back, the old events with the new fields ``None``; an evidence
bundle mixing both versions passes the offline check. And a snapshot of another format than the code's is never
read: the plan is rebuilt from its events."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, cast
from uuid import UUID, uuid4

import pytest

from isp_ledger.application import Ledger
from isp_ledger.bundle.build import build_bundle
from isp_ledger.bundle.verify import verify_bundle
from isp_ledger.domain import events
from isp_ledger.domain.plan import Plan
from isp_ledger.domain.view import plan_document
from isp_ledger.snapshotting import Snapshotter
from isp_ledger.storage import snapshots
from isp_ledger.storage.chain import unseal
from tests.conftest import FakeClock, People
from tests.integration.rawstore import RawStore
from tests.integration.test_stored_fixture import fixture_answers, fixture_rows, load

NOW = dt.datetime(2026, 11, 12, 15, 0, tzinfo=dt.UTC)


@pytest.fixture
def plan_a(ledger: Ledger, clock: FakeClock, people: People) -> UUID:
    """The fixture's rows loaded, the setting's calendar as it was; plan A's id."""
    answers = fixture_answers()
    load(ledger, fixture_rows())
    ledger.calendars.set_calendar(people.senco, answers["setting_urn"], **answers["calendar"])
    clock.set(NOW)
    return UUID(answers["plans"]["A"]["plan_id"])


def phonics_of(document: dict[str, Any]) -> str:
    return str(next(p["id"] for p in document["provisions"] if p["description"].startswith("Small-group phonics")))


def store_as_next_release(ledger: Ledger, plan_id: UUID, event_class: type[events.PlanEvent], **data: Any) -> None:
    """An event of today's class with its new fields given, stored as the next release's commands will store it."""
    plan: Plan = ledger.store.repository.get(plan_id)
    plan.trigger_event(event_class, timestamp=NOW + dt.timedelta(minutes=plan.version), event_id=str(uuid4()),
                       actor={"user_id": "u-senco", "name": "Sam Senco", "role": "senco"}, agreed_on="2026-11-12",
                       reason=None, **data)
    [event] = plan.collect_events()
    stored, _ = ledger.store.seal(cast(events.PlanEvent, event), plan.head_hash)
    ledger.store.recorder.insert_events([stored])
    ledger.store.number_pending()


def test_events_of_both_versions_are_stored_read_verified_and_bundled_together(
    ledger: Ledger, people: People, plan_a: UUID, store_url: str
) -> None:
    before = plan_document(ledger.store.repository.get(plan_a))
    assert before is not None
    phonics = phonics_of(before)
    ledger.commands.record_session(people.teacher, entries=[{"plan_id": str(plan_a), "provision_id": phonics}],
                          session={"date": "2026-11-12", "status": "delivered"})
    store_as_next_release(ledger, plan_a, Plan.SessionRecorded, session_id=str(uuid4()), provision_id=phonics,
                          date="2026-11-12", status="missed", minutes=None, missed_reason="pupil_absent",
                          delivered_by=None, note=None, starts_at="13:30")
    store_as_next_release(ledger, plan_a, Plan.AcknowledgementRecorded, acknowledgement_id=str(uuid4()),
                          plan_version=33, response="agree", comment=None, given_by="Pat Okafor", method="phone")

    # The events stored in 2026 keep their exact bytes; the new ones say their class version.
    stored = RawStore(store_url).states(plan_a)
    old = {r["originator_version"]: r["state"].encode() for r in fixture_rows() if r["originator_id"] == str(plan_a)}
    assert {v: s for v, s in stored.items() if v in old} == old
    assert all("class_version" not in unseal(s) for s in old.values())
    new = [unseal(stored[v]) for v in sorted(stored) if v not in old]
    assert [(e["type"], e["class_version"]) for e in new] == [
        ("SessionRecorded", 2), ("SessionRecorded", 2), ("AcknowledgementRecorded", 2)]
    assert ledger.integrity.verify(None, plan_a).ok

    # Read back: old events with the new fields None, new ones as stored.
    read = list(ledger.store.events.get(plan_a))
    sessions = [e for e in read if isinstance(e, events.SessionRecorded)]
    assert [s.starts_at for s in sessions] == [None] * (len(sessions) - 2) + [None, "13:30"]
    acks = [e for e in read if isinstance(e, events.AcknowledgementRecorded)]
    assert [(a.given_by, a.method) for a in acks] == [(None, None), (None, None), ("Pat Okafor", "phone")]

    # The document shows given_by and method where they were given, and nothing new where they were not.
    document = plan_document(ledger.store.repository.get(plan_a))
    assert document is not None
    first, second, third = document["acknowledgements"]
    assert "given_by" not in first and "method" not in second
    assert (third["given_by"], third["method"]) == ("Pat Okafor", "phone")

    # An evidence bundle carrying events of both versions passes the offline check, with only itself.
    bundle = json.loads(json.dumps(build_bundle(ledger, people.senco, plan_a, dt.date(2026, 9, 1), NOW.date())))
    assert {unseal(e.encode()).get("class_version", 1) for e in bundle["events"]} == {1, 2}
    check = verify_bundle(bundle)
    assert check.ok, check.problems
    assert check.events_checked == 36


def test_a_snapshot_of_another_format_is_passed_over_and_the_plan_rebuilt_from_its_events(
    ledger: Ledger, plan_a: UUID, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from_events = plan_document(ledger.store.repository.get(plan_a))
    assert from_events is not None and from_events["pupil"]["given_name"] == "Zoë"
    take_snapshot(ledger, plan_a)

    raw = RawStore(store_url)
    table, key = raw.table("isp_snapshots"), str(plan_a) if raw.kind == "sqlite" else plan_a
    [(state,)] = raw.fetch(f"SELECT state FROM {table} WHERE originator_id = ?", (key,))
    assert bytes(state).startswith(f"isp-ledger snapshot {snapshots.SNAPSHOT_FORMAT} sealed:".encode())
    assert b"Zo\xc3\xab" not in bytes(state) and b"pupil" not in bytes(state)  # sealed whole under the pupil's key

    used: list[Any] = []
    monkeypatch.setattr(snapshots.SealedSnapshots, "to_domain_event", spy(snapshots.SealedSnapshots.to_domain_event,
                                                                             used))
    assert document_of(ledger, plan_a) == from_events
    assert used and not isinstance(used[-1], snapshots._Passed)  # of the code's format: read

    monkeypatch.setattr(snapshots, "SNAPSHOT_FORMAT", snapshots.SNAPSHOT_FORMAT + 1)
    assert document_of(ledger, plan_a) == from_events  # of an older format: passed over, rebuilt from its events
    assert isinstance(used[-1], snapshots._Passed) and not used[-1].discard
    monkeypatch.setattr(snapshots, "SNAPSHOT_FORMAT", snapshots.SNAPSHOT_FORMAT - 1)

    # As written before snapshots were sealed (format 3, in clear): passed over too, never read.
    clear = {"format": 3, "state": {"state": {"pupil": {"given_name": "From the snapshot"}}}}
    raw.execute(f"UPDATE {table} SET state = ? WHERE originator_id = ?", (json.dumps(clear).encode(), key))
    assert document_of(ledger, plan_a) == from_events
    # Sealed as a JSON string inside JSON (format 4): passed over as well.
    raw.execute(f"UPDATE {table} SET state = ? WHERE originator_id = ?", (b'{"format":4,"sealed":"00"}', key))
    assert document_of(ledger, plan_a) == from_events


@pytest.mark.parametrize("edit", ["a character of its sealed state", "moved to another version"])
def test_an_edited_snapshot_is_discarded_reported_and_the_plan_replayed(
    ledger: Ledger, plan_a: UUID, store_url: str, edit: str, caplog: pytest.LogCaptureFixture
) -> None:
    from_events = plan_document(ledger.store.repository.get(plan_a))
    take_snapshot(ledger, plan_a)
    raw = RawStore(store_url)
    table, key = raw.table("isp_snapshots"), str(plan_a) if raw.kind == "sqlite" else plan_a
    [(version, state)] = raw.fetch(f"SELECT originator_version, state FROM {table} WHERE originator_id = ?", (key,))
    if edit == "moved to another version":
        raw.execute(f"UPDATE {table} SET originator_version = ? WHERE originator_id = ?", (version - 1, key))
    else:
        at = len(bytes(state)) - 40  # a hex digit of the sealed state
        edited = bytes(state)[:at] + (b"b" if bytes(state)[at:at + 1] != b"b" else b"c") + bytes(state)[at + 1:]
        raw.execute(f"UPDATE {table} SET state = ? WHERE originator_id = ?", (edited, key))

    with caplog.at_level("WARNING"):
        assert document_of(ledger, plan_a) == from_events
    assert "does not open where it is stored" in caplog.text and str(plan_a) in caplog.text
    assert raw.fetch(f"SELECT count(*) FROM {table} WHERE originator_id = ?", (key,)) == [(0,)]  # discarded
    assert ledger.integrity.verify(None, plan_a).ok  # the events themselves were never touched


def take_snapshot(ledger: Ledger, plan_id: UUID) -> None:
    assert ledger.store.snapshots is not None
    snapshotter = Snapshotter(ledger.store.snapshots)
    snapshotter.take(ledger.store.repository.get(plan_id))
    snapshotter.close()


def document_of(ledger: Ledger, plan_id: UUID) -> dict[str, Any] | None:
    return plan_document(ledger.store.get(plan_id))


def spy(method: Any, calls: list[Any]) -> Any:
    def spied(self: Any, stored: Any) -> Any:
        result = method(self, stored)
        calls.append(result)
        return result
    return spied
