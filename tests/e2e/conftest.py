"""Fixtures of the end-to-end HTTP tests: an ``api`` helper over the shared ``client`` and ``people``.

Every test taking ``api`` (through ``client``) runs on both stores, SQLite and PostgreSQL.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import FakeClock, People
from tests.e2e.helpers import Api


@pytest.fixture
def api(client: TestClient, people: People, clock: FakeClock) -> Api:
    return Api(client, people, clock)
