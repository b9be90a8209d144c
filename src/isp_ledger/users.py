"""Creating users: the checks a new account must pass before it gets a token."""

from __future__ import annotations

from uuid import uuid4

from isp_ledger.access import User
from isp_ledger.domain import codes
from isp_ledger.domain.validation import SHORT_TEXT, Checker, Choice, Text, Urn


def check_new_user(*, name: str, role: str, setting_urn: str | None) -> User:
    check = Checker()
    clean_name = check.clean("name", Text(SHORT_TEXT), name)
    clean_role = check.clean("role", Choice(codes.ROLES), role)
    urn = None
    if clean_role in codes.SETTING_ROLES:
        urn = check.clean("setting", Urn(), setting_urn)
    elif setting_urn is not None:
        check.fail("setting", f"only {' and '.join(codes.SETTING_ROLES)} belong to a setting, not a {role}")
    check.done()
    return User(user_id=str(uuid4()), name=str(clean_name), role=str(clean_role), setting_urn=urn)
