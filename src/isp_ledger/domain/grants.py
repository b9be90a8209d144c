"""Access to a plan for the people it is shared with (CONTRACT.md §10): the rules of a grant and of its revocation,
and who holds access on a given day.

A SENCO or an administrator gives a parent, a professional or a complaint handler access to one plan; the grant
and its revocation are entries in the plan's history (``AccessGranted``, ``AccessRevoked``), so the plan's own
events say who could see it when, and access is decided from them. A grant is held from the moment it is recorded
until it is revoked or, with ``expires_on``, until the end of that day in Europe/London. The grantee's account must
be of the role the relationship names (a parent's account is given access as a parent), and active.

The plan keeps a record of each grant and revocation under :data:`ACCESS`, beside its facts, in the shape of every
other record (``records.make_record``). They are not part of the plan document, and they are not corrected: a grant
given wrongly is revoked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import uuid4

from isp_ledger.domain import events
from isp_ledger.domain.errors import InvalidInput, NotFound, RuleViolation
from isp_ledger.domain.fields import OPTIONAL_REASON
from isp_ledger.domain.records import make_record
from isp_ledger.domain.stamp import Stamp
from isp_ledger.domain.state import PlanState, RecordedEvent
from isp_ledger.domain.validation import SHORT_TEXT, Checker, Choice, Date, Text

RELATIONSHIPS = ("parent", "professional", "complaint_handler")
ACCESS = "access"  # where a plan keeps the records of its grants and revocations (a snapshot may predate it)
GRANTED, REVOKED = "AccessGranted", "AccessRevoked"
GRANT_EVENTS = (GRANTED, REVOKED)

GRANT_FIELDS = {
    "user_id": Text(SHORT_TEXT),
    "relationship": Choice(RELATIONSHIPS),
    "expires_on": Date(required=False),
}


@dataclass(frozen=True)
class Grantee:
    """The account being given access, as the accounts know it now."""

    user_id: str
    name: str
    role: str
    active: bool


@dataclass(frozen=True)
class Grant:
    """A grant of access as the plan's history records it, with its revocation if any."""

    grant_id: str
    user_id: str
    name: str
    relationship: str
    expires_on: str | None
    granted_at: str
    granted_by: dict[str, str]
    reason: str | None
    version: int
    event_id: str
    revoked_at: str | None = None
    revoked_by: dict[str, str] | None = None
    revoked_reason: str | None = None
    revoked_version: int | None = None

    def status_on(self, day: str) -> str:
        """``active``, ``expired`` (after its ``expires_on``) or ``revoked``, on ``day`` (Europe/London)."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_on is not None and day > self.expires_on:
            return "expired"
        return "active"

    def active_on(self, day: str) -> bool:
        return self.status_on(day) == "active"

    def as_json(self, day: str) -> dict[str, Any]:
        return {
            "grant_id": self.grant_id,
            "user": {"user_id": self.user_id, "name": self.name, "role": self.relationship},
            "relationship": self.relationship,
            "expires_on": self.expires_on,
            "status": self.status_on(day),
            "granted_at": self.granted_at,
            "granted_by": self.granted_by,
            "reason": self.reason,
            "version": self.version,
            "event_id": self.event_id,
            "revoked_at": self.revoked_at,
            "revoked_by": self.revoked_by,
            "revoked_reason": self.revoked_reason,
            "revoked_version": self.revoked_version,
        }


# ------------------------------------------------------------------ the plan's commands


class Sharing(PlanState):
    """The commands of access on the ``Plan`` aggregate (a base of it): giving and revoking it, and keeping the
    records of grants apart from the plan's other entries."""

    if TYPE_CHECKING:  # the aggregate's own (``Plan._trigger``)
        def _trigger(self, event_class: type[events.PlanEvent], by: Stamp, agreed_on: str, reason: str | None,
                     **data: Any) -> None: ...

    def grant_access(self, by: Stamp, fields: dict[str, Any], grantee: Grantee | None, *,
                     reason: str | None = None) -> str:
        """Give ``grantee`` access to the plan from now (``fields``: user_id, relationship, expires_on?)."""
        cleaned, why = check_grant(self, by, fields, grantee, reason)
        grant_id = str(uuid4())
        self._trigger(events.AccessGranted, by, by.today.isoformat(), why, grant_id=grant_id, **cleaned)
        return grant_id

    def revoke_access(self, by: Stamp, grant_id: str, *, reason: str | None = None) -> None:
        why = check_revocation(self, by, grant_id, reason)
        self._trigger(events.AccessRevoked, by, by.today.isoformat(), why, grant_id=grant_id)

    def trigger_event(self, event_class: Any, **kwargs: Any) -> None:
        """Every event of the plan passes here: none may correct or strike out a grant or its revocation
        (:func:`refuse_correction`), whichever command asks."""
        target = kwargs.get("corrected_event_id") or kwargs.get("voided_event_id")
        if target is not None:
            refuse_correction(self, target)
        super().trigger_event(event_class, **kwargs)  # type: ignore[misc]  # the Aggregate's, after this in Plan's bases

    def note(self, event: RecordedEvent) -> None:
        """Keep a grant's record under :data:`ACCESS`; every other entry as ``PlanState.note`` does."""
        if type(event).__name__ in GRANT_EVENTS:
            note(self, event)
        else:
            super().note(event)


# ------------------------------------------------------------------ reading a plan's grants


def note(plan: PlanState, event: RecordedEvent) -> None:
    """Keep the record of a grant or a revocation (what ``PlanState.note`` does for the plan's other entries)."""
    plan.facts.setdefault(ACCESS, []).append(make_record(
        event_type=type(event).__name__, version=event.originator_version, event_id=event.event_id,
        agreed_on=event.agreed_on, recorded_at=event.recorded_at, reason=event.reason, actor=event.actor,
        data=event.data(),
    ))
    stored_hash = vars(event).get("stored_hash")
    if stored_hash is not None:
        plan.head_hash = stored_hash


