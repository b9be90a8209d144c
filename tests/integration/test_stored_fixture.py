"""A plan written this year still reads in 2050.

``tests/fixtures/stored_2026`` holds two plans' events exactly as the ledger of 2026 stored them (every event type
of ``Plan``), with the answers that code gave about them (``tests/fixtures/make_stored_events.py`` wrote them; it
is never re-run over this fixture). Here the stored rows go into a fresh store, on SQLite and on PostgreSQL, and
today's code must give the same answers: the same plan documents (now, as of a date, as at an instant), the same
timelines, the same evidence bundle, and a chain that verifies. When a change to the code breaks this test, the
change altered what stored history means: version the event and upcast it, never edit the fixture.

One thing has changed on purpose since 2026: the words of each entry's one-line summary (issue 11 rewrote them
as plain English). Summaries are compared as sentences that keep the wording rules rather than word for word; the
bundle of 2026 still checks out with the words it was made with (bundle format version 1).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import time
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from eventsourcing.persistence import StoredEvent
from fastapi.testclient import TestClient

from isp_ledger.application import Ledger
from isp_ledger.bootstrap import build_ledger
from isp_ledger.bundle.verify import verify_bundle
from isp_ledger.migrate import StoreNotMigrated, in_clear, is_migrated, migrate
from isp_ledger.storage.chain import GENESIS_HASH, seal, unseal
from isp_ledger.storage.signing import check_signature
from isp_ledger.storage.sql import Sql
from tests.conftest import FakeClock, People
from tests.unit.test_wording_sentences import broken_rules

FIXTURE = Path(__file__).parents[1] / "fixtures" / "stored_2026"

# Parts of an evidence bundle that depend on the moment and the service that made it, not on the plan's record:
# when and for whom it was made, the version of the software, the signed receipt (its signature, key and
# transparency log entry are the service's of that day) and the service's instructions for checking it. The
# settings' names are the service's too (a setting's own record, beside the chain), which a bundle of 2026 lacked.
BUNDLE_MOMENT_FIELDS = ("generated_at", "generated_for", "service_version", "settings")
INTEGRITY_MOMENT_FIELDS = ("receipt", "public_key", "how_to_verify")
# ``verify`` also names the plan's place in the transparency log, which depends on how the rows were written
# (here all at once), not on what they say.
# The head hash is the migration's (the 2026 one is the head event's "was": see below).
VERIFY_FIELDS = ("ok", "events_checked", "head_version")


def fixture_rows() -> list[dict[str, Any]]:
    with (FIXTURE / "events.jsonl").open(encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def fixture_answers() -> dict[str, Any]:
    answers: dict[str, Any] = json.loads((FIXTURE / "answers.json").read_text(encoding="utf-8"))
    return answers


def fixture_bundle(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The stored bundle with its events put back (the fixture keeps them once, in ``events.jsonl``)."""
    bundle: dict[str, Any] = json.loads((FIXTURE / "bundle.json").read_text(encoding="utf-8"))
    plan_rows = sorted((r for r in rows if r["originator_id"] == bundle["plan_id"]),
                       key=lambda r: r["originator_version"])
    bundle["events"] = [r["state"] for r in plan_rows][: bundle["integrity"]["version"]]
    return bundle


def free_texts(rows: list[dict[str, Any]]) -> list[str]:
    """Every text written into the fixture's events (to tell a text shortened at a word from a cut word)."""
    texts: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, dict):
            for inner in value.values():
                walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    for row in rows:
        walk(json.loads(row["state"]))
    return texts


def reworded(entries: list[dict[str, Any]], texts: list[str] | None = None) -> list[dict[str, Any]]:
    """Timeline or change-log entries without their summaries, once each summary is found to keep the wording
    rules when ``texts`` are given (issue 11 changed the words on purpose; everything else about an entry must be
    as it was)."""
    plain = []
    for shown in entries:
        entry = dict(shown)
        summary = entry.pop("summary")
        if summary is not None and texts is not None:
            assert not list(broken_rules(summary, texts)), (summary, list(broken_rules(summary, texts)))
        for key in ("corrects", "corrected_by"):
            if isinstance(entry.get(key), dict) and "summary" in entry[key]:
                entry[key] = {k: v for k, v in entry[key].items() if k != "summary"}
            elif isinstance(entry.get(key), list):
                entry[key] = [{k: v for k, v in note.items() if k != "summary"} for note in entry[key]]
        plain.append(entry)
    return plain


# What issue 11 added to what a timeline and a bundle (format 2) show: everything the code of 2026 showed is still
# shown, with the same values; a provision's missed sessions are now among all its sessions, listed with both dates.
# Issue 13 added the pupil's data key to a bundle's integrity section (format 3).
ADDED_SINCE = frozenset({"late", "sessions", "counted_to", "late_entry_days", "extra_sessions", "late_sessions",
                         "bank_holidays", "data_key"})


