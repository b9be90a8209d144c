"""Sign-in codes and web sessions, on either store (the tables are described in ``schema.py``).

Only digests are kept: a code as an HMAC under a service key (``application/signin.py`` makes it), a session token
as its SHA-256 digest. Whether a session is good is read from the table on every request, joined to the user's
row, so a disabled user's sessions (which ``AccountStore.disable`` also deletes) are refused by every process at
once, exactly as their token is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore

from isp_ledger.storage.accounts import USER_COLUMNS, UserRecord, _record
from isp_ledger.storage.sql import Sql


@dataclass(frozen=True)
class StoredCode:
    user_id: str
    code_hash: str
    created_at: dt.datetime
    attempts: int


@dataclass(frozen=True)
class StoredSession:
    user: UserRecord  # active: a disabled user's session is not found
    created_at: dt.datetime
    last_seen_at: dt.datetime


def _text(instant: dt.datetime) -> str:
    return instant.astimezone(dt.UTC).isoformat()


def _instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


class SignInStore:
    def __init__(self, datastore: SQLiteDatastore | PostgresDatastore) -> None:
        self.sql = Sql(datastore)

    # ------------------------------------------------------------------ codes

    def active_user_by_email(self, email_key: str) -> UserRecord | None:
        rows = self.sql.fetch(
            f"SELECT {USER_COLUMNS} FROM {{isp_users}} WHERE email_key = ? AND disabled_at IS NULL", (email_key,)
        )
        return _record(rows[0]) if rows else None

    def put_code(self, email_key: str, user_id: str, code_hash: str, created_at: dt.datetime) -> None:
        """The address's code, replacing any earlier one (and its count of wrong tries)."""
        with self.sql.write() as cursor:
            cursor.execute("DELETE FROM {isp_sign_in_codes} WHERE email_key = ?", (email_key,))
            cursor.execute(
                "INSERT INTO {isp_sign_in_codes} (email_key, user_id, code_hash, created_at, attempts) "
                "VALUES (?, ?, ?, ?, 0)", (email_key, user_id, code_hash, _text(created_at)),
            )

    def code(self, email_key: str) -> StoredCode | None:
        rows = self.sql.fetch(
            "SELECT user_id, code_hash, created_at, attempts FROM {isp_sign_in_codes} WHERE email_key = ?",
            (email_key,),
        )
        if not rows:
            return None
        user_id, code_hash, created_at, attempts = rows[0]
        return StoredCode(str(user_id), str(code_hash), _instant(created_at), int(attempts))

    def count_wrong_try(self, email_key: str, code_hash: str) -> int:
        """One more wrong try at this code (matched by its hash, so a newer code is not charged); the tries now."""
        with self.sql.write() as cursor:
            cursor.execute("UPDATE {isp_sign_in_codes} SET attempts = attempts + 1 WHERE email_key = ? "
                           "AND code_hash = ?", (email_key, code_hash))
            rows = cursor.fetch("SELECT attempts FROM {isp_sign_in_codes} WHERE email_key = ? AND code_hash = ?",
                                (email_key, code_hash))
        return int(rows[0][0]) if rows else 0

    def take_code(self, email_key: str, code_hash: str) -> bool:
        """Remove the code, once: True for the one request that removed it (a code signs in only once)."""
        with self.sql.write() as cursor:
            cursor.execute("DELETE FROM {isp_sign_in_codes} WHERE email_key = ? AND code_hash = ?",
                           (email_key, code_hash))
            return bool(cursor.cursor.rowcount == 1)

    def drop_code(self, email_key: str) -> None:
        with self.sql.write() as cursor:
            cursor.execute("DELETE FROM {isp_sign_in_codes} WHERE email_key = ?", (email_key,))

    # ------------------------------------------------------------------ sessions

    def add_session(self, token_hash: str, user_id: str, now: dt.datetime) -> None:
        with self.sql.write() as cursor:
            cursor.execute(
                "INSERT INTO {isp_sessions} (token_hash, user_id, created_at, last_seen_at) VALUES (?, ?, ?, ?)",
                (token_hash, user_id, _text(now), _text(now)),
            )

    def session(self, token_hash: str) -> StoredSession | None:
        """The session and its user, if the user is active."""
        columns = ", ".join(f"u.{c.strip()}" for c in USER_COLUMNS.split(","))
        rows = self.sql.fetch(
            f"SELECT {columns}, s.created_at, s.last_seen_at FROM {{isp_sessions}} s "
            "JOIN {isp_users} u ON u.user_id = s.user_id WHERE s.token_hash = ? AND u.disabled_at IS NULL",
            (token_hash,),
        )
        if not rows:
            return None
        *user, created_at, last_seen_at = rows[0]
        return StoredSession(_record(tuple(user)), _instant(created_at), _instant(last_seen_at))

    def touch_session(self, token_hash: str, now: dt.datetime) -> None:
        with self.sql.write() as cursor:
            cursor.execute("UPDATE {isp_sessions} SET last_seen_at = ? WHERE token_hash = ?",
                           (_text(now), token_hash))

    def end_session(self, token_hash: str) -> None:
        with self.sql.write() as cursor:
            cursor.execute("DELETE FROM {isp_sessions} WHERE token_hash = ?", (token_hash,))

    def sessions_of(self, user_id: str) -> int:
        return int(self.sql.fetch("SELECT COUNT(*) FROM {isp_sessions} WHERE user_id = ?", (user_id,))[0][0])
