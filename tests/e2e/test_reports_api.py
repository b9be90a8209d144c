"""A setting's reports over HTTP (CONTRACT.md §6): reviews due, and the quality gaps a SENCO must fix.

Tests start on Friday 20 November 2026 (the ``clock`` fixture); "today" is the London date.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx2 as httpx

from tests import samples
from tests.conftest import OTHER_SETTING, SETTING
from tests.e2e.helpers import Api, assert_problem, assert_written

REVIEWS_DUE = f"/v1/settings/{SETTING}/reviews-due"
QUALITY = f"/v1/settings/{SETTING}/quality"


def report(api: Api, path: str, who: str = "senco") -> list[dict[str, Any]]:
    response = api.get(path, who)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == "application/json"
    body = response.json()
    plans: list[dict[str, Any]] = body["plans"]
    for row in plans:
        assert isinstance(row["plan_id"], str), row
    return plans


def rows(api: Api, path: str, who: str = "senco") -> dict[str, dict[str, Any]]:
    plans = report(api, path, who)
    by_id = {row["plan_id"]: row for row in plans}
    assert len(by_id) == len(plans), "one row per plan"
    return by_id


def gaps(api: Api, plan_id: str) -> list[dict[str, Any]]:
    """The plan's gaps in the quality report ([] when the plan is not listed, or listed with no gaps)."""
    row = rows(api, QUALITY).get(plan_id)
    found: list[dict[str, Any]] = row["gaps"] if row else []
    for gap in found:
        assert isinstance(gap["code"], str) and isinstance(gap["message"], str) and gap["message"].strip(), gap
    return found


def codes(api: Api, plan_id: str) -> list[str]:
    return sorted(g["code"] for g in gaps(api, plan_id))


def add(api: Api, plan_id: str, kind: str, body: dict[str, Any], who: str = "senco") -> str:
    return str(assert_written(api.post(f"/v1/plans/{plan_id}/{kind}", body, who), item=True)["item_id"])


def ok(response: httpx.Response) -> None:
    assert response.status_code in (200, 201), response.text


# ---------------------------------------------------------------- reviews due


def _plan_due(api: Api, due: str, agreed_on: str = "2026-06-01", who: str = "senco", **extra: Any) -> str:
    return api.open_plan(who, agreed_on=agreed_on, next_review_due=due, **extra)


def test_reviews_overdue_or_due_within_30_days_are_listed_soonest_first(api: Api) -> None:
    overdue = _plan_due(api, "2026-09-01")
    yesterday = _plan_due(api, "2026-11-19")
    today = _plan_due(api, "2026-11-20")
    in_30_days = _plan_due(api, "2026-12-20")
    in_31_days = _plan_due(api, "2026-12-21")
    next_spring = _plan_due(api, "2027-03-01", agreed_on="2026-11-20")

    plans = report(api, REVIEWS_DUE)
    assert [p["plan_id"] for p in plans] == [overdue, yesterday, today, in_30_days]
    by_id = {p["plan_id"]: p for p in plans}
    assert (by_id[overdue]["next_review_due"], by_id[overdue]["overdue"]) == ("2026-09-01", True)
    assert (by_id[yesterday]["overdue"], by_id[today]["overdue"], by_id[in_30_days]["overdue"]) == (True, False, False)
    assert by_id[today]["pupil"] == {"given_name": "Amara", "family_name": "Okafor"}
    assert in_31_days not in by_id and next_spring not in by_id


def test_reviews_due_moves_with_today_without_any_new_entry(api: Api) -> None:
    in_31_days = _plan_due(api, "2026-12-21")
    assert in_31_days not in rows(api, REVIEWS_DUE)
    api.clock.advance(days=1)
    row = rows(api, REVIEWS_DUE)[in_31_days]
    assert (row["next_review_due"], row["overdue"]) == ("2026-12-21", False)
    api.clock.set(dt.datetime(2026, 12, 22, 10, 0, tzinfo=dt.UTC))
    assert rows(api, REVIEWS_DUE)[in_31_days]["overdue"] is True


def test_today_is_the_london_date(api: Api) -> None:
    api.clock.set(dt.datetime(2027, 6, 1, 10, 0, tzinfo=dt.UTC))
    _plan_due(api, "2027-06-30", agreed_on="2027-06-01")
    # 23:30 UTC on 30 June is already 1 July in London (BST): the review is overdue there.
    api.clock.set(dt.datetime(2027, 6, 30, 23, 30, tzinfo=dt.UTC))
    response = api.get(REVIEWS_DUE)
    assert response.status_code == 200
    assert response.json()["as_of"] == "2027-07-01"
    assert response.json()["plans"][0]["overdue"] is True