def grants_of(plan: PlanState) -> list[Grant]:
    """Every grant of the plan, in the order given, each with its revocation if it was revoked."""
    grants: dict[str, Grant] = {}
    for record in plan.facts.get(ACCESS, ()):
        data = record["data"]
        if record["type"] == GRANTED:
            grants[data["grant_id"]] = Grant(
                grant_id=data["grant_id"], user_id=data["user_id"], name=data["name"],
                relationship=data["relationship"], expires_on=data["expires_on"], granted_at=record["recorded_at"],
                granted_by=record["actor"], reason=record["reason"], version=record["version"],
                event_id=record["event_id"],
            )
        elif (grant := grants.get(data["grant_id"])) is not None:
            grants[grant.grant_id] = Grant(**{
                **vars(grant), "revoked_at": record["recorded_at"], "revoked_by": record["actor"],
                "revoked_reason": record["reason"], "revoked_version": record["version"]})
    return list(grants.values())


def active_grant(plan: PlanState, user_id: str, day: str) -> Grant | None:
    """The grant through which ``user_id`` may see the plan on ``day`` (Europe/London), if any."""
    return next((g for g in grants_of(plan) if g.user_id == user_id and g.active_on(day)), None)


def is_access_entry(plan: PlanState, event_id: str) -> bool:
    return any(record["event_id"] == event_id for record in plan.facts.get(ACCESS, ()))


# ------------------------------------------------------------------ the rules of giving and revoking access


def check_grant(plan: PlanState, by: Stamp, fields: dict[str, Any], grantee: Grantee | None,
                reason: str | None) -> tuple[dict[str, Any], str | None]:
    """The fields of a new grant to record, and its reason: the grantee exists, is active and of the role the
    relationship names, and holds no access to the plan already; a complaint handler's access ends."""
    today = by.today.isoformat()
    check = Checker()
    cleaned = check.clean_all(GRANT_FIELDS, fields)
    why = check.clean("reason", OPTIONAL_REASON, reason)
    already_wrong = {e.field for e in check.errors}
    if cleaned["relationship"] == "complaint_handler" and cleaned["expires_on"] is None and (
            "expires_on" not in already_wrong):
        check.fail("expires_on", "is required for a complaint handler: give the last day they need the plan for "
                                 "(access ends at the end of that day)")
    if cleaned["expires_on"] is not None and cleaned["expires_on"] < today:
        check.fail("expires_on", f"must not be before today ({today}, Europe/London)")
    check.done()
    if grantee is None:
        raise InvalidInput.field("user_id", "no user has this id; create their account first")
    relationship = cleaned["relationship"]
    if grantee.role != relationship:
        raise RuleViolation(
            "grantee_role_mismatch",
            f"{grantee.name} has {_a(grantee.role)} account; only {_a(relationship)} account is given access as "
            f"{_a(relationship)}"
            + (" (staff see their own setting's plans through their role, without a grant)"
               if grantee.role in ("admin", "senco", "teacher") else ""),
        )
    if not grantee.active:
        raise RuleViolation("grantee_disabled", f"{grantee.name}'s account is disabled, so it cannot be given access")
    held = active_grant(plan, grantee.user_id, today)
    if held is not None:
        until = f" until {spoken_date(held.expires_on)}" if held.expires_on else ""
        raise RuleViolation(
            "already_granted",
            f"{grantee.name} already has access to this plan as {_a(held.relationship)}{until} (grant "
            f"{held.grant_id}); to change its terms, revoke it and give access again",
        )
    return {**cleaned, "name": grantee.name}, why


def check_revocation(plan: PlanState, by: Stamp, grant_id: str, reason: str | None) -> str | None:
    """The reason of a revocation, once the grant is found still in force."""
    check = Checker()
    why: str | None = check.clean("reason", OPTIONAL_REASON, reason)
    check.done()
    grant = next((g for g in grants_of(plan) if g.grant_id == grant_id), None)
    if grant is None:
        raise NotFound(f"This plan has no grant {grant_id}")
    status = grant.status_on(by.today.isoformat())
    if status == "revoked":
        raise RuleViolation("grant_already_revoked", f"This grant to {grant.name} was already revoked "
                                                     f"(version {grant.revoked_version})")
    if status == "expired":
        assert grant.expires_on is not None
        raise RuleViolation("grant_expired", f"This grant to {grant.name} ended on {spoken_date(grant.expires_on)}; "
                                             "there is nothing to revoke")
    return why


def refuse_correction(plan: PlanState, event_id: str) -> None:
    """A grant or a revocation is never corrected nor struck out: a grant given wrongly is revoked, and a new one
    given (who could see the plan, and when, must stay exactly as recorded)."""
    if is_access_entry(plan, event_id):
        raise RuleViolation(
            "access_not_corrected",
            f"A grant of access and its revocation are not corrected or struck out: revoke the grant (DELETE "
            f"/v1/plans/{plan.id}/grants/GRANT_ID) and, if access is still due, give it again",
        )


# ------------------------------------------------------------------ words


def spoken_date(day: str) -> str:
    """A date as people write it: "31 July 2027"."""
    date = dt.date.fromisoformat(day)
    return f"{date.day} {date:%B %Y}"


def _a(role: str) -> str:
    """A role with its article: "a parent", "an administrator"."""
    name = {"admin": "administrator", "senco": "SENCO"}.get(role, role.replace("_", " "))
    return f"{'an' if name[0] in 'aeiou' else 'a'} {name}"
