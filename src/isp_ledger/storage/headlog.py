"""Reading the transparency log of plan heads (``transparency.py``) on either store, and checking it whole.

Every answer is read from one snapshot of the store (``Sql.snapshot``), so a plan's events, its log entries and
(on PostgreSQL) its events still waiting to be numbered agree with each other even while writers commit.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore

from isp_ledger.storage.sql import Cursor, Sql
from isp_ledger.storage.transparency import GENESIS_ENTRY_HASH, LogEntry, PlanAudit, head_hash_of

PAGE = 5_000
MAX_PROBLEMS = 20
# Each plan's latest event, and the last TAIL_BYTES (75) bytes of its stored form, where its hash is.
_POSTGRES_HEADS = (
    "SELECT e.originator_id, e.originator_version, substring(e.state FROM octet_length(e.state) - 74) "
    "FROM {isp_events} e JOIN ("
    "  SELECT originator_id, max(originator_version) AS v FROM {isp_events} GROUP BY originator_id) m "
    "ON e.originator_id = m.originator_id AND e.originator_version = m.v"
)
_SQLITE_HEADS = (
    "SELECT e.originator_id, e.originator_version, substr(e.state, -75) "
    "FROM {isp_events} e JOIN ("
    "  SELECT originator_id, max(originator_version) AS v FROM {isp_events} GROUP BY originator_id) m "
    "ON e.originator_id = m.originator_id AND e.originator_version = m.v"
)


@dataclass
class LogCheck:
    """The whole log checked: its chain, a signed position held outside (if given), and every plan's head."""

    ok: bool = True
    entries_checked: int = 0
    head_position: int = 0
    head_entry_hash: str | None = None
    plans_checked: int = 0
    first_bad_position: int | None = None
    detail: str = ""
    problems: list[dict[str, str]] = field(default_factory=list)

    def fail(self, detail: str, position: int | None = None, plan_id: str | None = None) -> None:
        if self.ok:
            self.ok, self.detail, self.first_bad_position = False, detail, position
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append({"detail": detail, **({"plan_id": plan_id} if plan_id else {})})

    def as_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {"ok": self.ok, "entries_checked": self.entries_checked,
                                  "head_position": self.head_position, "head_entry_hash": self.head_entry_hash,
                                  "plans_checked": self.plans_checked}
        if not self.ok:
            result.update(first_bad_position=self.first_bad_position, detail=self.detail, problems=self.problems)
        return result


