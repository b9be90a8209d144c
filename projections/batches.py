"""The machinery of following the log in batches: pages read ahead, work on a thread of its own, damage.

Shared by the projector (``runner.py``) and the rebuild (``rebuild.py``).
"""

from __future__ import annotations

import contextlib
import gc
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, cast
from uuid import UUID

import psycopg
from eventsourcing.persistence import ConnectionPoolClosedError, Notification, PersistenceError

# Failures of the store or of the machine, which say nothing about the plan being read: never taken for damage.
NOT_DAMAGE = (PersistenceError, ConnectionPoolClosedError, psycopg.Error, sqlite3.Error, MemoryError)

class Damaged(ValueError):
    """A stored event that cannot be what the ledger wrote at ``version`` of its plan."""

    def __init__(self, version: int, detail: str) -> None:
        super().__init__(detail)
        self.version = version


class DamagedMidBatch(Exception):
    """A damaged plan found after read models may have noted its event: the batch must be done again."""


class Background(threading.Thread):
    """One piece of work on a thread of its own, whose outcome is collected with :meth:`result`."""

    def __init__(self, work: Callable[[], Any], name: str) -> None:
        super().__init__(name=name, daemon=True)
        self._work = work
        self._value: Any = None
        self._error: BaseException | None = None
        self.start()

    def run(self) -> None:
        try:
            self._value = self._work()
        except BaseException as e:
            self._error = e

    def result(self) -> Any:
        self.join()
        if self._error is not None:
            raise self._error
        return self._value


class Pages:
    """Reads the log a page at a time, fetching the next full page while the caller works on this one.

    ``select(after, limit, stop)`` reads a page of the events after the one whose ``key`` is ``after``.
    """

    def __init__(self, select: Callable[[Any, int, int | None], Sequence[Notification]],
                 key: Callable[[Notification], Any]) -> None:
        self.select = select
        self.key = key
        self._ahead: tuple[tuple[Any, int, int | None], Background] | None = None

    def get(self, after: Any, limit: int, stop: int | None = None) -> Sequence[Notification]:
        ahead, self._ahead = self._ahead, None
        if ahead is not None and ahead[0] == (after, limit, stop):
            page: Sequence[Notification] = ahead[1].result()
        else:
            page = self.select(after, limit, stop)
        if len(page) == limit:  # there may well be more: start on the next page
            following = self.key(page[-1])
            self._ahead = ((following, limit, stop), Background(lambda: self.select(following, limit, stop),
                                                                  name="isp-ledger-projector-read"))
        return page

    def clear(self) -> None:
        self._ahead = None


def in_sequence(notification: Notification) -> int:
    return notification.id


def in_plan_order(notification: Notification) -> tuple[UUID, int]:
    return cast(UUID, notification.originator_id), notification.originator_version


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Hold off Python's cycle collector for the length of a batch, then put what survived out of its sight.

    A batch allocates many small objects, and the plan folder keeps thousands of plans' records alive for as
    long as the projector runs. Left as it is, the collector walks all of them on every full collection: about
    a fifth of the time of catching up, and pauses of a second or more in a projector that is keeping up. So
    during a batch it is off; after it, one collection of the young generations frees the batch's garbage
    (cycles included), and ``gc.freeze`` moves the survivors, mostly plans, to the permanent generation, which
    full collections skip. Frozen objects are still freed by reference counting when the folder lets a plan go.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.collect(1)
        gc.freeze()
        gc.enable()

