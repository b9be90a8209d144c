"""The eventsourcing library's own recorder test cases (``eventsourcing.tests.persistence``), run against the
ledger's recorders on SQLite and on PostgreSQL.

The library's cases are ``unittest.TestCase`` classes. Each is subclassed here to build our recorders on the
test's store (the ``store_url`` fixture: a temporary SQLite file, or a PostgreSQL schema of the test's own), and
run by :func:`test_library_case`, a pytest test parametrised over both stores and every test method, so each
method is one pytest test whose id names its store (``[postgres-EventRecorderCase.test_insert_select]``): the
``postgres`` mark, and CI's count of PostgreSQL tests, see them like any other.

Where our recorders deliberately differ from what the library's cases assume, the case is adapted at that spot
(an adapter, a helper or one overridden test method), and the difference is written down there. The library's
process recorder case is not run: the ledger has no process recorder (``FactoryCase.test_create_process_recorder``).
The library's performance tests (``test_performance``, ``test_concurrent_throughput``) run as they are: they take
well under a second each here, and they also check that every write under load succeeded.
"""

from __future__ import annotations

import dataclasses
import threading
import unittest
from collections.abc import Sequence
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import (
    AggregateRecorder,
    ApplicationRecorder,
    IntegrityError,
    Notification,
    StoredEvent,
    Subscription,
    TrackingRecorder,
)
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteTrackingRecorder
from eventsourcing.tests import persistence as library
from eventsourcing.utils import Environment

from isp_ledger.storage.chain import GENESIS_HASH, seal, unseal
from isp_ledger.storage.factory import PERSISTENCE_MODULE, LedgerFactory
from isp_ledger.storage.postgres import PostgresLedgerRecorder
from isp_ledger.storage.postgres_snapshots import PostgresSnapshotRecorder
from isp_ledger.storage.sqlite import SQLiteLedgerRecorder
from isp_ledger.storage.sqlite_snapshots import SQLiteSnapshotRecorder
from projections.base import TrackingConflict, View


class StoreCase(unittest.TestCase):
    """What every case here shares: the test's store, and factories on it that are closed afterwards."""

    __test__ = False  # run through test_library_case, once per store
    store_url: str  # set by test_library_case

    def store_env(self) -> Environment:
        return Environment("library_case", {"PERSISTENCE_MODULE": PERSISTENCE_MODULE,
                                            "ISP_LEDGER_DATABASE_URL": self.store_url})

    def setUp(self) -> None:
        super().setUp()
        self._threads_before = set(threading.enumerate())

    def open_factory(self) -> LedgerFactory:
        factory = LedgerFactory(self.store_env())
        self.addCleanup(factory.close)
        self.addCleanup(self._join_stray_threads)  # cleanups run last first: before the store is closed
        return factory

    def _join_stray_threads(self) -> None:
        """The library's concurrency case sets its readers' stop flag but does not wait for them: a reader still
        in a query when the store is closed under it can crash the process (SQLite). Wait for them first."""
        for thread in set(threading.enumerate()) - self._threads_before:
            if not thread.daemon:  # the library's readers; the stores' own threads are daemons, stopped by close()
                thread.join(timeout=10)

    @property
    def on_postgres(self) -> bool:
        return not self.store_url.startswith("sqlite")


# ---------------------------------------------------------------- the recorder of plan events


def sealed(event: StoredEvent) -> StoredEvent:
    """The library's raw payload, sealed into an envelope our recorders accept (see SealingRecorder)."""
    body = {"type": event.topic, "plan_id": str(event.originator_id), "version": event.originator_version,
            "data": {"payload": event.state.hex()}}
    return dataclasses.replace(event, state=seal(body, GENESIS_HASH)[0])


def unsealed(event: Any) -> Any:
    """The raw payload the library wrote, out of its envelope (for a StoredEvent or a Notification)."""
    return dataclasses.replace(event, state=bytes.fromhex(unseal(event.state)["data"]["payload"]))


