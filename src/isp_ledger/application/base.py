"""What every part of the application shares: the clock, the answer to a write, idempotency, damaged records."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from isp_ledger.domain.errors import LedgerError
from isp_ledger.domain.plan import Plan
from isp_ledger.domain.stamp import Stamp

log = logging.getLogger(__name__)


class Clock(Protocol):
    def now(self) -> dt.datetime: ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class RecordDamaged(LedgerError):
    """The stored history of a plan cannot be read back: it was altered outside the ledger."""

    title = "The stored record is damaged"

    @classmethod
    def reading(cls, plan_id: UUID, error: Exception) -> RecordDamaged:
        """The refusal a person reads: what is wrong and how to find out more (``verify``), never the internal
        error it was found by, which goes to the service's log."""
        log.warning("plan %s cannot be read back: %s: %s", plan_id, error.__class__.__name__, error)
        return cls(f"The stored history of plan {plan_id} cannot be read back: it was altered outside the ledger, "
                   f"and nothing can be read from or recorded on it until that is put right. Verify it "
                   f"(GET /v1/plans/{plan_id}/verify, or isp-ledger verify {plan_id}) to find the first "
                   "altered version")


@dataclass(frozen=True)
class Idempotency:
    key: str
    fingerprint: str  # of the whole request: method, path and canonical body


@dataclass(frozen=True)
class WriteResult:
    status_code: int
    body: dict[str, Any]
    replayed: bool = False


# A command on one plan: changes the plan (as ``by``) and returns the id of the item it created, if any.
Change = Callable[[Plan, Stamp], str | None]
