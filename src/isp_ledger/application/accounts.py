"""Accounts: the people who use the ledger, and the tokens they prove who they are with (CONTRACT.md §10).

Administrators manage every user; a SENCO creates teachers of their setting and the people its plans are shared
with, and lists and disables some of them (the rules are in ``access.py``). A disabled user's token is refused
from the very next request; everything they recorded keeps their name, because events carry their actor.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from typing import Protocol

from isp_ledger import access
from isp_ledger.access import User
from isp_ledger.domain.errors import NotFound, RuleViolation
from isp_ledger.storage.accounts import AccountStore, EmailTaken, LastActiveAdmin, UserRecord
from isp_ledger.users import check_new_user


class AccountRefused(RuleViolation):
    """A rule about accounts (not about a plan) refuses the change."""

    title = "Refused by a rule about accounts"


class GrantLookup(Protocol):
    """The hook through which access grants (CONTRACT.md §10) widen what a SENCO may see and narrow what they may
    disable. Grants are wired in by the composition root (``accounts.grants = ...``); until then, ``NoGrants``."""

    def users_granted_on_setting(self, setting_urn: str) -> AbstractSet[str]:
        """The ids of the users holding a grant on a plan of ``setting_urn``: its SENCO may list them."""
        ...

    def settings_granting(self, user_id: str) -> AbstractSet[str]:
        """The settings on whose plans ``user_id`` holds a grant: a SENCO may disable a user they created only
        if this names no other setting than their own."""
        ...


class NoGrants:
    """No grants exist: the lookups find nobody and nothing."""

    def users_granted_on_setting(self, setting_urn: str) -> AbstractSet[str]:
        return frozenset()

    def settings_granting(self, user_id: str) -> AbstractSet[str]:
        return frozenset()


class Accounts:
    def __init__(self, store: AccountStore, grants: GrantLookup | None = None) -> None:
        self.store = store
        self.grants: GrantLookup = grants if grants is not None else NoGrants()

    # ------------------------------------------------------------------ creating

    def add_user(self, *, name: str, role: str, setting_urn: str | None = None, email: str | None = None,
                 created_by: str | None = None, setting_field: str = "setting") -> tuple[User, str]:
        """A new user, and the bearer token they use (shown now, stored only as a digest). No check of who asks:
        the command line and the composition root call this; the API calls :meth:`create_user`."""
        record, token = self._create(name=name, role=role, setting_urn=setting_urn, email=email,
                                     created_by=created_by, setting_field=setting_field)
        return _user(record), token

    def create_user(self, by: User, *, name: str, role: str, setting_urn: str | None = None,
                    email: str | None = None) -> tuple[UserRecord, str]:
        """A user created by ``by`` over the API (who is remembered: a SENCO manages the users they created)."""
        access.require_may_manage_users(by)
        if by.role == "senco" and role == "teacher" and setting_urn is None:
            setting_urn = by.setting_urn  # a SENCO's teachers are of their own setting
        return self._create(name=name, role=role, setting_urn=setting_urn, email=email, created_by=by.user_id,
                            setting_field="setting_urn", check=lambda new: access.require_may_create(
                                by, new.role, new.setting_urn))

    def _create(self, *, name: str, role: str, setting_urn: str | None, email: str | None, created_by: str | None,
                setting_field: str, check: _Check | None = None) -> tuple[UserRecord, str]:
        new = check_new_user(name=name, role=role, setting_urn=setting_urn, email=email, setting_field=setting_field)
        if check is not None:
            check(new.user)
        token = access.new_token()
        user = new.user
        try:
            record = self.store.add_user(
                UserRecord(user.user_id, user.name, user.role, user.setting_urn, email=new.email,
                           created_by=created_by),
                access.token_digest(token),
            )
        except EmailTaken:
            raise AccountRefused("email_unique", f"Another user already has the e-mail address {new.email} (in "
                                                 "upper or lower case); each person has one account") from None
        return record, token

    # ------------------------------------------------------------------ tokens

    def authenticate(self, token: str) -> User | None:
        """The active user this token belongs to, read from the store on every call (never cached), so a disabled
        user or a replaced token is refused at once, by every process."""
        record = self.store.user_by_token_hash(access.token_digest(token))
        return _user(record) if record is not None else None

    def new_token(self, user_id: str) -> str:
        """A new token for an active user; their old token stops working at once."""
        token = access.new_token()
        if not self.store.replace_token(user_id, access.token_digest(token)):
            account = self.store.user(user_id)
            if account is None:
                raise NotFound(f"No user {user_id}")
            raise AccountRefused("user_disabled", f"{account.name} ({user_id}) is disabled and gets no new token; "
                                                  "create a new account if they come back")
        return token

    # ------------------------------------------------------------------ listing

    def users(self) -> list[User]:
        """Every user, active or not."""
        return [_user(r) for r in self.store.users()]

    def accounts(self) -> list[UserRecord]:
        """Every user's account (never their token), oldest first."""
        return self.store.users()

    def visible_to(self, by: User) -> list[UserRecord]:
        """The accounts ``by`` may list, oldest first."""
        access.require_may_manage_users(by)
        granted = self._granted_on_their_plans(by)
        return [a for a in self.store.users() if access.may_see_user(by, a, granted)]

    # ------------------------------------------------------------------ disabling

    def disable(self, by: User | None, user_id: str) -> UserRecord:
        """Disable ``user_id`` (``by`` None: from the command line): their token stops working on the next request.

        Nobody disables themselves, and the last active administrator is never disabled: either would leave the
        service with nobody to manage it except by a shell on its server. Disabling a disabled user changes
        nothing.
        """
        if by is not None:
            access.require_may_manage_users(by)
        account = self.store.user(user_id)
        if account is None:
            raise NotFound(f"No user {user_id}")
        if by is not None:
            access.require_may_disable(by, account, granted_on_their_plans=self._granted_on_their_plans(by),
                                       settings_granting_them=self.grants.settings_granting(user_id))
            if user_id == by.user_id:
                raise AccountRefused("not_yourself", "You cannot disable your own account; ask another "
                                                     "administrator (or, for a SENCO, an administrator)")
        try:
            disabled = self.store.disable(user_id, by.user_id if by is not None else None)
        except LastActiveAdmin:
            raise AccountRefused("last_active_admin", f"{account.name} is the last active administrator; create "
                                                      "another administrator first") from None
        assert disabled is not None  # users are never deleted
        return disabled

    def _granted_on_their_plans(self, by: User) -> AbstractSet[str]:
        if by.role == "senco" and by.setting_urn is not None:
            return self.grants.users_granted_on_setting(by.setting_urn)
        return frozenset()


class _Check(Protocol):
    def __call__(self, user: User, /) -> None: ...


def _user(record: UserRecord) -> User:
    return User(record.user_id, record.name, record.role, record.setting_urn)
