"""Values no school means are refused with a clear 422 naming the field, never stored and never a 500 (issue 11,
problem 9): dates outside 1900-2199 anywhere; a plan's dates outside the pupil's 0-25 years or more than five
years ahead; a pupil older than 25; a holiday longer than ten weeks; sessions a week below once in twenty weeks,
above seven a day, or finer than hundredths. On both stores, and as the API documents them."""

from __future__ import annotations

from typing import Any

from tests import samples
from tests.e2e.helpers import Api, assert_problem, assert_written

# The clock of the tests is 20 November 2026; the sample pupil was born on 14 May 2017.


def refused(api: Api, path: str, body: dict[str, Any], field: str, contains: str = "") -> None:
    before = api.event_count(path.split("/")[3]) if path.startswith("/v1/plans/") else None
    problem = assert_problem(api.post(path, body), 422, field=field)
    assert contains in problem["detail"], problem["detail"]
    if before is not None:
        assert api.event_count(path.split("/")[3]) == before, "nothing is recorded"


def test_a_review_in_the_year_9999_is_refused_not_failed(api: Api) -> None:
    plan_id = api.open_plan(agreed_on="2026-09-01")
    path = f"/v1/plans/{plan_id}/reviews"
    refused(api, path, samples.review(held_on="9999-12-31", next_review_due="9999-12-31"), "held_on",
            "from 1900-01-01 to 2199-12-31")
    refused(api, path, samples.review(next_review_due="9999-12-31"), "next_review_due")
    assert_written(api.post(path, samples.review()), item=True)


def test_a_provision_starts_and_ends_within_the_pupils_years_and_five_years_ahead(api: Api) -> None:
    plan_id = api.open_plan(agreed_on="2026-09-01")
    barrier = api.add_barrier(plan_id)
    path = f"/v1/plans/{plan_id}/provisions"
    refused(api, path, samples.provision([barrier], starts_on="0001-01-01"), "starts_on", "from 1900-01-01")
    refused(api, path, samples.provision([barrier], starts_on="9999-12-31"), "starts_on", "to 2199-12-31")
    refused(api, path, samples.provision([barrier], starts_on="2150-09-01"), "starts_on",
            "must not be after 2031-11-20 (a plan's dates are at most 5 years ahead)")
    refused(api, path, samples.provision([barrier], starts_on="2016-09-01"), "starts_on",
            "must not be before 2017-05-14")  # before the pupil was born
    refused(api, path, samples.provision([barrier], ends_on="2032-07-21"), "ends_on")
    provision = api.add(plan_id, "provisions", samples.provision([barrier], ends_on="2031-07-18"))
    # An amendment and a correction keep to the same dates.
    assert_problem(api.patch(f"{path}/{provision}", {"ends_on": "9999-12-31"}), 422, field="ends_on")
    agreed = api.events(plan_id)[-1]["event_id"]
    assert_problem(api.post(f"/v1/plans/{plan_id}/corrections", {
        "event_id": agreed, "reason": "Typo", "changes": {"starts_on": "2150-09-07"}}), 422, field="changes.starts_on")
    outcomes = f"/v1/plans/{plan_id}/outcomes"
    refused(api, outcomes, samples.outcome([barrier], target_date="2099-07-16"), "target_date")
    refused(api, f"{path}/{provision}/pause", {"reason": "TA on leave", "until": "2199-01-01"}, "until")


def test_an_older_pupil_keeps_to_their_26th_birthday(api: Api) -> None:
    pupil = samples.pupil(date_of_birth="2001-03-10")  # 25 on the day the plan is opened
    plan_id = api.open_plan(pupil=pupil, agreed_on="2026-09-01")
    barrier = api.add_barrier(plan_id)
    refused(api, f"/v1/plans/{plan_id}/outcomes", samples.outcome([barrier], target_date="2027-03-10"), "target_date",
            "must not be after 2027-03-09 (a plan's dates fall between the pupil's birth and their 26th birthday)")
    api.add(plan_id, "outcomes", samples.outcome([barrier], target_date="2027-03-09"))


