"""The read side over HTTP (CONTRACT.md §6): a plan's timeline, the plan index, read-your-writes and the
freshness headers, and the lag of each read model on /healthz and /metrics.

The setting reports (reviews due, quality) are in ``test_reports_api.py``.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from isp_ledger.api.app import create_app
from isp_ledger.application import Ledger
from isp_ledger.bootstrap import build_ledger
from projections import READ_MODELS
from projections.runner import Projector
from tests import samples
from tests.conftest import OTHER_SETTING, SETTING, FakeClock, People
from tests.e2e.helpers import Api, assert_problem, assert_written

T = TypeVar("T")
FRESHNESS = ("ISP-Ledger-Read-Model", "ISP-Ledger-Position", "ISP-Ledger-Freshness")


# ---------------------------------------------------------------- helpers


def eventually(probe: Callable[[], T | None], timeout: float = 5.0) -> T:
    """The first truthy answer of ``probe`` within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        answer = probe()
        if answer:
            return answer
        if time.monotonic() > deadline:
            raise AssertionError(f"still {answer!r} after {timeout}s")
        time.sleep(0.02)


def crafted_cursor(values: Any) -> str:
    """A cursor in the service's own encoding (base64url of JSON) holding ``values``."""
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def assert_freshness(response: httpx.Response, read_model: str, freshness: str = "fresh") -> int:
    for header in FRESHNESS:
        assert header in response.headers, f"{header} missing: {dict(response.headers)}"
    assert response.headers["ISP-Ledger-Read-Model"] == read_model
    assert response.headers["ISP-Ledger-Freshness"] == freshness, dict(response.headers)
    return int(response.headers["ISP-Ledger-Position"])


def timeline(api: Api, plan_id: str, who: str = "senco", **params: str) -> dict[str, Any]:
    response = api.get(f"/v1/plans/{plan_id}/timeline", who, **params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"setting", "entries", "next_cursor"}, body
    return body


def walk(api: Api, path: str, key: str, who: str = "senco", **params: str) -> list[list[dict[str, Any]]]:
    """Every page of a paginated list, following next_cursor to the end."""
    pages: list[list[dict[str, Any]]] = []
    cursor: str | None = None
    while True:
        query = dict(params, **({"cursor": cursor} if cursor else {}))
        response = api.get(path, who, **query)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body[key])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 100, "pagination does not end"


def versions(entries: list[dict[str, Any]]) -> list[int]:
    return [e["version"] for e in entries]


def actor(api: Api, who: str) -> dict[str, str]:
    user = api.people.users[who]
    return {"user_id": user.user_id, "name": user.name, "role": user.role}


# ---------------------------------------------------------------- the timeline


def _story(api: Api) -> dict[str, Any]:
    """A plan written over four days (20-23 Nov 2026) by a SENCO and a teacher; the write responses by version.

    v1 opened (agreed 1 Sep), v2 barrier (1 Sep), v3 provision (7 Sep) -- all recorded 20 Nov, so back-dated;
    v4 provision amended 3 -> 2 sessions with a reason (21 Nov); v5 review held 19 Nov (recorded 22 Nov);
    v6 pupil's voice by the teacher (22 Nov); v7 correction of v3, 30 -> 25 minutes (23 Nov).
    """
    written: dict[int, Any] = {}
    body = samples.plan_body(agreed_on="2026-09-01", next_review_due="2026-12-01")
    written[1] = assert_written(api.post("/v1/plans", body))
    plan_id = written[1]["plan_id"]
    written[2] = assert_written(api.post(f"/v1/plans/{plan_id}/barriers", samples.barrier(agreed_on="2026-09-01")),
                                item=True)
    barrier = written[2]["item_id"]
    written[3] = assert_written(api.post(f"/v1/plans/{plan_id}/provisions",
                                         samples.provision([barrier], agreed_on="2026-09-07")), item=True)
    provision = written[3]["item_id"]
    api.clock.advance(days=1)
    written[4] = assert_written(api.patch(f"/v1/plans/{plan_id}/provisions/{provision}", {
        "sessions_per_week": 2, "reason": "Timetable change agreed with parent"}), 200)
    api.clock.advance(days=1)
    written[5] = assert_written(api.post(f"/v1/plans/{plan_id}/reviews", samples.review(
        held_on="2026-11-19", next_review_due="2027-03-19")), item=True)
    written[6] = assert_written(api.post(f"/v1/plans/{plan_id}/contributions",
                                         {"kind": "pupil_voice", "text": "I like the phonics group"}, "teacher"),
                                item=True)
    api.clock.advance(days=1)
    written[7] = assert_written(api.post(f"/v1/plans/{plan_id}/corrections", {
        "event_id": written[3]["event_id"], "reason": "The agreement says 25 minutes a session",
        "changes": {"minutes_per_session": 25}}))
    assert [w["version"] for w in written.values()] == list(range(1, 8))
    return {"plan": plan_id, "barrier": barrier, "provision": provision, "written": written}


