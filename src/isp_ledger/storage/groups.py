"""Each setting's saved groups (``domain/groups.py``), with every earlier version, in two small tables beside the
event log.

Why tables and not events: a group belongs to a setting, not to any one child's plan (CONTRACT.md §8), so, like the
setting's calendar (``calendars.py``), it has no place in a plan's hash chain. It is never overwritten: each change,
retiring it included, is a new version with who made it and when; the latest version is the group. A group holds
ids only (plans and provisions), its name and who leads it: nothing of a pupil.

``isp_group_names`` holds the name of each live group, so that two live groups of a setting can never share a name,
even when two people name theirs at the same moment on two processes: the database refuses the second (a check
before writing could not). A version and its name are written in one transaction.

The tables are created on first use, like the calendars', so the write side's own schema stays as it is.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore

from isp_ledger.domain.groups import GroupDraft, name_key
from isp_ledger.domain.stamp import Actor, format_instant
from isp_ledger.storage.sql import Cursor, Sql

DDL = (
    "CREATE TABLE IF NOT EXISTS {isp_groups} (group_id TEXT NOT NULL, version INTEGER NOT NULL, "
    "setting_urn TEXT NOT NULL, body TEXT NOT NULL, retired INTEGER NOT NULL, changed_at TEXT NOT NULL, "
    "changed_by TEXT NOT NULL, PRIMARY KEY (group_id, version))",
    "CREATE INDEX IF NOT EXISTS isp_groups_by_setting ON {isp_groups} (setting_urn, group_id)",
    "CREATE TABLE IF NOT EXISTS {isp_group_names} (setting_urn TEXT NOT NULL, name_key TEXT NOT NULL, "
    "group_id TEXT NOT NULL, PRIMARY KEY (setting_urn, name_key))",
)
COLUMNS = "group_id, version, setting_urn, body, retired, changed_at, changed_by"
DUPLICATE = (sqlite3.IntegrityError, psycopg.errors.UniqueViolation)


class GroupVersionTaken(Exception):
    """Someone else changed the group first: the version this change was to be is taken."""


class GroupNameTaken(Exception):
    """Another live group of the setting has this name."""


@dataclass(frozen=True)
class StoredGroup:
    group_id: UUID
    version: int
    setting_urn: str
    group: GroupDraft
    retired: bool
    changed_at: str
    changed_by: dict[str, str]


class GroupStore:
    def __init__(self, datastore: SQLiteDatastore | PostgresDatastore) -> None:
        self.sql = Sql(datastore)
        with self.sql.write() as cursor:
            for statement in DDL:
                cursor.execute(statement)

    def current(self, group_id: UUID) -> StoredGroup | None:
        rows = self.sql.fetch(f"SELECT {COLUMNS} FROM {{isp_groups}} WHERE group_id = ? "
                              "ORDER BY version DESC LIMIT 1", (str(group_id),))
        return _stored(rows[0]) if rows else None

    def history(self, group_id: UUID) -> list[StoredGroup]:
        """Every version, newest first."""
        rows = self.sql.fetch(f"SELECT {COLUMNS} FROM {{isp_groups}} WHERE group_id = ? ORDER BY version DESC",
                              (str(group_id),))
        return [_stored(row) for row in rows]

    def live(self, setting_urn: str) -> list[StoredGroup]:
        """The setting's groups not retired, each as it stands, by name."""
        rows = self.sql.fetch(
            f"SELECT {COLUMNS} FROM {{isp_groups}} g WHERE g.setting_urn = ? AND g.retired = 0 AND g.version = "
            "(SELECT max(version) FROM {isp_groups} l WHERE l.group_id = g.group_id)",
            (setting_urn,),
        )
        return sorted((_stored(row) for row in rows), key=lambda g: (name_key(g.group.name), str(g.group_id)))

    def save(self, group_id: UUID, setting_urn: str, group: GroupDraft, *, after: StoredGroup | None,
             retired: bool, by: Actor, at: dt.datetime) -> StoredGroup:
        """Write the group's next version after ``after`` (``None``: a new group), and its name among the live
        groups' (released when it is retired), in one transaction. :class:`GroupVersionTaken` if another change
        came first, :class:`GroupNameTaken` if another live group of the setting has the name."""
        version = (after.version if after else 0) + 1
        stored = StoredGroup(group_id, version, setting_urn, group, retired, format_instant(at), by.as_dict())
        with self.sql.write() as cursor:
            try:
                cursor.execute(
                    f"INSERT INTO {{isp_groups}} ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (str(group_id), version, setting_urn, json.dumps(group.as_json(), sort_keys=True), int(retired),
                     stored.changed_at, json.dumps(stored.changed_by)),
                )
            except DUPLICATE:
                raise GroupVersionTaken() from None
            self._name(cursor, stored, after)
        return stored

    @staticmethod
    def _name(cursor: Cursor, stored: StoredGroup, after: StoredGroup | None) -> None:
        if after is not None and not after.retired:
            cursor.execute("DELETE FROM {isp_group_names} WHERE setting_urn = ? AND group_id = ?",
                           (stored.setting_urn, str(stored.group_id)))
        if stored.retired:
            return
        try:
            cursor.execute("INSERT INTO {isp_group_names} (setting_urn, name_key, group_id) VALUES (?, ?, ?)",
                           (stored.setting_urn, name_key(stored.group.name), str(stored.group_id)))
        except DUPLICATE:
            raise GroupNameTaken() from None


def _stored(row: tuple[Any, ...]) -> StoredGroup:
    group_id, version, setting_urn, body, retired, changed_at, changed_by = row
    return StoredGroup(UUID(str(group_id)), int(version), str(setting_urn), GroupDraft.from_json(json.loads(body)),
                       bool(retired), str(changed_at), json.loads(changed_by))
