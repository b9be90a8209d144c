"""A provision past its ``ends_on`` is ended from the next day in every view, without anyone recording it
(CONTRACT.md §8), on both stores: the plan now (from the read model, whose rows were written while it was in force),
as of a day, as at an instant, the diff and the evidence bundle's plan in force at the end of its period."""

from __future__ import annotations

import datetime as dt
from typing import Any

from isp_ledger.bundle.verify import verify_bundle
from tests import samples
from tests.conftest import SETTING
from tests.e2e.helpers import Api

BLOCK = "Block of speech and language therapy"


def at(api: Api, day: str, hour: int = 9) -> None:
    api.clock.set(dt.datetime.fromisoformat(f"{day}T{hour:02d}:00:00+00:00"))


def plan_with_a_block(api: Api) -> dict[str, str]:
    """Opened 1 September 2025: a block of therapy to 21 November 2025, and phonics with no end date."""
    at(api, "2025-09-01")
    response = api.client.put(f"/v1/settings/{SETTING}/calendar", headers=api.headers(), json={
        "holidays": [{"start": "2025-10-27", "end": "2025-10-31"}, {"start": "2025-12-22", "end": "2026-01-02"}],
        "closures": []})
    assert response.status_code == 200, response.text
    plan_id = api.open_plan()
    barrier = api.add_barrier(plan_id)
    block = api.add(plan_id, "provisions", samples.provision(
        [barrier], description=BLOCK, starts_on="2025-09-08", ends_on="2025-11-21", group_size=1))
    phonics = api.add(plan_id, "provisions", samples.provision([barrier], starts_on="2025-09-08"))
    return {"plan": plan_id, "block": block, "phonics": phonics}


def status(document: dict[str, Any], item_id: str) -> tuple[str, str | None]:
    [item] = [p for p in document["provisions"] if p["id"] == item_id]
    return item["status"], item.get("ended_on")


def test_the_plan_now_shows_the_block_ended_from_the_day_after_its_end_date(api: Api) -> None:
    ids = plan_with_a_block(api)
    at(api, "2025-11-21", 16)  # its last day
    now = api.get(f"/v1/plans/{ids['plan']}")
    assert now.headers["isp-ledger-source"] == "read-model"
    assert status(now.json(), ids["block"]) == ("active", None)
    version = api.event_count(ids["plan"])

    at(api, "2025-11-22", 0)  # the next day, London time; nothing recorded since
    now = api.get(f"/v1/plans/{ids['plan']}")
    assert now.headers["isp-ledger-source"] == "read-model"
    document = now.json()
    assert document["version"] == version
    assert status(document, ids["block"]) == ("ended", "2025-11-22")
    [block] = [p for p in document["provisions"] if p["id"] == ids["block"]]
    assert block["ended_reason"] == "Its agreed end date, 21 November 2025, has passed."
    assert status(document, ids["phonics"]) == ("active", None)
    assert document == api.get(f"/v1/plans/{ids['plan']}", as_at="2025-11-22T00:30:00+00:00").json() | {
        "as_at": None}  # the event log, folded, says the same

    assert status(api.plan(ids["plan"], as_of="2025-11-21"), ids["block"])[0] == "active"
    assert status(api.plan(ids["plan"], as_of="2025-11-24"), ids["block"])[0] == "ended"
    assert status(api.plan(ids["plan"], as_at="2025-11-21T12:00:00+00:00"), ids["block"])[0] == "active"


def test_the_diff_across_the_end_date_lists_the_block_as_ended(api: Api) -> None:
    ids = plan_with_a_block(api)
    at(api, "2025-12-01")
    response = api.get(f"/v1/plans/{ids['plan']}/diff", **{"from": "2025-11-01T12:00:00+00:00"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["changed"] is True
    assert [(e["id"], e["ended_on"]) for e in body["changes"]["provisions"]["ended"]] == [(ids["block"], "2025-11-22")]


def test_the_bundle_at_the_end_of_the_year_no_longer_lists_the_block_as_in_place(api: Api) -> None:
    ids = plan_with_a_block(api)
    at(api, "2026-07-22")
    period = {"from": "2025-09-01", "to": "2026-07-21"}
    response = api.get(f"/v1/plans/{ids['plan']}/bundle", **period)
    assert response.status_code == 200, response.text
    bundle = response.json()
    assert status(bundle["plan_at_start"], ids["block"])[0] == "active"
    assert status(bundle["plan_at_end"], ids["block"]) == ("ended", "2025-11-22")
    assert status(bundle["plan_at_end"], ids["phonics"])[0] == "active"
    check = verify_bundle(bundle)
    assert check.ok, check.problems

    html = api.get(f"/v1/plans/{ids['plan']}/bundle", format="html", **period).text
    end = html[html.index('id="end"'):html.index('id="changes"')]
    block_line = end[end.index(BLOCK):][:600]
    assert "Ended 22 Nov 2025" in block_line, block_line