def test_timeline_is_newest_first_with_both_times_the_actor_and_the_backdated_flag(api: Api) -> None:
    story = _story(api)
    body = timeline(api, story["plan"])
    entries = body["entries"]
    assert body["next_cursor"] is None
    assert versions(entries) == [7, 6, 5, 4, 3, 2, 1]
    written = story["written"]
    for entry in entries:
        write = written[entry["version"]]
        assert entry["event_id"] == write["event_id"]
        assert entry["recorded_at"] == write["recorded_at"]
        assert dt.datetime.fromisoformat(entry["recorded_at"]).utcoffset() is not None
        assert isinstance(entry["summary"], str) and "\n" not in entry["summary"] and entry["summary"].strip()
    by_version = {e["version"]: e for e in entries}
    assert [by_version[v]["agreed_on"] for v in range(1, 8)] == [
        "2026-09-01", "2026-09-01", "2026-09-07", "2026-11-21", "2026-11-19", "2026-11-22", "2026-11-23"]
    assert [by_version[v]["backdated"] for v in range(1, 8)] == [True, True, True, False, True, False, False]
    assert by_version[6]["actor"] == actor(api, "teacher")
    assert all(by_version[v]["actor"] == actor(api, "senco") for v in (1, 2, 3, 4, 5, 7))
    assert [by_version[v]["kind"] for v in range(1, 8)] == [
        "plan", "barrier", "provision", "provision", "review", "contribution", "correction"]
    # The timeline tells the same story as the event log.
    events = api.events(story["plan"])
    assert [(e["version"], e["event_id"], e["recorded_at"], e["agreed_on"], e["backdated"], e["actor"])
            for e in reversed(events)] == [
        (e["version"], e["event_id"], e["recorded_at"], e["agreed_on"], e["backdated"], e["actor"]) for e in entries]


def test_timeline_summaries_are_one_plain_english_line_each(api: Api) -> None:
    story = _story(api)
    summaries = {e["version"]: e["summary"] for e in timeline(api, story["plan"])["entries"]}
    assert summaries[1] == ("Plan opened for Amara Okafor at the Targeted tier; the first review is due by 1 "
                            "December 2026.")
    assert summaries[2] == ("Barrier to learning identified: “Finds it hard to blend sounds when decoding unfamiliar "
                            "words” (cognition and learning: specific learning difficulty).")
    assert summaries[3] == ("Provision agreed: “Small-group phonics with a trained TA”, 3 sessions a week of 30 "
                            "minutes, in a group of 4, withdrawn from class, by a teaching assistant, from 7 September "
                            "2026.")
    assert summaries[4] == ("Provision “Small-group phonics with a trained TA” changed: the number of sessions a week "
                            "from 3 to 2. Reason: Timetable change agreed with parent.")
    assert summaries[5] == ("Review held on 19 November 2026 with Sam Senco (SENCO) and Pat Parent (parent); the "
                            "parent's and the child's views are recorded. What was decided: “Good progress; continue "
                            "provision, review in spring.” The next review is due by 19 March 2027.")
    assert summaries[6] == "Amara's own views added: “I like the phonics group”."


def test_summaries_use_an_before_a_vowel(api: Api) -> None:
    plan_id = api.open_plan()
    barrier = api.add_barrier(plan_id)
    provision = samples.provision([barrier], delivered_by="occupational therapist", group_size=1,
                                  sessions_per_week=1, location="in_class")
    assert_written(api.post(f"/v1/plans/{plan_id}/provisions", provision), item=True)
    assert_written(api.post(f"/v1/plans/{plan_id}/contributions", {
        "kind": "professional_advice", "profession": "educational psychologist", "text": "Working memory is weak"}),
        item=True)
    summaries = [e["summary"] for e in timeline(api, plan_id, limit="2")["entries"]]
    assert summaries == [
        "Advice from an educational psychologist added: “Working memory is weak”.",
        "Provision agreed: “Small-group phonics with a trained TA”, 1 session a week of 30 minutes, one-to-one, "
        "in class, by an occupational therapist, from 7 September 2026.",
    ]


