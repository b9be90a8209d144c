"""Accounts: the people who use the ledger, and the tokens they prove who they are with."""

from __future__ import annotations

from isp_ledger import access
from isp_ledger.access import User
from isp_ledger.storage.accounts import AccountStore, UserRecord
from isp_ledger.users import check_new_user


class Accounts:
    def __init__(self, store: AccountStore) -> None:
        self.store = store

    def add_user(self, *, name: str, role: str, setting_urn: str | None = None) -> tuple[User, str]:
        """A new user, and the bearer token they use (shown now, stored only as a digest)."""
        user = check_new_user(name=name, role=role, setting_urn=setting_urn)
        token = access.new_token()
        self.store.add_user(
            UserRecord(user.user_id, user.name, user.role, user.setting_urn), access.token_digest(token)
        )
        return user, token

    def authenticate(self, token: str) -> User | None:
        record = self.store.user_by_token_hash(access.token_digest(token))
        if record is None:
            return None
        return User(record.user_id, record.name, record.role, record.setting_urn)

    def users(self) -> list[User]:
        return [User(r.user_id, r.name, r.role, r.setting_urn) for r in self.store.users()]
