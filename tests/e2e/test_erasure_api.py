"""Erasure and legal holds over HTTP (CONTRACT.md §11), on both stores: what is refused, what an erased plan reads
as on every read, that its chain and an earlier receipt still hold, and that no other pupil is touched."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from isp_ledger.bootstrap import build_ledger
from tests import samples
from tests.cli import isp_ledger
from tests.conftest import FakeClock
from tests.e2e.grant_helpers import give
from tests.e2e.helpers import Api, assert_problem, assert_written

REASON = "Retention period ended (date of birth + 31 years)"
PUPIL = {"given_name": "Zebedee", "family_name": "Quixworth"}
VIEW = "Zq: he loves the dinosaur books at bedtime"


def delete(api: Api, path: str, body: dict[str, Any], who: str = "admin") -> Any:
    return api.client.request("DELETE", path, json=body, headers=api.headers(who))


def lived_plan(api: Api) -> dict[str, str]:
    """A plan with something of every kind in it, shared with a parent, then closed."""
    ids = api.full_plan()
    plan = ids["plan"]
    api.post(f"/v1/plans/{plan}/contributions", {"kind": "parent_view", "text": VIEW}, "senco")
    assert_written(api.post(f"/v1/plans/{plan}/reviews", samples.review(held_on="2026-11-20")), 201, item=True)
    session = api.post("/v1/deliveries", {"entries": [{"plan_id": plan, "provision_id": ids["provision"]}],
                                          "date": "2026-11-20", "status": "delivered"})
    assert session.status_code == 201, session.text
    give(api, plan, "parent", reason="Mum")
    return ids


def close(api: Api, plan: str) -> None:
    assert_written(api.post(f"/v1/plans/{plan}/close", {"reason": "Left the school"}), 200)


def test_an_open_plan_is_not_erased_nor_by_anyone_but_an_administrator(api: Api) -> None:
    plan = api.open_plan()
    assert_problem(api.post(f"/v1/plans/{plan}/erase", {"reason": REASON}, "admin"), 409, rule="plan_open")
    close(api, plan)
    assert_problem(api.post(f"/v1/plans/{plan}/erase", {"reason": REASON}, "senco"), 403)
    assert_problem(api.post(f"/v1/plans/{plan}/erase", {}, "admin"), 422, field="reason")
    assert api.plan(plan)["erased"] is False


def test_a_legal_hold_keeps_a_plan_from_erasure_until_it_is_lifted(api: Api) -> None:
    plan = api.open_plan()
    close(api, plan)
    set_ = assert_written(api.post(f"/v1/plans/{plan}/legal-hold", {"reason": "Claim threatened"}, "admin"), 200)
    assert_problem(api.post(f"/v1/plans/{plan}/legal-hold", {"reason": "Again"}, "admin"), 409,
                   rule="legal_hold_already_set")
    hold = api.plan(plan, "admin")["legal_hold"]
    assert hold["since"] == set_["recorded_at"] and hold["by"]["name"] == "Ada Admin"
    assert_problem(api.post(f"/v1/plans/{plan}/erase", {"reason": REASON}, "admin"), 409, rule="legal_hold")
    assert_written(delete(api, f"/v1/plans/{plan}/legal-hold", {"reason": "Claim withdrawn"}), 200)
    assert_problem(delete(api, f"/v1/plans/{plan}/legal-hold", {"reason": "Again"}), 409, rule="no_legal_hold")
    assert api.plan(plan)["legal_hold"] is None
    kinds = [e["summary"] for e in api.get(f"/v1/plans/{plan}/timeline", "admin").json()["entries"]]
    assert any(s.startswith("Set a legal hold. Reason: Claim threatened") for s in kinds)
    assert any(s.startswith("Lifted the legal hold. Reason: Claim withdrawn") for s in kinds)
    assert_written(api.post(f"/v1/plans/{plan}/erase", {"reason": REASON}, "admin"), 200)


def test_an_erased_plan_reads_null_everywhere_and_still_verifies(api: Api, env: dict[str, str],
                                                                 tmp_path: Path) -> None:
    ids = lived_plan(api)
    plan = ids["plan"]
    other = lived_plan(api)["plan"]
    close(api, plan)
    receipt = api.get(f"/v1/plans/{plan}/receipt", "admin").json()
    saved = tmp_path / "bundle.json"
    saved.write_text(api.get(f"/v1/plans/{plan}/bundle", "admin").text)
    head_before = api.verify(plan)["head_hash"]
    erased = assert_written(api.post(f"/v1/plans/{plan}/erase", {"reason": REASON}, "admin"), 200)

    document = api.plan(plan, "admin")
    assert document["erased"] is True
    assert document["pupil"] == {"upn": None, "given_name": None, "family_name": None, "date_of_birth": None}
    assert document["barriers"][0]["description"] is None and document["status"] == "closed"
    assert document["contributions"][0]["text"] is None
    assert api.plan(plan, "admin", as_of="2026-11-20")["pupil"]["given_name"] is None
    events = api.events(plan)
    assert all(e.get("erased") in (True, None) for e in events)
    assert events[0]["data"]["pupil"]["given_name"] is None
    last = events[-1]
    assert (last["type"], last["reason"], last["actor"]["name"]) == ("PlanErased", REASON, "Ada Admin")
    timeline = api.get(f"/v1/plans/{plan}/timeline", "admin")
    assert timeline.status_code == 200, timeline.text
    entry = timeline.json()["entries"][0]
    assert entry["summary"] == f"Erased the pupil's personal data. Reason: {REASON}."
    # (The timeline's earlier entries keep their summaries until the read models are sealed under the pupil's
    # key, which another change does; a rebuild reads them null: tests/integration/test_retention.py.)
    for path, params in (("/diff", {"from": "1"}), ("/delivery", {}), ("/grants", {}), ("/access-log", {})):
        response = api.get(f"/v1/plans/{plan}{path}", "admin", **params)
        assert response.status_code == 200, (path, response.text)
        assert "Quixworth" not in response.text and VIEW not in response.text, path
    for report in ("reviews-due", "quality", "delivery"):
        assert api.get(f"/v1/settings/123456/{report}", "admin").status_code == 200, report
    gone = assert_problem(api.get(f"/v1/plans/{plan}/bundle", "admin"), 410)
    assert "erased" in gone["detail"]
    assert_problem(api.get(f"/v1/plans/{plan}/bundle", "admin", format="pdf"), 410)

    verified = api.verify(plan)
    assert verified["ok"] is True and verified["events_checked"] == erased["version"]
    assert head_before != verified["head_hash"]
    checked = api.post("/v1/receipts/verify", receipt, "admin")
    assert checked.status_code == 200 and checked.json()["ok"] is True, checked.text
    offline = isp_ledger(env, "verify", str(saved))
    assert offline.returncode == 0, offline.stdout + offline.stderr

    assert_problem(api.post(f"/v1/plans/{plan}/erase", {"reason": REASON}, "admin"), 409, rule="plan_erased")
    assert_problem(api.post(f"/v1/plans/{plan}/corrections", {"event_id": events[0]["event_id"], "reason": "r",
                                                              "changes": {"tier": "universal"}}), 409,
                   rule="plan_erased")
    assert_problem(api.post(f"/v1/plans/{plan}/legal-hold", {"reason": "Late"}, "admin"), 409, rule="plan_erased")

    untouched = api.plan(other, "admin")
    assert untouched["erased"] is False and untouched["contributions"][0]["text"] == VIEW
    assert untouched["pupil"]["given_name"] == "Amara"
    assert api.get(f"/v1/plans/{other}/bundle", "admin").status_code == 200


def test_erasure_survives_a_restart_and_is_seen_by_another_process(api: Api, env: dict[str, str],
                                                                    clock: FakeClock) -> None:
    plan = lived_plan(api)["plan"]
    close(api, plan)
    elsewhere = build_ledger(env, clock=clock)  # another process, which has read the plan before the erasure
    try:
        admin = api.people.users["admin"]
        assert elsewhere.history.plan_document(admin, uuid.UUID(plan))["contributions"][0]["text"] == VIEW
        assert_written(api.post(f"/v1/plans/{plan}/erase", {"reason": REASON}, "admin"), 200)
        document = elsewhere.history.plan_document(admin, uuid.UUID(plan))
        assert document["erased"] is True and document["contributions"][0]["text"] is None
        assert document["pupil"]["family_name"] is None
    finally:
        elsewhere.close()
    restarted = build_ledger(env, clock=clock)
    try:
        document = restarted.history.plan_document(api.people.users["admin"], uuid.UUID(plan))
        assert document["erased"] is True and document["pupil"]["given_name"] is None
        assert restarted.integrity.verify(api.people.users["admin"], uuid.UUID(plan)).ok is True
    finally:
        restarted.close()
