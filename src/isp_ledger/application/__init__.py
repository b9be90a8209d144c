"""The application layer: commands and queries on plans, nothing HTTP (see ``ledger.py`` for its parts)."""

from isp_ledger.application.base import Clock, Idempotency, RecordDamaged, SystemClock, WriteResult
from isp_ledger.application.ledger import Ledger

__all__ = ["Clock", "Idempotency", "Ledger", "RecordDamaged", "SystemClock", "WriteResult"]
