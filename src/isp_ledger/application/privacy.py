"""Erasure and legal holds (CONTRACT.md §11): the commands, and what an erasure purges once it is stored.

An erasure (``Plan.erase``, rules in ``domain/privacy.py``) goes through the one write path like any change; its
companion ``DestroyDataKey`` (``writes.erasure_companions``) sets the pupil's wrapped data key to ``NULL`` in the
same transaction, so the erasure is in the history exactly when the key is gone. Once committed, this process
forgets the key it may hold in memory and the plan it has cached, deletes the plan's snapshots (a cache, which may
hold the pupil's data), and on SQLite empties the write-ahead log so that no copy of the old key's page stays in the
``-wal`` file. Other processes notice the erasure among the events they read (``Plans.current``) and drop what they
hold of the plan.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from isp_ledger.access import Action, User
from isp_ledger.application.base import WriteResult
from isp_ledger.application.writes import WritePath, write_answer
from isp_ledger.domain.plan import Plan
from isp_ledger.domain.stamp import Stamp
from isp_ledger.storage import sqlite_erasure
from isp_ledger.storage.store import PlanStore


def purge_after_erasure(store: PlanStore, plan_id: UUID) -> None:
    """Drop what this process and the store's caches hold of an erased plan's personal data."""
    store.data_keys.forget(plan_id)
    store.delete_snapshots(plan_id)
    if store.kind == "sqlite":
        sqlite_erasure.checkpoint(store.datastore)  # type: ignore[arg-type]  # the SQLite store's datastore


class PlanPrivacy:
    """Erasing a plan's personal data, and setting and lifting legal holds: an administrator's alone."""

    def __init__(self, writes: WritePath) -> None:
        self.writes = writes

    def erase(self, user: User, plan_id: UUID, *, reason: str, **options: Any) -> WriteResult:
        def change(plan: Plan, by: Stamp) -> None:
            plan.erase(by, reason=reason)

        result = self._on_plan(user, plan_id, Action.ERASE, change, **options)
        if not result.replayed:
            self.writes.plans.evict(plan_id)
            purge_after_erasure(self.writes.store, plan_id)
        return result

    def set_legal_hold(self, user: User, plan_id: UUID, *, reason: str, **options: Any) -> WriteResult:
        def change(plan: Plan, by: Stamp) -> None:
            plan.set_legal_hold(by, reason=reason)

        return self._on_plan(user, plan_id, Action.LEGAL_HOLD, change, **options)

    def lift_legal_hold(self, user: User, plan_id: UUID, *, reason: str, **options: Any) -> WriteResult:
        def change(plan: Plan, by: Stamp) -> None:
            plan.lift_legal_hold(by, reason=reason)

        return self._on_plan(user, plan_id, Action.LEGAL_HOLD, change, **options)

    def _on_plan(self, user: User, plan_id: UUID, action: Action, change: Any, *, if_match: int | None = None,
                 idempotency: Any = None) -> WriteResult:
        def authorize(plans: dict[UUID, Plan]) -> None:
            self.writes.plans.authorize(user, plans[plan_id], action)

        def command(plans: dict[UUID, Plan], by: Stamp) -> WriteResult:
            plan = plans[plan_id]
            change(plan, by)
            return write_answer(plan, 200, None)

        return self.writes.write(user, [plan_id], authorize, command, if_match=if_match, idempotency=idempotency)
