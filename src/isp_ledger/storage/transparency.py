"""The transparency log of plan heads (CONTRACT.md §7): its entries, how they chain, and what they prove.

Why it exists. Each plan's events are hash-chained, so a changed, removed or reordered event breaks the chain,
except at the end: deleting a plan's last events leaves a shorter chain that is just as valid. A signed receipt
catches that, but only for someone who asked for one. So the service keeps, beside the events and in its own
table (``isp_head_log``), an append-only log of plan heads in the manner of Certificate Transparency: whenever
a plan's events are stored, an entry records the plan's new head ::

    {"position", "plan_id", "version", "head_hash", "recorded_at", "prev_entry_hash"}  +  "entry_hash"

``head_hash`` is the hash of the event at ``version``; ``entry_hash`` is the SHA-256 of the RFC 8785 canonical
JSON of the six fields, and ``prev_entry_hash`` is the entry hash at ``position - 1`` (64 zeros for the first).
Positions run 1, 2, 3, ... without a gap, in the order entries were appended. On SQLite an entry is appended in
the events' own write transaction; on PostgreSQL the sequencer appends one entry per plan per numbering pass
(the plan's highest version in it), in the transaction that numbers the events, under its advisory lock
(``postgres_sequencer.py``). An event is therefore logged exactly when it has its place in the ledger's sequence.

What ``verify`` checks with it (:func:`check_plan`), after the plan's own chain: the log entries of the plan
and their neighbours are intact (content matches entry hash, each links to the one before, none missing); every
logged head of the plan is still in the store with the hash logged for it (a log naming a later version than
the store holds means events were removed from the end; a different hash means the history was rewritten after
it was logged; an entry logged before ``isp-ledger migrate`` re-sealed the plan names the hash its event
``"was"`` stored with, which the event records under its new hash, and holds); and every stored version is
logged, or still waiting for the sequencer's next pass (events missing from the log were inserted behind the
ledger's back, or their entries were removed). All of it is read from one snapshot of the store, so a write that
commits meanwhile is never mistaken for tampering.

What it cannot catch on its own: someone with write access to the database who removes a plan's last events
*and* the log entries that recorded them, where those entries are the last in the log, leaves a store and a log
that agree with each other. Removing entries elsewhere breaks the log's chain, which the whole-log check
(``HeadLog.check`` in ``headlog.py``: ``POST /v1/log/verify``, ``isp-ledger verify-log``) reports, and a plan's
verify too when the gap is next to one of its entries. What catches the consistent truncation is a log head
held outside the database: ``GET /v1/log/head`` signs the latest position and entry hash with the service's
receipt key, and a signed head (or the signed log entry inside a plan receipt) checked later must still be in
the log with the same entry hash. Publishing signed heads regularly (to the governors, the local authority,
anywhere outside the service) bounds what can go unnoticed: only what was appended after the last published
head could be cut back without a trace.
"""

from __future__ import annotations

import hashlib
import string
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from isp_ledger.storage.chain import GENESIS_HASH, Verification, canonical, unseal

GENESIS_ENTRY_HASH = GENESIS_HASH
# A sealed event ends with its hash: ``...,"hash":"<64 hex digits>"}`` (see chain.py), so the hash is in the last
# TAIL_BYTES bytes of the stored state and numbering can read it without loading the event.
TAIL_BYTES = 75
_TAIL_PREFIX = b',"hash":"'
_HEX = frozenset(string.hexdigits.lower())


def head_hash_of(tail: bytes) -> str | None:
    """The event hash at the end of a sealed event's stored bytes (or their last TAIL_BYTES), if it is one."""
    tail = bytes(tail[-TAIL_BYTES:])
    if len(tail) != TAIL_BYTES or not tail.startswith(_TAIL_PREFIX) or not tail.endswith(b'"}'):
        return None
    digest = tail[len(_TAIL_PREFIX) : -2].decode("ascii", "replace")
    return digest if set(digest) <= _HEX else None


def entry_hash(content: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(content)).hexdigest()