def test_holding_the_review_takes_the_plan_off_the_list(api: Api) -> None:
    plan_id = _plan_due(api, "2026-11-01")
    assert plan_id in rows(api, REVIEWS_DUE)
    ok(api.post(f"/v1/plans/{plan_id}/reviews", samples.review(held_on="2026-11-19", next_review_due="2027-03-19")))
    assert plan_id not in rows(api, REVIEWS_DUE)
    # A review that sets the next one within 30 days puts it back.
    ok(api.post(f"/v1/plans/{plan_id}/reviews", samples.review(held_on="2026-11-20", next_review_due="2026-12-04")))
    assert rows(api, REVIEWS_DUE)[plan_id]["next_review_due"] == "2026-12-04"


def test_a_back_dated_earlier_review_does_not_override_the_latest_one(api: Api) -> None:
    plan_id = _plan_due(api, "2026-11-01")
    ok(api.post(f"/v1/plans/{plan_id}/reviews", samples.review(held_on="2026-11-19", next_review_due="2027-03-19")))
    # Recorded afterwards, but held earlier: the review of 19 November still sets the next one.
    ok(api.post(f"/v1/plans/{plan_id}/reviews", samples.review(held_on="2026-07-01", next_review_due="2026-10-01")))
    assert plan_id not in rows(api, REVIEWS_DUE)
    assert api.plan(plan_id)["next_review_due"] == "2027-03-19"


def test_closed_plans_and_other_settings_plans_are_not_listed(api: Api) -> None:
    listed = _plan_due(api, "2026-09-01")
    closed = _plan_due(api, "2026-09-01")
    assert_written(api.post(f"/v1/plans/{closed}/close", {"reason": "Left the school"}), 200)
    elsewhere = _plan_due(api, "2026-09-01", who="other_senco", setting_urn=OTHER_SETTING)
    assert list(rows(api, REVIEWS_DUE)) == [listed]
    assert list(rows(api, f"/v1/settings/{OTHER_SETTING}/reviews-due", "other_senco")) == [elsewhere]


def test_reviews_due_is_for_the_settings_staff_and_administrators(api: Api) -> None:
    plan_id = _plan_due(api, "2026-09-01")
    for who in ("senco", "teacher", "admin"):
        assert list(rows(api, REVIEWS_DUE, who)) == [plan_id], who
    # Not a plan, so not hidden behind 404: the role (or setting) is not allowed (CONTRACT §2, §10).
    for who in ("other_senco", "other_teacher", "parent", "professional", "complaint_handler"):
        assert_problem(api.get(REVIEWS_DUE, who), 403)
    assert_problem(api.get(REVIEWS_DUE, None), 401)
    assert report(api, "/v1/settings/999999/reviews-due", "admin") == []
    for bad in ("12345", "abcdef", "1234567"):
        assert_problem(api.get(f"/v1/settings/{bad}/reviews-due", "admin"), 422, field="urn")


# ---------------------------------------------------------------- quality


def _complete(api: Api, tier: str = "targeted", **plan: Any) -> dict[str, str]:
    """An open plan with no gap: a barrier met by a provision (with its evidence basis) that starts next Monday (so
    no sessions are owed yet), an outcome with success criteria, and the parent's view."""
    extra = {"ehcp_reference": "EHC-2026-0142"} if tier == "specialist" else {}
    plan_id = api.open_plan(tier=tier, **extra, **plan)
    barrier = api.add_barrier(plan_id)
    ids = {
        "plan": plan_id,
        "barrier": barrier,
        "provision": add(api, plan_id, "provisions", samples.provision([barrier], starts_on="2026-11-23")),
        "outcome": add(api, plan_id, "outcomes", samples.outcome([barrier])),
    }
    add(api, plan_id, "contributions", {"kind": "parent_view", "text": "We practise reading at home."})
    return ids


def test_a_plan_with_no_gaps(api: Api) -> None:
    for tier in ("targeted", "specialist"):
        plan_id = _complete(api, tier)["plan"]
        assert gaps(api, plan_id) == [], tier
    # Listed with no gaps, or not listed at all: either way nothing for the SENCO to fix.
    assert all(row["gaps"] == [] for row in report(api, QUALITY))


