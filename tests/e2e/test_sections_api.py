"""Barriers, provisions, adjustments and outcomes: add, amend, end; progress towards outcomes (CONTRACT.md §4)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests import samples
from tests.e2e.helpers import Api, assert_problem, assert_written

# kind -> (a valid body given a barrier id, one amendment, the status once ended, the end body)
SECTIONS: dict[str, tuple[Any, dict[str, Any], str, dict[str, Any]]] = {
    "barriers": (lambda b: samples.barrier(), {"description": "Struggles to segment CVC words"}, "resolved",
                 {"reason": "Now decodes at age-expected level"}),
    "provisions": (lambda b: samples.provision([b]), {"sessions_per_week": 4, "minutes_per_session": 20}, "ended",
                   {"reason": "Programme completed"}),
    "adjustments": (lambda b: samples.adjustment([b]), {"category": "routines"}, "withdrawn",
                    {"reason": "No longer needed"}),
    "outcomes": (lambda b: samples.outcome([b]), {"target": "20/20"}, "achieved",
                 {"reason": "Met at the spring check", "outcome": "achieved"}),
}


@pytest.mark.parametrize("kind", list(SECTIONS))
def test_add_amend_and_end_an_item(api: Api, kind: str) -> None:
    make, changes, ended_status, end_body = SECTIONS[kind]
    plan_id = api.open_plan()
    barrier_id = api.add_barrier(plan_id) if kind != "barriers" else None
    body = make(barrier_id)

    added = assert_written(api.post(f"/v1/plans/{plan_id}/{kind}", body), 201, item=True)
    item_id = added["item_id"]
    document = api.plan(plan_id)
    item = api.item(document, kind, item_id)
    for field, value in body.items():
        assert item[field] == value, field
    assert item["status"] == "active"
    assert item["agreed_on"] == "2026-11-20"
    assert item["recorded_at"] == added["recorded_at"]
    assert document["version"] == added["version"]

    api.clock.advance(minutes=10)
    amended = assert_written(
        api.patch(f"/v1/plans/{plan_id}/{kind}/{item_id}", {**changes, "reason": "Agreed with parent"}), 200
    )
    assert amended["version"] == added["version"] + 1
    assert "item_id" not in amended
    item = api.item(api.plan(plan_id), kind, item_id)
    for field, value in {**body, **changes}.items():  # only the fields given changed
        assert item[field] == value, field
    assert item["status"] == "active"
    assert item["recorded_at"] == amended["recorded_at"]

    ended = assert_written(api.post(f"/v1/plans/{plan_id}/{kind}/{item_id}/end", end_body), 200)
    assert ended["version"] == amended["version"] + 1
    document = api.plan(plan_id)
    item = api.item(document, kind, item_id)
    assert item["status"] == ended_status
    assert item["recorded_at"] == ended["recorded_at"]
    assert document["version"] == ended["version"]
    types = [e["type"] for e in api.events(plan_id)]
    assert len(types) == ended["version"]

    # An ended item can change no more.
    count = api.event_count(plan_id)
    noun = kind[:-1]
    revert = {field: body[field] for field in changes}
    assert_problem(api.patch(f"/v1/plans/{plan_id}/{kind}/{item_id}", revert), 409, rule=f"{noun}_not_active")
    assert_problem(api.post(f"/v1/plans/{plan_id}/{kind}/{item_id}/end", end_body), 409, rule=f"{noun}_not_active")
    assert api.event_count(plan_id) == count


def test_outcome_discontinued(api: Api) -> None:
    ids = api.full_plan()
    response = api.post(f"/v1/plans/{ids['plan']}/outcomes/{ids['outcome']}/end",
                        {"reason": "Superseded by a new target", "outcome": "discontinued"})
    assert_written(response, 200)
    assert api.item(api.plan(ids["plan"]), "outcomes", ids["outcome"])["status"] == "discontinued"


def test_end_bodies_are_checked(api: Api) -> None:
    ids = api.full_plan()
    plan_id = ids["plan"]
    count = api.event_count(plan_id)
    assert_problem(api.post(f"/v1/plans/{plan_id}/outcomes/{ids['outcome']}/end", {"reason": "done"}), 422,
                   field="outcome")
    assert_problem(api.post(f"/v1/plans/{plan_id}/outcomes/{ids['outcome']}/end",
                            {"reason": "done", "outcome": "sort of"}), 422, field="outcome")
    assert_problem(api.post(f"/v1/plans/{plan_id}/barriers/{ids['barrier']}/end",
                            {"reason": "done", "outcome": "achieved"}), 422, field="outcome")
    for kind in ("barriers", "provisions", "adjustments"):
        assert_problem(api.post(f"/v1/plans/{plan_id}/{kind}/{ids[kind[:-1]]}/end", {}), 422, field="reason")
        assert_problem(api.post(f"/v1/plans/{plan_id}/{kind}/{ids[kind[:-1]]}/end", {"reason": ""}), 422,
                       field="reason")
    assert api.event_count(plan_id) == count
    document = api.plan(plan_id)
    assert {i["status"] for kind in ("barriers", "provisions", "adjustments", "outcomes") for i in document[kind]} == {
        "active"}


def test_invalid_items_are_422_naming_the_field(api: Api) -> None:
    plan_id = api.open_plan()
    barrier_id = api.add_barrier(plan_id)
    resolved_id = api.add_barrier(plan_id, description="Was anxious at transitions", area_of_need="semh",
                                  need_type="SEMH")
    assert_written(api.post(f"/v1/plans/{plan_id}/barriers/{resolved_id}/end", {"reason": "Settled"}), 200)
    count = api.event_count(plan_id)
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("barriers", samples.barrier(area_of_need="feelings"), "area_of_need"),
        ("barriers", samples.barrier(need_type="XYZ"), "need_type"),
        ("barriers", samples.barrier(need_type="ASD"), "need_type"),  # ASD is not cognition and learning
        ("barriers", samples.barrier(description=""), "description"),
        ("barriers", samples.barrier(evidence="x" * 10_001), "evidence"),
        ("barriers", samples.barrier(agreed_on="2026-11-21"), "agreed_on"),
        ("barriers", samples.barrier(agreed_on="20-11-2026"), "agreed_on"),
        ("provisions", samples.provision([]), "barrier_ids"),
        ("provisions", samples.provision([str(uuid.uuid4())]), "barrier_ids"),
        ("provisions", samples.provision([resolved_id]), "barrier_ids"),
        ("provisions", samples.provision([barrier_id, barrier_id]), "barrier_ids"),
        ("provisions", samples.provision([barrier_id], sessions_per_week=0), "sessions_per_week"),
        ("provisions", samples.provision([barrier_id], sessions_per_week=-1), "sessions_per_week"),
        ("provisions", samples.provision([barrier_id], minutes_per_session=0), "minutes_per_session"),
        ("provisions", samples.provision([barrier_id], minutes_per_session=481), "minutes_per_session"),
        ("provisions", samples.provision([barrier_id], group_size=0), "group_size"),
        ("provisions", samples.provision([barrier_id], group_size=2.5), "group_size"),
        ("provisions", samples.provision([barrier_id], location="playground"), "location"),
        ("provisions", samples.provision([barrier_id], ends_on="2026-09-01"), "ends_on"),
        ("provisions", samples.provision([barrier_id], starts_on="September"), "starts_on"),
        ("provisions", samples.provision([barrier_id], delivered_by=None), "delivered_by"),
        ("adjustments", samples.adjustment([barrier_id], category="seating"), "category"),
        ("adjustments", samples.adjustment([]), "barrier_ids"),
        ("adjustments", samples.adjustment("not a list"), "barrier_ids"),  # type: ignore[arg-type]
        ("outcomes", samples.outcome([barrier_id], target_date="2026-11-01"), "target_date"),
        ("outcomes", samples.outcome([barrier_id], target_date=None), "target_date"),
        ("outcomes", samples.outcome([str(uuid.uuid4())]), "barrier_ids"),
    ]
    missing_sessions = samples.provision([barrier_id])
    del missing_sessions["sessions_per_week"]
    cases.append(("provisions", missing_sessions, "sessions_per_week"))
    for kind, body, field in cases:
        assert_problem(api.post(f"/v1/plans/{plan_id}/{kind}", body), 422, field=field)
    assert api.event_count(plan_id) == count
    document = api.plan(plan_id)
    assert (document["provisions"], document["adjustments"], document["outcomes"]) == ([], [], [])


def test_a_link_to_a_barrier_identified_later_is_refused(api: Api) -> None:
    plan_id = api.open_plan(agreed_on="2026-09-01")
    barrier_id = api.add_barrier(plan_id, agreed_on="2026-10-01")
    body = samples.provision([barrier_id], agreed_on="2026-09-15")
    assert_problem(api.post(f"/v1/plans/{plan_id}/provisions", body), 422, field="barrier_ids")


def test_amendments_are_checked(api: Api) -> None:
    ids = api.full_plan()
    plan_id = ids["plan"]
    count = api.event_count(plan_id)
    provision = f"/v1/plans/{plan_id}/provisions/{ids['provision']}"
    assert_problem(api.patch(provision, {"sessions_per_week": -1}), 422, field="sessions_per_week")
    assert_problem(api.patch(provision, {"sessions_per_week": "often"}), 422, field="sessions_per_week")
    assert_problem(api.patch(provision, {"minutes_per_session": 1000}), 422, field="minutes_per_session")
    assert_problem(api.patch(provision, {"location": "moon"}), 422, field="location")
    assert_problem(api.patch(provision, {"barrier_ids": []}), 422, field="barrier_ids")
    assert_problem(api.patch(provision, {"ends_on": "2026-01-01"}), 422, field="ends_on")
    assert_problem(api.patch(provision, {"colour": "red"}), 422, field="colour")
    assert_problem(api.patch(provision, {}), 422, field="changes")
    assert_problem(api.patch(provision, {"reason": "only a reason"}), 422, field="changes")
    assert_problem(api.patch(provision, {"sessions_per_week": 3}), 422, field="changes")  # nothing differs
    assert_problem(api.patch(provision, {"sessions_per_week": 4, "agreed_on": "2026-11-21"}), 422, field="agreed_on")
    assert_problem(api.patch(f"/v1/plans/{plan_id}/barriers/{ids['barrier']}", {"area_of_need": "semh"}), 422,
                   field="need_type")
    assert_problem(api.patch(f"/v1/plans/{plan_id}/outcomes/{ids['outcome']}", {"target_date": "2026-01-01"}), 422,
                   field="target_date")
    assert_problem(api.patch(f"/v1/plans/{plan_id}/adjustments/{ids['adjustment']}", {"category": "vibes"}), 422,
                   field="category")
    assert api.event_count(plan_id) == count
    assert api.item(api.plan(plan_id), "provisions", ids["provision"])["sessions_per_week"] == 3


def test_relinking_a_provision_to_another_barrier(api: Api) -> None:
    ids = api.full_plan()
    plan_id = ids["plan"]
    second = api.add_barrier(plan_id, description="Slow handwriting", area_of_need="sensory_and_physical",
                             need_type="PD")
    assert_written(api.patch(f"/v1/plans/{plan_id}/provisions/{ids['provision']}",
                             {"barrier_ids": [ids["barrier"], second]}), 200)
    assert api.item(api.plan(plan_id), "provisions", ids["provision"])["barrier_ids"] == [ids["barrier"], second]


@pytest.mark.parametrize("kind", list(SECTIONS))
def test_agreed_on_never_goes_backwards_on_an_item(api: Api, kind: str) -> None:
    make, changes, _, end_body = SECTIONS[kind]
    plan_id = api.open_plan(agreed_on="2026-09-01")
    barrier_id = api.add_barrier(plan_id, agreed_on="2026-09-01") if kind != "barriers" else None
    item_id = api.add(plan_id, kind, {**make(barrier_id), "agreed_on": "2026-10-01"})
    count = api.event_count(plan_id)
    for response in (
        api.patch(f"/v1/plans/{plan_id}/{kind}/{item_id}", {**changes, "agreed_on": "2026-09-30"}),
        api.post(f"/v1/plans/{plan_id}/{kind}/{item_id}/end", {**end_body, "agreed_on": "2026-09-15"}),
    ):
        body = assert_problem(response, 409, rule="agreed_on_goes_backwards")
        assert "correction" in body["detail"].lower()
    assert api.event_count(plan_id) == count
    # The same day, or later, is fine.
    assert_written(api.patch(f"/v1/plans/{plan_id}/{kind}/{item_id}", {**changes, "agreed_on": "2026-10-01"}), 200)


def test_nothing_may_predate_the_plan(api: Api) -> None:
    plan_id = api.open_plan(agreed_on="2026-09-01")
    assert_problem(api.post(f"/v1/plans/{plan_id}/barriers", samples.barrier(agreed_on="2026-08-31")), 409,
                   rule="before_plan_opened")
    assert api.event_count(plan_id) == 1


def test_unknown_items_are_404(api: Api) -> None:
    ids = api.full_plan()
    plan_id = ids["plan"]
    other = api.full_plan()
    count = api.event_count(plan_id)
    unknown = str(uuid.uuid4())
    for kind in ("barriers", "provisions", "adjustments", "outcomes"):
        own = ids[kind[:-1]]
        wrong_section = ids["barrier"] if kind != "barriers" else ids["provision"]
        for item_id in (unknown, "not-an-id", wrong_section, other[kind[:-1]]):
            assert_problem(api.patch(f"/v1/plans/{plan_id}/{kind}/{item_id}", {"description": "x"}), 404)
            assert_problem(api.post(f"/v1/plans/{plan_id}/{kind}/{item_id}/end",
                                    {"reason": "r", "outcome": "achieved"} if kind == "outcomes" else {"reason": "r"}),
                           404)
        assert own  # the real item is still there
    progress = {"measured_on": "2026-11-20", "note": "n", "source": "s"}
    for item_id in (unknown, ids["barrier"], other["outcome"]):
        assert_problem(api.post(f"/v1/plans/{plan_id}/outcomes/{item_id}/progress", progress), 404)
    assert api.event_count(plan_id) == count


def test_recording_progress_towards_an_outcome(api: Api) -> None:
    ids = api.full_plan()
    plan_id = ids["plan"]
    path = f"/v1/plans/{plan_id}/outcomes/{ids['outcome']}/progress"
    first = assert_written(api.post(path, {"measured_on": "2026-11-20", "value": 12, "note": "12/20 unseen words",
                                           "source": "termly check"}), 201, item=True)
    second = assert_written(api.post(path, {"measured_on": "2026-11-20", "note": "Reading more fluently",
                                            "source": "class teacher"}, "teacher"), 201, item=True)
    outcome = api.item(api.plan(plan_id), "outcomes", ids["outcome"])
    progress = outcome["progress"]
    assert [p["id"] for p in progress] == [first["item_id"], second["item_id"]]
    assert progress[0]["value"] == 12
    assert progress[0]["note"] == "12/20 unseen words"
    assert progress[0]["source"] == "termly check"
    assert progress[0]["measured_on"] == "2026-11-20"
    assert progress[1]["value"] is None
    assert progress[1]["recorded_by"]["role"] == "teacher"


def test_progress_refusals(api: Api) -> None:
    plan_id = api.open_plan(agreed_on="2026-09-01")
    barrier_id = api.add_barrier(plan_id, agreed_on="2026-09-01")
    outcome_id = api.add(plan_id, "outcomes", samples.outcome([barrier_id], agreed_on="2026-10-01"))
    path = f"/v1/plans/{plan_id}/outcomes/{outcome_id}/progress"
    count = api.event_count(plan_id)
    good = {"measured_on": "2026-11-01", "note": "note", "source": "check"}
    assert_problem(api.post(path, {**good, "measured_on": "2026-11-21"}), 422, field="measured_on")
    assert_problem(api.post(path, {**good, "measured_on": "soon"}), 422, field="measured_on")
    assert_problem(api.post(path, {**good, "note": ""}), 422, field="note")
    assert_problem(api.post(path, {"measured_on": "2026-11-01", "note": "n"}), 422, field="source")
    assert_problem(api.post(path, {**good, "value": "twelve"}), 422, field="value")
    assert_problem(api.post(path, {**good, "agreed_on": "2026-11-01"}), 422, field="agreed_on")
    assert_problem(api.post(path, {**good, "measured_on": "2026-09-15"}), 409, rule="before_outcome_set")
    assert api.event_count(plan_id) == count
    assert_written(api.post(f"/v1/plans/{plan_id}/outcomes/{outcome_id}/end",
                            {"reason": "done", "outcome": "achieved"}), 200)
    assert_problem(api.post(path, good), 409, rule="outcome_not_active")