@dataclass(frozen=True)
class LogEntry:
    position: int
    plan_id: str
    version: int
    head_hash: str
    recorded_at: str
    prev_entry_hash: str
    entry_hash: str

    @classmethod
    def from_row(cls, row: Iterable[Any]) -> LogEntry:
        """An entry as read from the store; a number edited into something else reads as -1, which no longer
        matches the entry hash, so the alteration is reported rather than failing to read."""
        position, plan_id, version, head_hash, recorded_at, prev_entry_hash, digest = row
        return cls(_number(position), str(plan_id), _number(version), str(head_hash), str(recorded_at),
                   str(prev_entry_hash), str(digest))

    def content(self) -> dict[str, Any]:
        """What the entry hash covers."""
        return {"position": self.position, "plan_id": self.plan_id, "version": self.version,
                "head_hash": self.head_hash, "recorded_at": self.recorded_at,
                "prev_entry_hash": self.prev_entry_hash}

    def as_dict(self) -> dict[str, Any]:
        return {**self.content(), "entry_hash": self.entry_hash}

    def holds(self) -> bool:
        return entry_hash(self.content()) == self.entry_hash


def _number(value: Any) -> int:
    try:
        return int(value) if not isinstance(value, float) else -1
    except (TypeError, ValueError):
        return -1


def append(last: tuple[int, str] | None, heads: Iterable[tuple[str, int, str]], recorded_at: str) -> list[LogEntry]:
    """The entries that follow ``last`` (its position and entry hash; None for an empty log), one per plan head
    ``(plan_id, version, head_hash)``, in the order given."""
    position, prev = last if last is not None else (0, GENESIS_ENTRY_HASH)
    entries = []
    for plan_id, version, head_hash in heads:
        position += 1
        digest = entry_hash({"position": position, "plan_id": plan_id, "version": version, "head_hash": head_hash,
                             "recorded_at": recorded_at, "prev_entry_hash": prev})
        entries.append(LogEntry(position, plan_id, version, head_hash, recorded_at, prev, digest))
        prev = digest
    return entries


# ---------------------------------------------------------------- one plan against the log


@dataclass(frozen=True)
class PlanAudit:
    """What verify reads, from one snapshot of the store."""

    rows: list[tuple[int, bytes]]  # the plan's stored events, (version, state), in version order
    entries: list[LogEntry]  # the plan's log entries and each one's neighbours, by position
    log_size: int  # the latest position in the log (0 when empty)
    unlogged: frozenset[int] = field(default_factory=frozenset)  # versions still waiting to be numbered
    topics: dict[int, str] = field(default_factory=dict)  # each stored event's topic column, by version


def check_plan(plan_id: str, chain: Verification, audit: PlanAudit) -> Verification:
    """Compare a plan whose chain holds (``chain``) with the transparency log; see the module docstring.

    ``first_bad_version`` is the first version the store can no longer be trusted for: after the last version the
    log still vouches for (a rewritten history), the first version removed from the end, or the first stored
    version the log never saw. When the log itself is damaged, it is the version recorded by the plan's entry
    whose evidence is damaged, and ``first_bad_log_position`` names the entry where the damage is.
    """
    assert chain.ok and chain.head_version is not None
    head = chain.head_version
    by_position = {e.position: e for e in audit.entries}
    mine = sorted((e for e in audit.entries if e.plan_id == plan_id), key=lambda e: e.position)

    logged = 0
    for e in mine:
        damage = _damage_around(e, by_position, audit.log_size)
        # The one entry allowed to repeat a version is the migration's, for the head it re-sealed (``migrate.py``).
        repeated = e.version == logged and was_hash(audit.rows, e.version) is None
        if damage is None and (e.version < logged or repeated):
            damage = (e.position, f"its entries for this plan go backwards (position {e.position} records "
                                  f"version {e.version} after version {logged})")
        if damage is not None:
            position, what = damage
            return _failed(chain, max(1, min(e.version, head + 1)), f"the transparency log is damaged: {what}",
                           position)
        logged = e.version

    hashes = _hashes(audit.rows)
    vouched = 0
    for e in mine:
        if e.version > head:
            latest = mine[-1]
            return _failed(chain, head + 1, f"the transparency log records version {latest.version} (hash "
                                            f"{latest.head_hash[:12]}…, log position {latest.position}) but the "
                                            f"store ends at version {head}: events were removed from the end",
                           latest.position)
        if hashes.get(e.version) != e.head_hash and was_hash(audit.rows, e.version) != e.head_hash:
            return _failed(chain, vouched + 1, f"the transparency log recorded version {e.version} with hash "
                                               f"{e.head_hash[:12]}… (log position {e.position}) but the store's "
                                               f"version {e.version} now has hash {str(hashes.get(e.version))[:12]}"
                                               "…: the history was rewritten after it was logged", e.position)
        vouched = e.version

    missing = [v for v in range(logged + 1, head + 1) if v not in audit.unlogged]
    if missing:
        return _failed(chain, missing[0], f"the store holds version {missing[0]}"
                                          + (f" to {head}" if head > missing[0] else "")
                                          + f" but the transparency log's latest entry for the plan records "
                                            f"version {logged}: the log entries were removed, or the events were "
                                            "written behind the ledger's back", mine[-1].position if mine else None)
    if not mine:
        return chain
    latest = mine[-1]
    return Verification(True, chain.events_checked, head_hash=chain.head_hash, head_version=head,
                        log_position=latest.position, log_version=latest.version, log_entry_hash=latest.entry_hash)


