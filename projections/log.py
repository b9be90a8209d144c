"""What the read side needs from the ledger's event log, and nothing more.

The read models follow the log's sequence, fold plans to a version, and keep their rows in the ledger's own
database. This protocol is all they know of the ledger: the storage layer's ``PlanStore`` provides it, and a
test can fake it with a few methods. The read side never imports the application.

A read model keeps a pupil's personal values (names, free text, summaries of it) only sealed under that pupil's
data key (CONTRACT.md §11): :class:`Sealer` is what it asks of the ledger's ``PlanSealer`` to do so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.persistence import Notification
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore

from isp_ledger.domain.plan import Plan


def row_aad(plan_id: UUID | str, place: str) -> bytes:
    """Associated data of a value a read model keeps sealed: its plan and where it is kept, so a sealed value moved
    to another plan, row or column does not open. (The same form as ``storage.sealing.row_aad``, which the read
    side may not import; a test holds the two together.)"""
    return f"isp-ledger row|{plan_id}|{place}".encode()


class Sealer(Protocol):
    """Sealing a plan's personal values under its data key, and opening them (``None`` once the key is destroyed)."""

    def load(self, plan_ids: Iterable[UUID]) -> None:
        """Have the keys of these plans ready, in one query (a batch's, a listing's)."""

    def is_erased(self, plan_id: UUID) -> bool:
        """Whether the plan's key was destroyed."""

    def seal_text(self, plan_id: UUID, aad: bytes, text: str | None) -> str | None:
        """A text as kept in a column (``None`` for ``None``, or if the plan's key was destroyed)."""

    def open_text(self, plan_id: UUID, aad: bytes, token: str | None) -> str | None:
        """The text :meth:`seal_text` kept; ``None`` once the plan's key was destroyed."""

    def seal_record(self, plan_id: UUID, aad: bytes, record: dict[str, Any]) -> dict[str, Any]:
        """The record with its personal values ``null`` and sealed together under ``"sealed"``."""

    def open_record(self, plan_id: UUID, aad: bytes, stored: dict[str, Any]) -> dict[str, Any]:
        """The record :meth:`seal_record` kept; its personal values ``null`` once the plan's key was destroyed."""


class EventLog(Protocol):
    @property
    def datastore(self) -> SQLiteDatastore | PostgresDatastore:
        """The ledger's database, where the read models keep their rows too."""

    @property
    def sealer(self) -> Sealer:
        """Seals and opens the personal values the read models keep."""

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

    def number_pending(self) -> None:
        """Give events committed but not yet numbered their place in the sequence now (PostgreSQL; SQLite numbers
        them as they are stored)."""

    def start_sequencer(self) -> None:
        """Start numbering committed events, where the store numbers them after commit (PostgreSQL)."""

    def worker_env(self) -> dict[str, str]:
        """The environment a worker process opens the same log from (``type(log)(env)``)."""
