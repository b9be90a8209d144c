"""The write path: lock the plans, run a command, seal and store its events, retry on a conflict.

Every write goes through :meth:`WritePath.write`, whether it changes one plan or (a group session) several:
the plans are locked together (in stripe order, so two writes never deadlock), taken from the cache or
loaded, changed in memory, and their events sealed into each plan's hash chain and stored in one transaction
with their companions (UPN claims, the remembered answer of an idempotent request, an erasure's destruction
of the pupil's data key). A writer in another
process is detected by the (plan, version) primary key: the command is then run again on the fresh plans, so
concurrent writers never lose an update, and a command that no longer makes sense on the fresh plan is
refused rather than applied blindly. With ``If-Match`` there is no second run: the caller is told.
A command that fails part-way never leaves its half-changed plans in the cache.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import cast
from uuid import UUID

from isp_ledger.access import User
from isp_ledger.application.base import Clock, Idempotency, WriteResult
from isp_ledger.application.plans import Plans
from isp_ledger.domain.errors import IdempotencyMismatch, RuleViolation, StaleVersion
from isp_ledger.domain.plan import Plan
from isp_ledger.domain.privacy import ERASED
from isp_ledger.domain.stamp import Stamp, format_instant
from isp_ledger.storage.companions import (
    ClaimUpn,
    Companion,
    DestroyDataKey,
    IdempotencyKeyTaken,
    ReleaseUpn,
    RememberResponse,
    UpnTaken,
    VersionConflict,
)
from isp_ledger.storage.grants import grant_companions
from isp_ledger.storage.store import PlanStore

MAX_ATTEMPTS = 8

# Checks who may write to the plans, before anything is changed (so a refused caller learns nothing more).
Authorize = Callable[[dict[UUID, Plan]], None]
# Changes the (locked) plans as ``by`` and returns the answer to give if they are stored.
Command = Callable[[dict[UUID, Plan], Stamp], WriteResult]


class UpnClaimed(Exception):
    """The UPN of a plan being opened already has an open plan."""

    def __init__(self, plan: Plan) -> None:
        super().__init__(plan.upn)
        self.plan = plan


class WritePath:
    def __init__(self, store: PlanStore, plans: Plans, clock: Clock) -> None:
        self.store = store
        self.plans = plans
        self.clock = clock
        # The latest write in this process (and each user's), so that reads answered by this process can wait
        # for the read models to show what it has acknowledged.
        self.last_writes: dict[str, tuple[UUID, int]] = {}
        self.last_write: tuple[UUID, int] | None = None

    def stamp(self, user: User) -> Stamp:
        return Stamp(user.actor, self.clock.now())

    def replay(self, user: User, idempotency: Idempotency | None) -> WriteResult | None:
        """The remembered answer to a repeated idempotent request, if this is one."""
        if idempotency is None:
            return None
        remembered = self.store.accounts.remembered_response(user.user_id, idempotency.key)
        if remembered is None:
            return None
        if remembered.fingerprint != idempotency.fingerprint:
            raise IdempotencyMismatch()
        return WriteResult(remembered.status_code, json.loads(remembered.body), replayed=True)

    def write(self, user: User, plan_ids: list[UUID], authorize: Authorize, command: Command, *,
              if_match: int | None = None, idempotency: Idempotency | None = None) -> WriteResult:
        """Run ``command`` on the plans and store what it changed: all of it, or (refused) none of it."""
        if replay := self.replay(user, idempotency):
            return replay
        for _attempt in range(MAX_ATTEMPTS):
            with self.plans.locks.of_all(plan_ids):
                plans = {plan_id: self.plans.cached_or_loaded(plan_id) for plan_id in plan_ids}
                authorize(plans)
                for plan in plans.values():
                    plan.require_not_erased()  # before the command reads a value the erasure left null
                if if_match is not None and (version := plans[plan_ids[0]].version) != if_match:
                    raise StaleVersion(if_match, version)
                upns = {plan_id: plan.upn for plan_id, plan in plans.items()}
                try:
                    result = command(plans, self.stamp(user))
                except BaseException:
                    for plan in plans.values():  # a command that failed part-way: never keep its state
                        if plan.pending_events:
                            self.plans.evict(plan.id)
                    raise
                companions = [c for plan_id, plan in plans.items() for c in self._upn_companions(plan, upns[plan_id])]
                companions += [c for plan in plans.values() for c in grant_companions(plan)]
                companions += [c for plan in plans.values() for c in erasure_companions(plan)]
                try:
                    self._save(list(plans.values()), companions, user, idempotency, result)
                except VersionConflict:
                    self._evict(plans)
                    if if_match is not None:
                        raise StaleVersion(if_match, self.plans.current(plan_ids[0]).version) from None
                    continue  # another process wrote first: run the command again on the fresh plans
                except IdempotencyKeyTaken:
                    self._evict(plans)
                    return self._replay_after_race(user, idempotency)
                except UpnTaken:
                    self._evict(plans)
                    upn = plans[plan_ids[0]].upn
                    raise RuleViolation("one_open_plan_per_upn", f"Pupil {upn} already has an open plan") from None
                except BaseException:
                    self._evict(plans)
                    raise
                for plan in plans.values():
                    self._note_write(user, plan)
                return result
        raise RuleViolation("too_busy", "The plan is being changed by many writers at once; please try again")

    def write_new(self, user: User, plan: Plan, result: WriteResult, idempotency: Idempotency | None) -> WriteResult:
        """Store a plan just opened, claiming its pupil's UPN (``UpnClaimed`` if it has an open plan already)."""
        try:
            with self.plans.locks.of(plan.id):
                self._save([plan], [ClaimUpn(self.store.upn_key(plan.upn), plan.id)], user, idempotency, result)
                self.plans.put(plan)
        except UpnTaken:
            raise UpnClaimed(plan) from None
        except IdempotencyKeyTaken:
            return self._replay_after_race(user, idempotency)
        self._note_write(user, plan)
        return result

    def _save(self, plans: list[Plan], companions: list[Companion], user: User, idempotency: Idempotency | None,
              result: WriteResult) -> None:
        """Seal the plans' pending events into their chains and store them, with the companions, in one write."""
        if idempotency is not None:
            companions = [*companions, RememberResponse(
                user.user_id, idempotency.key, idempotency.fingerprint, result.status_code,
                json.dumps(result.body).encode(),
            )]
        stored = []
        heads = []
        for plan in plans:
            head = plan.head_hash
            for event in plan.collect_events():
                stored_event, head = self.store.seal(event, head)  # type: ignore[arg-type]
                stored.append(stored_event)
            heads.append(head)
        self.store.insert(stored, companions)
        for plan, head in zip(plans, heads, strict=True):
            plan.head_hash = head
            self.store.snapshot_if_due(plan)

    def _upn_companions(self, plan: Plan, upn_before: str) -> list[Companion]:
        key = self.store.upn_key
        if not plan.is_open:
            return [ReleaseUpn(key(upn_before), plan.id)]
        if plan.upn != upn_before:  # the UPN itself was corrected
            return [ReleaseUpn(key(upn_before), plan.id), ClaimUpn(key(plan.upn), plan.id)]
        return []

    def _replay_after_race(self, user: User, idempotency: Idempotency | None) -> WriteResult:
        replay = self.replay(user, idempotency)
        assert replay is not None, "the key's row committed before our conflict"
        return replay

    def _note_write(self, user: User, plan: Plan) -> None:
        self.last_writes[user.user_id] = self.last_write = (plan.id, plan.version)

    def _evict(self, plans: dict[UUID, Plan]) -> None:
        for plan_id in plans:
            self.plans.evict(plan_id)


def erasure_companions(plan: Plan) -> list[Companion]:
    """The destruction of the pupil's data key (CONTRACT.md §11), in the transaction of the plan's erasure."""
    return [DestroyDataKey(plan.id, event.recorded_at)  # type: ignore[attr-defined]
            for event in plan.pending_events if type(event).__name__ == ERASED]


def write_answer(plan: Plan, status_code: int, item_id: str | None) -> WriteResult:
    """The answer to a write on one plan (CONTRACT.md §2), from its last pending event."""
    last = cast(Plan.Event, plan.pending_events[-1])
    body = {
        "plan_id": str(plan.id),
        "version": last.originator_version,
        "event_id": last.event_id,
        "recorded_at": format_instant(last.timestamp),
    }
    if item_id is not None:
        body["item_id"] = item_id
    return WriteResult(status_code, body)