def check_removed_plan(plan_id: str, audit: PlanAudit) -> Verification | None:
    """For a plan with no stored events: a failure if the log says it had some."""
    mine = [e for e in audit.entries if e.plan_id == plan_id]
    if not mine:
        return None
    latest = max(mine, key=lambda e: e.position)
    return Verification(False, 0, first_bad_version=1, first_bad_log_position=latest.position,
                        detail=f"version 1: the transparency log records version {latest.version} (log position "
                               f"{latest.position}) but the store holds no events of this plan: they were removed")


def _damage_around(e: LogEntry, by_position: dict[int, LogEntry], log_size: int) -> tuple[int, str] | None:
    """Whether the entry, or its links to the entries either side, do not hold: (position, what is wrong)."""
    if not e.holds():
        return e.position, f"the entry at position {e.position} was altered (its content does not match its hash)"
    if e.position == 1:
        if e.prev_entry_hash != GENESIS_ENTRY_HASH:
            return 1, "the first entry does not start the chain"
    else:
        before = by_position.get(e.position - 1)
        if before is None:
            return e.position - 1, f"the entry at position {e.position - 1} is missing"
        if not before.holds():
            return before.position, f"the entry at position {before.position} was altered"
        if before.entry_hash != e.prev_entry_hash:
            return e.position, f"the chain is broken between positions {before.position} and {e.position}"
    if e.position < log_size:
        after = by_position.get(e.position + 1)
        if after is None:
            return e.position + 1, f"the entry at position {e.position + 1} is missing"
        if not after.holds():
            return after.position, f"the entry at position {after.position} was altered"
        if after.prev_entry_hash != e.entry_hash:
            return after.position, f"the chain is broken between positions {e.position} and {after.position}"
    return None


def was_hash(rows: list[tuple[int, bytes]], version: int) -> str | None:
    """The hash the event at ``version`` had before ``isp-ledger migrate`` re-sealed it (its ``"was"``, covered by
    its new hash), if it was re-sealed: an entry logged before the migration names that hash (``migrate.py``)."""
    for stored_version, state in rows:
        if stored_version == version:
            was = unseal(bytes(state)).get("was")
            return was if isinstance(was, str) else None
    return None


def _hashes(rows: list[tuple[int, bytes]]) -> dict[int, str | None]:
    """Each stored version's hash (the chain has been checked, so each stated hash is the real one)."""
    return {version: head_hash_of(state) for version, state in rows}


def _failed(chain: Verification, version: int, detail: str, log_position: int | None) -> Verification:
    return Verification(False, chain.events_checked, first_bad_version=version, first_bad_log_position=log_position,
                        detail=f"version {version}: {detail}")
