"""Corrections: fixing a mistake in an earlier entry without rewriting it (CONTRACT.md §5)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from tests import samples
from tests.e2e.helpers import Api, assert_problem, assert_written


def _event(events: list[dict[str, Any]], event_id: str) -> dict[str, Any]:
    [event] = [e for e in events if e["event_id"] == event_id]
    return event


def test_correcting_a_wrong_number(api: Api) -> None:
    plan_id = api.open_plan(agreed_on="2026-09-01")
    barrier_id = api.add_barrier(plan_id, agreed_on="2026-09-01")
    agreed = assert_written(api.post(f"/v1/plans/{plan_id}/provisions",
                                     samples.provision([barrier_id], agreed_on="2026-09-07")), item=True)
    provision_id = agreed["item_id"]
    before_correction = "2026-11-20T12:00:00+00:00"
    api.clock.set(dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC))

    response = api.post(f"/v1/plans/{plan_id}/corrections", {
        "event_id": agreed["event_id"], "reason": "Typed 3 sessions; the agreement says 4",
        "changes": {"sessions_per_week": 4},
    })
    correction = assert_written(response, 201)
    assert correction["version"] == 4

    def sessions(**params: str) -> float:
        return float(api.item(api.plan(plan_id, **params), "provisions", provision_id)["sessions_per_week"])

    assert sessions() == 4
    assert sessions(as_of="2026-09-07") == 4  # the plan in force then, as now known
    assert sessions(as_at=before_correction) == 3  # the record as it stood before the correction
    assert sessions(as_at=before_correction, as_of="2026-09-07") == 3
    item = api.item(api.plan(plan_id), "provisions", provision_id)
    assert item["agreed_on"] == "2026-09-07"  # a correction is not a new decision
    assert item["corrected"] is True

    events = api.events(plan_id)
    assert len(events) == 4
    original = _event(events, agreed["event_id"])
    assert original["data"]["sessions_per_week"] == 3  # the original entry is kept as it was
    fix = _event(events, correction["event_id"])
    assert fix["type"] == "CorrectionRecorded"
    assert fix["reason"] == "Typed 3 sessions; the agreement says 4"
    assert fix["actor"] == {"user_id": api.people.senco.user_id, "name": "Sam Senco", "role": "senco"}
    assert fix["data"]["corrected_event_id"] == agreed["event_id"]
    assert fix["data"]["changes"] == {"sessions_per_week": 4}
    assert fix["data"]["previous"] == {"sessions_per_week": 3}
    assert api.verify(plan_id)["ok"] is True


def test_correcting_a_typo_in_the_pupil_name(api: Api) -> None:
    plan_id = api.open_plan(pupil=samples.pupil(family_name="Okafur"))
    [opened] = api.events(plan_id)
    api.clock.advance(hours=1)
    assert_written(api.post(f"/v1/plans/{plan_id}/corrections", {
        "event_id": opened["event_id"], "reason": "Misspelt surname", "changes": {"pupil.family_name": "Okafor"},
    }))
    assert api.plan(plan_id)["pupil"]["family_name"] == "Okafor"
    assert api.plan(plan_id, as_at="2026-11-20T10:30:00+00:00")["pupil"]["family_name"] == "Okafur"


def test_correcting_a_wrong_agreed_on(api: Api) -> None:
    plan_id = api.open_plan(agreed_on="2026-09-01")
    written = assert_written(api.post(f"/v1/plans/{plan_id}/contributions",
                                      {"kind": "parent_view", "text": "Phone call", "agreed_on": "2026-10-12"}),
                             item=True)
    assert_written(api.post(f"/v1/plans/{plan_id}/corrections", {
        "event_id": written["event_id"], "reason": "The call was on the 2nd", "changes": {"agreed_on": "2026-10-02"},
    }))
    assert [c["id"] for c in api.plan(plan_id, as_of="2026-10-05")["contributions"]] == [written["item_id"]]
    [contribution] = api.plan(plan_id)["contributions"]
    assert contribution["agreed_on"] == "2026-10-02"
    assert contribution["corrected"] is True


def test_correcting_an_amendment(api: Api) -> None:
    ids = api.full_plan()
    plan_id = ids["plan"]
    amended = assert_written(api.patch(f"/v1/plans/{plan_id}/provisions/{ids['provision']}",
                                       {"minutes_per_session": 45}), 200)
    assert_written(api.post(f"/v1/plans/{plan_id}/corrections", {
        "event_id": amended["event_id"], "reason": "It was 40 minutes", "changes": {"minutes_per_session": 40},
    }))
    assert api.item(api.plan(plan_id), "provisions", ids["provision"])["minutes_per_session"] == 40
    # Only the fields the amendment changed can be corrected on it.
    assert_problem(api.post(f"/v1/plans/{plan_id}/corrections", {
        "event_id": amended["event_id"], "reason": "r", "changes": {"group_size": 2},
    }), 422, field="changes.group_size")


def test_correction_refusals(api: Api) -> None:
    ids = api.full_plan()
    plan_id = ids["plan"]
    events = api.events(plan_id)
    provision_event = next(e for e in events if e["type"] == "ProvisionAgreed")["event_id"]
    path = f"/v1/plans/{plan_id}/corrections"

    def correction(**overrides: Any) -> dict[str, Any]:
        return {"event_id": provision_event, "reason": "Wrong number", "changes": {"sessions_per_week": 4},
                **overrides}

    cases = [
        (correction(event_id=str(uuid.uuid4())), "event_id"),
        (correction(changes={"sessions_per_week": -2}), "changes.sessions_per_week"),
        (correction(changes={"sessions_per_week": "lots"}), "changes.sessions_per_week"),
        (correction(changes={"minutes_per_session": 481}), "changes.minutes_per_session"),
        (correction(changes={"colour": "red"}), "changes.colour"),
        (correction(changes={"barrier_ids": [str(uuid.uuid4())]}), "changes.barrier_ids"),
        (correction(changes={"agreed_on": "2026-11-21"}), "changes.agreed_on"),
        (correction(changes={"sessions_per_week": 3}), "changes"),  # nothing differs
        (correction(changes=[1, 2]), "changes"),
        (correction(changes="sessions_per_week=4"), "changes"),
        (correction(reason=""), "reason"),
        ({"event_id": provision_event, "changes": {"sessions_per_week": 4}}, "reason"),
        (correction(extra="x"), "extra"),
    ]
    for body, field in cases:
        assert_problem(api.post(path, body), 422, field=field)
    assert_problem(api.post(path, correction(changes={"agreed_on": "2026-11-01"})), 409,
                   rule="correction_breaks_order")
    assert len(api.events(plan_id)) == len(events)
    assert api.item(api.plan(plan_id), "provisions", ids["provision"])["sessions_per_week"] == 3


def test_a_correction_with_no_changes_names_the_changes_field(api: Api) -> None:
    plan_id = api.open_plan()
    [opened] = api.events(plan_id)
    response = api.post(f"/v1/plans/{plan_id}/corrections",
                        {"event_id": opened["event_id"], "reason": "r", "changes": {}})
    assert_problem(response, 422, field="changes")
    assert api.event_count(plan_id) == 1


def test_a_correction_cannot_itself_be_corrected(api: Api) -> None:
    ids = api.full_plan()
    plan_id = ids["plan"]
    target = next(e for e in api.events(plan_id) if e["type"] == "ProvisionAgreed")["event_id"]
    fix = assert_written(api.post(f"/v1/plans/{plan_id}/corrections", {
        "event_id": target, "reason": "r", "changes": {"sessions_per_week": 4}}))
    count = api.event_count(plan_id)
    assert_problem(api.post(f"/v1/plans/{plan_id}/corrections", {
        "event_id": fix["event_id"], "reason": "r", "changes": {"sessions_per_week": 5}}), 409,
        rule="correcting_a_correction")
    assert api.event_count(plan_id) == count
    # The original entry may be corrected again.
    assert_written(api.post(f"/v1/plans/{plan_id}/corrections", {
        "event_id": target, "reason": "r2", "changes": {"sessions_per_week": 5}}))
    assert api.item(api.plan(plan_id), "provisions", ids["provision"])["sessions_per_week"] == 5


def test_an_event_of_another_plan_cannot_be_corrected_here(api: Api) -> None:
    plan_id = api.open_plan()
    other = api.open_plan()
    [other_opened] = api.events(other)
    assert_problem(api.post(f"/v1/plans/{plan_id}/corrections", {
        "event_id": other_opened["event_id"], "reason": "r", "changes": {"tier": "targeted_plus"}}), 422,
        field="event_id")
    assert api.plan(other)["tier"] == "targeted"
