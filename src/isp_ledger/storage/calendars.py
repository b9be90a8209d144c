"""Each setting's school calendar, with every earlier version, in a small table beside the event log; and the
setting's details (its name and local authority), kept the same way in ``isp_setting_details`` (``schema.py``).

Why a table and not events: a calendar belongs to a setting, not to any one child's plan, so it has no place in a
plan's hash chain, and nothing else in the ledger is a setting aggregate to carry it. It still changes what a
provision owed (a closure removes planned sessions), so it is never overwritten: each change is a new version,
with who made it and when, and the reports use the latest. A change that alters nothing is not a new version.

The table is created on first use, like the read models' registry, so the write side's own schema stays as it is.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass
from typing import Any

import psycopg
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore

from isp_ledger.domain.calendar import SchoolCalendar
from isp_ledger.domain.errors import RuleViolation
from isp_ledger.domain.stamp import Actor, format_instant
from isp_ledger.storage.sql import Sql

DDL = (
    "CREATE TABLE IF NOT EXISTS {isp_calendars} (setting_urn TEXT NOT NULL, version INTEGER NOT NULL, "
    "calendar TEXT NOT NULL, changed_at TEXT NOT NULL, changed_by TEXT NOT NULL, PRIMARY KEY (setting_urn, version))"
)
ATTEMPTS = 5  # two changes of one setting's calendar at once: the loser takes the next version


@dataclass(frozen=True)
class StoredCalendar:
    setting_urn: str
    version: int
    calendar: SchoolCalendar
    changed_at: str
    changed_by: dict[str, str]

    def as_json(self) -> dict[str, Any]:
        return {"setting_urn": self.setting_urn, "version": self.version, **self.calendar.as_json(),
                "changed_at": self.changed_at, "changed_by": self.changed_by}


class CalendarStore:
    def __init__(self, datastore: SQLiteDatastore | PostgresDatastore) -> None:
        self.sql = Sql(datastore)
        with self.sql.write() as cursor:
            cursor.execute(DDL)

    def current(self, setting_urn: str) -> StoredCalendar | None:
        rows = self.sql.fetch(
            "SELECT setting_urn, version, calendar, changed_at, changed_by FROM {isp_calendars} "
            "WHERE setting_urn = ? ORDER BY version DESC LIMIT 1",
            (setting_urn,),
        )
        return _stored(rows[0]) if rows else None

    def history(self, setting_urn: str) -> list[StoredCalendar]:
        """Every version, newest first."""
        rows = self.sql.fetch(
            "SELECT setting_urn, version, calendar, changed_at, changed_by FROM {isp_calendars} "
            "WHERE setting_urn = ? ORDER BY version DESC",
            (setting_urn,),
        )
        return [_stored(row) for row in rows]

    def set(self, setting_urn: str, calendar: SchoolCalendar, by: Actor, at: dt.datetime) -> StoredCalendar:
        """Make ``calendar`` the setting's current one (a new version, unless it is the current one already)."""
        body = json.dumps(calendar.as_json(), sort_keys=True)
        for _attempt in range(ATTEMPTS):
            current = self.current(setting_urn)
            if current is not None and current.calendar == calendar:
                return current
            version = (current.version if current else 0) + 1
            try:
                with self.sql.write() as cursor:
                    cursor.execute(
                        "INSERT INTO {isp_calendars} (setting_urn, version, calendar, changed_at, changed_by) "
                        "VALUES (?, ?, ?, ?, ?)",
                        (setting_urn, version, body, format_instant(at), json.dumps(by.as_dict())),
                    )
            except (sqlite3.IntegrityError, psycopg.errors.UniqueViolation):
                continue  # another change took this version first: compare with it, then take the next
            return StoredCalendar(setting_urn, version, calendar, format_instant(at), by.as_dict())
        raise RuleViolation("too_busy", f"The calendar of setting {setting_urn} is being changed by many people at "
                                        "once; please try again")


def _stored(row: tuple[Any, ...]) -> StoredCalendar:
    setting_urn, version, body, changed_at, changed_by = row
    return StoredCalendar(str(setting_urn), int(version), SchoolCalendar.from_json(json.loads(body)), str(changed_at),
                          json.loads(changed_by))


# ------------------------------------------------------------------------------------------ setting details


@dataclass(frozen=True)
class StoredDetails:
    setting_urn: str
    version: int
    name: str
    local_authority: str | None
    changed_at: str
    changed_by: dict[str, str]

    def as_json(self) -> dict[str, Any]:
        return {"setting_urn": self.setting_urn, "version": self.version, "name": self.name,
                "local_authority": self.local_authority, "changed_at": self.changed_at,
                "changed_by": self.changed_by}


class SettingDetailsStore:
    """Each setting's name and local authority, every version kept with who set it and when (the table is the
    write side's, created with the others)."""

    def __init__(self, datastore: SQLiteDatastore | PostgresDatastore) -> None:
        self.sql = Sql(datastore)

    def current(self, setting_urn: str) -> StoredDetails | None:
        rows = self.sql.fetch(
            "SELECT setting_urn, version, name, local_authority, changed_at, changed_by FROM {isp_setting_details} "
            "WHERE setting_urn = ? ORDER BY version DESC LIMIT 1",
            (setting_urn,),
        )
        return _details(rows[0]) if rows else None

    def names(self, setting_urns: list[str]) -> dict[str, str]:
        """The current name of each of these settings that has one."""
        if not setting_urns:
            return {}
        marks = ", ".join("?" * len(setting_urns))
        rows = self.sql.fetch(
            "SELECT d.setting_urn, d.name FROM {isp_setting_details} d WHERE d.setting_urn IN (" + marks + ") "
            "AND d.version = (SELECT max(version) FROM {isp_setting_details} l WHERE l.setting_urn = d.setting_urn)",
            setting_urns,
        )
        return {str(urn): str(name) for urn, name in rows}

    def set(self, setting_urn: str, name: str, local_authority: str | None, by: Actor,
            at: dt.datetime) -> StoredDetails:
        """Make these the setting's details (a new version, unless they are its details already)."""
        for _attempt in range(ATTEMPTS):
            current = self.current(setting_urn)
            if current is not None and (current.name, current.local_authority) == (name, local_authority):
                return current
            version = (current.version if current else 0) + 1
            try:
                with self.sql.write() as cursor:
                    cursor.execute(
                        "INSERT INTO {isp_setting_details} (setting_urn, version, name, local_authority, changed_at, "
                        "changed_by) VALUES (?, ?, ?, ?, ?, ?)",
                        (setting_urn, version, name, local_authority, format_instant(at), json.dumps(by.as_dict())),
                    )
            except (sqlite3.IntegrityError, psycopg.errors.UniqueViolation):
                continue  # another change took this version first: compare with it, then take the next
            return StoredDetails(setting_urn, version, name, local_authority, format_instant(at), by.as_dict())
        raise RuleViolation("too_busy", f"The details of setting {setting_urn} are being changed by many people at "
                                        "once; please try again")


def _details(row: tuple[Any, ...]) -> StoredDetails:
    setting_urn, version, name, local_authority, changed_at, changed_by = row
    return StoredDetails(str(setting_urn), int(version), str(name),
                         None if local_authority is None else str(local_authority), str(changed_at),
                         json.loads(changed_by))
