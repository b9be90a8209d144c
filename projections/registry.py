"""Which generation of each read model is current.

A rebuild fills a new generation beside the current one (state ``building``), then switches in one
transaction: the new one becomes ``current`` and the old one ``retired``. Readers always query the current
generation; projectors notice a switch, carry on with the new generation, and drop retired tables.
"""

from __future__ import annotations

import datetime as dt

from isp_ledger.storage.sql import Sql

DDL = (
    "CREATE TABLE IF NOT EXISTS {rm_registry} (name TEXT NOT NULL, generation INTEGER NOT NULL, "
    "state TEXT NOT NULL, changed_at TEXT NOT NULL, PRIMARY KEY (name, generation))"
)


class Registry:
    def __init__(self, sql: Sql) -> None:
        self.sql = sql
        with sql.write() as cursor:
            cursor.execute(DDL)

    def current(self, name: str) -> int:
        """The current generation (the first, created now, if the read model is new)."""
        rows = self.sql.fetch("SELECT generation FROM {rm_registry} WHERE name = ? AND state = 'current'", (name,))
        if rows:
            return int(rows[0][0])
        with self.sql.write() as cursor:
            cursor.execute(
                "INSERT INTO {rm_registry} (name, generation, state, changed_at) VALUES (?, 1, 'current', ?) "
                "ON CONFLICT (name, generation) DO NOTHING",
                (name, _now()),
            )
        return self.current(name)

    def currents(self) -> dict[str, int]:
        rows = self.sql.fetch("SELECT name, generation FROM {rm_registry} WHERE state = 'current'")
        return {name: int(generation) for name, generation in rows}

    def begin_build(self, name: str) -> int:
        with self.sql.write() as cursor:
            rows = cursor.fetch("SELECT coalesce(max(generation), 0) FROM {rm_registry} WHERE name = ?", (name,))
            generation = int(rows[0][0]) + 1
            cursor.execute(
                "INSERT INTO {rm_registry} (name, generation, state, changed_at) VALUES (?, ?, 'building', ?)",
                (name, generation, _now()),
            )
        return generation

    def switch(self, name: str, generation: int) -> int | None:
        """Make ``generation`` current; return the generation it replaced."""
        with self.sql.write() as cursor:
            rows = cursor.fetch(
                "SELECT generation FROM {rm_registry} WHERE name = ? AND state = 'current'", (name,)
            )
            cursor.execute(
                "UPDATE {rm_registry} SET state = 'retired', changed_at = ? WHERE name = ? AND state = 'current'",
                (_now(), name),
            )
            cursor.execute(
                "UPDATE {rm_registry} SET state = 'current', changed_at = ? WHERE name = ? AND generation = ?",
                (_now(), name, generation),
            )
        return int(rows[0][0]) if rows else None

    def retired(self) -> list[tuple[str, int]]:
        rows = self.sql.fetch("SELECT name, generation FROM {rm_registry} WHERE state = 'retired'")
        return [(name, int(generation)) for name, generation in rows]

    def forget(self, name: str, generation: int) -> None:
        with self.sql.write() as cursor:
            cursor.execute(
                "DELETE FROM {rm_registry} WHERE name = ? AND generation = ? AND state <> 'current'",
                (name, generation),
            )


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()