class HeadLog:
    def __init__(self, datastore: SQLiteDatastore | PostgresDatastore) -> None:
        self.sql = Sql(datastore)
        self._postgres = self.sql.dialect == "postgresql"

    def _id(self, plan_id: UUID) -> Any:
        return plan_id if self._postgres else str(plan_id)

    def audit(self, plan_id: UUID) -> PlanAudit:
        """A plan's stored events and what the log says of it (its entries and their neighbours), as of now."""
        key = self._id(plan_id)
        with self.sql.snapshot() as cursor:
            rows = cursor.fetch("SELECT originator_version, state, topic FROM {isp_events} WHERE originator_id = ? "
                                "ORDER BY originator_version", (key,))
            unlogged = cursor.fetch("SELECT originator_version FROM {isp_unsequenced} WHERE originator_id = ?",
                                    (key,)) if self._postgres else []
            entries = cursor.fetch(
                "SELECT position, plan_id, version, head_hash, recorded_at, prev_entry_hash, entry_hash "
                "FROM {isp_head_log} WHERE position IN ("
                "  SELECT position + d FROM {isp_head_log}, (SELECT -1 AS d UNION ALL SELECT 0 UNION ALL SELECT 1) s"
                "  WHERE plan_id = ?) ORDER BY position",
                (key,),
            )
            size = cursor.fetch("SELECT max(position) FROM {isp_head_log}")[0][0]
        return PlanAudit(
            rows=[(int(version), _bytes(state)) for version, state, _ in rows],
            topics={int(version): str(topic) for version, _, topic in rows},
            entries=[LogEntry.from_row(row) for row in entries],
            log_size=int(size or 0),
            unlogged=frozenset(int(version) for (version,) in unlogged),
        )

    def head(self) -> LogEntry | None:
        rows = self.sql.fetch(
            "SELECT position, plan_id, version, head_hash, recorded_at, prev_entry_hash, entry_hash "
            "FROM {isp_head_log} ORDER BY position DESC LIMIT 1"
        )
        return LogEntry.from_row(rows[0]) if rows else None

    def check(self, held: tuple[int, str] | None = None) -> LogCheck:
        """Walk the whole log: positions 1, 2, ... without a gap, each entry's hash, each link; the entry at a
        held position still has the held entry hash; and each plan's stored head agrees with its latest entry."""
        result = LogCheck()
        latest: dict[str, LogEntry] = {}
        held_found = False
        with self.sql.snapshot() as cursor:
            prev = GENESIS_ENTRY_HASH
            for entry in self._entries(cursor):
                expected = result.entries_checked + 1
                if entry.position != expected:
                    result.fail(f"position {expected}: the entry is missing (the next is {entry.position})", expected)
                    break
                if not entry.holds():
                    result.fail(f"position {expected}: the entry was altered (its content does not match its hash)",
                                expected, entry.plan_id)
                    break
                if entry.prev_entry_hash != prev:
                    result.fail(f"position {expected}: the chain is broken (prev_entry_hash does not match the "
                                "entry before)", expected)
                    break
                if held is not None and entry.position == held[0]:
                    held_found = True
                    if entry.entry_hash != held[1]:
                        result.fail(f"position {expected}: the entry no longer has the entry hash that was signed "
                                    "for it: the log was rewritten from there", expected)
                        break
                prev = entry.entry_hash
                latest[entry.plan_id] = entry
                result.entries_checked, result.head_position, result.head_entry_hash = expected, expected, prev
            if result.ok and held is not None and not held_found:
                result.fail(f"position {held[0]}: the log now ends at position {result.head_position}, before the "
                            "signed position: entries were removed from its end", result.head_position + 1)
            if result.ok:
                self._compare_heads(cursor, latest, result)
        return result

    def _entries(self, cursor: Cursor) -> Iterator[LogEntry]:
        after = 0
        while True:
            rows = cursor.fetch(
                "SELECT position, plan_id, version, head_hash, recorded_at, prev_entry_hash, entry_hash "
                "FROM {isp_head_log} WHERE position > ? ORDER BY position LIMIT ?",
                (after, PAGE),
            )
            for row in rows:
                yield LogEntry.from_row(row)
            if len(rows) < PAGE:
                return
            after = int(rows[-1][0])

    def _compare_heads(self, cursor: Cursor, latest: dict[str, LogEntry], result: LogCheck) -> None:
        """Each plan's stored head against its latest log entry (cheaply: the head's stated hash, not its chain;
        ``verify`` of one plan checks everything)."""
        heads = cursor.fetch(_POSTGRES_HEADS if self._postgres else _SQLITE_HEADS)
        pending: dict[str, set[int]] = {}
        if self._postgres:
            for plan_id, version in cursor.fetch("SELECT originator_id, originator_version FROM {isp_unsequenced}"):
                pending.setdefault(str(plan_id), set()).add(int(version))
        stored = {str(plan_id): (int(version), head_hash_of(_bytes(state))) for plan_id, version, state in heads}
        for plan_id in sorted(stored.keys() | latest.keys()):
            result.plans_checked += 1
            version, digest = stored.get(plan_id, (0, None))
            entry = latest.get(plan_id)
            logged = entry.version if entry else 0
            if entry is not None and logged > version:
                result.fail(f"plan {plan_id}: the log records version {logged} (position {entry.position}) but the "
                            f"store ends at version {version}: events were removed from the end",
                            entry.position, plan_id)
            elif entry is not None and logged == version and digest != entry.head_hash:
                result.fail(f"plan {plan_id}: version {version} does not have the hash the log recorded for it "
                            f"(position {entry.position})", entry.position, plan_id)
            elif logged < version and not set(range(logged + 1, version + 1)) <= pending.get(plan_id, set()):
                result.fail(f"plan {plan_id}: the store holds version {version} but the log records only version "
                            f"{logged}: log entries were removed, or events written behind the ledger's back",
                            entry.position if entry else None, plan_id)


def _bytes(value: Any) -> bytes:
    """A stored state as bytes (SQLite hands back text if someone wrote text into the column)."""
    return value.encode() if isinstance(value, str) else bytes(value)
