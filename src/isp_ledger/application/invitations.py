"""Inviting a parent or a professional to a plan by e-mail (CONTRACT.md §10, §13): their account and their grant in
one step, for the plan's access page.

Accounts and plans live in different stores, so the two writes cannot share one transaction. Instead, everything
either write could refuse is checked first: that the caller may manage the plan's access and may create an account
of this role, the account's fields and that its address is free, and the grant's fields and rules
(``check_grant``, against the plan as it stands, for the account about to be made). Only then is the account
created and the grant given, so a refused invitation leaves no account behind. The one gap left is a change of the
plan between the check and the grant (a stale version, or the plan closed meanwhile): the grant is then refused and
the account stays; inviting the same address again grants that account, since an address that already belongs to
a user of the right role is granted rather than refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from isp_ledger import access
from isp_ledger.access import Action, User
from isp_ledger.application.accounts import Accounts
from isp_ledger.application.base import WriteResult
from isp_ledger.application.grants import PlanGrants
from isp_ledger.domain.errors import FieldError, InvalidInput, RuleViolation, StaleVersion
from isp_ledger.domain.grants import Grantee, check_grant
from isp_ledger.domain.stamp import Stamp
from isp_ledger.storage.accounts import UserRecord, email_key
from isp_ledger.users import Email, check_new_user

INVITED_ROLES = ("parent", "professional")
_A = {"parent": "a parent", "professional": "a professional"}


@dataclass(frozen=True)
class Invitation:
    """Who was given access: ``created`` says whether their account was made now or was already there."""

    user_id: str
    name: str
    email: str
    created: bool
    grant: WriteResult


def invite(grants: PlanGrants, accounts: Accounts, user: User, plan_id: UUID, *, name: str, email: str,
           relationship: str, reason: str | None = None, if_match: int | None = None) -> Invitation:
    """Give the person with ``email`` access to the plan as ``relationship`` (parent or professional), making their
    account first if the address has none. Every refusal comes before anything is written; an address that belongs
    to an account of another role is refused without saying whose it is (addresses can be guessed)."""
    plan = grants.plans.require_visible(user, plan_id, Action.MANAGE_ACCESS)
    if if_match is not None and plan.version != if_match:
        raise StaleVersion(if_match, plan.version)
    address = _address(name, email, relationship)
    existing = _account_with(accounts, address)
    if existing is not None and existing.role != relationship:  # said without naming whose it is
        raise RuleViolation("grantee_role_mismatch", f"The address {address} already belongs to an account that is "
                                                     f"not {_A[relationship]}'s; use the address they use as "
                                                     f"{_A[relationship]}, or ask an administrator")
    if existing is not None:  # the grant's own rules refuse a disabled account, or one with access already
        result = grants.grant(user, plan_id, user_id=existing.user_id, relationship=relationship, reason=reason,
                              if_match=if_match)
        return Invitation(existing.user_id, existing.name, existing.email or address, False, result)
    access.require_may_create(user, relationship, None)
    problems: list[FieldError] = []
    try:
        new = check_new_user(name=name, role=relationship, setting_urn=None, email=address)
    except InvalidInput as e:
        problems += e.errors
    try:
        check_grant(plan, Stamp(user.actor, grants.writes.clock.now()),
                    {"user_id": "new", "relationship": relationship, "expires_on": None},
                    Grantee("new", name, relationship, active=True), reason)
    except InvalidInput as e:
        problems += e.errors
    if problems:
        raise InvalidInput(problems)
    record, _token = accounts.create_user(user, name=new.user.name, role=relationship, email=new.email)
    result = grants.grant(user, plan_id, user_id=record.user_id, relationship=relationship, reason=reason,
                          if_match=if_match)
    return Invitation(record.user_id, record.name, address, True, result)


def _address(name: str, email: str, relationship: str) -> str:
    """The address, once the form's fields are of the right kind (a name is asked for even when the address turns
    out to have an account: the person inviting cannot know that)."""
    problems = []
    address: Any = None
    if not (isinstance(name, str) and name.strip()):
        problems.append(FieldError("name", "Enter the person's full name"))
    try:
        address = Email(required=True).clean(email.strip() if isinstance(email, str) else email)
    except ValueError as e:
        problems.append(FieldError("email", f"Enter an email address in the right form: {e}"))
    if relationship not in INVITED_ROLES:
        problems.append(FieldError("relationship", "choose parent or professional (a complaint handler is given "
                                                   "access with an end date, from their existing account)"))
    if problems:
        raise InvalidInput(problems)
    return str(address)


def _account_with(accounts: Accounts, address: str) -> UserRecord | None:
    key = email_key(address)
    return next((r for r in accounts.accounts() if r.email is not None and email_key(r.email) == key), None)
