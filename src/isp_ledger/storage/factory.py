"""Configures eventsourcing from the ledger's own settings, so nobody has to learn the library's variables.

``LedgerFactory`` is an eventsourcing ``InfrastructureFactory``: the application and the library's projection
runners construct it from an environment (``PERSISTENCE_MODULE`` names this module), and it reads
``ISP_LEDGER_DATABASE_URL`` to choose SQLite (a file, created on first use) or PostgreSQL.
"""

from __future__ import annotations

import inspect
import logging
import os
import re
import sqlite3
from pathlib import Path
from typing import Any

import psycopg
from eventsourcing.persistence import (
    AggregateRecorder,
    ApplicationRecorder,
    InfrastructureFactory,
    PersistenceError,
    ProcessRecorder,
    TrackingRecorder,
)
from eventsourcing.postgres import PostgresDatastore, PostgresRecorder, PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteDatastore, SQLiteRecorder, SQLiteTrackingRecorder
from eventsourcing.utils import Environment, EnvType, resolve_topic, strtobool

from isp_ledger.config import DatabaseLocation, Settings, redact_url
from isp_ledger.storage import sqlite
from isp_ledger.storage.accounts import AccountStore, upgrade_users_table
from isp_ledger.storage.headlog import HeadLog
from isp_ledger.storage.postgres import PostgresLedgerRecorder
from isp_ledger.storage.postgres_schema import create_tables
from isp_ledger.storage.postgres_snapshots import PostgresSnapshotRecorder
from isp_ledger.storage.sql import Sql
from isp_ledger.storage.sqlite_erasure import overwrite_deleted
from isp_ledger.storage.sqlite_snapshots import SQLiteSnapshotRecorder

PERSISTENCE_MODULE = "isp_ledger.storage.factory:LedgerFactory"

log = logging.getLogger(__name__)


