"""The plan store: eventsourcing's ``Application`` configured for the ledger, behind a few typed methods.

The library's application object wires the recorders (``factory.py``), our hash-chaining mapper
(``mapper.py``), the snapshot store and the repository. Everything above the storage layer (the application
services, the read side, the API) asks this class for what it needs (seal and insert events, load a plan at a
version, read a plan's stored rows) and never touches a recorder itself.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, Repository
from eventsourcing.domain import Snapshot
from eventsourcing.persistence import EventStore, Notification, StoredEvent
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore
from eventsourcing.utils import Environment, EnvType

from isp_ledger.config import Settings
from isp_ledger.domain.plan import Plan
from isp_ledger.snapshotting import Snapshotter
from isp_ledger.storage.accounts import AccountStore
from isp_ledger.storage.calendars import CalendarStore, SettingDetailsStore
from isp_ledger.storage.companions import Companion
from isp_ledger.storage.data_keys import DataKeys
from isp_ledger.storage.factory import PERSISTENCE_MODULE, LedgerFactory
from isp_ledger.storage.headlog import HeadLog
from isp_ledger.storage.keys import KeyRing
from isp_ledger.storage.mapper import ChainedMapper
from isp_ledger.storage.sealing import PlanSealer
from isp_ledger.storage.snapshots import SealedSnapshots, SnapshotStore
from isp_ledger.storage.sql import Sql
from isp_ledger.storage.transparency import head_hash_of

__all__ = ["AggregateNotFoundError", "PlanStore", "replay"]


class PlanStore(Application[UUID]):
    """The ledger's event store, snapshots and side tables, in one database. Construct with an environment
    (``ISP_LEDGER_*`` variables)."""

    name = "isp_ledger"

    def __init__(self, env: EnvType | None = None) -> None:
        super().__init__(env)
        self.factory: LedgerFactory
        self.settings: Settings = self.factory.settings
        self.accounts: AccountStore = self.factory.accounts
        self.calendars = CalendarStore(self.factory.datastore)
        self.setting_details = SettingDetailsStore(self.factory.datastore)
        self.keys = KeyRing(self.settings.key_dir)
        self._upn_secret = self.keys.secret("upn-index")
        self.data_keys = DataKeys(self.factory.datastore, self.keys, ttl_seconds=self.settings.key_cache_seconds)
        self.sealer = PlanSealer(self.data_keys)
        cast(ChainedMapper, self.mapper).sealer = self.sealer
        assert isinstance(self.snapshots, SnapshotStore)
        snapshot_mapper = cast(SealedSnapshots, self.snapshots.mapper)
        snapshot_mapper.sealer = self.sealer
        snapshot_mapper.head_hash = self.hash_at
        assert self.snapshots is not None
        self.snapshotter = Snapshotter(self.snapshots)

    # ---------------------------------------------------------------- library wiring

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        environment = super().construct_env(name, env)
        environment["PERSISTENCE_MODULE"] = PERSISTENCE_MODULE
        return environment

    def construct_factory(self, env: Environment) -> LedgerFactory:
        return LedgerFactory(env)

    def construct_mapper(self) -> ChainedMapper:
        return ChainedMapper(transcoder=self.construct_transcoder())

    def construct_snapshot_store(self) -> EventStore[UUID]:
        return SnapshotStore(self.factory.aggregate_recorder("snapshots"))

    def construct_repository(self) -> Repository[UUID]:
        return Repository(event_store=self.events, snapshot_store=self.snapshots)

    def close(self) -> None:
        self.snapshotter.close()
        super().close()

    # ---------------------------------------------------------------- what the store is

    @property
    def kind(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.factory.kind

    @property
    def datastore(self) -> SQLiteDatastore | PostgresDatastore:
        return self.factory.datastore

    @property
    def head_log(self) -> HeadLog:
        return self.factory.head_log

    def worker_env(self) -> dict[str, str]:
        """The ``ISP_LEDGER_*`` environment this store was configured from (for a worker process)."""
        return {key: str(value) for key, value in self.env.items() if key.startswith("ISP_LEDGER_")}

    def upn_key(self, upn: str) -> str:
        """The open-plan index holds a keyed digest of the UPN, never the UPN itself."""
        return hmac.new(self._upn_secret, upn.encode(), hashlib.sha256).hexdigest()

    # ---------------------------------------------------------------- writing

    def seal(self, event: Plan.Event, head: str) -> tuple[StoredEvent, str]:
        """The stored form of ``event``, chained to ``head``; and the new head hash."""
        mapper = cast(ChainedMapper, self.mapper)
        return mapper.seal(event, head)

    def insert(self, stored: Sequence[StoredEvent], companions: Sequence[Companion] = ()) -> None:
        """Store sealed events and their companions in one transaction (``VersionConflict`` if another writer
        stored one of those versions first)."""
        self.recorder.insert_events(list(stored), companions=list(companions))

    def snapshot_if_due(self, plan: Plan) -> None:
        """Snapshot the plan (in the background) if enough events were folded since its last snapshot."""
        # Every `snapshot_interval` events, and less often as a plan grows: a snapshot costs time in proportion
        # to the plan's size, so spacing them by a fraction of the version keeps that cost per event constant,
        # while a load never replays more than an eighth of the plan after its snapshot.
        if plan.version - plan.snapshot_version >= max(self.settings.snapshot_interval, plan.version // 8):
            plan.snapshot_version = plan.version
            self.snapshotter.take(plan)

    def delete_snapshots(self, plan_id: UUID) -> None:
        """Delete every snapshot of the plan (an erasure: a snapshot taken before it holds the pupil's data), once
        any still being taken in the background is stored."""
        self.snapshotter.flush()
        self.factory.snapshots.delete_snapshots(plan_id)  # type: ignore[attr-defined]

    def number_pending(self) -> None:
        """PostgreSQL: give committed events their place in the sequence (and the head log) now, rather than at
        the sequencer's next pass. SQLite numbers events as they are stored."""
        sequencer = getattr(self.recorder, "sequencer", None)
        if sequencer is not None:
            sequencer.number_pending()

    # ---------------------------------------------------------------- reading

    def get(self, plan_id: UUID, version: int | None = None) -> Plan:
        """The plan folded to ``version`` (the latest by default), from its newest usable snapshot.
        ``AggregateNotFoundError`` if no event of it is stored."""
        plan: Plan = self.repository.get(plan_id, version=version, projector_func=replay)
        return plan

    def events_after(self, plan_id: UUID, version: int | None) -> Iterator[Plan.Event]:
        """The plan's events after ``version`` (all of them for ``None``), in order."""
        for event in self.events.get(plan_id, gt=version):
            yield cast(Plan.Event, event)

    def snapshots_newest_first(self, plan_id: UUID) -> Iterator[Snapshot]:
        assert self.snapshots is not None
        for snapshot in self.snapshots.get(plan_id, desc=True):
            yield cast(Snapshot, snapshot)

    def stored_rows(self, plan_id: UUID) -> list[tuple[int, bytes]]:
        """The plan's stored events as ``(version, state)``, in version order, exactly as stored."""
        return [(s.originator_version, s.state) for s in self.recorder.select_events(plan_id)]

    def first_stored(self, plan_id: UUID) -> bytes | None:
        """The stored state of the plan's first event, if any is stored."""
        rows = self.recorder.select_events(plan_id, limit=1)
        return rows[0].state if rows else None

    def hash_at(self, plan_id: UUID, version: int) -> str | None:
        """The stored hash of the plan's event at ``version`` (``None`` if there is none, or it is not sealed)."""
        rows = self.recorder.select_events(plan_id, gt=version - 1, lte=version)
        return head_hash_of(rows[0].state) if rows else None

    def plan_ids(self) -> list[UUID]:
        """Every plan stored, by id (the retention run looks at each)."""
        rows = Sql(self.datastore).fetch("SELECT originator_id FROM {isp_events} WHERE originator_version = 1 "
                                         "ORDER BY originator_id")
        return [row[0] if isinstance(row[0], UUID) else UUID(row[0]) for row in rows]

    def head_version(self, plan_id: UUID) -> int | None:
        """The highest version stored for the plan, if any."""
        latest = self.recorder.select_events(plan_id, desc=True, limit=1)
        return latest[0].originator_version if latest else None

    # ---------------------------------------------------------------- the sequence (for the read side)

    def max_position(self) -> int:
        return self.recorder.max_notification_id() or 0

    def notifications(self, after: int, limit: int, stop: int | None = None) -> Sequence[Notification]:
        return self.recorder.select_notifications(after, limit, stop, inclusive_of_start=False)

    def notifications_in_plan_order(self, head: int, after: tuple[UUID, int], limit: int,
                                    below: UUID | None) -> Sequence[Notification]:
        select = self.recorder.select_in_plan_order  # type: ignore[attr-defined]
        return cast(Sequence[Notification], select(head, after, limit, below))

    def position_of(self, plan_id: UUID, version: int) -> int | None:
        """The position in the sequence of the plan's event at ``version``, once it has one."""
        position = self.recorder.notification_id_of(plan_id, version)  # type: ignore[attr-defined]
        return cast(int | None, position)

    def opened(self, envelope: dict[str, Any]) -> dict[str, Any]:
        """A stored envelope (``chain.unseal``) with its personal values decrypted (``null`` once erased)."""
        return cast(ChainedMapper, self.mapper).open(envelope)

    def to_event(self, notification: Notification) -> Plan.Event:
        return cast(Plan.Event, self.mapper.to_domain_event(notification))

    def waiter(self) -> Any:
        """What the read side waits on for new events (LISTEN/NOTIFY, or SQLite's commit signal)."""
        return self.recorder.waiter()  # type: ignore[attr-defined]

    def start_sequencer(self) -> None:
        """PostgreSQL: number events left behind by writers that died, and keep numbering."""
        sequencer = getattr(self.recorder, "sequencer", None)
        if sequencer is not None:
            sequencer.start()

    def recorded_at(self, notification: Notification) -> dt.datetime:
        timestamp: dt.datetime = self.mapper.to_domain_event(notification).timestamp  # type: ignore[attr-defined]
        return timestamp


def replay(plan: Plan | None, events: Iterable[Any]) -> Plan | None:
    """Apply stored events in order (the library's default also re-checks each event's type at run time,
    which costs more than applying it)."""
    for event in events:
        plan = event.mutate(plan)
    return plan