def test_summaries_stay_on_one_line_whatever_was_typed(api: Api) -> None:
    # Free text pasted with a line break (a name, a role, a profession) must not break the one-line summary.
    plan_id = api.open_plan(pupil=samples.pupil(given_name="Amara\n"), agreed_on="2026-09-01")
    barrier = api.add_barrier(plan_id, description="Finds blending hard\nwhen reading aloud")
    api.add(plan_id, "provisions", samples.provision([barrier], delivered_by="teaching\nassistant"))
    outcome = api.add(plan_id, "outcomes", samples.outcome([barrier]))
    for path, body in (
        (f"outcomes/{outcome}/progress",
         {"measured_on": "2026-11-20", "note": "14 of 20\nwords", "source": "termly\ncheck"}),
        ("contributions",
         {"kind": "professional_advice", "profession": "speech and\nlanguage therapist", "text": "x"}),
        ("reviews", samples.review(attendees=[{"role": "parent\n", "name": "Pat\nParent"}])),
        ("tier", {"tier": "specialist", "ehcp_reference": "EHC-2026\n-0142", "reason": "EHCP\nissued"}),
    ):
        response = api.post(f"/v1/plans/{plan_id}/{path}", body)
        assert response.status_code in (200, 201), response.text
    broken = {e["type"]: e["summary"] for e in timeline(api, plan_id)["entries"]
              if "\n" in e["summary"] or "\r" in e["summary"]}
    assert not broken, f"summaries broken over lines: {broken}"


def test_a_correction_entry_points_at_the_entry_it_corrects(api: Api) -> None:
    story = _story(api)
    entries = {e["version"]: e for e in timeline(api, story["plan"])["entries"]}
    correction, corrected = entries[7], entries[3]
    assert correction["type"] == "CorrectionRecorded"
    assert correction["corrects"] == {"version": 3, "event_id": story["written"][3]["event_id"]}
    assert correction["actor"] == actor(api, "senco")
    assert correction["summary"].startswith(
        "Correction to the provision “Small-group phonics with a trained TA” as agreed on 7 September 2026: the "
        "length of each session was corrected from 30 minutes to 25 minutes.")
    # The corrected entry stays as it was recorded, and lists the correction made to it.
    assert corrected["summary"].startswith("Provision agreed: “Small-group phonics with a trained TA”, 3 sessions "
                                           "a week of 30 minutes")
    assert corrected["corrected_by"] == [{"version": 7, "event_id": story["written"][7]["event_id"]}]
    assert all(entries[v]["corrects"] is None and entries[v]["corrected_by"] == [] for v in (1, 2, 4, 5, 6))


def test_a_correction_entry_says_why_the_record_was_wrong(api: Api) -> None:
    # CONTRACT §5: the history shows the correction "with who made it and why". Every other entry with a reason
    # ends "Reason: ..."; a parent reading the timeline must see why the record was changed too.
    story = _story(api)
    [correction] = timeline(api, story["plan"], kind="correction")["entries"]
    assert correction["summary"] == (
        "Correction to the provision “Small-group phonics with a trained TA” as agreed on 7 September 2026: the "
        "length of each session was corrected from 30 minutes to 25 minutes. Reason: The agreement says 25 minutes "
        "a session.")


