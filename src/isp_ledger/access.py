"""Who may see and do what (CONTRACT.md §10), decided in one place for the API, the CLI and the pages.

A plan the caller may not see is reported as not found, so that its existence is not revealed. A plan the
caller may see, but not change in the way asked, is forbidden.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from dataclasses import dataclass

from isp_ledger.domain.errors import Forbidden, NotFound
from isp_ledger.domain.stamp import Actor

TOKEN_PREFIX = "isp_"  # noqa: S105 - the visible prefix of every token, not a secret


@dataclass(frozen=True)
class User:
    user_id: str
    name: str
    role: str
    setting_urn: str | None = None

    @property
    def actor(self) -> Actor:
        return Actor(self.user_id, self.name, self.role)


class Action(enum.Enum):
    READ = "read the plan"
    EDIT = "change the plan"
    RECORD_PROGRESS = "record progress"
    RECORD_CONTRIBUTION = "add a contribution"
    RECORD_ACKNOWLEDGEMENT = "record an acknowledgement"
    CORRECT = "correct an entry"
    RECORD_DELIVERY = "record sessions of provision"


# What each role may do on a plan it can see. (Parents, professionals and complaint handlers see a plan only
# through a grant, which arrives with access grants; until then they see none.)
ROLE_ACTIONS: dict[str, frozenset[Action]] = {
    "admin": frozenset(Action),
    "senco": frozenset(Action),
    "teacher": frozenset({Action.READ, Action.RECORD_PROGRESS, Action.RECORD_CONTRIBUTION, Action.RECORD_DELIVERY}),
    "parent": frozenset(),
    "professional": frozenset(),
    "complaint_handler": frozenset(),
}


def can_see(user: User, setting_urn: str) -> bool:
    if user.role == "admin":
        return True
    return user.role in ("senco", "teacher") and user.setting_urn == setting_urn


def visible_settings(user: User) -> list[str] | None:
    """The settings whose plans the user may list: ``None`` for every setting."""
    if user.role == "admin":
        return None
    if user.role in ("senco", "teacher") and user.setting_urn:
        return [user.setting_urn]
    return []


def require_staff_of(user: User, setting_urn: str) -> None:
    """Setting reports are for the setting's staff and administrators."""
    if user.role == "admin" or (user.role in ("senco", "teacher") and user.setting_urn == setting_urn):
        return
    raise Forbidden(f"Only staff of setting {setting_urn} and administrators may see its reports")


def require(user: User, setting_urn: str, action: Action, plan_id: object) -> None:
    if not can_see(user, setting_urn):
        raise NotFound(f"No plan {plan_id}")
    if action not in ROLE_ACTIONS.get(user.role, frozenset()):
        raise Forbidden(f"A {user.role} may not {action.value}")


def require_role_may(user: User, action: Action) -> None:
    """Refuse at once a role that may never do ``action`` on any plan, before any plan is looked at: a write
    naming several plans then reveals nothing about them."""
    if action not in ROLE_ACTIONS.get(user.role, frozenset()):
        raise Forbidden(f"A {user.role} may not {action.value}")


def require_can_manage_setting(user: User, setting_urn: str, what: str = "its calendar") -> None:
    """A setting's own records (its calendar, its details) are kept by its SENCO or an administrator."""
    if user.role == "admin" or (user.role == "senco" and user.setting_urn == setting_urn):
        return
    raise Forbidden(f"Only the SENCO of setting {setting_urn} or an administrator may change {what}")


def require_can_open(user: User, setting_urn: str) -> None:
    if user.role == "admin":
        return
    if user.role != "senco":
        raise Forbidden(f"A {user.role} may not open plans; a SENCO or an administrator opens them")
    if user.setting_urn != setting_urn:
        raise Forbidden(f"You are the SENCO of setting {user.setting_urn}; you cannot open a plan for {setting_urn}")


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
