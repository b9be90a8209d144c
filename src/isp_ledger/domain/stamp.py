"""Who is acting and when: the stamp every command carries, and the ledger's two time axes (CONTRACT.md §3).

``recorded_at`` is an instant, set by the server. ``agreed_on`` is a date in Europe/London, the date a decision
was made or a fact happened. An entry whose ``agreed_on`` is before the London date of its ``recorded_at`` is
back-dated.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
ONE_MICROSECOND = dt.timedelta(microseconds=1)


@dataclass(frozen=True)
class Actor:
    user_id: str
    name: str
    role: str

    def as_dict(self) -> dict[str, str]:
        return {"user_id": self.user_id, "name": self.name, "role": self.role}


@dataclass(frozen=True)
class Stamp:
    """The actor of a command and the server's clock reading when it was received."""

    actor: Actor
    now: dt.datetime  # timezone-aware

    def __post_init__(self) -> None:
        if self.now.tzinfo is None:
            raise ValueError("Stamp.now must be timezone-aware")

    @property
    def today(self) -> dt.date:
        return london_date(self.now)


def london_date(instant: dt.datetime) -> dt.date:
    return instant.astimezone(LONDON).date()


def london_day(recorded_at: str) -> str:
    """The London date (``YYYY-MM-DD``) of an instant in the ledger's textual form (:func:`format_instant`).

    London's offset from UTC changes only on the hour (at 01:00 UTC), so every instant of a UTC hour falls on
    the same London date: it is worked out once per hour.
    """
    return _london_day_of_hour(recorded_at[:13])


@functools.lru_cache(maxsize=4096)
def _london_day_of_hour(hour: str) -> str:
    return london_date(dt.datetime.fromisoformat(f"{hour}:00:00+00:00")).isoformat()


def is_backdated(agreed_on: str, recorded_at: dt.datetime | str) -> bool:
    if isinstance(recorded_at, str):
        recorded_at = dt.datetime.fromisoformat(recorded_at)
    return agreed_on < london_date(recorded_at).isoformat()


def format_instant(instant: dt.datetime) -> str:
    """The one textual form of an instant the ledger records and hashes: UTC, microseconds, ``+00:00``."""
    return instant.astimezone(dt.UTC).isoformat(timespec="microseconds")