def test_a_provision_whose_barrier_is_resolved_addresses_no_barrier(api: Api) -> None:
    # A provision needs an active barrier when agreed; it loses it when the barrier is later resolved.
    ids = _complete(api)
    ok(api.post(f"/v1/plans/{ids['plan']}/barriers/{ids['barrier']}/end", {"reason": "Blends confidently now"}))
    found = gaps(api, ids["plan"])
    assert [(g["code"], g.get("item_id")) for g in found] == [("provision_without_barrier", ids["provision"])]
    assert "Small-group phonics with a trained TA" in found[0]["message"]
    ok(api.post(f"/v1/plans/{ids['plan']}/provisions/{ids['provision']}/end", {"reason": "No longer needed"}))
    assert gaps(api, ids["plan"]) == []


def test_a_barrier_with_no_provision_or_adjustment(api: Api) -> None:
    ids = _complete(api)
    plan_id = ids["plan"]
    second = api.add_barrier(plan_id, description="Loses place when copying from the board",
                             area_of_need="sensory_and_physical", need_type="VI")
    found = gaps(api, plan_id)
    assert [(g["code"], g.get("item_id")) for g in found] == [("barrier_without_support", second)]
    assert "Loses place when copying from the board" in found[0]["message"]
    add(api, plan_id, "adjustments", samples.adjustment([second]))  # an adjustment is enough
    assert gaps(api, plan_id) == []
    ok(api.post(f"/v1/plans/{plan_id}/provisions/{ids['provision']}/end", {"reason": "Block finished"}))
    assert [(g["code"], g.get("item_id")) for g in gaps(api, plan_id)] == [
        ("barrier_without_support", ids["barrier"])]


def test_an_outcome_without_success_criteria(api: Api) -> None:
    ids = _complete(api)
    plan_id = ids["plan"]
    empty = add(api, plan_id, "outcomes", samples.outcome([ids["barrier"]], success_criteria=""))
    missing = add(api, plan_id, "outcomes", {k: v for k, v in samples.outcome([ids["barrier"]]).items()
                                              if k != "success_criteria"})
    found = gaps(api, plan_id)
    assert sorted((g["code"], g.get("item_id")) for g in found) == sorted([
        ("outcome_without_success_criteria", empty), ("outcome_without_success_criteria", missing)])
    ok(api.patch(f"/v1/plans/{plan_id}/outcomes/{empty}", {"success_criteria": "Reads 15 of 20 words"}))
    ok(api.post(f"/v1/plans/{plan_id}/outcomes/{missing}/end", {"reason": "Merged", "outcome": "discontinued"}))
    assert gaps(api, plan_id) == []


def test_no_review_in_12_months(api: Api) -> None:
    # Opened (back-dated) more than a year ago and never reviewed; nor were the parents met three times that year.
    ids = _complete(api, agreed_on="2025-11-19")
    found = gaps(api, ids["plan"])
    assert [g["code"] for g in found] == ["no_review_in_12_months", "too_few_parent_meetings"]
    assert "item_id" not in found[0]
    assert "opened on 19 November 2025 and has never been reviewed" in found[0]["message"]
    ok(api.post(f"/v1/plans/{ids['plan']}/reviews", samples.review(held_on="2026-11-20")))
    assert codes(api, ids["plan"]) == ["too_few_parent_meetings"]  # met once in the year: at the review
    # Exactly 12 months ago is not yet a gap, though its first review has been due since February.
    assert codes(api, _complete(api, agreed_on="2025-11-20")["plan"]) == ["review_overdue"]


def test_no_review_in_12_months_appears_as_the_year_passes(api: Api) -> None:
    ids = _complete(api, tier="specialist")  # an EHCP's annual review: no termly meetings asked of this report
    ok(api.patch(f"/v1/plans/{ids['plan']}/outcomes/{ids['outcome']}", {"target_date": "2028-07-14"}))
    # A block of provision that ended in January, after which an adjustment meets the barrier (so that a year on
    # no sessions are owed, and none need logging here).
    ok(api.patch(f"/v1/plans/{ids['plan']}/provisions/{ids['provision']}", {"ends_on": "2026-11-27"}))
    add(api, ids["plan"], "adjustments", samples.adjustment([ids["barrier"]]))
    ok(api.post(f"/v1/plans/{ids['plan']}/reviews", samples.review(held_on="2026-11-20", next_review_due="2027-11-20")))
    api.clock.set(dt.datetime(2027, 11, 20, 10, 0, tzinfo=dt.UTC))
    assert gaps(api, ids["plan"]) == []
    api.clock.advance(days=1)
    assert codes(api, ids["plan"]) == ["no_review_in_12_months"]