def test_timeline_pages_walk_every_entry_once(api: Api) -> None:
    story = _story(api)
    for limit in (1, 2, 3, 6, 7, 200):
        pages = walk(api, f"/v1/plans/{story['plan']}/timeline", "entries", limit=str(limit))
        assert [len(p) for p in pages] == [limit] * (7 // limit) + ([7 % limit] if 7 % limit else []), limit
        assert [v for page in pages for v in versions(page)] == [7, 6, 5, 4, 3, 2, 1], limit


def test_timeline_pages_stay_in_place_when_new_entries_arrive(api: Api) -> None:
    story = _story(api)
    plan_id = story["plan"]
    first = timeline(api, plan_id, limit="3")
    assert versions(first["entries"]) == [7, 6, 5]
    assert_written(api.post(f"/v1/plans/{plan_id}/contributions", {"kind": "parent_view", "text": "Happy"}),
                   item=True)
    second = timeline(api, plan_id, limit="3", cursor=first["next_cursor"])
    third = timeline(api, plan_id, limit="3", cursor=second["next_cursor"])
    assert versions(second["entries"]) + versions(third["entries"]) == [4, 3, 2, 1]
    assert third["next_cursor"] is None
    assert versions(timeline(api, plan_id, limit="1")["entries"]) == [8]


def test_timeline_filters_by_recorded_date_and_by_kind_and_pages_through_the_filter(api: Api) -> None:
    story = _story(api)
    plan_id = story["plan"]

    def window(**params: str) -> list[int]:
        return [v for page in walk(api, f"/v1/plans/{plan_id}/timeline", "entries", **params) for v in versions(page)]

    # from/to select by the date the entry was recorded (not the date agreed), both ends inclusive.
    assert window(**{"from": "2026-11-21", "to": "2026-11-22"}) == [6, 5, 4]
    assert window(**{"from": "2026-11-23"}) == [7]
    assert window(to="2026-11-20") == [3, 2, 1]
    assert window(**{"from": "2026-09-01", "to": "2026-09-30"}) == []  # agreed then, recorded in November
    assert window(**{"from": "2026-11-22", "to": "2026-11-22"}, limit="1") == [6, 5]
    assert window(kind="provision") == [4, 3]
    assert window(kind="provision,correction", limit="2") == [7, 4, 3]
    assert window(kind="review") == [5]
    assert window(kind="plan") == [1]
    assert window(kind="contribution", to="2026-11-21") == []
    assert window(kind="provision", **{"from": "2026-11-21"}) == [4]


def test_timeline_dates_are_london_dates(api: Api) -> None:
    plan_id = api.open_plan()
    # 22:30 UTC on 30 June is 23:30 in London; 23:30 UTC is already 1 July there.
    for hour in (22, 23):
        api.clock.set(dt.datetime(2027, 6, 30, hour, 30, tzinfo=dt.UTC))
        assert_written(api.post(f"/v1/plans/{plan_id}/contributions", {"kind": "parent_view", "text": "x"}),
                       item=True)
    assert versions(timeline(api, plan_id, **{"from": "2027-06-30", "to": "2027-06-30"})["entries"]) == [2]
    assert versions(timeline(api, plan_id, **{"from": "2027-07-01"})["entries"]) == [3]


BAD_TIMELINE_PARAMETERS: list[tuple[dict[str, str], str]] = [
    ({"cursor": "not a cursor"}, "cursor"),
    ({"cursor": "!!!"}, "cursor"),
    ({"cursor": crafted_cursor(["a", "b", "c"])}, "cursor"),  # a plan-index cursor
    ({"cursor": crafted_cursor([None])}, "cursor"),
    ({"cursor": crafted_cursor({"version": 3})}, "cursor"),
    ({"kind": "nope"}, "kind"),
    ({"kind": "provision,barriers"}, "kind"),
    ({"limit": "0"}, "limit"),
    ({"limit": "201"}, "limit"),
    ({"limit": "ten"}, "limit"),
    ({"from": "2026-13-01"}, "from"),
    ({"to": "yesterday"}, "to"),
    ({"from": "2026-11-22", "to": "2026-11-21"}, "from"),
]


def test_bad_timeline_parameters_are_422_naming_the_field(api: Api) -> None:
    plan_id = api.open_plan()
    for params, field in BAD_TIMELINE_PARAMETERS:
        assert_problem(api.get(f"/v1/plans/{plan_id}/timeline", **params), 422, field=field)


def test_a_cursor_with_an_impossible_version_is_422_not_500(api: Api) -> None:
    # CONTRACT §2: never a 500 for bad input. int() accepts these, then the store cannot bind the number.
    plan_id = api.open_plan()
    failures = {}
    for version in (2**63, 10**30, 1e30):
        response = api.get(f"/v1/plans/{plan_id}/timeline", cursor=crafted_cursor([version]))
        if response.status_code != 422:
            failures[version] = response.status_code
    assert failures == {}, f"status by cursor version: {failures}"


def test_timeline_of_an_unknown_or_invisible_plan_is_404(api: Api) -> None:
    plan_id = api.open_plan()
    for who in ("senco", "teacher", "admin"):
        assert versions(timeline(api, plan_id, who)["entries"]) == [1]
    for who in ("other_senco", "other_teacher", "parent", "professional", "complaint_handler"):
        assert_problem(api.get(f"/v1/plans/{plan_id}/timeline", who), 404)
    for unknown in (str(uuid.uuid4()), "nope"):
        assert_problem(api.get(f"/v1/plans/{unknown}/timeline"), 404)
        assert_problem(api.get(f"/v1/plans/{unknown}/timeline", "admin"), 404)
    assert_problem(api.get(f"/v1/plans/{plan_id}/timeline", None), 401)


# ---------------------------------------------------------------- the plan index


def _school(api: Api) -> dict[str, Any]:
    """Five plans in our setting (one closed) and one in another; plan ids and UPNs by pupil."""
    plans: dict[str, str] = {}
    upns: dict[str, str] = {}
    # The other setting's plan first: the SENCO's reads then wait for a position past it.
    pupil = samples.pupil(given_name="Rhys", family_name="Davies")
    upns["davies"] = pupil["upn"]
    plans["davies"] = api.open_plan("other_senco", pupil=pupil, setting_urn=OTHER_SETTING)
    for key, given, family, tier, extra in (
        ("okafor", "Amara", "Okafor", "targeted", {}),
        ("zoe", "Zoe", "Brown", "targeted_plus", {}),
        ("adam1", "Adam", "Brown", "targeted", {}),
        ("adam2", "Adam", "Brown", "specialist", {"ehcp_reference": "EHC-2026-0142"}),
        ("chen", "Li", "Chen", "targeted", {}),
    ):
        pupil = samples.pupil(given_name=given, family_name=family)
        upns[key] = pupil["upn"]
        plans[key] = api.open_plan(pupil=pupil, tier=tier, **extra)
    assert_written(api.post(f"/v1/plans/{plans['chen']}/close", {"reason": "Moved to secondary school"}), 200)
    return {"plans": plans, "upns": upns}


def listed(api: Api, who: str = "senco", **params: str) -> list[dict[str, Any]]:
    response = api.get("/v1/plans", who, **params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["next_cursor"] is None, "use walk() for more than one page"
    plans: list[dict[str, Any]] = body["plans"]
    return plans


def test_plan_index_lists_summaries_by_pupil_name(api: Api) -> None:
    school = _school(api)
    ids = school["plans"]
    plans = listed(api)
    adams = sorted([ids["adam1"], ids["adam2"]])
    assert [p["plan_id"] for p in plans] == [*adams, ids["zoe"], ids["chen"], ids["okafor"]]
    by_id = {p["plan_id"]: p for p in plans}
    zoe = by_id[ids["zoe"]]
    assert zoe["pupil"] == {"given_name": "Zoe", "family_name": "Brown"}
    assert (zoe["setting_urn"], zoe["tier"], zoe["status"], zoe["next_review_due"]) == (
        SETTING, "targeted_plus", "open", "2027-02-12")
    chen = by_id[ids["chen"]]
    assert (chen["status"], chen["next_review_due"]) == ("closed", None)
    assert by_id[ids["adam2"]]["tier"] == "specialist"
    for plan in plans:
        assert {"plan_id", "pupil", "setting_urn", "tier", "status", "next_review_due"} <= set(plan)
        assert "upn" not in plan and "upn" not in plan["pupil"]


def test_plan_index_filters(api: Api) -> None:
    school = _school(api)
    ids, upns = school["plans"], school["upns"]

    def found(who: str = "senco", **params: str) -> set[str]:
        return {p["plan_id"] for p in listed(api, who, **params)}

    ours = {ids[k] for k in ("okafor", "zoe", "adam1", "adam2", "chen")}
    assert found(setting_urn=SETTING) == ours
    assert found("admin", setting_urn=SETTING) == ours
    assert found("admin", setting_urn=OTHER_SETTING) == {ids["davies"]}
    assert found(tier="targeted_plus") == {ids["zoe"]}
    assert found(tier="specialist") == {ids["adam2"]}
    assert found(status="closed") == {ids["chen"]}
    assert found(status="open") == ours - {ids["chen"]}
    assert found(tier="targeted", status="open") == {ids["adam1"], ids["okafor"]}
    assert found(upn=upns["chen"]) == {ids["chen"]}
    assert found(upn=f" {upns['okafor'].lower()} ") == {ids["okafor"]}  # as typed, case and spaces aside
    assert found(upn=upns["davies"]) == set()  # another setting's pupil
    assert found("admin", upn=upns["davies"]) == {ids["davies"]}
    assert found(tier="targeted_plus", status="closed") == set()


def test_plan_index_follows_corrections_and_tier_changes(api: Api) -> None:
    pupil = samples.pupil(given_name="Sam", family_name="Zephyr")
    plan_id = api.open_plan(pupil=pupil)
    other = api.open_plan(pupil=samples.pupil(given_name="Ann", family_name="Moss"))
    assert [p["plan_id"] for p in listed(api)] == [other, plan_id]
    [opened] = api.events(plan_id)
    new_upn = samples.new_upn()
    assert_written(api.post(f"/v1/plans/{plan_id}/corrections", {
        "event_id": opened["event_id"], "reason": "Surname and UPN mistyped",
        "changes": {"pupil.family_name": "Abbott", "pupil.upn": new_upn}}))
    assert [p["plan_id"] for p in listed(api)] == [plan_id, other]
    assert [p["plan_id"] for p in listed(api, upn=new_upn)] == [plan_id]
    assert listed(api, upn=pupil["upn"]) == []
    assert_written(api.post(f"/v1/plans/{plan_id}/tier", {"tier": "targeted_plus", "reason": "EP involved"}), 200)
    assert [p["plan_id"] for p in listed(api, tier="targeted_plus")] == [plan_id]


def test_plan_index_pages_walk_every_plan_once(api: Api) -> None:
    _school(api)
    everything = listed(api, limit="200")
    assert len(everything) == 5
    for limit in (1, 2, 4, 5):
        pages = walk(api, "/v1/plans", "plans", limit=str(limit))
        assert all(len(page) == limit for page in pages[:-1]) and 1 <= len(pages[-1]) <= limit, limit
        assert [p["plan_id"] for page in pages for p in page] == [p["plan_id"] for p in everything], limit
        open_pages = walk(api, "/v1/plans", "plans", status="open", limit=str(limit))
        assert [p["plan_id"] for page in open_pages for p in page] == [
            p["plan_id"] for p in everything if p["status"] == "open"], limit
    admin_pages = walk(api, "/v1/plans", "plans", "admin", limit="2")
    admin_ids = [p["plan_id"] for page in admin_pages for p in page]
    assert len(admin_ids) == len(set(admin_ids)) == 6


def test_plan_index_shows_each_caller_only_what_they_may_see(api: Api) -> None:
    school = _school(api)
    ids = school["plans"]
    ours = {ids[k] for k in ("okafor", "zoe", "adam1", "adam2", "chen")}

    def found(who: str, **params: str) -> set[str]:
        return {p["plan_id"] for p in listed(api, who, **params)}

    assert found("senco") == ours
    assert found("teacher") == ours
    assert found("other_senco") == {ids["davies"]}
    assert found("other_teacher") == {ids["davies"]}
    assert found("other_senco", setting_urn=SETTING) == set()  # asking for ours does not reveal them
    assert found("teacher", setting_urn=OTHER_SETTING) == set()
    for who in ("parent", "professional", "complaint_handler"):
        assert found(who) == set()
        assert found(who, setting_urn=SETTING) == set()
    assert found("admin") == ours | {ids["davies"]}
    assert_problem(api.get("/v1/plans", None), 401)


def test_bad_plan_index_parameters_are_422_naming_the_field(api: Api) -> None:
    api.open_plan()
    for params, field in (
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"cursor": "garbage"}, "cursor"),
        ({"cursor": crafted_cursor(["a", "b"])}, "cursor"),
        ({"tier": "gold"}, "tier"),
        ({"status": "archived"}, "status"),
        ({"upn": "A123"}, "upn"),
    ):
        assert_problem(api.get("/v1/plans", **params), 422, field=field)


