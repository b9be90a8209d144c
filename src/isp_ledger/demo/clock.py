"""The demo's clock: it lives through the school year so that the ledger records each entry when it happened.

The ledger stamps every event with its clock (``recorded_at``); it is never told a time by the client. To give a
new user a year of honest history, the demo runs the ledger on this clock and moves it forward, day by day and
hour by hour, through the school year: a session logged at 15:40 on a Tuesday in March is recorded then, and a
review typed up a week late is recorded a week after the meeting (and so shows as back-dated). The clock never
goes back and never passes the real time at which the demo started, so nothing is recorded in the future. Once
the demo is done it is real time again.
"""

from __future__ import annotations

import datetime as dt

from isp_ledger.domain.stamp import LONDON

UTC = dt.UTC
TICK = dt.timedelta(milliseconds=1)  # between two readings: each write takes a moment


class DemoClock:
    def __init__(self, end: dt.datetime | None = None) -> None:
        self.end = end or dt.datetime.now(UTC)  # the real time the demo started: never passed
        self._now: dt.datetime | None = None  # None: not living through the year (before and after the demo)

    @property
    def today(self) -> dt.date:
        """The real date (Europe/London) the demo lives up to."""
        return self.end.astimezone(LONDON).date()

    def now(self) -> dt.datetime:
        if self._now is None:
            return dt.datetime.now(UTC)
        self._now = min(self._now + TICK, self.end)
        return self._now

    def at(self, day: dt.date, hour: int, minute: int = 0, second: int = 0) -> bool:
        """Move to that time (London) on ``day``; ``False``, not moving, if it is still to come in real time. The
        clock never goes back: a time before where it already is leaves it there."""
        instant = dt.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=LONDON).astimezone(UTC)
        if instant > self.end:
            return False
        if self._now is None or instant > self._now:
            self._now = instant
        return True

    def release(self) -> None:
        """Back to real time."""
        self._now = None
