"""Configures eventsourcing from the ledger's own settings, so nobody has to learn the library's variables.

``LedgerFactory`` is an eventsourcing ``InfrastructureFactory``: the application and the library's projection
runners construct it from an environment (``PERSISTENCE_MODULE`` names this module), and it reads
``ISP_LEDGER_DATABASE_URL`` to choose SQLite (a file, created on first use) or PostgreSQL.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from eventsourcing.persistence import (
    AggregateRecorder,
    ApplicationRecorder,
    InfrastructureFactory,
    ProcessRecorder,
    TrackingRecorder,
)
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore
from eventsourcing.utils import Environment, EnvType

from isp_ledger.config import Settings
from isp_ledger.storage import sqlite
from isp_ledger.storage.accounts import AccountStore
from isp_ledger.storage.headlog import HeadLog
from isp_ledger.storage.postgres import PostgresLedgerRecorder
from isp_ledger.storage.postgres_schema import create_tables
from isp_ledger.storage.postgres_snapshots import PostgresSnapshotRecorder

PERSISTENCE_MODULE = "isp_ledger.storage.factory:LedgerFactory"


class LedgerFactory(InfrastructureFactory[TrackingRecorder]):
    def __init__(self, env: Environment | EnvType | None) -> None:
        super().__init__(env)
        self.settings = Settings.from_env({k: v for k, v in self.env.items() if k.startswith("ISP_LEDGER_")})
        location = self.settings.database
        self.kind = location.kind
        self.datastore: SQLiteDatastore | PostgresDatastore
        self.events: ApplicationRecorder
        self.snapshots: AggregateRecorder
        if location.kind == "sqlite":
            path = Path(location.path)
            path.parent.mkdir(parents=True, exist_ok=True)
            self.path = str(path)
            self.datastore = SQLiteDatastore(
                self.path, pool_size=self.settings.pool_size, max_overflow=10, pool_timeout=30.0, lock_timeout=30
            )
            sqlite.create_tables(self.datastore)
            self.events = sqlite.SQLiteLedgerRecorder(self.datastore, self.path)
            self.snapshots = sqlite.SQLiteSnapshotRecorder(self.datastore)
        else:
            self.datastore = PostgresDatastore(
                dbname=location.dbname,
                host=location.host,
                port=location.port,
                user=location.user,
                password=location.password,
                schema=location.schema,
                pool_size=self.settings.pool_size,
                max_overflow=self.settings.pool_size,
                connect_timeout=10,
                idle_in_transaction_session_timeout=30,
            )
            create_tables(self.datastore)
            self.events = PostgresLedgerRecorder(self.datastore)
            self.snapshots = PostgresSnapshotRecorder(self.datastore)
        self.accounts = AccountStore(self.datastore)
        self.head_log = HeadLog(self.datastore)

    def application_recorder(self) -> ApplicationRecorder:
        return self.events

    def aggregate_recorder(self, purpose: str = "events") -> AggregateRecorder:
        if purpose != "snapshots":
            raise ValueError(f"isp-ledger keeps no aggregate recorder for {purpose!r}")
        return self.snapshots

    def tracking_recorder(self, tracking_recorder_class: type[Any] | None = None) -> Any:
        if tracking_recorder_class is None:
            raise ValueError("name the view class: every read model has its own tables")
        recorder = tracking_recorder_class(datastore=self.datastore)
        recorder.create_table()
        return recorder

    def process_recorder(self) -> ProcessRecorder:
        raise NotImplementedError("isp-ledger has no event-sourced process applications")

    def is_snapshotting_enabled(self) -> bool:
        return True

    def close(self) -> None:
        close = getattr(self.events, "close", None)
        if close is not None:
            close()
        self.datastore.close()


def ledger_env(settings: Settings | None = None, **extra: str) -> dict[str, str]:
    """The environment from which the application and projection runners configure themselves."""
    env = {k: v for k, v in os.environ.items() if k.startswith("ISP_LEDGER_")}
    if settings is not None:
        env["ISP_LEDGER_DATABASE_URL"] = settings.database_url
    env.update(extra)
    env["PERSISTENCE_MODULE"] = PERSISTENCE_MODULE
    return env