def test_a_crafted_plan_index_cursor_is_422_not_500(api: Api) -> None:
    # CONTRACT §2: never a 500 for bad input. These cursors decode, but hold values the service never gives out
    # (names are text without NUL): PostgreSQL cannot compare them with names, neither store can bind an object.
    api.open_plan()
    failures = {}
    for values in ([1, 2, 3], [{"family": "Brown"}, "Adam", "x"], ["Brown", "Adam", 7], ["Br\u0000own", "Adam", "x"]):
        response = api.get("/v1/plans", cursor=crafted_cursor(values))
        if response.status_code != 422:
            failures[json.dumps(values)] = response.status_code
    assert failures == {}, f"status by cursor: {failures}"


def test_a_malformed_setting_urn_filter_is_422(api: Api) -> None:
    # The setting reports refuse a malformed URN with 422; the index answers an empty list instead, which reads as
    # "this setting has no plans" (CONTRACT §2: 422 for invalid input, never a 200 that hides a failure).
    api.open_plan()
    assert_problem(api.get("/v1/plans", setting_urn="12345"), 422, field="setting_urn")


# ---------------------------------------------------------------- read-your-writes


def test_the_writer_reads_their_own_write_at_once_with_freshness_headers(api: Api) -> None:
    for _ in range(3):
        opened = assert_written(api.post("/v1/plans", samples.plan_body()))
        plan_id = opened["plan_id"]
        response = api.get("/v1/plans", limit="200")
        assert assert_freshness(response, "plan_index") >= 1
        assert plan_id in [p["plan_id"] for p in response.json()["plans"]]

        barrier = assert_written(api.post(f"/v1/plans/{plan_id}/barriers", samples.barrier()), item=True)
        response = api.get(f"/v1/plans/{plan_id}/timeline", limit="1")
        assert_freshness(response, "timeline")
        assert response.json()["entries"][0]["event_id"] == barrier["event_id"]
        response = api.get(f"/v1/plans/{plan_id}")
        assert response.status_code == 200
        assert response.json()["version"] == barrier["version"]
        assert barrier["item_id"] in [b["id"] for b in response.json()["barriers"]]

        response = api.get(f"/v1/settings/{SETTING}/quality")
        assert_freshness(response, "quality")
        [row] = [p for p in response.json()["plans"] if p["plan_id"] == plan_id]
        assert "barrier_without_support" in [g["code"] for g in row["gaps"]]


