"""The plan page and its history (CONTRACT.md §13), read through the pages as each caller: what they see, what
they may not, and that each page view is access-logged as the API logs the same read."""

from __future__ import annotations

from fastapi.testclient import TestClient

from isp_ledger.application import Ledger
from tests.conftest import People
from tests.e2e.helpers import Api
from tests.e2e.web_read import page_as, rich_plan


def test_smoke(client: TestClient, ledger: Ledger, people: People, api: Api) -> None:
    ids = rich_plan(api)
    response = page_as(client, ledger, people, "senco", f"/plans/{ids['plan']}")
    assert response.status_code == 200, response.text
    print(response.text)
    response = page_as(client, ledger, people, "parent", f"/plans/{ids['plan']}/history")
    assert response.status_code == 200, response.text
    print(response.text)
