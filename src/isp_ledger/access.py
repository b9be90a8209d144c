"""Who may see and do what (CONTRACT.md §10), decided in one place for the API, the CLI and the pages.

A plan the caller may not see is reported as not found, so that its existence is not revealed. A plan the
caller may see, but not change in the way asked, is forbidden.

Staff see their setting's plans through their role. Parents, professionals and complaint handlers see a plan only
through a grant in force on the day of the request, which the caller passes in as the plan's own events record it
(``Plans.grant_for``): never from a read model, so a revocation or an expiry holds from the very next request.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Protocol

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
    READ_ACCESS_LOG = "read who has looked at the plan"
    MANAGE_ACCESS = "see or change who has access to the plan"
    # A contribution of each kind (RECORD_CONTRIBUTION: of some kind, for a body whose kind the domain refuses).
    ADD_PARENT_VIEW = "add a parent's view"
    ADD_PUPIL_VOICE = "add the pupil's voice"
    ADD_PROFESSIONAL_ADVICE = "add professional advice"
    # CONTRACT.md §11: an administrator's alone.
    ERASE = "erase the pupil's personal data"
    LEGAL_HOLD = "set or lift a legal hold"


ADMIN_ONLY = frozenset({Action.ERASE, Action.LEGAL_HOLD})


CONTRIBUTION_ACTIONS = {"parent_view": Action.ADD_PARENT_VIEW, "pupil_voice": Action.ADD_PUPIL_VOICE,
                        "professional_advice": Action.ADD_PROFESSIONAL_ADVICE}
GRANTEE_ROLES = ("parent", "professional", "complaint_handler")  # who sees a plan only through a grant

# What a grantee may do on the plan granted, by the relationship the grant names (always the grantee's role).
GRANT_ACTIONS: dict[str, frozenset[Action]] = {
    "parent": frozenset({Action.READ, Action.READ_ACCESS_LOG, Action.RECORD_CONTRIBUTION, Action.ADD_PARENT_VIEW,
                         Action.ADD_PUPIL_VOICE, Action.RECORD_ACKNOWLEDGEMENT}),
    "professional": frozenset({Action.READ, Action.RECORD_CONTRIBUTION, Action.ADD_PROFESSIONAL_ADVICE}),
    "complaint_handler": frozenset({Action.READ}),
}

# What each role may do on a plan it can see: staff on their setting's plans, grantees on a plan granted to them.
ROLE_ACTIONS: dict[str, frozenset[Action]] = {
    "admin": frozenset(Action),
    "senco": frozenset(Action) - ADMIN_ONLY,
    "teacher": frozenset({Action.READ, Action.RECORD_PROGRESS, Action.RECORD_CONTRIBUTION, Action.RECORD_DELIVERY,
                          *CONTRIBUTION_ACTIONS.values()}),
    **GRANT_ACTIONS,
}
_ROLE_NAMES = {"admin": "an administrator", "senco": "a SENCO", "teacher": "a teacher", "parent": "a parent",
               "professional": "a professional", "complaint_handler": "a complaint handler"}


def _role_name(user: User) -> str:
    name = _ROLE_NAMES.get(user.role, user.role)
    return name[0].upper() + name[1:]


class Grant(Protocol):
    """What access needs to know of a grant in force (``domain.grants.Grant`` is one)."""

    @property
    def relationship(self) -> str: ...


def contribution_action(kind: object) -> Action:
    """What adding a contribution of ``kind`` asks of the caller."""
    return CONTRIBUTION_ACTIONS.get(kind, Action.RECORD_CONTRIBUTION) if isinstance(kind, str) else (
        Action.RECORD_CONTRIBUTION)


def can_see(user: User, setting_urn: str, grant: Grant | None = None) -> bool:
    """Whether ``user`` may see a plan of ``setting_urn``; ``grant``: the caller's grant on it in force today."""
    if user.role == "admin":
        return True
    if user.role in ("senco", "teacher"):
        return user.setting_urn == setting_urn
    return grant is not None and grant.relationship == user.role


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