def test_another_user_of_the_setting_sees_a_write_at_once(api: Api) -> None:
    # A teacher refreshing the setting's list just after the SENCO opened a plan must see it (or be told the
    # answer is stale). Reads of one plan wait for everything stored for that plan; lists and reports must not
    # answer "fresh" without the write either.
    reads = [("/v1/plans", "plan_index"), (f"/v1/settings/{SETTING}/reviews-due", "reviews_due"),
             (f"/v1/settings/{SETTING}/quality", "quality")] * 2
    missed = []
    for path, read_model in reads:
        opened = assert_written(api.post("/v1/plans", samples.plan_body(agreed_on="2026-01-05",
                                                                         next_review_due="2026-04-05")))
        response = api.get(path, "teacher", **({"limit": "200"} if read_model == "plan_index" else {}))
        assert response.status_code == 200
        assert all(header in response.headers for header in FRESHNESS), dict(response.headers)
        assert response.headers["ISP-Ledger-Read-Model"] == read_model
        if opened["plan_id"] not in [p["plan_id"] for p in response.json()["plans"]]:
            missed.append((read_model, response.headers["ISP-Ledger-Freshness"]))
    assert missed == [], f"the teacher's answer lacked the SENCO's new plan (read model, freshness): {missed}"

    plan_id = opened["plan_id"]
    barrier = assert_written(api.post(f"/v1/plans/{plan_id}/barriers", samples.barrier()), item=True)
    response = api.get(f"/v1/plans/{plan_id}/timeline", "teacher")
    assert_freshness(response, "timeline")
    assert response.json()["entries"][0]["event_id"] == barrier["event_id"]
    assert api.plan(plan_id, "teacher")["version"] == barrier["version"]


