"""Users and their tokens, remembered idempotent responses, and the open-plan index, on either store.

These are small tables beside the event log. Tokens are stored only as SHA-256 digests: a token is 256 random
bits, so a fast digest is enough to make a stolen table useless, and lookups stay a single indexed read.

Whether a token is good is read from the table on every request, never from a cache: disabling a user, or
giving them a new token, takes effect on the very next request, in this process and in every other one.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import IntegrityError
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore

from isp_ledger.storage.schema import USER_COLUMNS_ADDED, USERS_EMAIL_INDEX
from isp_ledger.storage.sql import Cursor, Sql

USER_COLUMNS = "user_id, name, role, setting_urn, email, created_by, created_at, disabled_at, disabled_by"


@dataclass(frozen=True)
class UserRecord:
    user_id: str
    name: str
    role: str
    setting_urn: str | None
    email: str | None = None
    created_by: str | None = None  # a user id; None: made on the command line
    created_at: str | None = None
    disabled_at: str | None = None
    disabled_by: str | None = None  # a user id; None with disabled_at: disabled on the command line

    @property
    def active(self) -> bool:
        return self.disabled_at is None


@dataclass(frozen=True)
class RememberedResponse:
    fingerprint: str
    status_code: int
    body: bytes


class EmailTaken(Exception):
    """Another user already has this e-mail address (compared without regard to case)."""


class LastActiveAdmin(Exception):
    """Disabling this administrator would leave no active administrator."""


def email_key(email: str) -> str:
    return email.casefold()


def _instant(value: Any) -> str | None:
    """An instant as ISO text, whichever store it came from (PostgreSQL gives datetimes, SQLite text)."""
    if value is None or isinstance(value, str):
        return value
    assert isinstance(value, dt.datetime)
    return value.astimezone(dt.UTC).isoformat()


def _record(row: tuple[Any, ...]) -> UserRecord:
    user_id, name, role, setting_urn, email, created_by, created_at, disabled_at, disabled_by = row
    return UserRecord(user_id, name, role, setting_urn, email, created_by, _instant(created_at),
                      _instant(disabled_at), disabled_by)


class AccountStore:
    def __init__(self, datastore: SQLiteDatastore | PostgresDatastore) -> None:
        self.sql = Sql(datastore)

    # ------------------------------------------------------------------ users

    def add_user(self, user: UserRecord, token_hash: str) -> UserRecord:
        """Store a new user (``EmailTaken`` if another has the address); the user as stored."""
        created_at = dt.datetime.now(dt.UTC)
        try:
            with self.sql.write() as cursor:
                if user.email is not None and cursor.fetch(
                    "SELECT 1 FROM {isp_users} WHERE email_key = ?", (email_key(user.email),)
                ):
                    raise EmailTaken(user.email)
                cursor.execute(
                    "INSERT INTO {isp_users} (user_id, name, role, setting_urn, token_hash, created_at, email, "
                    "email_key, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (user.user_id, user.name, user.role, user.setting_urn, token_hash,
                     created_at.isoformat() if self.sql.dialect == "sqlite" else created_at,
                     user.email, email_key(user.email) if user.email is not None else None, user.created_by),
                )
        except (sqlite3.IntegrityError, IntegrityError) as e:
            # Two users given one address at the same moment (PostgreSQL: the check above cannot see the other's
            # uncommitted row; the unique index refuses the second).
            if user.email is not None and "email" in str(e):
                raise EmailTaken(user.email) from None
            raise
        stored = self.user(user.user_id)
        assert stored is not None
        return stored

    def user_by_token_hash(self, token_hash: str) -> UserRecord | None:
        """The active user holding this token (a disabled user's token is no longer anyone's)."""
        rows = self.sql.fetch(
            f"SELECT {USER_COLUMNS} FROM {{isp_users}} WHERE token_hash = ? AND disabled_at IS NULL", (token_hash,)
        )
        return _record(rows[0]) if rows else None

    def user(self, user_id: str) -> UserRecord | None:
        rows = self.sql.fetch(f"SELECT {USER_COLUMNS} FROM {{isp_users}} WHERE user_id = ?", (user_id,))
        return _record(rows[0]) if rows else None

    def users(self) -> list[UserRecord]:
        rows = self.sql.fetch(f"SELECT {USER_COLUMNS} FROM {{isp_users}} ORDER BY created_at, user_id")
        return [_record(row) for row in rows]

    def disable(self, user_id: str, disabled_by: str | None) -> UserRecord | None:
        """Disable the user now, ending their web sessions (``None`` if there is no such user; unchanged if already
        disabled).

        ``LastActiveAdmin`` if they are the last active administrator. The check and the change are one
        transaction that holds the active administrators' rows (PostgreSQL: ``FOR UPDATE``; SQLite: the write
        lock), so two administrators disabling each other at once cannot both succeed.
        """
        with self.sql.write() as cursor:
            rows = cursor.fetch("SELECT role, disabled_at FROM {isp_users} WHERE user_id = ?", (user_id,))
            if not rows:
                return None
            role, disabled_at = rows[0]
            if disabled_at is None:
                if role == "admin" and self._active_admins(cursor) <= 1:
                    raise LastActiveAdmin(user_id)
                now = dt.datetime.now(dt.UTC)
                cursor.execute(
                    "UPDATE {isp_users} SET disabled_at = ?, disabled_by = ? WHERE user_id = ? AND disabled_at IS NULL",
                    (now.isoformat() if self.sql.dialect == "sqlite" else now, disabled_by, user_id),
                )
            # Their web sessions end in the same transaction (and a session is honoured only for an active user,
            # ``signin.py``), as their token stops working.
            cursor.execute("DELETE FROM {isp_sessions} WHERE user_id = ?", (user_id,))
        return self.user(user_id)

    def _active_admins(self, cursor: Cursor) -> int:
        lock = " FOR UPDATE" if self.sql.dialect == "postgresql" else ""
        active = cursor.fetch(f"SELECT user_id FROM {{isp_users}} WHERE role = 'admin' AND disabled_at IS NULL{lock}")
        return len(active)

    def replace_token(self, user_id: str, token_hash: str) -> bool:
        """Give an active user a new token digest: their old token stops working. False if there is no active
        user ``user_id``."""
        with self.sql.write() as cursor:
            cursor.execute("UPDATE {isp_users} SET token_hash = ? WHERE user_id = ? AND disabled_at IS NULL",
                           (token_hash, user_id))
            return bool(cursor.cursor.rowcount == 1)

    # ------------------------------------------------------------------ idempotency and the open-plan index

    def remembered_response(self, user_id: str, key: str) -> RememberedResponse | None:
        rows = self.sql.fetch(
            "SELECT fingerprint, status_code, response FROM {isp_idempotency} WHERE user_id = ? AND key = ?",
            (user_id, key),
        )
        return RememberedResponse(rows[0][0], rows[0][1], bytes(rows[0][2])) if rows else None

    def open_plan_for(self, upn_key: str) -> str | None:
        rows = self.sql.fetch("SELECT plan_id FROM {isp_open_plans} WHERE upn_key = ?", (upn_key,))
        return str(rows[0][0]) if rows else None


def upgrade_users_table(datastore: SQLiteDatastore | PostgresDatastore) -> None:
    """Bring ``isp_users`` of a store made by an earlier release up to date: add the columns it lacks, and the
    index that keeps e-mail addresses unique. Does nothing (and takes no lock) when all is in place."""
    sql = Sql(datastore)
    with sql.read() as cursor:
        if _users_table_current(cursor, datastore):
            return
    with sql.write() as cursor:
        if isinstance(datastore, PostgresDatastore):  # several processes may start at once: one changes the table
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(?))", (f"{datastore.schema}.isp_ledger_ddl",))
        present = _user_columns(cursor, datastore)  # again, now that no other process can be changing it
        for name, sqlite_type, postgres_type in USER_COLUMNS_ADDED:
            if name not in present:
                column_type = postgres_type if isinstance(datastore, PostgresDatastore) else sqlite_type
                cursor.execute(f"ALTER TABLE {{isp_users}} ADD COLUMN {name} {column_type}")
        cursor.execute(f"CREATE UNIQUE INDEX IF NOT EXISTS {USERS_EMAIL_INDEX} ON {{isp_users}} (email_key)")


def _user_columns(cursor: Cursor, datastore: SQLiteDatastore | PostgresDatastore) -> set[str]:
    if isinstance(datastore, PostgresDatastore):
        return {str(row[0]) for row in cursor.fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = 'isp_users'",
            (datastore.schema,),
        )}
    return {str(row[1]) for row in cursor.fetch("PRAGMA table_info(isp_users)")}


def _users_table_current(cursor: Cursor, datastore: SQLiteDatastore | PostgresDatastore) -> bool:
    if {name for name, _, _ in USER_COLUMNS_ADDED} - _user_columns(cursor, datastore):
        return False
    if isinstance(datastore, PostgresDatastore):
        return cursor.fetch("SELECT to_regclass(?)", (f'"{datastore.schema}".{USERS_EMAIL_INDEX}',))[0][0] is not None
    return bool(cursor.fetch("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", (USERS_EMAIL_INDEX,)))