class SealingRecorder(ApplicationRecorder):
    """The ledger's recorder of plan events, as the library's cases see it.

    Deliberate difference: our recorders store only sealed events, each ``{"event": ..., "hash": ...}`` in
    canonical JSON with its hash at the end (``storage/chain.py``): SQLite refuses anything else, since it appends
    each write's head hash to the transparency log in the same transaction, and PostgreSQL's sequencer leaves
    anything else out of that log. The library's cases write raw payloads (``b"state1"``) and compare what they
    read with what they wrote, so this adapter seals each payload into an envelope on the way in and takes it
    out on the way back. Everything else (ids, versions, topics, conflicts, limits) passes through unchanged.

    With ``read_positions``, a write also reads the positions it returns before returning (see
    NonInterleavingCase for why).
    """

    def __init__(self, recorder: ApplicationRecorder, *, read_positions: bool = False) -> None:
        self.recorder = recorder
        self.read_positions = read_positions

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        positions = self.recorder.insert_events([sealed(e) for e in stored_events], **kwargs)
        if self.read_positions and positions is not None:
            positions = list(positions)
        return positions

    def select_events(self, originator_id: UUID | str, *, gt: int | None = None, lte: int | None = None,
                      desc: bool = False, limit: int | None = None) -> Sequence[StoredEvent]:
        return [unsealed(e) for e in
                self.recorder.select_events(originator_id, gt=gt, lte=lte, desc=desc, limit=limit)]

    def select_notifications(self, start: int | None, limit: int, stop: int | None = None,
                             topics: Sequence[str] = (), *, inclusive_of_start: bool = True) -> Sequence[Notification]:
        return [unsealed(n) for n in self.recorder.select_notifications(
            start, limit, stop, topics, inclusive_of_start=inclusive_of_start)]

    def max_notification_id(self) -> int | None:
        return self.recorder.max_notification_id()

    def subscribe(self, gt: int | None = None, topics: Sequence[str] = ()) -> Subscription[ApplicationRecorder]:
        return UnsealingSubscription(self, self.recorder.subscribe(gt=gt, topics=topics))


class UnsealingSubscription(Subscription[ApplicationRecorder]):
    """Our recorder's subscription, giving the library's raw payloads back (see SealingRecorder)."""

    def __init__(self, recorder: SealingRecorder, inner: Subscription[ApplicationRecorder]) -> None:
        super().__init__(recorder)
        self.inner = inner

    def __enter__(self) -> UnsealingSubscription:
        self.inner.__enter__()
        return self

    def __exit__(self, *args: object, **kwargs: Any) -> None:
        self.inner.__exit__(*args, **kwargs)

    def stop(self) -> None:
        self.inner.stop()

    def __next__(self) -> Notification:
        notification: Notification = unsealed(next(self.inner))
        return notification


class EventRecorderCase(StoreCase, library.ApplicationRecorderTestCase):
    """The library's application recorder case, on our recorder of plan events.

    Deliberate difference on PostgreSQL: positions in the sequence are given after the commit, by the
    sequencer, and ``insert_events`` returns them as ``Positions``, read when first asked. The case's checks
    of the returned ids (``== [1, 2]``) read them, so they hold unchanged; the one thing that differs, that
    within one numbering pass events of different plans are numbered in plan id order rather than in the
    order they were committed, never shows here, since each check reads the ids before the next write.
    """

    def create_recorder(self) -> SealingRecorder:
        return SealingRecorder(self.open_factory().application_recorder())

    def test_insert_subscribe(self) -> None:
        """The library leaves this one optional (every store's own cases opt in); ours do."""
        self.optional_test_insert_subscribe()


# ---------------------------------------------------------------- snapshots


class SnapshotRecorderCase(StoreCase, library.AggregateRecorderTestCase):
    """The library's aggregate recorder case, on our snapshot recorder (the only aggregate recorder we have)."""

    def create_recorder(self) -> AggregateRecorder:
        return self.open_factory().aggregate_recorder("snapshots")

    def test_insert_and_select(self) -> None:
        """The library's test, but for one deliberate difference: a snapshot of a version already stored is
        ignored, not refused with IntegrityError. Snapshots are a cache, taken in the background by any process
        that folded the plan that far, and two may well take the same one; the first stays. Otherwise it checks
        what the library's does: empty reads, the write answers ``None``, selection by version bound, order
        and limit, and that plans are kept apart."""
        recorder = self.create_recorder()
        self.assertIsNone(recorder.insert_events([]))
        first, second = uuid4(), uuid4()
        self.assertEqual(recorder.select_events(first, desc=True, limit=1), [])
        v1, v2, v3 = (StoredEvent(first, self.INITIAL_VERSION + i, f"topic{i + 1}", f"state{i + 1}".encode())
                      for i in range(3))
        self.assertIsNone(recorder.insert_events([v1]))
        self.assert_events_eq(recorder.select_events(first), [v1])
        self.assertIsInstance(recorder.select_events(first)[0].state, bytes)

        # The difference: the same version again, alone, twice in one write, or beside a new one.
        again = dataclasses.replace(v1, state=b"taken again")
        self.assertIsNone(recorder.insert_events([again]))
        self.assertIsNone(recorder.insert_events([v2, v2]))
        self.assertIsNone(recorder.insert_events([again, v3]))
        self.assert_events_eq(recorder.select_events(first), [v1, v2, v3])  # the first of each stayed

        self.assertEqual(recorder.select_events(first, desc=True, limit=1), [v3])
        self.assertEqual(recorder.select_events(first, lte=self.INITIAL_VERSION + 1, desc=True, limit=1), [v2])
        self.assertEqual(recorder.select_events(first, gt=self.INITIAL_VERSION, lte=self.INITIAL_VERSION + 1), [v2])
        self.assertEqual(recorder.select_events(second), [])
        other = StoredEvent(second, 0, "topic4", b"state4")
        recorder.insert_events([other])
        self.assertEqual(recorder.select_events(second), [other])