def assert_still_shows(now: Any, then: Any, path: str) -> None:
    if isinstance(then, dict):
        assert isinstance(now, dict), path
        assert set(now) - set(then) <= ADDED_SINCE, f"{path}: {sorted(set(now) - set(then))}"
        for key, value in then.items():
            if key == "missed" and "sessions" in now:
                listed = {(s["version"], s["date"], s["missed_reason"], s["note"], s["corrected"])
                          for s in now["sessions"] if s["status"] == "missed"}
                assert {(m["version"], m["date"], m["missed_reason"], m["note"], m["corrected"])
                        for m in value} == listed, f"{path}.missed"
                continue
            assert key in now, f"{path}.{key}"
            assert_still_shows(now[key], value, f"{path}.{key}")
    elif isinstance(then, list):
        assert isinstance(now, list) and len(now) == len(then), path
        for index, (mine, theirs) in enumerate(zip(now, then, strict=True)):
            assert_still_shows(mine, theirs, f"{path}[{index}]")
    else:
        assert now == then, f"{path}: {now!r} != {then!r}"


def load(ledger: Ledger, rows: list[dict[str, Any]]) -> None:
    """The stored rows into the store through its recorder, byte for byte, as written in 2026."""
    ledger.store.recorder.insert_events([
        StoredEvent(originator_id=UUID(r["originator_id"]), originator_version=r["originator_version"],
                    topic=r["topic"], state=r["state"].encode("utf-8"))
        for r in rows
    ])
    ledger.store.number_pending()  # PostgreSQL numbers events (and logs plans' heads) in a pass of its own


def load_as_of_2026(ledger: Ledger, rows: list[dict[str, Any]]) -> None:
    """The rows loaded into a store that says nothing of encryption, as a store of 2026 did."""
    load(ledger, rows)
    with Sql(ledger.store.datastore).write() as cursor:
        cursor.execute("DELETE FROM {isp_meta}")


@pytest.fixture
def stored(ledger: Ledger, clock: FakeClock, people: People) -> dict[str, Any]:
    """A store of 2026 holding the fixture's events, migrated to per-pupil encryption (``isp-ledger migrate``), the
    setting's calendar as it was, the clock at the moment the answers were taken."""
    answers = fixture_answers()
    load_as_of_2026(ledger, fixture_rows())
    migrated = migrate(ledger.store)
    assert (migrated.plans, migrated.plans_in_clear) == (2, 2)
    ledger.calendars.set_calendar(people.senco, answers["setting_urn"], **answers["calendar"])
    clock.set(dt.datetime.fromisoformat(answers["now"]))
    return answers


def get(client: TestClient, people: People, path: str, **params: str) -> Any:
    response = client.get(path, params=params, headers=people.headers("senco"))
    assert response.status_code == 200, f"{path}: {response.status_code} {response.text}"
    return response.json()


def get_state(client: TestClient, plan_id: UUID, version: int) -> bytes:
    store = client.app.state.ledger.store  # type: ignore[attr-defined]
    return dict(store.stored_rows(plan_id))[version]  # type: ignore[no-any-return]


def whole_timeline(client: TestClient, people: People, plan_id: str, events: int) -> list[dict[str, Any]]:
    """The plan's timeline once the read models have caught up with the rows just loaded."""
    deadline = time.monotonic() + 30
    while True:
        entries: list[dict[str, Any]] = get(client, people, f"/v1/plans/{plan_id}/timeline", limit="200")["entries"]
        if len(entries) >= events or time.monotonic() > deadline:
            return entries
        time.sleep(0.05)


def as_of_2026(document: dict[str, Any]) -> dict[str, Any]:
    """A plan document less what issue 13 added to every one (never erased, under no legal hold, in 2026)."""
    assert document.pop("erased") is False and document.pop("legal_hold") is None
    return document


def test_a_plan_written_this_year_still_reads_in_2050(
    client: TestClient, people: People, stored: dict[str, Any]
) -> None:
    for name, expected in stored["plans"].items():
        plan_id = expected["plan_id"]
        path = f"/v1/plans/{plan_id}"
        assert as_of_2026(get(client, people, path)) == expected["document"], f"plan {name} now"
        assert as_of_2026(get(client, people, path, as_of=stored["as_of"])) == expected["document_as_of"], (
            f"plan {name} as of")
        assert as_of_2026(get(client, people, path, as_at=stored["as_at"])) == expected["document_as_at"], (
            f"plan {name} as at")
        events = expected["document"]["version"]
        timeline = reworded(whole_timeline(client, people, plan_id, events), free_texts(fixture_rows()))
        assert_still_shows(timeline, reworded(expected["timeline"]), f"plan {name}'s timeline")
        verified = get(client, people, f"{path}/verify")
        assert verified["ok"] is True, verified
        assert {k: verified[k] for k in VERIFY_FIELDS} == {k: expected["verify"][k] for k in VERIFY_FIELDS}
        # The migration re-sealed the history: its head records the hash it had in 2026.
        head = unseal(get_state(client, UUID(plan_id), verified["head_version"]))
        assert (head["hash"], head["was"]) == (verified["head_hash"], expected["verify"]["head_hash"])


