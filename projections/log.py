"""What the read side needs from the ledger's event log, and nothing more.

The read models follow the log's sequence, fold plans to a version, and keep their rows in the ledger's own
database. This protocol is all they know of the ledger: the storage layer's ``PlanStore`` provides it, and a
test can fake it with a few methods. The read side never imports the application.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.persistence import Notification
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore

from isp_ledger.domain.plan import Plan


class EventLog(Protocol):
    @property
    def datastore(self) -> SQLiteDatastore | PostgresDatastore:
        """The ledger's database, where the read models keep their rows too."""

    def max_position(self) -> int:
        """The last position in the sequence (0 for an empty log)."""

    def notifications(self, after: int, limit: int, stop: int | None = None) -> Sequence[Notification]:
        """Up to ``limit`` events after position ``after`` (and at most ``stop``), in the sequence's order."""

    def notifications_in_plan_order(self, head: int, after: tuple[UUID, int], limit: int,
                                    below: UUID | None) -> Sequence[Notification]:
        """Up to ``limit`` events at positions up to ``head``, by plan id then version, after the event
        ``after`` (a plan id and version), of plans with ids below ``below``."""

    def position_of(self, plan_id: UUID, version: int) -> int | None:
        """The position of a plan's event, once the sequence has given it one."""

    def head_version(self, plan_id: UUID) -> int | None:
        """The highest version stored for a plan, if any."""

    def to_event(self, notification: Notification) -> Plan.Event:
        """The domain event a stored event holds (``ValueError`` and the like if it was altered)."""

    def recorded_at(self, notification: Notification) -> dt.datetime:
        """When a stored event was recorded."""

    def get(self, plan_id: UUID, version: int | None = None) -> Plan:
        """The plan folded to ``version``."""

    def upn_key(self, upn: str) -> str:
        """The keyed digest of a UPN, under which the plan index finds plans by UPN."""

    def waiter(self) -> Any:
        """Something with ``wait(timeout)``, ``interrupt()`` and ``close()``, woken when events are stored."""

    def start_sequencer(self) -> None:
        """Start numbering committed events, where the store numbers them after commit (PostgreSQL)."""

    def worker_env(self) -> dict[str, str]:
        """The environment a worker process opens the same log from (``type(log)(env)``)."""