# ---------------------------------------------------------------- read models' tracking


class ViewCase(StoreCase, library.TrackingRecorderTestCase):
    """The library's tracking recorder case, on a read model's view (``projections.base.View``), built by the
    factory from the class as the library's ``ProjectionRunner`` builds one.

    Deliberate difference (the read side's, in ``projections/base.py``): a view refuses a position it has
    already reached with ``TrackingConflict`` ("another projector already moved this read model past the
    batch"), a RuntimeError, where the library's recorders raise IntegrityError. The case expects that instead.
    """

    def create_recorder(self) -> TrackingRecorder:
        return self.open_factory().tracking_recorder(View)

    def assertRaises(self, expected: Any, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        """As unittest's, but where the library's case expects IntegrityError, expect TrackingConflict."""
        return super().assertRaises(TrackingConflict if expected is IntegrityError else expected, *args, **kwargs)


# ---------------------------------------------------------------- notification ids of concurrent writes


class NonInterleavingCase(StoreCase, library.NonInterleavingNotificationIDsBaseCase):
    """The library's check that two concurrent writes' notification ids do not interleave.

    Deliberate difference on PostgreSQL: positions are given after the commit, by the sequencer, and the case
    selects notifications straight after its writes, before the sequencer may have run. So each write here
    reads its positions before returning (which numbers it, if the sequencer has not yet), as the library's
    own recorders, which number inside the write, would have them.
    """

    def create_recorder(self) -> ApplicationRecorder:
        return SealingRecorder(self.open_factory().application_recorder(), read_positions=self.on_postgres)


# ---------------------------------------------------------------- the infrastructure factory


class FactoryCase(StoreCase, library.InfrastructureFactoryTestCase[LedgerFactory]):
    """The library's infrastructure factory case, on our factory (chosen by ``PERSISTENCE_MODULE``)."""

    def setUp(self) -> None:
        self.env = self.store_env()  # where the library's case keeps the environment its factory is built from
        super().setUp()
        self.addCleanup(self.factory.close)  # rather than in tearDown, which a failed test skips

    def tearDown(self) -> None:
        pass

    def expected_factory_class(self) -> type[LedgerFactory]:
        return LedgerFactory

    def expected_aggregate_recorder_class(self) -> type[AggregateRecorder]:
        return PostgresSnapshotRecorder if self.on_postgres else SQLiteSnapshotRecorder

    def expected_application_recorder_class(self) -> type[ApplicationRecorder]:
        return PostgresLedgerRecorder if self.on_postgres else SQLiteLedgerRecorder

    def expected_tracking_recorder_class(self) -> type[TrackingRecorder]:
        return PostgresTrackingRecorder if self.on_postgres else SQLiteTrackingRecorder

    def tracking_recorder_subclass(self) -> type[TrackingRecorder]:
        return View  # the tracking recorder the ledger's read models use

    def expected_process_recorder_class(self) -> Any:
        raise AssertionError("the ledger has no process recorder")

    def test_create_aggregate_recorder(self) -> None:
        """Deliberate difference: the only aggregate recorder is for snapshots (the library's ``Application``
        asks for it by that purpose). Plan events go through the application recorder, which seals and chains
        them; an aggregate recorder for events would be a way around that, so asking for one is refused."""
        recorder = self.factory.aggregate_recorder("snapshots")
        self.assertEqual(type(recorder), self.expected_aggregate_recorder_class())
        with self.assertRaises(ValueError):
            self.factory.aggregate_recorder()

    def test_create_process_recorder(self) -> None:
        """Deliberate difference: the ledger has no event-sourced process applications, so no process recorder
        (and the library's process recorder case is not run)."""
        with self.assertRaises(NotImplementedError):
            self.factory.process_recorder()


# ---------------------------------------------------------------- running them under pytest


CASES: tuple[type[unittest.TestCase], ...] = (
    EventRecorderCase, SnapshotRecorderCase, ViewCase, NonInterleavingCase, FactoryCase,
)
METHODS = [pytest.param(case, name, id=f"{case.__name__}.{name}")
           for case in CASES for name in unittest.TestLoader().getTestCaseNames(case)]


@pytest.mark.parametrize(("case", "method"), METHODS)
@pytest.mark.parametrize("store_url", ["sqlite", "postgres"], indirect=True)
def test_library_case(case: type[StoreCase], method: str, store_url: str) -> None:
    test = case(method)
    test.store_url = store_url
    try:
        test.debug()  # raises what the test raises, so pytest reports it as its own
    finally:
        test.doCleanups()  # what a failed test left open

