"""The quality report's gaps over HTTP (CONTRACT.md §6), on both stores: for each gap of issue 11, a plan that has
it and one that does not, worked out on the day the report is read. (The gaps the report had before are in
``test_reports_api.py``.)

Tests start on Friday 20 November 2026 (the ``clock`` fixture).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from isp_ledger.domain.calendar import SchoolCalendar
from tests import samples
from tests.conftest import SETTING
from tests.e2e.helpers import Api, assert_written
from tests.e2e.test_reports_api import QUALITY, add, codes, gaps, ok, report

STAFF_ONLY = [{"role": "SENCO", "name": "Sam Senco"}, {"role": "class teacher", "name": "Mr Bennett"}]
GIVEN = {"given_by": "Pat Okafor", "method": "signed_form"}


def plan(api: Api, *, opened: str = "2026-09-01", tier: str = "targeted", starts_on: str = "2026-11-23",
         outcome: bool = True) -> dict[str, str]:
    """An open plan opened (back-dated) on ``opened``: a barrier met by a provision (from ``starts_on``; next
    Monday by default, so no sessions are owed yet) and, unless told not to, an outcome."""
    plan_id = api.open_plan(tier=tier, agreed_on=opened, next_review_due=None,
                            **({"ehcp_reference": "EHC-1"} if tier == "specialist" else {}))
    barrier = api.add(plan_id, "barriers", {**samples.barrier(), "agreed_on": opened})
    ids = {"plan": plan_id, "barrier": barrier,
           "provision": api.add(plan_id, "provisions",
                                {**samples.provision([barrier], starts_on=starts_on), "agreed_on": opened})}
    if outcome:
        ids["outcome"] = api.add(plan_id, "outcomes", {**samples.outcome([barrier]), "agreed_on": opened})
    return ids


def review(api: Api, plan_id: str, held_on: str, due: str = "2027-03-19", **fields: Any) -> None:
    ok(api.post(f"/v1/plans/{plan_id}/reviews", samples.review(held_on=held_on, next_review_due=due, **fields)))


def test_the_report_names_the_setting_and_each_gap_by_a_stable_code(api: Api) -> None:
    ids = plan(api, outcome=False)
    body = api.get(QUALITY).json()
    assert (body["setting_urn"], body["as_of"], body["setting"]["urn"]) == (SETTING, "2026-11-20", SETTING)
    [row] = body["plans"]
    assert row["plan_id"] == ids["plan"] and row["gaps"][0]["code"] == "plan_without_outcomes"


def test_a_plan_with_no_outcomes(api: Api) -> None:
    ids = plan(api, outcome=False)
    [gap] = gaps(api, ids["plan"])
    assert gap["code"] == "plan_without_outcomes" and "item_id" not in gap
    outcome = add(api, ids["plan"], "outcomes", samples.outcome([ids["barrier"]]))
    assert gaps(api, ids["plan"]) == []
    ok(api.post(f"/v1/plans/{ids['plan']}/outcomes/{outcome}/end", {"reason": "Met", "outcome": "achieved"}))
    assert codes(api, ids["plan"]) == ["plan_without_outcomes"]


def test_an_outcome_still_open_after_its_target_date(api: Api) -> None:
    ids = plan(api)
    ok(api.patch(f"/v1/plans/{ids['plan']}/outcomes/{ids['outcome']}", {"target_date": "2026-11-20"}))
    review(api, ids["plan"], "2026-11-20")
    assert gaps(api, ids["plan"]) == []
    api.clock.advance(days=1)
    # The provision has run for a week by then with nothing logged: too soon to judge its delivery.
    [gap] = gaps(api, ids["plan"])
    assert (gap["code"], gap["item_id"]) == ("outcome_past_target_date", ids["outcome"])
    assert "was to be achieved by 20 November 2026 and is still open" in gap["message"]
    ok(api.post(f"/v1/plans/{ids['plan']}/outcomes/{ids['outcome']}/end", {"reason": "Met", "outcome": "achieved"}))
    assert codes(api, ids["plan"]) == ["plan_without_outcomes"]


def test_a_review_overdue(api: Api) -> None:
    ids = plan(api, opened="2026-08-03")  # its first review was due twelve weeks later, on 26 October
    [gap] = gaps(api, ids["plan"])
    assert gap["code"] == "review_overdue" and "26 October 2026" in gap["message"]
    review(api, ids["plan"], "2026-11-19")
    assert gaps(api, ids["plan"]) == []


def test_fewer_than_three_meetings_with_parents_in_a_year(api: Api) -> None:
    ids = plan(api, opened="2025-09-01")
    plan_id = ids["plan"]
    review(api, plan_id, "2025-11-14", due="2026-03-13")  # more than a year ago
    review(api, plan_id, "2026-03-13", due="2026-07-10")
    review(api, plan_id, "2026-07-10", due="2026-12-11", attendees=STAFF_ONLY,
           parent_views="Sent in on the form: pleased with progress.")
    [gap] = gaps(api, plan_id)
    assert gap["code"] == "too_few_parent_meetings"
    assert "met only twice in the last 12 months (13 March 2026 and 10 July 2026)" in gap["message"]
    ok(api.post(f"/v1/plans/{plan_id}/acknowledgements", {"version": 4, "response": "agree", **GIVEN,
                                                          "agreed_on": "2026-07-15"}))
    assert codes(api, plan_id) == ["too_few_parent_meetings"]  # a signed form is no meeting
    ok(api.post(f"/v1/plans/{plan_id}/acknowledgements", {"version": 4, "response": "agree",
                                                          "given_by": "Pat Okafor", "method": "in_person",
                                                          "agreed_on": "2026-10-02"}))
    assert gaps(api, plan_id) == []
    specialist = plan(api, opened="2025-09-01", tier="specialist")
    review(api, specialist["plan"], "2026-07-10", due="2027-07-09")
    assert gaps(api, specialist["plan"]) == []  # the Code's termly meetings are for SEN support


def test_a_parents_disagreement_left_unanswered(api: Api) -> None:
    ids = plan(api)
    plan_id = ids["plan"]
    review(api, plan_id, "2026-11-02")
    ok(api.post(f"/v1/plans/{plan_id}/acknowledgements", {"version": 5, "response": "disagree", **GIVEN,
                                                          "comment": "Phonics was cut without asking us",
                                                          "agreed_on": "2026-11-05"}))
    [gap] = gaps(api, plan_id)
    assert gap["code"] == "disagreement_unanswered"
    assert gap["message"].startswith("Pat Okafor disagreed with the plan on 5 November 2026, saying “Phonics was "
                                     "cut without asking us”, and it has not been reviewed or changed since.")
    review(api, plan_id, "2026-11-19")
    assert gaps(api, plan_id) == []


def school_days(calendar: SchoolCalendar, start: str, end: str) -> list[str]:
    return [d.isoformat() for d in calendar.school_days(dt.date.fromisoformat(start), dt.date.fromisoformat(end))]


def log(api: Api, plan_id: str, provision_id: str, days: list[str], status: str = "delivered") -> None:
    extra = {"missed_reason": "pupil_absent"} if status == "missed" else {}
    for day in days:
        response = api.post("/v1/deliveries", {
            "entries": [{"plan_id": plan_id, "provision_id": provision_id}], "date": day, "status": status, **extra},
            "teacher")
        assert response.status_code == 201, response.text


def test_a_provision_delivered_at_under_three_quarters_of_its_sessions_over_six_school_weeks(api: Api) -> None:
    autumn = {"holidays": [{"start": "2026-10-26", "end": "2026-10-30"}], "closures": ["2026-11-13"]}
    response = api.client.put(f"/v1/settings/{SETTING}/calendar", json=autumn, headers=api.headers())
    assert response.status_code == 200, response.text
    ids = plan(api, starts_on="2026-09-07")  # three sessions a week
    plan_id, provision = ids["plan"], ids["provision"]
    calendar = SchoolCalendar(((dt.date(2026, 10, 26), dt.date(2026, 10, 30)),), frozenset({dt.date(2026, 11, 13)}))
    window = school_days(calendar, "2026-10-01", "2026-11-19")  # six school weeks back from yesterday
    assert len(window) == 30
    log(api, plan_id, provision, window[:13])
    log(api, plan_id, provision, window[13:16], "missed")
    log(api, plan_id, provision, ["2026-09-10", "2026-09-11"])  # before the window: not counted
    [gap] = gaps(api, plan_id)
    assert (gap["code"], gap["item_id"]) == ("provision_under_delivered", provision)
    assert gap["message"] == (
        "The provision “Small-group phonics with a trained TA” was delivered at 72% of its planned sessions over "
        "the last six school weeks (1 October 2026 to 19 November 2026): 13 delivered of 18 planned, 3 missed (3 "
        "pupil absent), 2 not recorded. Find out why, and record any sessions not yet logged.")
    log(api, plan_id, provision, window[16:17])  # 14 of 18: 78%
    assert gaps(api, plan_id) == []
    # A week on, with nothing more logged: the window has moved on, over a week with nothing delivered.
    api.clock.advance(days=7)
    assert "provision_under_delivered" in codes(api, plan_id)


def test_provision_past_its_end_date_is_ended_from_the_next_day(api: Api) -> None:
    ids = plan(api, starts_on="2026-09-07")
    ok(api.patch(f"/v1/plans/{ids['plan']}/provisions/{ids['provision']}", {"ends_on": "2026-09-25"}))
    # Nothing was delivered, but the block ended in September: nothing to judge; its barrier is now unsupported.
    assert [(g["code"], g.get("item_id")) for g in gaps(api, ids["plan"])] == [
        ("barrier_without_support", ids["barrier"])]
    add(api, ids["plan"], "adjustments", samples.adjustment([ids["barrier"]]))
    assert gaps(api, ids["plan"]) == []


def test_every_plan_of_the_demo_kind_lists_only_real_gaps(api: Api) -> None:
    """A plan kept as a careful school keeps it (opened with the parent, reviewed with them each term, their
    responses recorded, provision delivered) has no gap at all, a year on."""
    ids = plan(api, opened="2025-09-08", starts_on="2026-11-23")
    plan_id = ids["plan"]
    for held, due in (("2025-12-05", "2026-03-20"), ("2026-03-20", "2026-07-10"), ("2026-07-10", "2026-12-04")):
        review(api, plan_id, held, due)
        assert_written(api.post(f"/v1/plans/{plan_id}/acknowledgements",
                                {"version": 4, "response": "agree", **GIVEN, "agreed_on": held}), item=True)
    assert [row["plan_id"] for row in report(api, QUALITY) if row["gaps"]] == []