def test_a_review_the_parent_attended_involves_them_without_a_view_added_since(api: Api) -> None:
    # The old report flagged "no parent's view since the last review" straight after every review, even one the
    # parent attended and gave their views at.
    ids = _complete(api, agreed_on="2026-09-01")
    plan_id = ids["plan"]
    ok(api.post(f"/v1/plans/{plan_id}/reviews", samples.review(held_on="2026-11-20")))
    assert gaps(api, plan_id) == []
    api.clock.advance(days=7)
    ok(api.post(f"/v1/plans/{plan_id}/reviews", samples.review(held_on="2026-11-27", parent_views="")))
    assert gaps(api, plan_id) == []  # the parent was there, though their views were not written down
    staff = [{"role": "SENCO", "name": "Sam Senco"}, {"role": "class teacher", "name": "Mr Bennett"}]
    ok(api.post(f"/v1/plans/{plan_id}/reviews", samples.review(held_on="2026-11-27", attendees=staff,
                                                                 parent_views="Sent in on the form: happy.")))
    assert gaps(api, plan_id) == []  # not there, but their views are in it
    api.clock.advance(days=1)
    ok(api.post(f"/v1/plans/{plan_id}/reviews", samples.review(held_on="2026-11-28", attendees=staff,
                                                                 parent_views="")))
    [gap] = gaps(api, plan_id)
    assert gap["code"] == "parents_not_involved_in_last_review"
    assert gap["message"].startswith("The last review (28 November 2026) records no parent")
    add(api, plan_id, "contributions", {"kind": "parent_view", "text": "Happy with the plan"})
    assert codes(api, plan_id) == ["parents_not_involved_in_last_review"]  # the review itself did not involve them


def test_a_targeted_provision_without_an_evidence_basis(api: Api) -> None:
    ids = _complete(api)
    plan_id = ids["plan"]
    provision = samples.provision([ids["barrier"]], description="Daily reading with an adult")
    del provision["evidence_basis"]
    unevidenced = add(api, plan_id, "provisions", provision)
    found = gaps(api, plan_id)
    assert [(g["code"], g.get("item_id")) for g in found] == [("targeted_provision_without_evidence", unevidenced)]
    assert "Daily reading with an adult" in found[0]["message"]
    ok(api.patch(f"/v1/plans/{plan_id}/provisions/{unevidenced}", {"evidence_basis": "EEF: reading aloud"}))
    assert gaps(api, plan_id) == []
    # Only Targeted provision is asked for one.
    specialist = _complete(api, tier="specialist")
    add(api, specialist["plan"], "provisions", {**provision, "barrier_ids": [specialist["barrier"]]})
    assert gaps(api, specialist["plan"]) == []


def test_a_targeted_plus_plan_without_professional_advice(api: Api) -> None:
    ids = _complete(api, tier="targeted_plus")
    plan_id = ids["plan"]
    found = gaps(api, plan_id)
    assert [g["code"] for g in found] == ["targeted_plus_without_professional_advice"]
    assert "item_id" not in found[0]
    add(api, plan_id, "contributions", {"kind": "parent_view", "text": "Please involve the speech therapist"})
    assert codes(api, plan_id) == ["targeted_plus_without_professional_advice"]
    add(api, plan_id, "contributions", {"kind": "professional_advice", "profession": "educational psychologist",
                                        "text": "Assessment report: working memory below average"})
    assert gaps(api, plan_id) == []
    # A plan moved up to Targeted Plus needs it too.
    moved = _complete(api)["plan"]
    assert_written(api.post(f"/v1/plans/{moved}/tier", {"tier": "targeted_plus", "reason": "Little progress"}), 200)
    assert codes(api, moved) == ["targeted_plus_without_professional_advice"]


def test_quality_lists_only_open_plans_of_the_setting(api: Api) -> None:
    gappy = api.open_plan()
    closed = api.open_plan()
    assert_written(api.post(f"/v1/plans/{closed}/close", {"reason": "Left the school"}), 200)
    elsewhere = api.open_plan("other_senco", setting_urn=OTHER_SETTING)
    assert list(rows(api, QUALITY)) == [gappy]
    assert list(rows(api, f"/v1/settings/{OTHER_SETTING}/quality", "other_senco")) == [elsewhere]
    assert set(rows(api, QUALITY, "admin")) == {gappy}


def test_quality_is_for_the_settings_staff_and_administrators(api: Api) -> None:
    plan_id = api.open_plan()
    for who in ("senco", "teacher", "admin"):
        assert list(rows(api, QUALITY, who)) == [plan_id], who
    for who in ("other_senco", "other_teacher", "parent", "professional", "complaint_handler"):
        assert_problem(api.get(QUALITY, who), 403)
    assert_problem(api.get(QUALITY, None), 401)
    assert_problem(api.get("/v1/settings/12345/quality", "admin"), 422, field="urn")
