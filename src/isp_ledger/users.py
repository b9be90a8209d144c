"""Creating users: the checks a new account must pass before it gets a token."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

from isp_ledger.access import User
from isp_ledger.domain import codes
from isp_ledger.domain.validation import SHORT_TEXT, Checker, Choice, Field, Text, Urn

# What an address's local part may hold: the visible ASCII characters RFC 5322 allows unquoted (dot-atom), which
# is what people type; quoted local parts ("john smith"@example.org) are legal but no school's mail uses them.
_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


@dataclass(frozen=True)
class Email(Field):
    """An e-mail address people sign in with: ``name@school.org.uk``. Kept as given; compared without regard
    to case (two users cannot have the same address in different cases)."""

    required: bool = False

    def clean(self, value: Any) -> str | None:
        if value is None:
            if self.required:
                raise ValueError("is required")
            return None
        if not isinstance(value, str):
            raise ValueError("must be text")
        if value != value.strip():
            raise ValueError("must not start or end with spaces")
        if len(value) > 254:
            raise ValueError(f"must be at most 254 characters (got {len(value)})")
        local, at, domain = value.rpartition("@")
        if not at or not local or not domain:
            raise ValueError("must be an e-mail address such as name@school.org.uk")
        if len(local) > 64 or not _LOCAL.match(local):
            raise ValueError(f"the part before @ ({local!r}) is not a usable address: letters, digits and "
                             ".!#$%&'*+/=?^_`{|}~- only, no spaces, and no dot at either end or two together")
        try:
            ascii_domain = domain.encode("idna").decode("ascii")  # an internationalised domain, as mail sends it
        except UnicodeError:
            raise ValueError(f"the domain {domain!r} is not a valid domain name") from None
        labels = ascii_domain.split(".")
        if len(labels) < 2 or not all(_LABEL.match(label) for label in labels) or labels[-1].isdigit():
            raise ValueError(f"the domain {domain!r} is not a domain name such as school.org.uk")
        return value


@dataclass(frozen=True)
class NewUser:
    user: User
    email: str | None


def check_new_user(*, name: str, role: str, setting_urn: str | None, email: str | None = None,
                   setting_field: str = "setting") -> NewUser:
    """The user to create, with every bad field named at once; ``setting_field`` is what the caller calls the
    setting (``setting`` on the command line, ``setting_urn`` in the API)."""
    check = Checker()
    clean_name = check.clean("name", Text(SHORT_TEXT), name)
    clean_role = check.clean("role", Choice(codes.ROLES), role)
    clean_email = check.clean("email", Email(), email)
    urn = None
    if clean_role in codes.SETTING_ROLES:
        urn = check.clean(setting_field, Urn(), setting_urn)
    elif setting_urn is not None:
        check.fail(setting_field, f"only {' and '.join(codes.SETTING_ROLES)} belong to a setting, not a {role}")
    check.done()
    user = User(user_id=str(uuid4()), name=str(clean_name), role=str(clean_role), setting_urn=urn)
    return NewUser(user, clean_email)
