"""The index of access grants (``isp_grants``), for the listings that start from a person rather than a plan: the
plans granted to a user (``GET /v1/me/plans``), the users granted on a setting's plans, the settings whose plans a
user holds a grant on.

Each row is written with the event it indexes, in the same transaction (:func:`grant_companions`), so the index is
never behind the plans' histories. It only ever narrows a listing down: whether someone may see a plan is decided
from the plan's own events.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore

from isp_ledger.domain.grants import GRANTED, REVOKED
from isp_ledger.domain.plan import Plan
from isp_ledger.storage.companions import Companion, RecordGrant, RecordRevocation
from isp_ledger.storage.sql import Sql

# A grant in force on a day (Europe/London, ISO): not revoked, and not past its last day.
_IN_FORCE = "revoked_at IS NULL AND (expires_on IS NULL OR expires_on >= ?)"


@dataclass(frozen=True)
class IndexedGrant:
    grant_id: str
    plan_id: UUID
    setting_urn: str
    relationship: str
    expires_on: str | None


def grant_companions(plan: Plan) -> list[Companion]:
    """The index rows of the grants and revocations among the plan's events not yet stored."""
    companions: list[Companion] = []
    for event in plan.pending_events:
        name = type(event).__name__
        data: dict[str, Any] = event.data()  # type: ignore[attr-defined]
        if name == GRANTED:
            companions.append(RecordGrant(
                grant_id=data["grant_id"], plan_id=plan.id, setting_urn=plan.setting_urn, user_id=data["user_id"],
                relationship=data["relationship"], expires_on=data["expires_on"],
                granted_at=event.recorded_at,  # type: ignore[attr-defined]
            ))
        elif name == REVOKED:
            companions.append(RecordRevocation(grant_id=data["grant_id"],
                                               revoked_at=event.recorded_at))  # type: ignore[attr-defined]
    return companions


class GrantIndex:
    def __init__(self, datastore: SQLiteDatastore | PostgresDatastore) -> None:
        self.sql = Sql(datastore)

    def in_force_for(self, user_id: str, day: str) -> list[IndexedGrant]:
        """The grants ``user_id`` holds on ``day``, oldest first."""
        rows = self.sql.fetch(
            "SELECT grant_id, plan_id, setting_urn, relationship, expires_on FROM {isp_grants} "
            f"WHERE user_id = ? AND {_IN_FORCE} ORDER BY granted_at, grant_id",
            (user_id, day),
        )
        return [IndexedGrant(g, UUID(str(p)), s, r, e) for g, p, s, r, e in rows]

    def users_granted_on_setting(self, setting_urn: str, day: str) -> frozenset[str]:
        rows = self.sql.fetch(f"SELECT DISTINCT user_id FROM {{isp_grants}} WHERE setting_urn = ? AND {_IN_FORCE}",
                              (setting_urn, day))
        return frozenset(str(row[0]) for row in rows)

    def settings_granting(self, user_id: str, day: str) -> frozenset[str]:
        rows = self.sql.fetch(f"SELECT DISTINCT setting_urn FROM {{isp_grants}} WHERE user_id = ? AND {_IN_FORCE}",
                              (user_id, day))
        return frozenset(str(row[0]) for row in rows)
