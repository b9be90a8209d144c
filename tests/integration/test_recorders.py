"""The ledger's recorders as the eventsourcing library uses them, on both stores: what ``insert_events`` returns,
how a subscription stops, and what the infrastructure factory builds from a class.

(The library's own recorder test cases run against the same recorders in ``test_library_recorders.py``.)
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from eventsourcing.persistence import ApplicationRecorder, StoredEvent, Tracking, TrackingRecorder
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteTrackingRecorder
from eventsourcing.utils import Environment

from isp_ledger.storage.chain import GENESIS_HASH, seal
from isp_ledger.storage.factory import PERSISTENCE_MODULE, LedgerFactory
from projections.base import View
from tests.conftest import postgres_dsn
from tests.integration.rawstore import RawStore


@pytest.fixture
def factory(store_url: str) -> Iterator[LedgerFactory]:
    built = LedgerFactory(Environment("current_plan", {"ISP_LEDGER_DATABASE_URL": store_url,
                                                       "PERSISTENCE_MODULE": PERSISTENCE_MODULE}))
    try:
        yield built
    finally:
        built.close()


def sealed_events(plan_id: UUID, count: int, first: int = 1) -> list[StoredEvent]:
    """``count`` chained events of one plan, as the ledger stores them."""
    events, prev = [], GENESIS_HASH
    for version in range(first, first + count):
        state, prev = seal({"type": "Noted", "plan_id": str(plan_id), "version": version, "data": {}}, prev)
        events.append(StoredEvent(originator_id=plan_id, originator_version=version, topic="Noted", state=state))
    return events


def number_now(recorder: ApplicationRecorder) -> None:
    """On PostgreSQL, have the sequencer give every committed event its position now."""
    sequencer: Any = getattr(recorder, "sequencer", None)
    if sequencer is not None:
        sequencer.number_pending()


# ---------------------------------------------------------------- subscriptions


def test_a_stopped_subscription_yields_nothing_more_though_it_has_notifications_in_hand(
    factory: LedgerFactory,
) -> None:
    recorder = factory.application_recorder()
    recorder.insert_events(sealed_events(uuid4(), 3))
    number_now(recorder)
    with recorder.subscribe(gt=0) as subscription:
        assert next(subscription).id == 1  # the other two are read too, in the same page
        subscription.stop()
        with pytest.raises(StopIteration):
            next(subscription)


# ---------------------------------------------------------------- the factory's tracking recorders


def test_the_factory_builds_a_read_model_view_from_its_class(factory: LedgerFactory) -> None:
    """As the library's ``ProjectionRunner`` does: a view of the projection named by the factory's environment,
    in a generation no rebuild ever gives out, so it never touches a read model's live tables."""
    view = factory.tracking_recorder(View)
    assert isinstance(view, View) and type(view) is View
    assert (view.name, view.generation) == ("current_plan", 0)
    view.insert_tracking(Tracking("isp_ledger", 5))
    assert view.max_tracking_id("isp_ledger") == 5
    assert factory.tracking_recorder(View).max_tracking_id("isp_ledger") == 5  # the same tables, found again


def test_without_a_class_the_factory_builds_the_librarys_tracking_recorder_for_the_store(
    factory: LedgerFactory,
) -> None:
    recorder = factory.tracking_recorder()
    assert isinstance(recorder, TrackingRecorder)
    expected = SQLiteTrackingRecorder if factory.kind == "sqlite" else PostgresTrackingRecorder
    assert type(recorder) is expected
    recorder.insert_tracking(Tracking("isp_ledger", 3))
    assert recorder.max_tracking_id("isp_ledger") == 3


# ---------------------------------------------------------------- notification ids


def test_insert_events_returns_the_positions_the_events_are_given(factory: LedgerFactory) -> None:
    recorder = factory.application_recorder()
    first, second = uuid4(), uuid4()
    ids_first = recorder.insert_events(sealed_events(first, 2))
    ids_second = recorder.insert_events(sealed_events(second, 1))
    assert ids_first is not None and ids_second is not None
    assert len(ids_first) == 2 and len(ids_second) == 1
    positions = [*ids_first, *ids_second]
    assert sorted(positions) == [1, 2, 3]
    assert ids_first[0] < ids_first[1]  # one plan's events are numbered in version order
    by_event = {(n.originator_id, n.originator_version): n.id for n in recorder.select_notifications(None, 10)}
    assert positions == [by_event[first, 1], by_event[first, 2], by_event[second, 1]]


@pytest.mark.parametrize("store_url", ["postgres"], indirect=True)  # SQLite numbers inside the write
def test_on_postgresql_a_write_does_not_wait_for_its_positions(factory: LedgerFactory, store_url: str) -> None:
    """The positions are given after the commit, by the sequencer: reading them waits for it, writing does not."""
    recorder = factory.application_recorder()
    schema = RawStore(store_url).schema
    returned: list[Any] = []
    with psycopg.connect(postgres_dsn(), autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (f"{schema}.isp_events.sequencer",))
        writer = threading.Thread(target=lambda: returned.append(recorder.insert_events(sealed_events(uuid4(), 2))))
        writer.start()
        writer.join(timeout=10)
        assert returned, "insert_events waited for the sequencer"
        assert recorder.max_notification_id() is None  # nothing numbered yet
        conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (f"{schema}.isp_events.sequencer",))
    assert list(returned[0]) == [1, 2]
