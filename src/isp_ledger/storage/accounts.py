"""Users and their tokens, remembered idempotent responses, and the open-plan index, on either store.

These are small tables beside the event log. Tokens are stored only as SHA-256 digests: a token is 256 random
bits, so a fast digest is enough to make a stolen table useless, and lookups stay a single indexed read.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore
from psycopg.rows import tuple_row

from isp_ledger.storage import sqlite


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
        self.datastore = datastore
        if isinstance(datastore, PostgresDatastore):
            self._prefix = f'"{datastore.schema}".'
            self._placeholder = "%s"
        else:
            self._prefix = ""
            self._placeholder = "?"

    @contextlib.contextmanager
    def _cursor(self, *, write: bool = False) -> Iterator[Any]:
        if isinstance(self.datastore, PostgresDatastore):
            with self.datastore.get_connection() as conn:
                if write:
                    with conn.transaction(), conn.cursor(row_factory=tuple_row) as curs:
                        yield curs
                else:
                    with conn.cursor(row_factory=tuple_row) as curs:
                        yield curs
        elif write:
            with sqlite.write_transaction(self.datastore) as curs:
                yield curs
        else:
            with sqlite.raw_connection(self.datastore, writer=False) as conn:
                yield conn.cursor()

    def _sql(self, statement: str) -> str:
        return statement.replace("{t}", self._prefix).replace("?", self._placeholder)

    def _fetch(self, statement: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        with self._cursor() as curs:
            curs.execute(self._sql(statement), params)
            return list(curs.fetchall())

    # ------------------------------------------------------------------ users

    def add_user(self, user: UserRecord, token_hash: str) -> None:
        with self._cursor(write=True) as curs:
            curs.execute(
                self._sql(
                    "INSERT INTO {t}isp_users (user_id, name, role, setting_urn, token_hash, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)"
                ),
                (user.user_id, user.name, user.role, user.setting_urn, token_hash,
                 dt.datetime.now(dt.timezone.utc).isoformat()),
            )

    def user_by_token_hash(self, token_hash: str) -> UserRecord | None:
        rows = self._fetch(
            "SELECT user_id, name, role, setting_urn FROM {t}isp_users WHERE token_hash = ?", (token_hash,)
        )
        return UserRecord(*rows[0]) if rows else None

    def user(self, user_id: str) -> UserRecord | None:
        rows = self._fetch("SELECT user_id, name, role, setting_urn FROM {t}isp_users WHERE user_id = ?", (user_id,))
        return UserRecord(*rows[0]) if rows else None

    def users(self) -> list[UserRecord]:
        rows = self._fetch("SELECT user_id, name, role, setting_urn FROM {t}isp_users ORDER BY created_at", ())
        return [UserRecord(*row) for row in rows]

    # ------------------------------------------------------------------ idempotency and the open-plan index

    def remembered_response(self, user_id: str, key: str) -> RememberedResponse | None:
        rows = self._fetch(
            "SELECT fingerprint, status_code, response FROM {t}isp_idempotency WHERE user_id = ? AND key = ?",
            (user_id, key),
        )
        return RememberedResponse(rows[0][0], rows[0][1], bytes(rows[0][2])) if rows else None

    def open_plan_for(self, upn_key: str) -> str | None:
        rows = self._fetch("SELECT plan_id FROM {t}isp_open_plans WHERE upn_key = ?", (upn_key,))
        return str(rows[0][0]) if rows else None
