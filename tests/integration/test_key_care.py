"""Key care (issue 13, item 7): ``isp-ledger keys rotate`` wraps every pupil's data key again under a new service key
without touching a stored event, and a store whose service key is lost says which file, rather than crashing."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

import pytest

from isp_ledger.application import Ledger
from isp_ledger.bootstrap import build_ledger
from isp_ledger.storage.data_keys import MissingServiceKey
from isp_ledger.storage.sql import Sql
from tests.conftest import FakeClock, People
from tests.samples import plan_body


def _plans(ledger: Ledger, people: People, count: int) -> list[UUID]:
    return [UUID(ledger.commands.open_plan(people.senco, **plan_body()).body["plan_id"]) for _ in range(count)]


def test_rotation_rewraps_every_key_and_changes_no_event(env: dict[str, str], ledger: Ledger, people: People,
                                                        clock: FakeClock) -> None:
    plan_ids = _plans(ledger, people, 3)
    before = {p: ledger.store.stored_rows(p) for p in plan_ids}
    documents = {p: ledger.history.plan_document(people.senco, p)["pupil"] for p in plan_ids}
    new_id, count = ledger.store.data_keys.rotate()
    assert (new_id, count) == (2, 3)
    assert {int(w) for (w,) in Sql(ledger.store.datastore).fetch("SELECT wrap_id FROM {isp_data_keys}")} == {2}
    assert {p: ledger.store.stored_rows(p) for p in plan_ids} == before
    key_dir = Path(env["ISP_LEDGER_KEY_DIR"])
    (key_dir / "wrap-1.key").unlink()  # the old service key is no longer needed
    fresh = build_ledger(env, clock=clock)
    try:
        assert {p: fresh.history.plan_document(people.senco, p)["pupil"] for p in plan_ids} == documents
    finally:
        fresh.close()
    (key_dir / "wrap-2.key").unlink()  # the new one lost: a clear error naming the file
    lost = build_ledger(env, clock=clock)
    try:
        with pytest.raises(MissingServiceKey, match=r"wrap-2\.key"):
            lost.store.get(plan_ids[0])
    finally:
        lost.close()
