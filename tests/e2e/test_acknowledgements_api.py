"""Whose response (CONTRACT.md §4) over HTTP, on both stores: staff recording a parent's response name the parent
and how it was given, and every place the response is shown says so: the plan document, the timeline and the
evidence bundle (JSON and HTML).

Tests start on Friday 20 November 2026 (the ``clock`` fixture).
"""

from __future__ import annotations

from tests.e2e.helpers import Api, assert_problem, assert_written

RESPONSE = {"version": 2, "response": "disagree", "comment": "Phonics was cut without asking us",
            "given_by": "Pat Okafor", "method": "in_person"}


def test_staff_recording_a_parents_response_must_say_whose_and_how(api: Api) -> None:
    plan_id = api.open_plan()
    api.add_barrier(plan_id)
    path = f"/v1/plans/{plan_id}/acknowledgements"
    for who in ("senco", "admin"):
        response = api.post(path, {"version": 2, "response": "agree"}, who)
        assert_problem(response, 422, field="given_by")
        assert {e["field"] for e in response.json()["errors"]} == {"given_by", "method"}
    assert_problem(api.post(path, {**RESPONSE, "method": "carrier pigeon"}), 422, field="method")
    assert_problem(api.post(path, {**RESPONSE, "given_by": ""}), 422, field="given_by")
    assert api.event_count(plan_id) == 2


def test_whose_response_is_shown_in_the_document_the_timeline_and_the_bundle(api: Api) -> None:
    plan_id = api.open_plan(agreed_on="2026-09-01")
    api.add_barrier(plan_id)
    written = assert_written(api.post(f"/v1/plans/{plan_id}/acknowledgements", RESPONSE), item=True)

    [shown] = api.plan(plan_id)["acknowledgements"]
    assert (shown["id"], shown["given_by"], shown["method"], shown["recorded_by"]["name"]) == (
        written["item_id"], "Pat Okafor", "in_person", "Sam Senco")
    [event] = [e for e in api.events(plan_id) if e["type"] == "AcknowledgementRecorded"]
    assert (event["data"]["given_by"], event["data"]["method"]) == ("Pat Okafor", "in_person")

    [entry] = api.get(f"/v1/plans/{plan_id}/timeline", kind="acknowledgement").json()["entries"]
    assert entry["summary"] == ("Pat Okafor (parent) disagreed with the plan as it stood on 20 November 2026, in "
                                "person, saying “Phonics was cut without asking us”; recorded by Sam Senco.")

    bundle = api.get(f"/v1/plans/{plan_id}/bundle").json()
    [response] = bundle["parent_responses"]["acknowledgements"]
    assert (response["given_by"], response["method"]) == ("Pat Okafor", "in_person")
    html = api.get(f"/v1/plans/{plan_id}/bundle", format="html").text
    assert "<th style=\"width:22%\">Whose response</th>" in html
    assert "Pat Okafor (parent)<div class=\"small\">In person; recorded by Sam Senco (SENCO)</div>" in html
