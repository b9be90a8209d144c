"""The read side asks for the pupils' data keys a page of the log at a time (``Projector._with_keys``): one query for
the plans of a page, rather than one round trip when each plan's first event is opened, which cost a rebuild in a
fresh process (a worker of a parallel rebuild, a projector after a restart) a round trip per plan."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID

import pytest

from isp_ledger.application import Ledger
from isp_ledger.bootstrap import build_ledger
from isp_ledger.storage.sql import Sql
from projections import plan_index
from projections.base import View
from projections.rebuild import rebuild
from projections.registry import Registry
from tests import samples
from tests.conftest import SETTING, FakeClock, People
from tests.integration.test_projections import number_pending

PLANS = 6


@pytest.fixture
def cold(env: dict[str, str], clock: FakeClock) -> Iterator[Ledger]:
    """A second process on the same store, which has never held a data key in memory."""
    ledger = build_ledger({**env, "ISP_LEDGER_PROJECTIONS": "external"}, clock=clock)
    try:
        yield ledger
    finally:
        ledger.close()


def test_a_rebuild_in_a_fresh_process_fetches_the_keys_of_a_page_of_plans_in_one_query(
    ledger: Ledger, people: People, cold: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = []
    for n in range(PLANS):
        family = f"Keyfetch{n}"
        body = samples.plan_body(pupil=samples.pupil(upn=samples.new_upn(), given_name="Wren", family_name=family))
        plan_id = UUID(ledger.commands.open_plan(people.senco, **body).body["plan_id"])
        ledger.commands.record_contribution(people.senco, plan_id, {"kind": "parent_view", "text": f"{family} reads"})
        names.append(family)
    number_pending(ledger)

    keys = cold.store.data_keys
    queries: list[str] = []
    fetch = keys.sql.fetch

    def counted(statement: str, *args: Any, **kwargs: Any) -> Any:
        if "isp_data_keys" in statement:
            queries.append(statement)
        return fetch(statement, *args, **kwargs)

    monkeypatch.setattr(keys.sql, "fetch", counted)
    generations = rebuild(cold.store)

    assert len(queries) == 1  # one page of the log, so one query: not one per plan (there are six)
    sql = Sql(cold.store.datastore)
    assert Registry(sql).current("plan_index") == generations["plan_index"]
    view = View(sql, "plan_index", generations["plan_index"], plan_index.PlanIndex.tables, sealer=cold.store.sealer)
    listed, _ = plan_index.search(view, setting_urns=[SETTING], name="keyfetch")
    assert sorted(p["family_name"] for p in listed) == names  # the rebuilt rows open, with the keys fetched so
