"""Taking snapshots of plans in the background, so that no request waits while a large plan is serialised.

The writer hands over a frozen copy of the plan's state (cheap: see ``Plan.frozen_state``); one background
thread encodes and stores it. If a plan is snapshotted again before the previous one was stored, only the
newest is kept. A snapshot is only a cache: losing one (a crash, an error) costs a longer replay, nothing else.
"""

from __future__ import annotations

import logging
import threading
from typing import Any
from uuid import UUID

from eventsourcing.domain import Snapshot
from eventsourcing.persistence import EventStore
from eventsourcing.utils import get_topic

from isp_ledger.domain.plan import Plan
from isp_ledger.domain.stamp import ONE_MICROSECOND

log = logging.getLogger(__name__)
PLAN_TOPIC = get_topic(Plan)


class Snapshotter:
    def __init__(self, store: EventStore[UUID]) -> None:
        self.store = store
        self._pending: dict[UUID, Snapshot] = {}
        self._wake = threading.Condition()
        self._stopping = False
        self._busy = False
        self._thread = threading.Thread(target=self._run, name="isp-ledger-snapshots", daemon=True)
        self._thread.start()

    def take(self, plan: Plan) -> None:
        state: dict[str, Any] = plan.frozen_state()
        state.pop("_id")
        state.pop("_version")
        snapshot = Snapshot(
            originator_id=plan.id,
            originator_version=plan.version,
            timestamp=plan.modified_on + ONE_MICROSECOND,
            topic=PLAN_TOPIC,
            state=state,
        )
        with self._wake:
            self._pending[plan.id] = snapshot
            self._wake.notify()

    def flush(self, timeout: float = 30.0) -> None:
        """Wait until every snapshot handed over so far is stored (for tests and shutdown)."""
        with self._wake:
            self._wake.wait_for(lambda: not self._pending and not self._busy, timeout)

    def close(self) -> None:
        self.flush()
        with self._wake:
            self._stopping = True
            self._wake.notify_all()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            with self._wake:
                self._wake.wait_for(lambda: self._pending or self._stopping)
                if self._stopping and not self._pending:
                    return
                _plan_id, snapshot = self._pending.popitem()
                self._busy = True
            try:
                self.store.put([snapshot])
            except Exception:
                log.exception("could not store a snapshot of plan %s", snapshot.originator_id)
            finally:
                with self._wake:
                    self._busy = False
                    self._wake.notify_all()