# ---------------------------------------------------------------- a projector in its own process


@pytest.fixture
def detached(env: dict[str, str], clock: FakeClock) -> Iterator[tuple[Api, Ledger]]:
    """The service with its read models left to a separate projector (``isp-ledger project``), which the test
    runs by hand; reads wait at most 0.3 s for a write to show."""
    ledger = build_ledger({**env, "ISP_LEDGER_PROJECTIONS": "external", "ISP_LEDGER_READ_YOUR_WRITES_TIMEOUT": "0.3"},
                    clock=clock)
    try:
        people = People(ledger)
        app = create_app(ledger, close_ledger=False)
        with TestClient(app, raise_server_exceptions=False) as client:
            yield Api(client, people, clock), ledger
    finally:
        ledger.close()


def _sequenced(ledger: Ledger, head: int) -> None:
    """Wait until the store has given the first ``head`` events their place in the sequence."""
    eventually(lambda: (ledger.store.recorder.max_notification_id() or 0) >= head)


def test_a_lagging_read_model_says_so_in_its_headers(detached: tuple[Api, Ledger]) -> None:
    api, ledger = detached
    opened = assert_written(api.post("/v1/plans", samples.plan_body()))
    plan_id = opened["plan_id"]
    _sequenced(ledger, 1)

    # The writer waits for their write, then is told how far behind the answer is.
    response = api.get("/v1/plans")
    assert_freshness(response, "plan_index", "stale")
    assert response.headers["ISP-Ledger-Behind-Events"] == "1"
    assert float(response.headers["ISP-Ledger-Behind-Seconds"]) >= 0
    assert response.json()["plans"] == []
    response = api.get(f"/v1/plans/{plan_id}/timeline", "teacher")
    assert_freshness(response, "timeline", "stale")
    assert response.headers["ISP-Ledger-Behind-Events"] == "1"
    # The plan itself comes from the event log meanwhile.
    response = api.get(f"/v1/plans/{plan_id}", "teacher")
    assert response.status_code == 200 and response.json()["version"] == 1
    assert response.headers["ISP-Ledger-Source"] == "event-log"

    # Another user of the setting gets the same answer: it must not claim to be fresh.
    for path, read_model in (("/v1/plans", "plan_index"), (f"/v1/settings/{SETTING}/quality", "quality"),
                             (f"/v1/settings/{SETTING}/reviews-due", "reviews_due")):
        response = api.get(path, "teacher")
        assert response.status_code == 200
        shown = plan_id in [p["plan_id"] for p in response.json()["plans"]]
        if not shown:
            assert_freshness(response, read_model, "stale")
            assert response.headers["ISP-Ledger-Behind-Events"] == "1"

    Projector(ledger.store).catch_up()
    for who in ("senco", "teacher"):
        response = api.get("/v1/plans", who)
        assert assert_freshness(response, "plan_index") == 1
        assert [p["plan_id"] for p in response.json()["plans"]] == [plan_id]
        assert "ISP-Ledger-Behind-Events" not in response.headers
    response = api.get(f"/v1/plans/{plan_id}", "teacher")
    assert response.headers["ISP-Ledger-Source"] == "read-model"


