"""Users and their tokens, remembered idempotent responses, and the open-plan index, on either store.

These are small tables beside the event log. Tokens are stored only as SHA-256 digests: a token is 256 random
bits, so a fast digest is enough to make a stolen table useless, and lookups stay a single indexed read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore

from isp_ledger.storage.sql import Sql


@dataclass(frozen=True)
class UserRecord:
    user_id: str
    name: str
    role: str
    setting_urn: str | None


@dataclass(frozen=True)
class RememberedResponse:
    fingerprint: str
    status_code: int
    body: bytes


class AccountStore:
    def __init__(self, datastore: SQLiteDatastore | PostgresDatastore) -> None:
        self.sql = Sql(datastore)

    # ------------------------------------------------------------------ users

    def add_user(self, user: UserRecord, token_hash: str) -> None:
        with self.sql.write() as cursor:
            cursor.execute(
                "INSERT INTO {isp_users} (user_id, name, role, setting_urn, token_hash, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (user.user_id, user.name, user.role, user.setting_urn, token_hash,
                 dt.datetime.now(dt.UTC).isoformat()),
            )

    def user_by_token_hash(self, token_hash: str) -> UserRecord | None:
        rows = self.sql.fetch(
            "SELECT user_id, name, role, setting_urn FROM {isp_users} WHERE token_hash = ?", (token_hash,)
        )
        return UserRecord(*rows[0]) if rows else None

    def user(self, user_id: str) -> UserRecord | None:
        rows = self.sql.fetch("SELECT user_id, name, role, setting_urn FROM {isp_users} WHERE user_id = ?", (user_id,))
        return UserRecord(*rows[0]) if rows else None

    def users(self) -> list[UserRecord]:
        rows = self.sql.fetch("SELECT user_id, name, role, setting_urn FROM {isp_users} ORDER BY created_at")
        return [UserRecord(*row) for row in rows]

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
