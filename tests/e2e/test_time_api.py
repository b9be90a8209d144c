"""Reading a plan as in force on a date (as_of) and as the record stood at an instant (as_at) (CONTRACT.md §3)."""

from __future__ import annotations

import datetime as dt
import uuid

from tests import samples
from tests.e2e.helpers import Api, assert_problem, assert_written


def _instant(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


def test_as_at_needs_an_offset_and_both_parameters_must_be_well_formed(api: Api) -> None:
    plan_id = api.open_plan()
    assert_problem(api.get(f"/v1/plans/{plan_id}", as_at="2026-11-20T12:00:00"), 422, field="as_at")
    assert_problem(api.get(f"/v1/plans/{plan_id}", as_at="yesterday"), 422, field="as_at")
    assert_problem(api.get(f"/v1/plans/{plan_id}", as_at="2026-11-20T25:00:00+00:00"), 422, field="as_at")
    assert_problem(api.get(f"/v1/plans/{plan_id}", as_of="2026-13-01"), 422, field="as_of")
    assert_problem(api.get(f"/v1/plans/{plan_id}", as_of="last week"), 422, field="as_of")


def test_as_at_with_an_offset(api: Api) -> None:
    plan_id = api.open_plan()  # at 10:00Z
    api.clock.set(dt.datetime(2026, 11, 20, 11, 0, tzinfo=dt.UTC))
    barrier_id = api.add_barrier(plan_id)  # at 11:00Z
    for as_at in ("2026-11-20T10:30:00+00:00", "2026-11-20T10:30:00Z", "2026-11-20T11:30:00+01:00",
                  "2026-11-20T05:30:00-05:00"):
        document = api.plan(plan_id, as_at=as_at)
        assert document["barriers"] == [], as_at
        assert document["version"] == 1, as_at
    for as_at in ("2026-11-20T11:30:00+00:00", "2026-11-20T12:30:00+01:00", "2026-11-20T06:30:00-05:00"):
        document = api.plan(plan_id, as_at=as_at)
        assert [b["id"] for b in document["barriers"]] == [barrier_id], as_at
        assert document["version"] == 2


def test_as_at_includes_an_event_recorded_at_exactly_that_instant(api: Api) -> None:
    plan_id = api.open_plan()
    api.clock.advance(minutes=5)
    recorded_at = assert_written(api.post(f"/v1/plans/{plan_id}/barriers", samples.barrier()), item=True)[
        "recorded_at"
    ]
    at = _instant(recorded_at)
    assert len(api.plan(plan_id, as_at=at.isoformat())["barriers"]) == 1
    just_before = (at - dt.timedelta(microseconds=1)).isoformat()
    assert api.plan(plan_id, as_at=just_before)["barriers"] == []


def test_as_at_before_the_plan_existed_is_404(api: Api) -> None:
    plan_id = api.open_plan()  # at 2026-11-20T10:00:00.001Z
    assert_problem(api.get(f"/v1/plans/{plan_id}", as_at="2026-11-20T09:59:59+00:00"), 404)
    assert_problem(api.get(f"/v1/plans/{plan_id}", as_at="2026-11-20T10:00:00+00:00"), 404)
    assert api.plan(plan_id, as_at="2026-11-20T10:00:01+00:00")["plan_id"] == plan_id
    assert_problem(api.get(f"/v1/plans/{uuid.uuid4()}", as_at="2026-11-20T10:00:01+00:00"), 404)


def test_as_of_before_the_plan_was_opened_is_404(api: Api) -> None:
    plan_id = api.open_plan(agreed_on="2026-09-01")
    assert_problem(api.get(f"/v1/plans/{plan_id}", as_of="2026-08-31"), 404)
    assert api.plan(plan_id, as_of="2026-09-01")["plan_id"] == plan_id


def test_as_of_and_as_at_are_not_shown_to_other_settings(api: Api) -> None:
    plan_id = api.open_plan()
    assert_problem(api.get(f"/v1/plans/{plan_id}", "other_senco", as_of="2026-11-20"), 404)
    assert_problem(api.get(f"/v1/plans/{plan_id}", "other_senco", as_at="2026-11-21T00:00:00+00:00"), 404)


def test_back_dated_amendment_shows_in_as_of_but_not_as_at_before_it_was_recorded(api: Api) -> None:
    plan_id = api.open_plan(agreed_on="2026-09-01")
    barrier_id = api.add_barrier(plan_id, agreed_on="2026-09-01")
    provision_id = api.add(plan_id, "provisions", samples.provision([barrier_id], agreed_on="2026-09-07"))
    before_amendment = "2026-11-20T12:00:00+00:00"

    api.clock.set(dt.datetime(2026, 11, 21, 9, 0, tzinfo=dt.UTC))
    response = api.patch(f"/v1/plans/{plan_id}/provisions/{provision_id}",
                         {"sessions_per_week": 5, "agreed_on": "2026-10-01", "reason": "Agreed at the October meeting"})
    amended = assert_written(response, 200)

    def sessions(**params: str) -> float:
        return float(api.item(api.plan(plan_id, **params), "provisions", provision_id)["sessions_per_week"])

    assert sessions() == 5
    assert sessions(as_of="2026-10-01") == 5
    assert sessions(as_of="2026-10-15") == 5
    assert sessions(as_of="2026-09-30") == 3
    assert sessions(as_of="2026-09-07") == 3
    assert api.plan(plan_id, as_of="2026-09-06")["provisions"] == []  # agreed on the 7th
    assert [b["id"] for b in api.plan(plan_id, as_of="2026-09-06")["barriers"]] == [barrier_id]
    # The record as it stood before the amendment was recorded did not know of it, whatever date is asked about.
    assert sessions(as_at=before_amendment) == 3
    assert sessions(as_at=before_amendment, as_of="2026-10-15") == 3
    assert api.plan(plan_id, as_at=before_amendment)["version"] == 3
    # Once recorded, as_at shows it.
    assert sessions(as_at="2026-11-21T10:00:00+00:00", as_of="2026-10-15") == 5
    assert sessions(as_at="2026-11-21T10:00:00+00:00", as_of="2026-09-30") == 3
    # The amendment is flagged back-dated in the history.
    last = api.events(plan_id)[-1]
    assert (last["event_id"], last["agreed_on"], last["backdated"]) == (amended["event_id"], "2026-10-01", True)


def test_items_show_agreed_on_and_recorded_at_of_their_latest_change(api: Api) -> None:
    plan_id = api.open_plan(agreed_on="2026-09-01")
    barrier = assert_written(api.post(f"/v1/plans/{plan_id}/barriers", samples.barrier(agreed_on="2026-09-02")),
                             item=True)
    item = api.item(api.plan(plan_id), "barriers", barrier["item_id"])
    assert (item["agreed_on"], item["recorded_at"], item["status"]) == ("2026-09-02", barrier["recorded_at"], "active")
    api.clock.advance(hours=2)
    amended = assert_written(api.patch(f"/v1/plans/{plan_id}/barriers/{barrier['item_id']}",
                                       {"evidence": "Phonics screening re-check: 25/40"}), 200)
    item = api.item(api.plan(plan_id), "barriers", barrier["item_id"])
    assert (item["agreed_on"], item["recorded_at"]) == ("2026-11-20", amended["recorded_at"])
    assert item["evidence"] == "Phonics screening re-check: 25/40"
    # As in force on the 2nd of September: the original evidence, agreed and recorded then.
    old = api.item(api.plan(plan_id, as_of="2026-09-02"), "barriers", barrier["item_id"])
    assert (old["evidence"], old["agreed_on"], old["recorded_at"]) == (
        samples.barrier()["evidence"], "2026-09-02", barrier["recorded_at"])


def test_both_together_show_what_the_record_said_then_about_a_date(api: Api) -> None:
    plan_id = api.open_plan(agreed_on="2026-09-01")
    barrier_id = api.add_barrier(plan_id, agreed_on="2026-09-01")
    api.clock.set(dt.datetime(2026, 11, 22, 9, 0, tzinfo=dt.UTC))
    # Recorded on the 22nd, agreed back in October.
    adjustment_id = api.add(plan_id, "adjustments", samples.adjustment([barrier_id], agreed_on="2026-10-05"))
    assert api.plan(plan_id, as_at="2026-11-21T00:00:00+00:00", as_of="2026-10-10")["adjustments"] == []
    now_known = api.plan(plan_id, as_at="2026-11-22T10:00:00+00:00", as_of="2026-10-10")
    assert [a["id"] for a in now_known["adjustments"]] == [adjustment_id]
    assert api.plan(plan_id, as_at="2026-11-22T10:00:00+00:00", as_of="2026-10-04")["adjustments"] == []
