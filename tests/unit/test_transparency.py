"""The transparency log's rules (``storage/transparency.py``), without a database: what ``verify`` concludes from
a plan's stored events and the log entries read beside them."""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

import pytest
import rfc8785

from isp_ledger.storage.chain import GENESIS_HASH, seal, verify_chain
from isp_ledger.storage.transparency import LogEntry, PlanAudit, append, check_plan, head_hash_of

PLAN = "6f1c1f8e-2b7a-4c43-9a51-0f0e6c1d2a3b"
OTHER = "0b9d7f3e-51a2-4d8e-b1c6-7a2e9f4c8d10"
AT = "2026-11-20T10:00:00.000000+00:00"


def events(count: int) -> list[tuple[int, bytes]]:
    rows, prev = [], GENESIS_HASH
    for version in range(1, count + 1):
        state, prev = seal({"type": "ContributionRecorded", "plan_id": PLAN, "version": version,
                            "event_id": f"e{version}", "recorded_at": AT, "agreed_on": "2026-11-20",
                            "actor": {"user_id": "u", "name": "Sam", "role": "senco"}, "reason": None,
                            "data": {"text": f"view {version}"}}, prev)
        rows.append((version, state))
    return rows


def heads(rows: list[tuple[int, bytes]], *versions: int) -> list[tuple[str, int, str]]:
    states = dict(rows)
    return [(PLAN, v, head_hash_of(states[v]) or "") for v in versions]


def check(rows: list[tuple[int, bytes]], entries: list[LogEntry],
          unlogged: frozenset[int] = frozenset()) -> dict[str, Any]:
    chain = verify_chain(PLAN, rows)
    audit = PlanAudit(rows, entries, max((e.position for e in entries), default=0), unlogged)
    return check_plan(PLAN, chain, audit).as_dict()


def test_entries_chain_by_the_sha256_of_their_rfc8785_form() -> None:
    entries = append(None, [(PLAN, 1, "a" * 64), (OTHER, 3, "b" * 64)], AT)
    entries += append((entries[-1].position, entries[-1].entry_hash), [(PLAN, 2, "c" * 64)], AT)
    prev = GENESIS_HASH
    for position, entry in enumerate(entries, start=1):
        assert entry.position == position and entry.prev_entry_hash == prev
        assert entry.entry_hash == hashlib.sha256(rfc8785.dumps(entry.content())).hexdigest()
        assert entry.holds()
        prev = entry.entry_hash


def test_the_hash_is_read_from_the_end_of_a_sealed_event() -> None:
    state, digest = events(1)[0][1], verify_chain(PLAN, events(1)).head_hash
    assert head_hash_of(state) == digest
    assert head_hash_of(state[-75:]) == digest
    assert head_hash_of(state[:-1]) is None
    assert head_hash_of(b"not an event") is None


def test_a_plan_that_matches_its_log_verifies_with_where_the_log_records_it() -> None:
    rows = events(4)
    entries = append(None, heads(rows, 2, 4), AT)
    result = check(rows, entries)
    assert result["ok"] is True
    assert (result["log_position"], result["log_version"], result["log_entry_hash"]) == (2, 4, entries[-1].entry_hash)


@pytest.mark.parametrize("removed", [1, 2])
def test_events_removed_from_the_end(removed: int) -> None:
    rows = events(5)
    entries = append(None, heads(rows, 3, 5), AT)
    result = check(rows[:-removed], entries)
    assert result["ok"] is False and result["first_bad_version"] == 6 - removed
    assert result["detail"] == (f"version {6 - removed}: the transparency log records version 5 (hash "
                                f"{entries[-1].head_hash[:12]}…, log position 2) but the store ends at version "
                                f"{5 - removed}: events were removed from the end")


def test_a_history_rewritten_after_it_was_logged_is_dated_from_the_last_version_still_vouched_for() -> None:
    original = events(5)
    entries = append(None, heads(original, 2, 5), AT)
    rewritten = original[:2]  # versions 3 to 5 re-sealed with other content, the chain made to hold again
    prev = verify_chain(PLAN, rewritten).head_hash or ""
    for version in (3, 4, 5):
        state, prev = seal({"type": "ContributionRecorded", "plan_id": PLAN, "version": version, "event_id": "x",
                            "recorded_at": AT, "agreed_on": "2026-11-20", "actor": {}, "reason": None,
                            "data": {"text": "rewritten"}}, prev)
        rewritten.append((version, state))
    result = check(rewritten, entries)
    assert result["ok"] is False and result["first_bad_version"] == 3
    assert "rewritten after it was logged" in result["detail"]


def test_versions_not_logged_are_tampering_unless_still_waiting_to_be_numbered() -> None:
    rows = events(4)
    entries = append(None, heads(rows, 2), AT)
    assert check(rows, entries, unlogged=frozenset({3, 4}))["ok"] is True
    result = check(rows, entries, unlogged=frozenset({4}))
    assert result["ok"] is False and result["first_bad_version"] == 3
    assert "behind the ledger's back" in result["detail"]


def test_damage_to_the_log_is_reported_with_its_position() -> None:
    rows = events(3)
    entries = append(None, [(OTHER, 1, "d" * 64), *heads(rows, 3), (OTHER, 2, "e" * 64)], AT)
    altered = [entries[0], dataclasses.replace(entries[1], version=2), entries[2]]
    result = check(rows, altered)
    assert result["ok"] is False and result["first_bad_log_position"] == 2
    assert "the entry at position 2 was altered" in result["detail"]

    result = check(rows, [entries[0], entries[1]])  # the entry after it is gone, though the log is longer
    result_with_size = check_plan(PLAN, verify_chain(PLAN, rows), PlanAudit(rows, entries[:2], 3)).as_dict()
    assert result["ok"] is True  # (a log that ends there is consistent)
    assert result_with_size["ok"] is False and result_with_size["first_bad_log_position"] == 3
    assert "the entry at position 3 is missing" in result_with_size["detail"]
