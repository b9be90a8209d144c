"""The ledger opens a plan and reads it back on both stores."""

from __future__ import annotations

from uuid import UUID

from isp_ledger.application import Ledger
from tests.conftest import People
from tests.samples import plan_body


def test_open_and_read_back(ledger: Ledger, people: People) -> None:
    body = plan_body()
    result = ledger.commands.open_plan(people.senco, **body)
    assert result.status_code == 201
    document = ledger.history.plan_document(people.senco, UUID(result.body["plan_id"]))
    assert document["pupil"]["upn"] == body["pupil"]["upn"]
    assert document["version"] == 1
