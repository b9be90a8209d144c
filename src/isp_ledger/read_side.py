"""What the API and the pages ask of the read side: the current generation of each read model, read-your-writes,
and lag.

Read-your-writes: the write path remembers each user's latest write in this process. Before answering that user
from a read model, the read side waits (at most ``timeout`` seconds) until the read model has processed that
write. If the bound is hit it answers anyway, and :class:`Freshness` says how far behind the answer is, for
the response headers.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from isp_ledger.application import Ledger
from isp_ledger.storage.sql import Sql
from projections import READ_MODELS
from projections.base import View
from projections.registry import Registry
from projections.runner import Projector, lag

GENERATION_CACHE_SECONDS = 1.0
POLL_SECONDS = 0.02


@dataclass(frozen=True)
class Freshness:
    read_model: str
    position: int
    fresh: bool
    events_behind: int = 0
    seconds_behind: float = 0.0

    def headers(self) -> dict[str, str]:
        headers = {
            "ISP-Ledger-Read-Model": self.read_model,
            "ISP-Ledger-Position": str(self.position),
            "ISP-Ledger-Freshness": "fresh" if self.fresh else "stale",
        }
        if not self.fresh:
            headers["ISP-Ledger-Behind-Events"] = str(self.events_behind)
            headers["ISP-Ledger-Behind-Seconds"] = f"{self.seconds_behind:.3f}"
        return headers


class ReadSide:
    def __init__(self, ledger: Ledger, projector: Projector | None = None, *, timeout: float = 2.0) -> None:
        self.ledger = ledger
        self.log = ledger.store
        self.projector = projector
        self.timeout = timeout
        self.sql = Sql(self.log.datastore)
        self.registry = Registry(self.sql)
        self._views: dict[str, tuple[View, float]] = {}

    def view(self, name: str) -> View:
        """The current generation of a read model (as the projector in this process has it, if there is one)."""
        if self.projector is not None and name in self.projector.models:
            return self.projector.models[name].view
        cached = self._views.get(name)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        view = View(self.sql, name, self.registry.current(name), READ_MODELS[name].tables, sealer=self.log.sealer)
        view.create_table()
        self._views[name] = (view, time.monotonic() + GENERATION_CACHE_SECONDS)
        return view

    def for_user(self, name: str, user_id: str, plan_id: UUID | None = None) -> tuple[View, Freshness]:
        """The read model once it shows what the caller must see, waiting at most ``timeout``: every write this
        process has acknowledged (the caller's and anyone else's) and then, for one plan (``plan_id``),
        everything stored for that plan by any process, or, for a read across plans, everything in the
        ledger's sequence when the request arrived. Past the bound, the answer is marked stale."""
        view = self.view(name)
        deadline = time.monotonic() + self.timeout
        written = self.ledger.writes
        writes = [w for w in (written.last_writes.get(user_id), written.last_write) if w is not None]
        if plan_id is not None and (head := self._stored_head(plan_id)) is not None:
            writes.append((plan_id, head))
        positions = [self._sequenced(p, v, deadline) for p, v in writes]
        if plan_id is None:
            positions.append(self.log.max_position())
        sequenced = [p for p in positions if p is not None]
        if len(sequenced) == len(positions) and self._reached(name, view, max(sequenced, default=0), deadline):
            return view, Freshness(name, view.position(), fresh=True)
        state = lag(self.log, view, self.ledger.clock.now())
        return view, Freshness(name, state["position"], fresh=False, events_behind=state["events_behind"],
                               seconds_behind=state["seconds_behind"])

    def _stored_head(self, plan_id: UUID) -> int | None:
        return self.log.head_version(plan_id)

    def _sequenced(self, plan_id: UUID, version: int, deadline: float) -> int | None:
        while True:
            notification_id = self.log.position_of(plan_id, version)
            if notification_id is not None or time.monotonic() >= deadline:
                return notification_id
            time.sleep(POLL_SECONDS)

    def _reached(self, name: str, view: View, notification_id: int, deadline: float) -> bool:
        if self.projector is not None and name in self.projector.models:
            return self.projector.wait_for(name, notification_id, max(0.0, deadline - time.monotonic()))
        while view.position() < notification_id:
            if time.monotonic() >= deadline:
                return False
            time.sleep(POLL_SECONDS)
        return True

    def health(self) -> dict[str, dict[str, Any]]:
        now = self.ledger.clock.now()
        return {name: lag(self.log, self.view(name), now) for name in READ_MODELS}

