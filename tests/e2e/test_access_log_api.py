"""The access log over HTTP (CONTRACT.md §10), on both stores: every answer that shows a plan is logged before it is
sent, in plain words a parent can read; the plan's SENCO, administrators and parents read the log, newest first,
a page at a time; and when the log cannot be written, the answer is refused (503), never sent unlogged.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import pytest

from isp_ledger.application import Ledger
from isp_ledger.storage.access_log import AccessEntry
from isp_ledger.storage.sql import Sql
from tests import samples
from tests.conftest import SETTING
from tests.e2e.grant_helpers import disable, give, shared_plan
from tests.e2e.helpers import Api, assert_problem


def log_of(api: Api, plan_id: str, who: str = "senco", **params: str) -> dict[str, Any]:
    response = api.get(f"/v1/plans/{plan_id}/access-log", who, **params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_parent_sees_who_looked_at_the_plan_and_what_in_plain_words(api: Api) -> None:
    ids = shared_plan(api)
    plan = f"/v1/plans/{ids['plan']}"
    api.get(plan, "parent", as_of="2026-11-20")
    api.get(plan, "teacher", as_at="2026-11-20T10:00:00.005+00:00")
    api.get(f"{plan}/delivery", "complaint_handler", **{"from": "2026-09-01", "to": "2026-11-20"})
    api.get(f"{plan}/bundle", "professional", format="html", **{"from": "2026-09-01"})
    api.get(f"{plan}/timeline", "senco", kind="review,contribution", **{"from": "2026-10-01"})
    body = log_of(api, ids["plan"], "parent")
    entries = body["entries"]
    # Newest first; the reading of the log itself is logged first, so it heads the page.
    assert [(e["user"]["name"], e.get("relationship"), e["detail"]) for e in entries[:6]] == [
        ("Pat Parent", "parent", "Read who has looked at the plan"),
        ("Sam Senco", None, "Read the plan's history (review, contribution entries) from 1 October 2026"),
        ("Dr Pro", "professional", "Downloaded the evidence bundle (HTML) from 1 September 2026 to 20 November 2026"),
        ("Chris Panel", "complaint_handler",
         "Read planned and delivered provision from 1 September 2026 to 20 November 2026"),
        ("Tess Teacher", None, "Read the plan as the record stood at 10:00 on 20 November 2026"),
        ("Pat Parent", "parent", "Read the plan as it stood on 20 November 2026"),
    ]
    assert entries[5]["user"] == {"user_id": api.people.parent.user_id, "name": "Pat Parent", "role": "parent"}
    assert entries[5]["what"] == "The plan" and entries[5]["asked"] == {"as_of": "2026-11-20"}
    assert entries[3]["asked"] == {"from": "2026-09-01", "to": "2026-11-20"}
    assert "relationship" not in entries[1]
    for entry in entries:
        assert dt.datetime.fromisoformat(entry["at"]).utcoffset() == dt.timedelta(0)


def test_a_viewer_who_is_not_staff_is_named_in_the_log_only_under_the_pupils_key(api: Api, ledger: Ledger) -> None:
    ids = shared_plan(api)
    api.get(f"/v1/plans/{ids['plan']}", "parent")
    api.get(f"/v1/plans/{ids['plan']}", "teacher")
    names = [row[0] for row in Sql(ledger.store.datastore).fetch(
        "SELECT user_name FROM {isp_access_log} WHERE plan_id = ?", (ids["plan"],))]
    assert "Tess Teacher" in names  # staff stay named in clear
    assert not any("Pat" in name or "Parent" in name for name in names)  # the parent only sealed
    shown = [e["user"]["name"] for e in log_of(api, ids["plan"], "senco")["entries"]]
    assert "Pat Parent" in shown and "Tess Teacher" in shown


def test_the_log_is_read_a_page_at_a_time_newest_first(api: Api) -> None:
    plan_id = api.open_plan()
    for _ in range(6):
        assert api.get(f"/v1/plans/{plan_id}/verify").status_code == 200
    first = log_of(api, plan_id, limit="4")
    assert len(first["entries"]) == 4 and first["next_cursor"] is not None
    second = log_of(api, plan_id, limit="4", cursor=first["next_cursor"])
    assert second["next_cursor"] is None
    details = [e["detail"] for e in first["entries"] + second["entries"]]
    looked, checked = "Read who has looked at the plan", "Checked that the plan's record has not been altered"
    assert details == [looked] + [checked] * 6  # the second reading is newer than the cursor: on a new first page
    instants = [e["at"] for e in first["entries"] + second["entries"]]
    assert instants == sorted(instants, reverse=True)
    assert [e["detail"] for e in log_of(api, plan_id, limit="3")["entries"]] == [looked, looked, looked]
    for cursor in ("abc", "-1", "1" * 30):
        assert_problem(api.get(f"/v1/plans/{plan_id}/access-log", cursor=cursor), 422, field="cursor")
    assert_problem(api.get(f"/v1/plans/{plan_id}/access-log", limit="0"), 422, field="limit")


def test_the_senco_admins_and_the_plans_parents_read_the_log_and_no_one_else(api: Api) -> None:
    ids = shared_plan(api)
    path = f"/v1/plans/{ids['plan']}/access-log"
    for who in ("senco", "admin", "parent"):
        assert api.get(path, who).status_code == 200, who
    for who in ("teacher", "professional", "complaint_handler"):
        assert_problem(api.get(path, who), 403)
    for who in ("other_senco", "other_teacher"):
        assert_problem(api.get(path, who), 404)
    other = api.open_plan()
    assert_problem(api.get(f"/v1/plans/{other}/access-log", "parent"), 404)  # not their child's plan


def test_every_kind_of_answer_that_shows_the_plan_is_logged(api: Api, ledger: Ledger) -> None:
    ids = {"plan": api.open_plan(next_review_due="2026-12-01")}  # due soon, with gaps: in every report
    api.add(ids["plan"], "provisions", samples.provision([api.add_barrier(ids["plan"])]))
    give(api, ids["plan"], "parent")
    plan_id = UUID(ids["plan"])
    plan = f"/v1/plans/{ids['plan']}"
    receipt = api.get(f"{plan}/receipt").json()
    reads: list[tuple[str, str, dict[str, str]]] = [
        ("GET", plan, {}), ("GET", f"{plan}/events", {}), ("GET", f"{plan}/diff", {"from": "1"}),
        ("GET", f"{plan}/verify", {}), ("GET", f"{plan}/receipt", {}), ("GET", f"{plan}/grants", {}),
        ("GET", f"{plan}/bundle", {"format": "json"}), ("GET", "/v1/plans", {}),
        ("GET", f"/v1/settings/{SETTING}/reviews-due", {}), ("GET", f"/v1/settings/{SETTING}/quality", {}),
        ("GET", f"/v1/settings/{SETTING}/delivery", {}), ("POST", "/v1/receipts/verify", {}),
    ]
    details = []
    for method, path, params in reads:
        before = ledger.access_log.store.count(plan_id)
        body = receipt if method == "POST" else None
        response = api.client.request(method, path, params=params, json=body, headers=api.headers("senco"))
        assert response.status_code == 200, (path, response.text)
        assert ids["plan"] in response.text or path.endswith("/verify"), path
        assert ledger.access_log.store.count(plan_id) == before + 1, path
        details.append(ledger.access_log.store.page(plan_id, before=None, limit=1)[0][1].detail)
    before = ledger.access_log.store.count(plan_id)
    assert api.get("/v1/me/plans", "parent").status_code == 200
    assert ledger.access_log.store.count(plan_id) == before + 1
    assert details[1:8] == [
        "Read every entry of the plan's record, exactly as stored",
        "Compared version 1 with the plan as it stands",
        "Checked that the plan's record has not been altered",
        "Obtained a signed receipt for the plan's record as it stands",
        "Read who has been given access to the plan",
        "Downloaded the evidence bundle (JSON) from 20 November 2026 to 20 November 2026",
        "Saw the plan in the list of plans",
    ]
    assert details[-1] == "Checked a receipt for the plan's record against the record"
    # A refused read shows nothing and logs nothing.
    before = ledger.access_log.store.count(plan_id)
    assert_problem(api.get(plan, "other_senco"), 404)
    assert_problem(api.get(plan, "senco", as_of="2020-01-01"), 404)
    assert ledger.access_log.store.count(plan_id) == before


def test_a_listing_logs_all_its_rows_in_one_write(api: Api, ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    plans = [api.open_plan() for _ in range(5)]
    writes: list[list[AccessEntry]] = []
    append = ledger.access_log.store.append

    def counted(entries: list[AccessEntry]) -> None:
        writes.append(list(entries))
        append(entries)

    monkeypatch.setattr(ledger.access_log.store, "append", counted)
    listed = api.get("/v1/plans", limit="200").json()["plans"]
    assert len(listed) == 5
    assert len(writes) == 1 and sorted(str(e.plan_id) for e in writes[0]) == sorted(plans)


def test_an_answer_that_cannot_be_logged_is_refused_not_sent(api: Api, ledger: Ledger) -> None:
    ids = shared_plan(api)
    plan = f"/v1/plans/{ids['plan']}"
    sql = Sql(ledger.store.datastore)
    with sql.write() as cursor:
        cursor.execute("ALTER TABLE {isp_access_log} RENAME TO isp_access_log_away")
    try:
        for who, path in (("parent", plan), ("senco", f"{plan}/events"), ("professional", f"{plan}/timeline"),
                          ("senco", "/v1/plans"), ("parent", "/v1/me/plans"), ("senco", f"{plan}/bundle")):
            response = api.get(path, who)
            body = assert_problem(response, 503)
            assert "access log" in body["detail"]
            assert "Amara" not in response.text and "Okafor" not in response.text
        # Writes are entries in the plan's own history, not answers that show it: they go on.
        assert api.post(f"{plan}/contributions", {"kind": "parent_view", "text": "Still fine"}, "parent"
                        ).status_code == 201
    finally:
        with sql.write() as cursor:
            cursor.execute("ALTER TABLE {isp_access_log_away} RENAME TO isp_access_log")
    assert api.get(plan, "parent").status_code == 200


def test_a_disabled_account_holding_a_grant_is_refused_at_once(api: Api, ledger: Ledger) -> None:
    plan_id = api.open_plan()
    give(api, plan_id, "parent")
    assert api.get(f"/v1/plans/{plan_id}", "parent").status_code == 200
    disable(ledger, api.people.parent.user_id)
    assert_problem(api.get(f"/v1/plans/{plan_id}", "parent"), 401)
    assert_problem(api.get("/v1/me/plans", "parent"), 401)
