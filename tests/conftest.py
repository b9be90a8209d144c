"""Fixtures shared by every test: the two stores, a controllable clock, users, and an HTTP client.

Every test that takes ``store_url`` (directly or through ``ledger`` or ``client``) runs twice: on SQLite and
on PostgreSQL. PostgreSQL tests never skip: if the server cannot be reached they fail, saying how to start it.
Each PostgreSQL test gets a schema of its own, dropped afterwards.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient

from isp_ledger.access import User
from isp_ledger.api.app import create_app
from isp_ledger.application import Ledger
from isp_ledger.bootstrap import build_ledger

POSTGRES_URL = os.environ.get("ISP_LEDGER_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
START_HINT = "start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
SETTING = "123456"
OTHER_SETTING = "654321"


class FakeClock:
    """A clock tests can set; each reading moves on by a millisecond, as a real clock would."""

    def __init__(self, start: dt.datetime) -> None:
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> dt.datetime:
        with self._lock:
            self._now += dt.timedelta(milliseconds=1)
            return self._now

    def set(self, instant: dt.datetime) -> None:
        with self._lock:
            self._now = instant

    def advance(self, **delta: float) -> None:
        with self._lock:
            self._now += dt.timedelta(**delta)


def postgres_dsn() -> str:
    return POSTGRES_URL.split("?", 1)[0]


BROWSER_TESTS = Path(__file__).parent / "browser"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("store_url") == "postgres":
            item.add_marker(pytest.mark.postgres)
        if BROWSER_TESTS in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)
    # The browser tests run last: Playwright's sync API keeps an event loop running in the main thread while its
    # (one, session-wide) browser is open, and a test after it could not start one of its own (anyio.run).
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/ledger.db"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(postgres_dsn(), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as e:
        pytest.fail(f"PostgreSQL is not reachable at {POSTGRES_URL} ({e}); {START_HINT}", pytrace=False)
    with admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{postgres_dsn()}?schema={schema}"
    finally:
        with psycopg.connect(postgres_dsn(), autocommit=True) as admin:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC))


@pytest.fixture
def env(store_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        "ISP_LEDGER_DATABASE_URL": store_url,
        "ISP_LEDGER_KEY_DIR": str(tmp_path / "keys"),
        # Tests send many bad tokens from one client on purpose; the limit itself is tested with its default
        # (tests/e2e/test_security_api.py).
        "ISP_LEDGER_AUTH_FAILURES_PER_MINUTE": "100000",
    }


@pytest.fixture
def ledger(env: dict[str, str], clock: FakeClock) -> Iterator[Ledger]:
    app = build_ledger(env, clock=clock)
    try:
        yield app
    finally:
        app.close()


class People:
    """The users of a test school, each with a token."""

    def __init__(self, ledger: Ledger) -> None:
        self.tokens: dict[str, str] = {}
        self.users: dict[str, User] = {}
        for key, name, role, setting in (
            ("admin", "Ada Admin", "admin", None),
            ("senco", "Sam Senco", "senco", SETTING),
            ("teacher", "Tess Teacher", "teacher", SETTING),
            ("other_senco", "Otto Other", "senco", OTHER_SETTING),
            ("other_teacher", "Olive Other", "teacher", OTHER_SETTING),
            ("parent", "Pat Parent", "parent", None),
            ("professional", "Dr Pro", "professional", None),
            ("complaint_handler", "Chris Panel", "complaint_handler", None),
        ):
            user, token = ledger.accounts.add_user(name=name, role=role, setting_urn=setting)
            self.users[key] = user
            self.tokens[key] = token

    def __getattr__(self, key: str) -> User:
        try:
            return self.users[key]
        except KeyError:
            raise AttributeError(key) from None

    def headers(self, key: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[key]}", **extra}


@pytest.fixture
def people(ledger: Ledger) -> People:
    return People(ledger)


@pytest.fixture
def client(ledger: Ledger) -> Iterator[TestClient]:
    with TestClient(create_app(ledger, close_ledger=False), raise_server_exceptions=False) as test_client:
        yield test_client