def test_a_plan_is_for_a_pupil_aged_0_to_25(api: Api) -> None:
    refused(api, "/v1/plans", samples.plan_body(pupil=samples.pupil(date_of_birth="1900-01-01")),
            "pupil.date_of_birth", "older than 25")
    twenty_six = samples.plan_body(pupil=samples.pupil(date_of_birth="2000-09-01"), agreed_on="2026-09-01")
    refused(api, "/v1/plans", twenty_six, "pupil.date_of_birth")
    refused(api, "/v1/plans", samples.plan_body(agreed_on="2016-01-04"), "agreed_on",
            "must not be before the pupil's date of birth (2017-05-14)")
    refused(api, "/v1/plans", samples.plan_body(agreed_on="0001-01-02"), "agreed_on")
    api.open_plan(pupil=samples.pupil(date_of_birth="2000-09-02"), agreed_on="2026-09-01")  # 25, the last day
    plan_id = api.open_plan(agreed_on="2026-09-01")
    opened = api.events(plan_id)[0]["event_id"]
    assert_problem(api.post(f"/v1/plans/{plan_id}/corrections", {
        "event_id": opened, "reason": "Typo", "changes": {"pupil.date_of_birth": "1990-05-14"}}), 422,
        field="changes.pupil.date_of_birth")
    assert_written(api.post(f"/v1/plans/{plan_id}/corrections", {  # an earlier birthday, still of school age
        "event_id": opened, "reason": "Day and month swapped", "changes": {"pupil.date_of_birth": "2017-04-05"}}))


def test_sessions_a_week_from_once_in_twenty_weeks_to_seven_a_day_in_hundredths(api: Api) -> None:
    plan_id = api.open_plan(agreed_on="2026-09-01")
    barrier = api.add_barrier(plan_id)
    path = f"/v1/plans/{plan_id}/provisions"
    for bad in (0.0000001, 0, -1, 0.04, 35.5, 0.333, 1.005):
        refused(api, path, samples.provision([barrier], sessions_per_week=bad), "sessions_per_week")
    for good in (0.05, 0.33, 1.5, 35):
        provision = api.add(plan_id, "provisions", samples.provision([barrier], sessions_per_week=good))
        assert api.item(api.plan(plan_id), "provisions", provision)["sessions_per_week"] == good


def test_a_holiday_is_within_the_calendar_and_at_most_ten_weeks(api: Api) -> None:
    path = "/v1/settings/123456/calendar"
    for holidays, field in (
        ([{"start": "0001-01-01", "end": "9999-12-31"}], "holidays.0.start"),
        ([{"start": "2026-07-22", "end": "2026-10-30"}], "holidays.0.end"),  # 101 days
    ):
        response = api.client.put(path, json={"holidays": holidays, "closures": []}, headers=api.headers())
        assert_problem(response, 422, field=field)
    response = api.client.put(path, json={"holidays": [], "closures": ["9999-12-31"]}, headers=api.headers())
    assert_problem(response, 422, field="closures.0")
    summer = {"holidays": [{"start": "2026-07-22", "end": "2026-09-01"}], "closures": []}  # six weeks and a day
    assert api.client.put(path, json=summer, headers=api.headers()).status_code == 200


def test_the_api_documents_the_bounds(api: Api) -> None:
    schemas = api.client.get("/openapi.json").json()["components"]["schemas"]
    weekly = schemas["ProvisionCreate"]["properties"]["sessions_per_week"]
    assert (weekly["minimum"], weekly["maximum"], weekly["multipleOf"]) == (0.05, 35, 0.01)
    starts = schemas["ProvisionCreate"]["properties"]["starts_on"]
    assert (starts["formatMinimum"], starts["formatMaximum"]) == ("1900-01-01", "2199-12-31")


def test_a_delivery_report_of_a_year_the_calendar_cannot_hold_is_refused_not_failed(api: Api) -> None:
    plan_id = api.open_plan(agreed_on="2026-09-01")
    for path in (f"/v1/plans/{plan_id}/delivery", "/v1/settings/123456/delivery"):
        for params, name in (({"to": "0001-01-01"}, "to"), ({"from": "0001-01-01", "to": "0001-12-31"}, "from"),
                             ({"from": "9999-12-31"}, "from")):
            assert_problem(api.get(path, **params), 422, field=name)