class LedgerFactory(InfrastructureFactory[TrackingRecorder]):
    def __init__(self, env: Environment | EnvType | None) -> None:
        super().__init__(env)
        self.settings = Settings.from_env({k: v for k, v in self.env.items() if k.startswith("ISP_LEDGER_")})
        location = self.settings.database
        self.kind = location.kind
        self.datastore: SQLiteDatastore | PostgresDatastore
        self.events: ApplicationRecorder
        self.snapshots: AggregateRecorder
        try:
            if location.kind == "sqlite":
                self._open_sqlite(location)
            else:
                self._open_postgres(location)
        except (OSError, sqlite3.Error, PersistenceError, psycopg.Error) as e:
            if location.kind == "postgresql":  # the pool says only that it got no connection: ask once, directly
                probe(location)
            raise StoreUnreachable(f"Cannot use the store ({location.description}): {_one_line(e)}") from e
        upgrade_users_table(self.datastore)  # a store made by an earlier release
        self.accounts = AccountStore(self.datastore)
        self.head_log = HeadLog(self.datastore)

    def _open_sqlite(self, location: DatabaseLocation) -> None:
        path = Path(location.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        owner_only(path)
        self.path = str(path)
        self.datastore = SQLiteDatastore(
            self.path, pool_size=self.settings.pool_size, max_overflow=10, pool_timeout=30.0, lock_timeout=30
        )
        overwrite_deleted(self.datastore)
        sqlite.create_tables(self.datastore)
        self.events = sqlite.SQLiteLedgerRecorder(self.datastore, self.path)
        self.snapshots = SQLiteSnapshotRecorder(self.datastore)

    def _open_postgres(self, location: DatabaseLocation) -> None:
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

    def application_recorder(self) -> ApplicationRecorder:
        return self.events

    def aggregate_recorder(self, purpose: str = "events") -> AggregateRecorder:
        if purpose != "snapshots":
            raise ValueError(f"isp-ledger keeps no aggregate recorder for {purpose!r}")
        return self.snapshots

    def tracking_recorder(self, tracking_recorder_class: type[TrackingRecorder] | None = None) -> TrackingRecorder:
        """A tracking recorder on the ledger's store, built from its class (as the library's runners ask for one).

        * No class: the one ``TRACKING_RECORDER_TOPIC`` names, else the library's own tracking recorder for this
          store (``SQLiteTrackingRecorder`` or ``PostgresTrackingRecorder``).
        * One of the library's recorders for this store (or a subclass) is built on the datastore, as the
          library builds it.
        * Any other class is a view on the store's plain-SQL adapter, as ``projections.base.View``: it is given
          ``sql`` and, where its constructor asks for them, ``name`` (the environment's name, which is the
          projection's when the library's ``ProjectionRunner`` builds it), ``generation`` 0 (the read models'
          registry gives out generations from 1, so such a view never touches a read model's live tables) and
          ``tables`` (those its class declares, if any; else it keeps a tracking position only).

        Its tables are created unless ``CREATE_TABLE`` says not to, as in the library.
        """
        cls = tracking_recorder_class
        if cls is None:
            topic = self.env.get(self.TRACKING_RECORDER_TOPIC)
            cls = resolve_topic(topic) if topic else (
                SQLiteTrackingRecorder if self.kind == "sqlite" else PostgresTrackingRecorder)
        if issubclass(cls, (SQLiteRecorder, PostgresRecorder)):
            store = SQLiteRecorder if self.kind == "sqlite" else PostgresRecorder
            if not issubclass(cls, store):
                raise TypeError(f"{cls.__name__} is a recorder for the other store; this one is {self.kind}")
            recorder = cls(datastore=self.datastore)  # type: ignore[call-arg]
        else:
            recorder = cls(**self._view_arguments(cls))
        create_table = getattr(recorder, "create_table", None)
        if create_table is not None and strtobool(self.env.get("CREATE_TABLE", "yes") or "yes"):
            create_table()
        return recorder

    def _view_arguments(self, cls: type[TrackingRecorder]) -> dict[str, Any]:
        parameters = inspect.signature(cls).parameters
        offered: dict[str, Any] = {
            "sql": Sql(self.datastore),
            "name": re.sub(r"[^a-z0-9_]", "_", self.env.name.lower()).lstrip("0123456789") or "view",
            "generation": 0,
            "tables": dict(getattr(cls, "tables", {})),
        }
        required = [name for name, p in parameters.items()
                    if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        unknown = [name for name in required if name not in offered]
        if "sql" not in parameters or unknown:
            raise TypeError(
                f"cannot build {cls.__name__} on the ledger's store: a tracking recorder is one of the library's "
                "recorders for the store (built on its datastore) or a view built on the store's Sql adapter (from "
                f"sql, and name, generation and tables if it asks); {cls.__name__} asks for {', '.join(required)}"
            )
        return {name: value for name, value in offered.items() if name in parameters}

    def process_recorder(self) -> ProcessRecorder:
        raise NotImplementedError("isp-ledger has no event-sourced process applications")

    def is_snapshotting_enabled(self) -> bool:
        return True

    def close(self) -> None:
        close = getattr(self.events, "close", None)
        if close is not None:
            close()
        self.datastore.close()


class StoreUnreachable(Exception):
    """The store cannot be reached or opened; the message says which store (never its password) and why, in one
    line."""


def probe(location: DatabaseLocation, timeout: int = 10) -> None:
    """Connect to a PostgreSQL store once, directly: ``StoreUnreachable`` with the server's (or the network's) reason
    if that fails. A connection pool reports only that it got no connection in time."""
    if location.kind != "postgresql":
        return
    try:
        psycopg.connect(host=location.host, port=location.port, user=location.user, password=location.password,
                        dbname=location.dbname, connect_timeout=timeout).close()
    except psycopg.Error as e:
        raise StoreUnreachable(f"Cannot reach the store ({location.description}): {_one_line(e)}") from None


def _one_line(error: BaseException) -> str:
    text = "; ".join(line.strip() for line in str(error).splitlines() if line.strip()) or type(error).__name__
    return redact_url(text)


def owner_only(path: Path) -> None:
    """Create the SQLite file readable and writable by its owner only (SQLite then makes its -wal and -shm files
    the same), or make an existing one so, saying so. A store holds children's records: nobody else on the
    machine may read it."""
    try:
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))
        return
    except FileExistsError:
        pass
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            mode = file.stat().st_mode & 0o777
        except FileNotFoundError:
            continue
        if mode & 0o077:
            try:
                file.chmod(mode & 0o700)
                log.warning("%s could be read by other users of this machine (mode %o): now by its owner only",
                            file, mode)
            except PermissionError:
                log.warning("%s can be read by other users of this machine (mode %o), and this process may not "
                            "change that: chmod 600 it", file, mode)


def ledger_env(settings: Settings | None = None, **extra: str) -> dict[str, str]:
    """The environment from which the application and projection runners configure themselves."""
    env = {k: v for k, v in os.environ.items() if k.startswith("ISP_LEDGER_")}
    if settings is not None:
        env["ISP_LEDGER_DATABASE_URL"] = settings.database_url
    env.update(extra)
    env["PERSISTENCE_MODULE"] = PERSISTENCE_MODULE
    return env
