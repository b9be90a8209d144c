"""Opening, reading, re-tiering and closing plans over HTTP (CONTRACT.md §2, §4)."""

from __future__ import annotations

import datetime as dt
import uuid

from tests import samples
from tests.e2e.helpers import Api, assert_problem, assert_written

DOCUMENT_FIELDS = {
    "plan_id", "version", "status", "pupil", "setting_urn", "tier", "ehcp_reference", "barriers", "provisions",
    "adjustments", "outcomes", "reviews", "contributions", "acknowledgements", "next_review_due",
}


def test_open_plan_answers_201_with_the_write_body_and_an_etag(api: Api) -> None:
    before = api.clock.now()
    response = api.post("/v1/plans", samples.plan_body())
    body = assert_written(response, 201)
    after = api.clock.now()
    assert body["version"] == 1
    assert "item_id" not in body
    assert before < dt.datetime.fromisoformat(body["recorded_at"]) < after
    assert response.headers["etag"] == '"1"'
    events = api.events(body["plan_id"])
    assert [(e["version"], e["event_id"], e["type"], e["recorded_at"]) for e in events] == [
        (1, body["event_id"], "PlanOpened", body["recorded_at"])
    ]


def test_plan_document_has_every_contract_field(api: Api) -> None:
    pupil = samples.pupil(given_name="Zainab", family_name="Hussain", date_of_birth="2016-02-29")
    plan_id = api.open_plan(pupil=pupil, tier="targeted_plus")
    response = api.get(f"/v1/plans/{plan_id}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["etag"] == '"1"'
    document = response.json()
    assert set(document) >= DOCUMENT_FIELDS
    assert document["plan_id"] == plan_id
    assert document["version"] == 1
    assert document["status"] == "open"
    assert document["pupil"] == pupil
    assert document["setting_urn"] == "123456"
    assert document["tier"] == "targeted_plus"
    assert document["ehcp_reference"] is None
    for section in ("barriers", "provisions", "adjustments", "outcomes", "reviews", "contributions",
                    "acknowledgements"):
        assert document[section] == [], section
    # Default: a termly review, 12 weeks after the plan was agreed (2026-11-20).
    assert document["next_review_due"] == "2027-02-12"


def test_open_plan_with_its_own_next_review_due_and_backdated_opening(api: Api) -> None:
    plan_id = api.open_plan(agreed_on="2026-09-01", next_review_due="2027-01-15")
    document = api.plan(plan_id)
    assert document["next_review_due"] == "2027-01-15"
    [opened] = api.events(plan_id)
    assert opened["agreed_on"] == "2026-09-01"
    assert opened["backdated"] is True


def test_specialist_tier_needs_an_ehcp_reference(api: Api) -> None:
    body = samples.plan_body(tier="specialist")
    assert_problem(api.post("/v1/plans", body), 422, field="ehcp_reference")
    body["ehcp_reference"] = "EHCP-2026-0042"
    plan_id = assert_written(api.post("/v1/plans", body))["plan_id"]
    document = api.plan(plan_id)
    assert (document["tier"], document["ehcp_reference"]) == ("specialist", "EHCP-2026-0042")


def test_ehcp_reference_is_refused_below_the_specialist_tier(api: Api) -> None:
    assert_problem(api.post("/v1/plans", samples.plan_body(ehcp_reference="EHCP-1")), 422, field="ehcp_reference")


def test_invalid_plan_bodies_are_422_naming_the_field_and_record_nothing(api: Api) -> None:
    upn = samples.new_upn()
    wrong_check_letter = ("A" if upn[0] != "A" else "B") + upn[1:]

    def body(**overrides: object) -> dict[str, object]:
        pupil = {**samples.pupil(upn=upn), **overrides.pop("pupil", {})}  # type: ignore[dict-item]
        return {**samples.plan_body(), "pupil": pupil, **overrides}

    cases = [
        (body(pupil={"upn": wrong_check_letter}), "pupil.upn"),
        (body(pupil={"upn": "not a upn"}), "pupil.upn"),
        (body(pupil={"upn": ""}), "pupil.upn"),
        (body(pupil={"given_name": ""}), "pupil.given_name"),
        (body(pupil={"family_name": "x" * 201}), "pupil.family_name"),
        (body(pupil={"date_of_birth": "2017-13-01"}), "pupil.date_of_birth"),
        (body(pupil={"date_of_birth": "2026-11-21"}), "pupil.date_of_birth"),  # tomorrow
        (body(pupil={"nickname": "Ama"}), "pupil.nickname"),
        (body(tier="gold"), "tier"),
        (body(next_review_due="2027-11-21"), "next_review_due"),  # more than 12 months on
        (body(next_review_due="2026-11-20"), "next_review_due"),  # not after the opening
        (body(agreed_on="2026-11-21"), "agreed_on"),  # the future
        (body(colour="blue"), "colour"),
    ]
    missing_upn = body()
    del missing_upn["pupil"]["upn"]  # type: ignore[attr-defined]
    cases.append((missing_upn, "pupil.upn"))
    missing_pupil = body()
    del missing_pupil["pupil"]
    cases.append((missing_pupil, "pupil"))
    for bad, field in cases:
        assert_problem(api.post("/v1/plans", bad), 422, field=field)
    # A SENCO may open plans only for their own setting (403); an administrator is told what is wrong with it.
    for urn in ("12345", "12345a", "", "1234567"):
        assert_problem(api.post("/v1/plans", body(setting_urn=urn), "admin"), 422, field="setting_urn")
    # Nothing was recorded: the UPN has no open plan, so a valid plan for it opens.
    plan_id = assert_written(api.post("/v1/plans", body()))["plan_id"]
    assert api.plan(plan_id)["pupil"]["upn"] == upn


def test_one_open_plan_per_upn(api: Api) -> None:
    body = samples.plan_body()
    first = assert_written(api.post("/v1/plans", body))
    again = assert_problem(api.post("/v1/plans", body), 409, rule="one_open_plan_per_upn")
    assert body["pupil"]["upn"] in again["detail"]
    # Whoever asks, for whichever setting, and whatever else differs.
    assert_problem(api.post("/v1/plans", {**body, "tier": "targeted_plus"}, "admin"), 409,
                   rule="one_open_plan_per_upn")
    other_setting = {**body, "setting_urn": "654321"}
    assert_problem(api.post("/v1/plans", other_setting, "other_senco"), 409, rule="one_open_plan_per_upn")
    assert api.event_count(first["plan_id"]) == 1
    assert api.plan(first["plan_id"])["tier"] == "targeted"


def test_a_new_plan_may_be_opened_once_the_old_one_is_closed(api: Api) -> None:
    body = samples.plan_body()
    first = assert_written(api.post("/v1/plans", body))["plan_id"]
    closed = assert_written(api.post(f"/v1/plans/{first}/close", {"reason": "Moved to a new plan format"}), 200)
    assert closed["version"] == 2
    second = assert_written(api.post("/v1/plans", body))["plan_id"]
    assert second != first
    assert api.plan(first)["status"] == "closed"
    assert api.plan(second)["status"] == "open"
    assert api.plan(second)["pupil"]["upn"] == body["pupil"]["upn"]
    # And only one open plan again.
    assert_problem(api.post("/v1/plans", body), 409, rule="one_open_plan_per_upn")


def test_closing_a_plan(api: Api) -> None:
    plan_id = api.open_plan()
    response = api.post(f"/v1/plans/{plan_id}/close", {"reason": "Pupil no longer needs SEN support"})
    written = assert_written(response, 200)
    document = api.plan(plan_id)
    assert document["status"] == "closed"
    assert document["version"] == written["version"] == 2
    assert document["next_review_due"] is None
    [_, closed] = api.events(plan_id)
    assert closed["type"] == "PlanClosed"
    assert closed["reason"] == "Pupil no longer needs SEN support"


def test_close_needs_a_reason(api: Api) -> None:
    plan_id = api.open_plan()
    assert_problem(api.post(f"/v1/plans/{plan_id}/close", {}), 422, field="reason")
    assert_problem(api.post(f"/v1/plans/{plan_id}/close", {"reason": "   "}), 422, field="reason")
    assert api.plan(plan_id)["status"] == "open"
    assert api.event_count(plan_id) == 1


def test_a_closed_plan_refuses_every_change(api: Api) -> None:
    ids = api.full_plan()
    plan_id = ids["plan"]
    assert_written(api.post(f"/v1/plans/{plan_id}/close", {"reason": "Left the school"}), 200)
    count = api.event_count(plan_id)
    attempts = [
        api.post(f"/v1/plans/{plan_id}/close", {"reason": "again"}),
        api.post(f"/v1/plans/{plan_id}/barriers", samples.barrier()),
        api.patch(f"/v1/plans/{plan_id}/provisions/{ids['provision']}", {"sessions_per_week": 5}),
        api.post(f"/v1/plans/{plan_id}/adjustments/{ids['adjustment']}/end", {"reason": "r"}),
        api.post(f"/v1/plans/{plan_id}/outcomes/{ids['outcome']}/progress",
                 {"measured_on": "2026-11-20", "note": "n", "source": "s"}),
        api.post(f"/v1/plans/{plan_id}/tier", {"tier": "targeted_plus", "reason": "r"}),
        api.post(f"/v1/plans/{plan_id}/reviews", samples.review()),
        api.post(f"/v1/plans/{plan_id}/contributions", {"kind": "parent_view", "text": "t"}),
        api.post(f"/v1/plans/{plan_id}/acknowledgements", {"version": 1, "response": "seen"}),
    ]
    for response in attempts:
        assert_problem(response, 409, rule="plan_closed")
    assert api.event_count(plan_id) == count


def test_changing_the_tier(api: Api) -> None:
    plan_id = api.open_plan()
    response = api.post(f"/v1/plans/{plan_id}/tier", {"tier": "targeted_plus", "reason": "Needs EP involvement"})
    written = assert_written(response, 200)
    document = api.plan(plan_id)
    assert document["tier"] == "targeted_plus"
    assert document["version"] == written["version"] == 2
    response = api.post(f"/v1/plans/{plan_id}/tier",
                        {"tier": "specialist", "ehcp_reference": "EHCP-77", "reason": "EHCP issued"})
    assert_written(response, 200)
    document = api.plan(plan_id)
    assert (document["tier"], document["ehcp_reference"]) == ("specialist", "EHCP-77")


def test_tier_change_refusals(api: Api) -> None:
    plan_id = api.open_plan()
    assert_problem(api.post(f"/v1/plans/{plan_id}/tier", {"tier": "specialist", "reason": "r"}), 422,
                   field="ehcp_reference")
    assert_problem(api.post(f"/v1/plans/{plan_id}/tier", {"tier": "platinum", "reason": "r"}), 422, field="tier")
    assert_problem(api.post(f"/v1/plans/{plan_id}/tier", {"tier": "targeted_plus"}), 422, field="reason")
    assert_problem(api.post(f"/v1/plans/{plan_id}/tier", {"tier": "targeted", "reason": "r"}), 409,
                   rule="no_change")
    assert_problem(api.post(f"/v1/plans/{plan_id}/tier",
                            {"tier": "targeted_plus", "reason": "r", "agreed_on": "2026-11-21"}), 422,
                   field="agreed_on")
    assert_problem(api.post(f"/v1/plans/{plan_id}/tier",
                            {"tier": "targeted_plus", "reason": "r", "agreed_on": "2026-11-01"}), 409,
                   rule="before_plan_opened")
    assert api.event_count(plan_id) == 1
    assert api.plan(plan_id)["tier"] == "targeted"


def test_plan_level_agreed_on_never_goes_backwards(api: Api) -> None:
    plan_id = api.open_plan(agreed_on="2026-09-01")
    assert_written(api.post(f"/v1/plans/{plan_id}/tier",
                            {"tier": "targeted_plus", "reason": "EP report", "agreed_on": "2026-10-10"}), 200)
    body = assert_problem(
        api.post(f"/v1/plans/{plan_id}/close", {"reason": "r", "agreed_on": "2026-10-01"}), 409,
        rule="agreed_on_goes_backwards",
    )
    assert "correction" in body["detail"].lower()
    assert api.plan(plan_id)["status"] == "open"


def test_etag_follows_the_version(api: Api) -> None:
    ids = api.full_plan()
    response = api.get(f"/v1/plans/{ids['plan']}")
    assert response.headers["etag"] == '"5"'
    assert response.json()["version"] == 5


def test_unknown_and_malformed_plan_ids_are_404(api: Api) -> None:
    for plan_id in (str(uuid.uuid4()), "not-a-plan", "12345", str(uuid.uuid4()) + "x", "%20", "0" * 40):
        for who in ("senco", "admin"):
            assert_problem(api.get(f"/v1/plans/{plan_id}", who), 404)
            assert_problem(api.get(f"/v1/plans/{plan_id}/events", who), 404)
            assert_problem(api.get(f"/v1/plans/{plan_id}/verify", who), 404)
