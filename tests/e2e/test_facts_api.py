"""Reviews, contributions and acknowledgements recorded on a plan (CONTRACT.md §4)."""

from __future__ import annotations

from tests import samples
from tests.e2e.helpers import Api, assert_problem, assert_written


def test_holding_a_review(api: Api) -> None:
    plan_id = api.open_plan(agreed_on="2026-09-01")
    body = samples.review()
    written = assert_written(api.post(f"/v1/plans/{plan_id}/reviews", body), 201, item=True)
    document = api.plan(plan_id)
    [review] = document["reviews"]
    assert review["id"] == written["item_id"]
    for field, value in body.items():
        assert review[field] == value, field
    assert review["agreed_on"] == "2026-11-19"  # held_on is the review's agreed_on
    assert review["recorded_at"] == written["recorded_at"]
    assert document["next_review_due"] == "2027-03-19"
    [*_, event] = api.events(plan_id)
    assert (event["type"], event["agreed_on"], event["backdated"]) == ("ReviewHeld", "2026-11-19", True)
    # As in force before the review was held, the plan does not have it, and the opening's review date stands.
    before = api.plan(plan_id, as_of="2026-11-18")
    assert before["reviews"] == []
    assert before["next_review_due"] == "2026-11-24"  # 12 weeks after 2026-09-01


def test_review_refusals(api: Api) -> None:
    plan_id = api.open_plan(agreed_on="2026-09-01")
    path = f"/v1/plans/{plan_id}/reviews"
    cases = [
        (samples.review(held_on="2026-11-21"), "held_on"),  # not held yet
        (samples.review(held_on="19/11/2026"), "held_on"),
        (samples.review(next_review_due="2027-11-20"), "next_review_due"),  # more than 12 months after held_on
        (samples.review(next_review_due="2026-11-19"), "next_review_due"),  # not after held_on
        (samples.review(attendees=[]), "attendees"),
        (samples.review(attendees=[{"role": "SENCO"}]), "attendees.0.name"),
        (samples.review(summary=""), "summary"),
        (samples.review(agreed_on="2026-11-19"), "agreed_on"),
        (samples.review(reason="why"), "reason"),
    ]
    no_summary = samples.review()
    del no_summary["summary"]
    cases.append((no_summary, "summary"))
    for body, field in cases:
        assert_problem(api.post(path, body), 422, field=field)
    assert_problem(api.post(path, samples.review(held_on="2026-08-31")), 409, rule="before_plan_opened")
    assert api.event_count(plan_id) == 1
    assert api.plan(plan_id)["reviews"] == []


def test_twelve_months_is_the_longest_review_interval(api: Api) -> None:
    plan_id = api.open_plan(agreed_on="2026-09-01")
    written = api.post(f"/v1/plans/{plan_id}/reviews", samples.review(next_review_due="2027-11-19"))
    assert_written(written, 201, item=True)
    assert api.plan(plan_id)["next_review_due"] == "2027-11-19"


def test_contributions_of_every_kind(api: Api) -> None:
    plan_id = api.open_plan(agreed_on="2026-11-01")
    bodies = [
        {"kind": "parent_view", "text": "She is more confident reading at bedtime."},
        {"kind": "pupil_voice", "text": "I like working with Mrs Patel."},
        {"kind": "professional_advice", "profession": "educational psychologist",
         "text": "Recommend precision teaching for high-frequency words.", "agreed_on": "2026-11-18"},
    ]
    written = [assert_written(api.post(f"/v1/plans/{plan_id}/contributions", b), 201, item=True) for b in bodies]
    contributions = api.plan(plan_id)["contributions"]
    by_id = {c["id"]: c for c in contributions}
    assert set(by_id) == {w["item_id"] for w in written}
    for body, response in zip(bodies, written, strict=True):
        shown = by_id[response["item_id"]]
        assert shown["kind"] == body["kind"]
        assert shown["text"] == body["text"]
        assert shown["profession"] == body.get("profession")
        assert shown["agreed_on"] == body.get("agreed_on", "2026-11-20")
        assert shown["recorded_at"] == response["recorded_at"]
    events = api.events(plan_id)
    assert [e["backdated"] for e in events[1:]] == [False, False, True]


def test_contribution_refusals(api: Api) -> None:
    plan_id = api.open_plan()
    path = f"/v1/plans/{plan_id}/contributions"
    assert_problem(api.post(path, {"kind": "professional_advice", "text": "Advice"}), 422, field="profession")
    assert_problem(api.post(path, {"kind": "gossip", "text": "x"}), 422, field="kind")
    assert_problem(api.post(path, {"kind": "parent_view", "text": ""}), 422, field="text")
    assert_problem(api.post(path, {"kind": "parent_view"}), 422, field="text")
    assert_problem(api.post(path, {"kind": "parent_view", "text": "x" * 10_001}), 422, field="text")
    assert_problem(api.post(path, {"kind": "parent_view", "text": "x", "agreed_on": "2026-11-21"}), 422,
                   field="agreed_on")
    assert_problem(api.post(path, {"kind": "parent_view", "text": "x", "agreed_on": "2026-11-19"}), 409,
                   rule="before_plan_opened")
    assert api.event_count(plan_id) == 1
    assert api.plan(plan_id)["contributions"] == []


def test_acknowledging_a_version_of_the_plan(api: Api) -> None:
    ids = api.full_plan()
    plan_id = ids["plan"]
    first = assert_written(api.post(f"/v1/plans/{plan_id}/acknowledgements",
                                    {"version": 5, "response": "agree", "comment": "Happy with this",
                                     "given_by": "Pat Okafor", "method": "in_person"}), 201, item=True)
    second = assert_written(api.post(f"/v1/plans/{plan_id}/acknowledgements",
                                     {"version": 2, "response": "seen", "given_by": "Sam Okafor", "method": "email"},
                                     "admin"), 201, item=True)
    acknowledgements = {a["id"]: a for a in api.plan(plan_id)["acknowledgements"]}
    assert set(acknowledgements) == {first["item_id"], second["item_id"]}
    one = acknowledgements[first["item_id"]]
    assert (one["version"], one["response"], one["comment"]) == (5, "agree", "Happy with this")
    two = acknowledgements[second["item_id"]]
    assert (two["version"], two["response"], two["comment"]) == (2, "seen", None)


def test_acknowledgement_refusals(api: Api) -> None:
    plan_id = api.open_plan()
    api.add_barrier(plan_id)
    path = f"/v1/plans/{plan_id}/acknowledgements"
    given = {"given_by": "Pat Okafor", "method": "signed_form"}
    assert_problem(api.post(path, {"version": 3, "response": "agree", **given}), 422, field="version")  # at v2
    assert_problem(api.post(path, {"version": 0, "response": "agree", **given}), 422, field="version")
    assert_problem(api.post(path, {"version": "two", "response": "agree", **given}), 422, field="version")
    assert_problem(api.post(path, {"version": 1, "response": "maybe", **given}), 422, field="response")
    assert_problem(api.post(path, {"response": "agree", **given}), 422, field="version")
    assert_problem(api.post(path, {"version": 1, "response": "agree", "agreed_on": "2026-11-21", **given}), 422,
                   field="agreed_on")
    assert api.event_count(plan_id) == 2
    assert api.plan(plan_id)["acknowledgements"] == []
