"""Plans in memory: the cache of plans being written, loading them, and who may see them.

Plans being written are cached (least recently used first out); a plan read for a query is brought up to
date with events other processes stored meanwhile. A record that cannot be folded (altered outside the
ledger) is reported as :class:`RecordDamaged`, never as a crash.

Who may see a plan, and do what with it, is decided here from the plan as stored (``access.py`` holds the rules):
a parent, professional or complaint handler through a grant the plan's own events show in force on the day of the
request, so that a revocation or an expiry holds from the very next request, in every process.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from typing import Any, cast
from uuid import UUID

from isp_ledger import access
from isp_ledger.access import Action, User
from isp_ledger.application.base import Clock, RecordDamaged, SystemClock
from isp_ledger.domain import grants, privacy
from isp_ledger.domain.errors import LedgerError, NotFound
from isp_ledger.domain.plan import Plan
from isp_ledger.domain.stamp import format_instant, london_date
from isp_ledger.storage.chain import unseal
from isp_ledger.storage.store import AggregateNotFoundError, PlanStore, replay


class PlanLocks:
    """Serialises commands on one plan within this process.

    A fixed set of re-entrant locks, chosen by the plan's id: nothing to create or clean up per plan, and no
    lock shared by every command. Two plans may share a stripe, which only makes them take turns. Several
    plans are locked in stripe order, so that two multi-plan commands can never deadlock.
    """

    STRIPES = 1024

    def __init__(self) -> None:
        self._stripes = [threading.RLock() for _ in range(self.STRIPES)]

    def of(self, plan_id: UUID) -> threading.RLock:
        return self._stripes[plan_id.int % self.STRIPES]

    @contextmanager
    def of_all(self, plan_ids: Iterable[UUID]) -> Iterator[None]:
        with ExitStack() as stack:
            for index in sorted({p.int % self.STRIPES for p in plan_ids}):
                stack.enter_context(self._stripes[index])
            yield


class Plans:
    """Loads plans (cached for writing), and checks that a caller may see one."""

    def __init__(self, store: PlanStore, cache_size: int, clock: Clock | None = None) -> None:
        self.store = store
        self.cache_size = cache_size
        self.clock = clock or SystemClock()
        self.locks = PlanLocks()
        # Each OrderedDict operation is atomic under the GIL; the cache needs no lock of its own.
        self._cache: OrderedDict[UUID, Plan] = OrderedDict()

    # ---------------------------------------------------------------- the cache

    def cached_or_loaded(self, plan_id: UUID) -> Plan:
        """The plan to run a command on (the caller holds its lock): cached, or loaded from the store."""
        plan = self._cache.get(plan_id)
        if plan is not None:
            with suppress(KeyError):  # evicted meanwhile by another thread: still ours to use
                self._cache.move_to_end(plan_id)
            return plan
        plan = self.load(plan_id)
        self.put(plan)
        return plan

    def put(self, plan: Plan) -> None:
        self._cache[plan.id] = plan
        with suppress(KeyError):
            self._cache.move_to_end(plan.id)
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)

    def evict(self, plan_id: UUID) -> None:
        self._cache.pop(plan_id, None)

    # ---------------------------------------------------------------- loading

    def load(self, plan_id: UUID) -> Plan:
        try:
            plan = self.store.get(plan_id)
        except AggregateNotFoundError:
            raise NotFound(f"No plan {plan_id}") from None
        except Exception as e:
            raise RecordDamaged.reading(plan_id, e) from e
        if privacy.is_erased(plan):
            plan = self._erased(plan_id)
        # A plan replayed far past its latest snapshot (none yet, or one of an older format passed over) gets a
        # new one, so that a plan nobody writes to any more, a closed one, is not replayed in full every time.
        self.store.snapshot_if_due(plan)
        return plan

    def _erased(self, plan_id: UUID) -> Plan:
        """An erased plan, replayed from its events alone with its key forgotten: neither a snapshot taken before
        the erasure (until the process that erased it deletes them) nor a key this process still held may bring
        back what it erased."""
        self.store.data_keys.forget(plan_id)
        try:
            plan = replay(None, self.store.events_after(plan_id, None))
        except Exception as e:
            raise RecordDamaged.reading(plan_id, e) from e
        assert plan is not None
        return plan

    def current(self, plan_id: UUID) -> Plan:
        """The plan as stored now, including writes by other processes."""
        with self.locks.of(plan_id):
            plan = self.cached_or_loaded(plan_id)
            try:
                newer = list(self.store.events_after(plan_id, plan.version))
                for event in newer:
                    event.mutate(plan)
            except Exception as e:
                self.evict(plan_id)
                raise RecordDamaged.reading(plan_id, e) from e
            if any(type(event).__name__ == privacy.ERASED for event in newer):
                # Erased by another process: what this one holds of the plan (and its key) goes, and it is read
                # again without them.
                self.evict(plan_id)
                plan = self.cached_or_loaded(plan_id)
            return plan

    def at_instant(self, plan_id: UUID, instant: dt.datetime) -> Plan:
        """The plan exactly as the record stood at ``instant``: only events recorded by then."""
        plan: Plan | None = None
        try:
            for snapshot in self.store.snapshots_newest_first(plan_id):
                if snapshot.state["_modified_on"] <= instant:
                    plan = cast(Plan, snapshot.mutate(None))
                    break
            for event in self.store.events_after(plan_id, plan.version if plan else None):
                if event.timestamp > instant:
                    break
                plan = cast(Plan, event.mutate(plan))
        except LedgerError:
            raise
        except Exception as e:
            raise RecordDamaged.reading(plan_id, e) from e
        if plan is None:
            self.require_exists(plan_id)
            raise NotFound(f"Plan {plan_id} had not been recorded by {format_instant(instant)}")
        return plan

    def at_point(self, plan_id: UUID, point: int | dt.datetime) -> Plan | None:
        """The plan as recorded at a version or an instant; ``None`` if it had not been opened by then."""
        if isinstance(point, int):
            if point < 1:
                return None
            try:
                return self.store.get(plan_id, version=point)
            except Exception as e:
                raise RecordDamaged.reading(plan_id, e) from e
        try:
            return self.at_instant(plan_id, point)
        except NotFound:
            return None

    def require_exists(self, plan_id: UUID) -> None:
        if self.store.first_stored(plan_id) is None:
            raise NotFound(f"No plan {plan_id}")

    # ---------------------------------------------------------------- who may see a plan

    def require_visible(self, user: User, plan_id: UUID, action: Action = Action.READ) -> Plan:
        """The plan as stored now, once ``user`` may do ``action`` with it (404 if they may not see it at all).
        A record that cannot be folded is reported as damaged only to those who may see it (else 404)."""
        try:
            plan = self.current(plan_id)
        except RecordDamaged:
            self._require_damaged_record_visible(user, plan_id)
            raise
        self.authorize(user, plan, action)
        return plan

    def authorize(self, user: User, plan: Plan, action: Action) -> None:
        """Refuse ``action`` on ``plan`` (as loaded) unless ``user`` may do it, by role or by a grant in force."""
        access.require(user, plan.setting_urn, action, plan.id, self.grant_for(user, plan))

    def grant_for(self, user: User, plan: Plan) -> grants.Grant | None:
        """The grant through which ``user`` sees ``plan`` today (Europe/London), as the plan's events record it."""
        if user.role not in access.GRANTEE_ROLES:
            return None
        return grants.active_grant(plan, user.user_id, self.today())

    def today(self) -> str:
        return london_date(self.clock.now()).isoformat()

    def require_visible_record(self, user: User, plan_id: UUID) -> None:
        """Access to a plan's stored record (its events, its verification) even when the plan cannot be folded:
        a damaged record must stay inspectable by those entitled to see it. Who that is comes from the setting
        the record names (grants read from a damaged record are not trusted: a grantee is not let in); if even
        that cannot be read, only an administrator may look."""
        with suppress(RecordDamaged):  # raised only to those the record's setting lets see it
            self.require_visible(user, plan_id)

    def _require_damaged_record_visible(self, user: User, plan_id: UUID) -> None:
        setting_urn = self._stored_setting(plan_id)
        if setting_urn is None:
            if user.role != "admin":
                raise NotFound(f"No plan {plan_id}") from None
            return
        access.require(user, setting_urn, Action.READ, plan_id)

    def _stored_setting(self, plan_id: UUID) -> str | None:
        state = self.store.first_stored(plan_id)
        if state is None:
            return None
        with suppress(ValueError, KeyError, TypeError, AttributeError):
            event: dict[str, Any] = unseal(state)
            if event.get("type") == "PlanOpened":
                return str(event["data"]["setting_urn"])
        return None
