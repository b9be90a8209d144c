"""What every part of the application shares: the clock, the answer to a write, idempotency, damaged records."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from isp_ledger.domain.errors import LedgerError
from isp_ledger.domain.plan import Plan
from isp_ledger.domain.stamp import Stamp


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
        what = f"{error.__class__.__name__}: {error}" if str(error) else error.__class__.__name__
        return cls(f"The stored history of plan {plan_id} cannot be read back ({what}); it was altered outside "
                   f"the ledger. GET /v1/plans/{plan_id}/verify names the first altered version")


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