def test_healthz_and_metrics_report_the_lag_of_each_read_model(detached: tuple[Api, Ledger]) -> None:
    api, ledger = detached
    ids = api.full_plan()  # five events
    _sequenced(ledger, 5)
    api.clock.advance(seconds=90)

    response = api.client.get("/healthz", headers=api.headers("admin"))  # the detail is for administrators
    assert response.status_code == 200
    projections = response.json()["projections"]
    assert set(projections) == set(READ_MODELS)
    for name, state in projections.items():
        assert state["events_behind"] == 5, name
        assert 90 <= state["seconds_behind"] < 91, (name, state)

    response = api.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(response.text)}
    lag = {s.labels["read_model"]: s.value for s in families["isp_ledger_projection_lag_events"].samples}
    assert lag == {name: 5.0 for name in READ_MODELS}
    seconds = {s.labels["read_model"]: s.value for s in families["isp_ledger_projection_lag_seconds"].samples}
    assert all(90 <= value < 91 for value in seconds.values()), seconds

    Projector(ledger.store).catch_up()
    assert_written(api.post(f"/v1/plans/{ids['plan']}/contributions", {"kind": "parent_view", "text": "Fine"}),
                   item=True)
    _sequenced(ledger, 6)
    projections = api.client.get("/healthz", headers=api.headers("admin")).json()["projections"]
    assert {name: state["events_behind"] for name, state in projections.items()} == {n: 1 for n in READ_MODELS}
    Projector(ledger.store).catch_up()
    projections = api.client.get("/healthz", headers=api.headers("admin")).json()["projections"]
    assert {name: (s["events_behind"], s["seconds_behind"]) for name, s in projections.items()} == {
        n: (0, 0.0) for n in READ_MODELS}
    families = {f.name: f for f in text_string_to_metric_families(api.client.get("/metrics").text)}
    assert {s.labels["read_model"]: s.value for s in families["isp_ledger_projection_lag_events"].samples} == {
        n: 0.0 for n in READ_MODELS}


def test_healthz_shows_the_in_process_projector_catching_up(api: Api) -> None:
    api.full_plan()
    assert_problem(api.get("/v1/plans", None), 401)  # /v1 needs a token; /healthz does not

    def caught_up() -> dict[str, Any] | None:
        body: dict[str, Any] = api.client.get("/healthz", headers=api.headers("admin")).json()
        states = body["projections"].values()
        return body if all(s["events_behind"] == 0 and s["seconds_behind"] == 0 for s in states) else None

    body = eventually(caught_up)
    assert set(body["projections"]) == set(READ_MODELS)
    assert all(s["position"] == s["head"] == 5 for s in body["projections"].values())
    assert body["projector"]["running"] is True