def test_its_evidence_bundle_shows_the_same_and_still_verifies_offline(
    client: TestClient, people: People, stored: dict[str, Any]
) -> None:
    rows = fixture_rows()
    expected = fixture_bundle(rows)
    made = get(client, people, f"/v1/plans/{expected['plan_id']}/bundle", format="json", **stored["bundle_period"])
    # The summaries are in the words of issue 11 (format 2), of 2026 in the bundle of 2026 (format 1).
    made["changes"] = reworded(made["changes"], free_texts(rows))
    expected["changes"] = reworded(expected["changes"])
    for bundle in (made, expected):
        for key in BUNDLE_MOMENT_FIELDS:
            bundle.pop(key, None)
        for key in INTEGRITY_MOMENT_FIELDS:
            bundle["integrity"].pop(key)
    # The migration re-sealed the events (issue 13): their hashes are new, and each event names its 2026 one.
    was = {event["hash"]: event["was"] for event in (unseal(text.encode()) for text in made.pop("events"))}
    expected.pop("events")
    made["integrity"]["head_hash"] = was[made["integrity"]["head_hash"]]
    made["summary"]["head_hash"] = was[made["summary"]["head_hash"]]
    assert (made.pop("format_version"), expected.pop("format_version")) == (3, 1)
    assert_still_shows(made, expected, "bundle")

    # The bundle of 2026 itself, checked offline by today's verifier with nothing but the bundle.
    check = verify_bundle(fixture_bundle(rows))
    assert check.ok, check.problems
    assert check.events_checked == expected["integrity"]["version"]


def test_a_store_of_2026_is_refused_until_migrated_then_sealed_with_its_old_hashes_kept(
    env: dict[str, str], ledger: Ledger
) -> None:
    rows = fixture_rows()
    load_as_of_2026(ledger, rows)
    with pytest.raises(StoreNotMigrated, match="isp-ledger migrate"):
        build_ledger(env)
    dry = migrate(ledger.store, dry_run=True)
    assert (dry.plans, dry.plans_in_clear, dry.events_resealed) == (2, 2, len(rows))
    assert not is_migrated(ledger.store)

    migrate(ledger.store)
    build_ledger(env).close()  # now served
    old = {(r["originator_id"], r["originator_version"]): json.loads(r["state"]) for r in rows}
    for plan_id in {r["originator_id"] for r in rows}:
        stored = ledger.store.stored_rows(UUID(plan_id))
        for version, state in stored:
            before = old[(plan_id, version)]
            envelope = unseal(state)
            assert not in_clear(envelope)
            assert envelope["was"] == before["hash"]
            # Decrypted, each event says exactly what it said in 2026.
            opened = ledger.store.opened(envelope)
            assert {k: v for k, v in opened.items() if k not in ("hash", "prev_hash", "was")} == {
                k: v for k, v in before["event"].items() if k != "prev_hash"}
        assert not list(ledger.store.snapshots_newest_first(UUID(plan_id)))
    again = migrate(ledger.store)  # re-run (after a crash, say): nothing left to do
    assert again.plans_in_clear == 0
    assert ledger.integrity.check_log(None).ok


def test_a_receipt_of_2026_still_checks_after_the_migration(
    ledger: Ledger, stored: dict[str, Any]
) -> None:
    receipt = fixture_bundle(fixture_rows())["integrity"]["receipt"]
    bundle_key = json.loads((FIXTURE / "bundle.json").read_text(encoding="utf-8"))["integrity"]["public_key"]
    # The service that signed it in 2026 kept no signing key for the fixture: its signature is checked with the key
    # the bundle carries, and the history it vouches for against today's (migrated) store.
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(bundle_key["public_key"]))
    assert check_signature(receipt, key).ok
    integrity = ledger.integrity
    plan_id = UUID(receipt["plan_id"])
    result = integrity.history_holds(plan_id, receipt["version"], receipt["head_hash"])
    assert result.ok, result.detail
    assert "re-encrypted by the migration" in result.detail
    assert not integrity.history_holds(plan_id, receipt["version"], "0" * 64).ok
    # A history rewritten after the migration, re-chained and claiming the hashes it "was", is caught: the changed
    # event, decrypted, no longer hashes to what it claims.
    head = GENESIS_HASH
    row_key: UUID | str = plan_id if ledger.store.kind == "postgresql" else str(plan_id)
    with Sql(ledger.store.datastore).write() as cursor:
        for version, state in ledger.store.stored_rows(plan_id):
            body = {k: v for k, v in unseal(state).items() if k not in ("hash", "prev_hash")}
            if version == 3:
                body["agreed_on"] = "2026-09-02"
            new_state, head = seal(body, head)
            cursor.execute("UPDATE {isp_events} SET state = ? WHERE originator_id = ? AND originator_version = ?",
                           (new_state, row_key, version))
    rewritten = integrity.history_holds(plan_id, receipt["version"], receipt["head_hash"])
    assert not rewritten.ok and "version 3 does not say what it said before the migration" in rewritten.detail
