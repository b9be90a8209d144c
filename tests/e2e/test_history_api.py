"""The history of a plan (GET .../events) and its integrity (GET .../verify) (CONTRACT.md §3, §6, §7)."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import uuid
from typing import Any

import httpx2 as httpx
import rfc8785

from tests import samples
from tests.e2e.helpers import GENESIS, Api, assert_problem, assert_written, london_date

EVENT_FIELDS = {"version", "event_id", "type", "recorded_at", "agreed_on", "backdated", "actor", "data", "prev_hash",
                "hash"}


def _writes(api: Api) -> tuple[str, list[dict[str, Any]]]:
    """A plan with one write of every kind, made by several people on different days; the write responses."""
    written = []
    body = samples.plan_body(agreed_on="2026-09-01")
    response = api.post("/v1/plans", body)
    written.append(assert_written(response))
    plan_id = written[0]["plan_id"]

    def write(response: httpx.Response, status: int = 201, item: bool = False) -> str | None:
        result = assert_written(response, status, item=item)
        written.append(result)
        return result.get("item_id")

    barrier = write(api.post(f"/v1/plans/{plan_id}/barriers", samples.barrier(agreed_on="2026-09-01")), item=True)
    assert barrier is not None
    provision = write(api.post(f"/v1/plans/{plan_id}/provisions",
                               samples.provision([barrier], agreed_on="2026-09-07")), item=True)
    api.clock.advance(days=1)
    adjustment = write(api.post(f"/v1/plans/{plan_id}/adjustments", samples.adjustment([barrier])), item=True)
    outcome = write(api.post(f"/v1/plans/{plan_id}/outcomes", samples.outcome([barrier], agreed_on="2026-10-01")),
                    item=True)
    write(api.patch(f"/v1/plans/{plan_id}/provisions/{provision}", {"group_size": 3}), 200)
    write(api.post(f"/v1/plans/{plan_id}/outcomes/{outcome}/progress",
                   {"measured_on": "2026-11-20", "value": 14, "note": "14/20", "source": "check"}, "teacher"),
          item=True)
    api.clock.advance(days=2, hours=3)
    write(api.post(f"/v1/plans/{plan_id}/contributions", {"kind": "pupil_voice", "text": "Fun"}, "teacher"),
          item=True)
    write(api.post(f"/v1/plans/{plan_id}/reviews", samples.review(held_on="2026-11-21",
                                                                   next_review_due="2027-02-21")), item=True)
    write(api.post(f"/v1/plans/{plan_id}/acknowledgements", {"version": 8, "response": "agree",
                                                             "given_by": "Pat Parent", "method": "letter"}, "admin"),
          item=True)
    write(api.post(f"/v1/plans/{plan_id}/tier", {"tier": "targeted_plus", "reason": "EP involved"}), 200)
    write(api.post(f"/v1/plans/{plan_id}/corrections",
                   {"event_id": written[2]["event_id"], "reason": "r", "changes": {"minutes_per_session": 25}}))
    write(api.post(f"/v1/plans/{plan_id}/adjustments/{adjustment}/end", {"reason": "Not needed"}), 200)
    write(api.post(f"/v1/plans/{plan_id}/close", {"reason": "Moving school"}), 200)
    return plan_id, written


def test_every_event_in_order_with_its_envelope(api: Api) -> None:
    plan_id, written = _writes(api)
    response = api.get(f"/v1/plans/{plan_id}/events")
    assert response.status_code == 200
    events = response.json()["events"]
    assert len(events) == len(written) == 14
    assert [e["version"] for e in events] == list(range(1, 15))
    assert [e["event_id"] for e in events] == [w["event_id"] for w in written]
    assert [e["recorded_at"] for e in events] == [w["recorded_at"] for w in written]
    assert [e["type"] for e in events] == [
        "PlanOpened", "BarrierIdentified", "ProvisionAgreed", "AdjustmentAgreed", "OutcomeSet", "ProvisionAmended",
        "ProgressRecorded", "ContributionRecorded", "ReviewHeld", "AcknowledgementRecorded", "TierChanged",
        "CorrectionRecorded", "AdjustmentWithdrawn", "PlanClosed",
    ]
    for event in events:
        assert set(event) >= EVENT_FIELDS, event
        assert set(event["actor"]) == {"user_id", "name", "role"}
        dt.date.fromisoformat(event["agreed_on"])
        assert dt.datetime.fromisoformat(event["recorded_at"]).utcoffset() is not None
        assert isinstance(event["data"], dict)
    instants = [dt.datetime.fromisoformat(e["recorded_at"]) for e in events]
    assert instants == sorted(instants) and len(set(instants)) == len(instants)
    roles = [e["actor"]["role"] for e in events]
    assert roles[6:8] == ["teacher", "teacher"]
    assert roles[9] == "admin"
    senco = api.people.senco
    assert events[0]["actor"] == {"user_id": senco.user_id, "name": "Sam Senco", "role": "senco"}
    teacher = api.people.teacher
    assert events[7]["actor"] == {"user_id": teacher.user_id, "name": "Tess Teacher", "role": "teacher"}
    assert events[5]["data"]["changes"] == {"group_size": 3}
    assert events[13]["reason"] == "Moving school"


def test_the_events_form_a_hash_chain(api: Api) -> None:
    plan_id, _ = _writes(api)
    events = api.events(plan_id)
    assert events[0]["prev_hash"] == GENESIS
    for previous, event in itertools.pairwise(events):
        assert event["prev_hash"] == previous["hash"]
    assert len({e["hash"] for e in events}) == len(events)
    for event in events:
        # hash = SHA-256 of the canonical JSON of the event as stored (everything shown but the hash itself and
        # the backdated and late flags, which are derived from the two times), its personal values as sealed: the
        # data with each of them null, and the sealed text (what differs from what is shown is under "stored").
        stored = {k: v for k, v in event.items() if k not in ("hash", "backdated", "late", "stored")}
        stored.update(event.get("stored", {}))
        assert hashlib.sha256(rfc8785.dumps(stored)).hexdigest() == event["hash"], event["version"]


def test_the_events_show_personal_values_opened_and_store_them_only_sealed(api: Api) -> None:
    plan_id, _ = _writes(api)
    opened = api.events(plan_id)[0]
    assert opened["data"]["pupil"]["given_name"] and opened["stored"]["data"]["pupil"]["given_name"] is None
    assert opened["stored"]["sealed"] and opened["data"]["setting_urn"] == opened["stored"]["data"]["setting_urn"]


def test_backdated_exactly_when_agreed_before_the_london_date_of_recording(api: Api) -> None:
    plan_id, _ = _writes(api)
    events = api.events(plan_id)
    flags = [e["backdated"] for e in events]
    assert flags == [e["agreed_on"] < london_date(e["recorded_at"]) for e in events]
    assert flags == [True, True, True, False, True, False, True, False, True, False, False, False, False, False]


def test_backdated_uses_the_london_date_not_utc(api: Api) -> None:
    # 23:30 UTC on 1 July is 00:30 on 2 July in London (BST).
    api.clock.set(dt.datetime(2026, 7, 1, 23, 30, tzinfo=dt.UTC))
    plan_id = api.open_plan()
    [opened] = api.events(plan_id)
    assert opened["agreed_on"] == "2026-07-02"  # "today" is the London date
    assert opened["backdated"] is False
    # Agreed on the London date: not in the future, and not back-dated.
    assert_written(api.post(f"/v1/plans/{plan_id}/contributions",
                            {"kind": "parent_view", "text": "x", "agreed_on": "2026-07-02"}), item=True)
    assert_problem(api.post(f"/v1/plans/{plan_id}/contributions",
                            {"kind": "parent_view", "text": "x", "agreed_on": "2026-07-03"}), 422, field="agreed_on")
    # In winter London is on UTC: 23:30 UTC on 1 December is still 1 December.
    api.clock.set(dt.datetime(2026, 12, 1, 23, 30, tzinfo=dt.UTC))
    assert_problem(api.post(f"/v1/plans/{plan_id}/contributions",
                            {"kind": "parent_view", "text": "x", "agreed_on": "2026-12-02"}), 422, field="agreed_on")
    assert_written(api.post(f"/v1/plans/{plan_id}/contributions",
                            {"kind": "parent_view", "text": "x", "agreed_on": "2026-11-30"}), item=True)
    events = api.events(plan_id)
    assert [(e["agreed_on"], e["backdated"]) for e in events] == [
        ("2026-07-02", False), ("2026-07-02", False), ("2026-11-30", True)]


def test_verify_reports_the_chain_intact(api: Api) -> None:
    plan_id, written = _writes(api)
    response = api.get(f"/v1/plans/{plan_id}/verify")
    assert response.status_code == 200
    result = response.json()
    events = api.events(plan_id)
    assert result["ok"] is True
    assert result["events_checked"] == len(written) == len(events)
    assert result["head_hash"] == events[-1]["hash"]
    assert "first_bad_version" not in result


def test_verify_a_new_plan(api: Api) -> None:
    plan_id = api.open_plan()
    result = api.verify(plan_id, "senco")
    [event] = api.events(plan_id)
    assert (result["ok"], result["events_checked"], result["head_hash"]) == (True, 1, event["hash"])


def test_history_of_unknown_plans_is_404(api: Api) -> None:
    for plan_id in (str(uuid.uuid4()), "nope"):
        assert_problem(api.get(f"/v1/plans/{plan_id}/events"), 404)
        assert_problem(api.get(f"/v1/plans/{plan_id}/verify"), 404)