def require(user: User, setting_urn: str, action: Action, plan_id: object, grant: Grant | None = None) -> None:
    """Refuse ``action`` on a plan of ``setting_urn``: not found if the caller may not see the plan at all
    (``grant``: theirs on it, in force today), forbidden if they may see it but not do this."""
    if not can_see(user, setting_urn, grant):
        raise NotFound(f"No plan {plan_id}")
    if action not in ROLE_ACTIONS.get(user.role, frozenset()):
        raise Forbidden(f"{_role_name(user)} may not {action.value}")


def require_role_may(user: User, action: Action) -> None:
    """Refuse at once a role that may never do ``action`` on any plan, before any plan is looked at: a write
    naming several plans then reveals nothing about them."""
    if action not in ROLE_ACTIONS.get(user.role, frozenset()):
        raise Forbidden(f"{_role_name(user)} may not {action.value}")


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


# ------------------------------------------------------------------ managing users (CONTRACT.md §10)

STAFF_ROLES = ("senco", "teacher")
# What a SENCO may create: teachers of their own setting, and the people their plans are shared with.
SENCO_MAY_CREATE = ("teacher", "parent", "professional", "complaint_handler")


class ManagedUser(Protocol):
    """What the rules below need to know of a user being managed."""

    @property
    def user_id(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def setting_urn(self) -> str | None: ...
    @property
    def created_by(self) -> str | None: ...


def require_may_manage_users(user: User) -> None:
    """Users are managed by administrators and SENCOs only: anyone else is refused before anything is looked up."""
    if user.role not in ("admin", "senco"):
        raise Forbidden(f"A {user.role} may not manage users; a SENCO or an administrator does")


def require_may_create(user: User, role: str, setting_urn: str | None) -> None:
    if user.role == "admin":
        return
    require_may_manage_users(user)
    if role not in SENCO_MAY_CREATE:
        raise Forbidden(f"A SENCO may create {', '.join(SENCO_MAY_CREATE[:-1])} and {SENCO_MAY_CREATE[-1]} users, "
                        f"not a {role}; ask an administrator")
    if role in STAFF_ROLES and setting_urn != user.setting_urn:
        raise Forbidden(f"You are the SENCO of setting {user.setting_urn}; you may create teachers of that setting "
                        f"only, not of {setting_urn}")


def _staff_of_their_setting(user: User, other: ManagedUser) -> bool:
    return other.role in STAFF_ROLES and other.setting_urn is not None and other.setting_urn == user.setting_urn


def may_see_user(user: User, other: ManagedUser, granted_on_their_plans: AbstractSet[str] = frozenset()) -> bool:
    """Whether ``user`` may list ``other``: an administrator anyone; a SENCO their setting's staff, the users they
    created, and ``granted_on_their_plans`` (the users holding a grant on a plan of their setting)."""
    if user.role == "admin":
        return True
    if user.role != "senco":
        return False
    return (_staff_of_their_setting(user, other) or other.created_by == user.user_id
            or other.user_id in granted_on_their_plans)


def require_may_disable(user: User, other: ManagedUser, *, granted_on_their_plans: AbstractSet[str] = frozenset(),
                        settings_granting_them: AbstractSet[str] = frozenset()) -> None:
    """An administrator may disable anyone; a SENCO their setting's staff, and the users they created who hold no
    grant on another setting's plan (``settings_granting_them``: the settings whose plans ``other`` holds a grant
    on). A user the caller may not list is not found; one they may list but not disable is forbidden."""
    if user.role == "admin":
        return
    require_may_manage_users(user)
    if not may_see_user(user, other, granted_on_their_plans):
        raise NotFound(f"No user {other.user_id}")
    if _staff_of_their_setting(user, other):
        return
    if other.created_by == user.user_id and not (set(settings_granting_them) - {user.setting_urn}):
        return
    if other.created_by == user.user_id:
        raise Forbidden("This user also has access to another setting's plans, so disabling them is for an "
                        "administrator; revoke the grants on your setting's plans instead")
    raise Forbidden("Only an administrator, or the SENCO who created this user, may disable them; revoke their "
                    "grants on your setting's plans instead")
