"""The timeline: a plan's history as a parent would read it, newest first (``GET .../timeline``).

One entry per event, with a one-line summary, both times, the actor and the back-dated flag. A correction's
entry points to the entry it corrects, and the corrected entry lists the corrections made to it. A void's entry
points to the entry it struck out (``voids``), and that entry carries the void's mark (``voided``: which entry, when,
who and why); both keys are there only where they apply, so a history without voids reads as it always did. (In the
table, a void's pointer shares the columns of a correction's.)

A summary is derived from what people wrote, so it is kept sealed under the pupil's key whatever the event, as are
the name of an actor who is not staff and a void's reason (``sealed.py``). Once the key is destroyed the entries
read with those ``null``; their types, times, staff actors and pointers stay.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar
from uuid import UUID

import orjson

from isp_ledger.domain.personal import CLEAR_REASONS
from isp_ledger.domain.plan import Plan
from isp_ledger.domain.records import VOID_EVENT, VOIDED, is_voided
from isp_ledger.domain.stamp import london_day
from isp_ledger.domain.summaries import summarise
from isp_ledger.domain.wording import kind_of
from isp_ledger.storage.sql import Cursor
from projections.base import Insert, ReadModel, View
from projections.sealed import Sealed, Seals

COLUMNS = ("plan_id", "version", "event_id", "type", "kind", "summary", "recorded_at", "agreed_on", "backdated",
           "actor", "item_id", "corrects_version", "corrects_event_id", "corrected_by", "voided")
_SEALED = Sealed(key=("event_id",), texts=("summary",), records=("voided",), actors=("actor",))


_ENTRIES = Insert("entries", {
    "plan_id": "TEXT", "version": "BIGINT", "event_id": "TEXT", "type": "TEXT", "kind": "TEXT", "summary": "TEXT",
    "recorded_at": "TEXT", "recorded_on": "TEXT", "agreed_on": "TEXT", "backdated": "INTEGER", "actor": "TEXT",
    "item_id": "TEXT", "corrects_version": "BIGINT", "corrects_event_id": "TEXT", "corrected_by": "TEXT",
    "voided": "TEXT",
})


class Timeline(ReadModel):
    name = "timeline"
    tables: ClassVar[dict[str, str]] = {
        "entries": "CREATE TABLE IF NOT EXISTS {entries} (plan_id TEXT NOT NULL, version BIGINT NOT NULL, "
        "event_id TEXT NOT NULL, type TEXT NOT NULL, kind TEXT NOT NULL, summary TEXT, "
        "recorded_at TEXT NOT NULL, recorded_on TEXT NOT NULL, agreed_on TEXT NOT NULL, backdated INTEGER NOT NULL, "
        "actor TEXT NOT NULL, item_id TEXT, corrects_version BIGINT, corrects_event_id TEXT, corrected_by TEXT, "
        "voided TEXT, PRIMARY KEY (plan_id, version))",
    }
    sealed: ClassVar[dict[str, Sealed]] = {"entries": _SEALED}

    def __init__(self, view: View, plans: Any) -> None:
        super().__init__(view, plans)
        self._rows: list[tuple[Any, ...]] = []
        self._corrected: dict[tuple[UUID, str], None] = {}

    def note(self, event: Plan.Event, before: Plan | None) -> None:
        event_type = type(event).__name__
        data = event.data()
        corrects_version = corrects_event_id = None
        item_id = data.get("item_id") or data.get("outcome_id") or data.get("provision_id")
        if event_type == "CorrectionRecorded":
            corrects_version, corrects_event_id = data["corrected_version"], data["corrected_event_id"]
            self._corrected[(event.originator_id, corrects_event_id)] = None
        elif event_type == VOID_EVENT:
            corrects_version, corrects_event_id = data["voided_version"], data["voided_event_id"]
            self._corrected[(event.originator_id, corrects_event_id)] = None
            item_id = _item_of(before, corrects_event_id)
        recorded_at = event.recorded_at
        recorded_on = london_day(recorded_at)
        # A summary is kept sealed, so an erased plan's is never kept: nor made, from data whose words are gone. The
        # erasure's own is made of its reason alone, which stays readable (``CLEAR_REASONS``): it is kept in clear.
        erased = event_type not in CLEAR_REASONS and self.view.seals.erased(event.originator_id)
        summary = None if erased else summarise(event, before, data)
        self._rows.append((
            str(event.originator_id), event.originator_version, event.event_id, event_type, kind_of(event_type),
            summary, recorded_at, recorded_on, event.agreed_on,
            int(event.agreed_on < recorded_on),  # is_backdated(), with the London date worked out once
            event.actor, item_id, corrects_version, corrects_event_id, None, None,
        ))

    def prepare(self) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        # Each corrected entry lists the corrections made to it, and carries the mark of a void that struck it
        # out. An entry of this batch is stored with them; one stored by an earlier batch is updated.
        seals = self.view.seals
        seals.load({row[0] for row in self._rows} | {plan_id for plan_id, _ in self._corrected})
        rows = [_sealed(seals, row) for row in self._rows]
        updates = []
        if self._corrected:
            pending = {(row[0], row[2]): index for index, row in enumerate(rows)}
            for plan_id, event_id in self._corrected:
                located = self.plans.get(plan_id).locate(event_id)
                if located is not None:
                    notes = [{"version": n["version"], "event_id": n["event_id"]}
                             for n in located.record["corrections"]]
                    mark = located.record[VOIDED] if is_voided(located.record) else None
                    marks = (orjson.dumps(notes).decode(), None if mark is None else orjson.dumps(
                        seals.record(plan_id, "entries", "voided", mark, (event_id,))).decode())
                    index = pending.get((str(plan_id), event_id))
                    if index is None:
                        updates.append((*marks, str(plan_id), event_id))
                    else:
                        rows[index] = (*rows[index][:-2], *marks)
        self._rows = []
        self._corrected.clear()
        return rows, updates

    def write(self, cursor: Cursor, prepared: tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]) -> None:
        rows, updates = prepared
        _ENTRIES.run(self.view, cursor, rows)
        cursor.executemany(
            self.view.q("UPDATE {entries} SET corrected_by = ?, voided = ? WHERE plan_id = ? AND event_id = ?"), updates
        )

    def discard(self) -> None:
        self._rows.clear()
        self._corrected.clear()


def entries(
    view: View,
    plan_id: UUID,
    *,
    limit: int,
    before_version: int | None = None,
    recorded_from: dt.date | None = None,
    recorded_to: dt.date | None = None,
    kinds: list[str] | None = None,
) -> tuple[list[dict[str, Any]], int | None]:
    """Newest first; returns the entries and the version to continue below (``None`` at the end)."""
    where: list[str] = ["plan_id = ?"]
    params: list[Any] = [str(plan_id)]
    if before_version is not None:
        where.append("version < ?")
        params.append(before_version)
    if recorded_from is not None:
        where.append("recorded_on >= ?")
        params.append(recorded_from.isoformat())
    if recorded_to is not None:
        where.append("recorded_on <= ?")
        params.append(recorded_to.isoformat())
    if kinds:
        where.append(f"kind IN ({', '.join('?' * len(kinds))})")
        params.extend(kinds)
    # Built from this module's own fragments; every value is a parameter.
    statement = (f"SELECT {', '.join(COLUMNS)} FROM {{entries}} WHERE {' AND '.join(where)} "
                 "ORDER BY version DESC LIMIT ?")
    params.append(limit + 1)
    rows = view.sql.fetch(view.q(statement), params)
    seals = view.seals
    result = []
    for row in rows[:limit]:
        entry = dict(zip(COLUMNS, row, strict=True))
        clear_summary = entry["summary"] if entry["type"] in CLEAR_REASONS else None
        if clear_summary is not None:
            entry["summary"] = None  # kept in clear: nothing to open
        entry = seals.open_row("entries", _SEALED, entry)
        if clear_summary is not None:
            entry["summary"] = clear_summary
        del entry["plan_id"]
        entry["backdated"] = bool(entry["backdated"])
        corrects_version, corrects_event_id = entry.pop("corrects_version"), entry.pop("corrects_event_id")
        pointer = {"version": corrects_version, "event_id": corrects_event_id} if corrects_version is not None else None
        if entry["type"] == VOID_EVENT:
            entry["corrects"], entry["voids"] = None, pointer
        else:
            entry["corrects"] = pointer
        entry["corrected_by"] = orjson.loads(entry["corrected_by"]) if entry["corrected_by"] else []
        mark = entry.pop("voided")
        if mark is not None:
            entry[VOIDED] = mark
        result.append(entry)
    next_version = result[-1]["version"] if len(rows) > limit else None
    return result, next_version


def _sealed(seals: Seals, row: tuple[Any, ...]) -> tuple[Any, ...]:
    """An entry's row as noted, its summary and actor sealed as kept."""
    plan_id, event_id, summary, actor = row[0], row[2], row[5], row[10]
    if row[3] not in CLEAR_REASONS:
        summary = seals.text(plan_id, "entries", "summary", summary, (event_id,))
    return (*row[:5], summary, *row[6:10],
            orjson.dumps(seals.actor(plan_id, "entries", "actor", actor, (event_id,))).decode(), *row[11:])


def _item_of(plan: Plan | None, event_id: str) -> str | None:
    """The item (or the outcome or provision of a fact) that the entry ``event_id`` is about, if any."""
    located = plan.locate(event_id) if plan is not None else None
    if located is None:
        return None
    if not located.is_fact:
        return None if located.key == "plan" else located.key
    data = located.record["data"]
    found = data.get("outcome_id") or data.get("provision_id")
    return str(found) if found else None
