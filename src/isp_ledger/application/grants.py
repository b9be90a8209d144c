"""Sharing a plan (CONTRACT.md §10): giving and revoking access, listing a plan's grants, and the plans granted to
a caller.

A grant and its revocation are commands on the plan like any other (``Plan.grant_access``, ``Plan.revoke_access``)
and go through the one write path, which stores the index row of each (``storage/grants.py``) in the same
transaction as its event. Only the plan's SENCO and administrators give, list and revoke access.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from isp_ledger.access import Action, User
from isp_ledger.application.access_log import GRANTS_READ, AccessLog, listed_in
from isp_ledger.application.base import RecordDamaged, WriteResult
from isp_ledger.application.plans import Plans
from isp_ledger.application.writes import WritePath, write_answer
from isp_ledger.domain.errors import NotFound
from isp_ledger.domain.grants import Grantee, grants_of
from isp_ledger.domain.plan import Plan
from isp_ledger.domain.stamp import Stamp
from isp_ledger.domain.view import next_review_due
from isp_ledger.storage.accounts import AccountStore, UserRecord
from isp_ledger.storage.grants import GrantIndex


class PlanGrants:
    def __init__(self, writes: WritePath, accounts: AccountStore, index: GrantIndex, access_log: AccessLog) -> None:
        self.writes = writes
        self.plans: Plans = writes.plans
        self.accounts = accounts
        self.index = index
        self.access_log = access_log

    def grant(self, user: User, plan_id: UUID, *, user_id: Any, relationship: Any, expires_on: Any = None,
              reason: str | None = None, **options: Any) -> WriteResult:
        """Give a parent, professional or complaint handler access to the plan: the write answer and ``grant_id``."""
        def authorize(plans: dict[UUID, Plan]) -> None:
            self.plans.authorize(user, plans[plan_id], Action.MANAGE_ACCESS)

        def command(plans: dict[UUID, Plan], by: Stamp) -> WriteResult:
            plan = plans[plan_id]
            fields = {"user_id": user_id, "relationship": relationship, "expires_on": expires_on}
            grant_id = plan.grant_access(by, fields, self._grantee(user_id), reason=reason)
            result = write_answer(plan, 201, None)
            return WriteResult(result.status_code, {**result.body, "grant_id": grant_id})

        return self.writes.write(user, [plan_id], authorize, command, **options)

    def revoke(self, user: User, plan_id: UUID, grant_id: str, *, reason: str | None = None,
               **options: Any) -> WriteResult:
        def authorize(plans: dict[UUID, Plan]) -> None:
            self.plans.authorize(user, plans[plan_id], Action.MANAGE_ACCESS)

        def command(plans: dict[UUID, Plan], by: Stamp) -> WriteResult:
            plan = plans[plan_id]
            plan.revoke_access(by, grant_id, reason=reason)
            result = write_answer(plan, 200, None)
            return WriteResult(result.status_code, {**result.body, "grant_id": grant_id})

        return self.writes.write(user, [plan_id], authorize, command, **options)

    def plan_grants(self, user: User, plan_id: UUID) -> dict[str, Any]:
        """Every grant of the plan, in force, expired or revoked, with who gave and revoked it, when and why."""
        plan = self.plans.require_visible(user, plan_id, Action.MANAGE_ACCESS)
        today = self.plans.today()
        answer = {"plan_id": str(plan_id), "as_of": today,
                  "grants": [grant.as_json(today) for grant in grants_of(plan)]}
        self.access_log.shown(user, plan, GRANTS_READ)
        return answer

    def granted_to(self, user: User) -> list[dict[str, Any]]:
        """The plans granted to ``user`` in force today, by pupil's name, each with the grant. The index names the
        candidates; each is checked against the plan's own events."""
        rows = []
        for indexed in self.index.in_force_for(user.user_id, self.plans.today()):
            try:
                plan = self.plans.current(indexed.plan_id)
            except (NotFound, RecordDamaged):  # a damaged record: its grants are not trusted
                continue
            grant = self.plans.grant_for(user, plan)
            if grant is None or grant.grant_id != indexed.grant_id:
                continue
            pupil = plan.state["pupil"]
            rows.append({
                "plan_id": str(plan.id),
                "pupil": {"given_name": pupil["given_name"], "family_name": pupil["family_name"]},
                "setting_urn": plan.setting_urn,
                "tier": plan.state["tier"],
                "status": plan.state["status"],
                "opened_on": plan.state["opened_on"],
                "next_review_due": next_review_due(plan),
                "version": plan.version,
                "grant": {"grant_id": grant.grant_id, "relationship": grant.relationship,
                          "expires_on": grant.expires_on, "granted_at": grant.granted_at,
                          "granted_by": grant.granted_by},
            })
        rows.sort(key=lambda r: (r["pupil"]["family_name"].casefold(), r["pupil"]["given_name"].casefold(),
                                 r["plan_id"]))
        self.access_log.listed(user, [(UUID(r["plan_id"]), r["grant"]["relationship"]) for r in rows],
                               listed_in("the plans shared with them"))
        return rows

    def _grantee(self, user_id: Any) -> Grantee | None:
        record = self.accounts.user(user_id) if isinstance(user_id, str) else None
        if record is None:
            return None
        return Grantee(record.user_id, record.name, record.role, active=is_active(record))


def is_active(record: UserRecord) -> bool:
    """Whether an account may still sign in. (Disabling arrives with accounts over the API, as ``disabled_at``;
    an account store without it has no disabled accounts.)"""
    return getattr(record, "disabled_at", None) is None


class ActiveGrants:
    """The grants in force today, as the accounts' rules ask for them (``Accounts.grants``): the users a SENCO may
    list because they hold a grant on the setting's plans, and the settings whose plans a user holds one on."""

    def __init__(self, index: GrantIndex, plans: Plans) -> None:
        self.index = index
        self.plans = plans

    def users_granted_on_setting(self, setting_urn: str) -> frozenset[str]:
        return self.index.users_granted_on_setting(setting_urn, self.plans.today())

    def settings_granting(self, user_id: str) -> frozenset[str]:
        return self.index.settings_granting(user_id, self.plans.today())
