"""The evidence bundle over HTTP (CONTRACT.md §9), on both stores: exactly what it says for a small scripted plan
(the plan at the start and the end, the change log with both times and its flags, corrections, the delivery
figures), the HTML a parent reads (escaped), the PDF of a year, and who may have one."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import orjson
import pypdf
import pytest

from isp_ledger.application import Ledger
from isp_ledger.bundle.verify import verify_bundle
from tests import samples
from tests.conftest import SETTING
from tests.e2e.helpers import Api, assert_problem, assert_written
from tests.school_year import script_school_year

SCRIPT = "<script>alert('parent')</script>"


def at(api: Api, day: str, hour: int = 9) -> None:
    api.clock.set(dt.datetime.fromisoformat(f"{day}T{hour:02d}:00:00+00:00"))


def session(api: Api, plan_id: str, provision_id: str, **fields: Any) -> dict[str, Any]:
    response = api.post("/v1/deliveries", {"entries": [{"plan_id": plan_id, "provision_id": provision_id}], **fields},
                        "teacher")
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def scripted_september(api: Api) -> dict[str, Any]:
    """A plan's September: opened on the 1st, phonics 3 times a week of (as corrected) 25 minutes from the 7th,
    cut to twice a week at a meeting on the 14th (recorded on the 21st: back-dated), an INSET day on the 25th,
    one session delivered and one missed, a parent's view, an acknowledgement and a review; then, in October,
    an adjustment outside the period."""
    written: dict[str, Any] = {}
    at(api, "2026-09-01")
    response = api.client.put(f"/v1/settings/{SETTING}/calendar", headers=api.headers(),
                              json={"holidays": [{"start": "2026-10-26", "end": "2026-10-30"}],
                                    "closures": ["2026-09-25"]})
    assert response.status_code == 200, response.text
    plan_id = api.open_plan(next_review_due="2026-11-20")
    written["opened"] = api.events(plan_id)[-1]
    barrier = api.add_barrier(plan_id)
    provision_body = assert_written(api.post(f"/v1/plans/{plan_id}/provisions", samples.provision([barrier])),
                                    item=True)
    written["provision"] = provision_body
    at(api, "2026-09-08", 15)
    written["delivered"] = session(api, plan_id, provision_body["item_id"], date="2026-09-07", status="delivered",
                                   minutes=30)
    written["missed"] = session(api, plan_id, provision_body["item_id"], date="2026-09-08", status="missed",
                                missed_reason="staff_absent", note="TA covering Year 4")
    at(api, "2026-09-21")
    written["amended"] = assert_written(api.patch(
        f"/v1/plans/{plan_id}/provisions/{provision_body['item_id']}",
        {"sessions_per_week": 2, "agreed_on": "2026-09-14", "reason": "Agreed with parent on 14 September"}), 200)
    at(api, "2026-09-22")
    written["correction"] = assert_written(api.post(f"/v1/plans/{plan_id}/corrections", {
        "event_id": provision_body["event_id"], "reason": "Typed 30; the sessions agreed are 25 minutes",
        "changes": {"minutes_per_session": 25}}))
    at(api, "2026-09-23")
    written["contribution"] = assert_written(api.post(f"/v1/plans/{plan_id}/contributions", {
        "kind": "parent_view", "text": f"She is tired after phonics {SCRIPT}"}), item=True)
    written["acknowledgement"] = assert_written(api.post(f"/v1/plans/{plan_id}/acknowledgements", {
        "version": written["correction"]["version"], "response": "agree", "given_by": "Pat Okafor",
        "method": "signed_form"}), item=True)
    at(api, "2026-10-01")
    written["review"] = assert_written(api.post(f"/v1/plans/{plan_id}/reviews", samples.review(
        held_on="2026-09-30", next_review_due="2027-01-29")), item=True)
    at(api, "2026-10-05")
    api.add(plan_id, "adjustments", samples.adjustment([barrier]))
    written.update(plan_id=plan_id, barrier=barrier, provision_id=provision_body["item_id"])
    return written


def bundle_of(api: Api, plan_id: str, who: str = "senco", **params: str) -> dict[str, Any]:
    response = api.get(f"/v1/plans/{plan_id}/bundle", who, **params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    return body


def test_the_bundle_shows_the_plan_at_both_ends_every_change_and_the_sessions(api: Api) -> None:
    w = scripted_september(api)
    plan_id, provision_id = w["plan_id"], w["provision_id"]
    bundle = bundle_of(api, plan_id, **{"from": "2026-09-01", "to": "2026-09-30"})

    assert bundle["format"] == "isp-ledger evidence bundle"
    assert bundle["period"] == {"from": "2026-09-01", "to": "2026-09-30"}
    assert bundle["generated_for"]["name"] == "Sam Senco"

    # The plan at each end is the plan in force on that day (CONTRACT §3 as_of), corrections included.
    for name, day in (("plan_at_start", "2026-09-01"), ("plan_at_end", "2026-09-30")):
        in_force = api.plan(plan_id, as_of=day)
        in_force.pop("as_at")
        # The API's head says whether the plan is erased or held (CONTRACT §11); a bundle's documents show the plan
        # as bundles always did (those of an erased plan are never made), so bundles made before still verify.
        assert (in_force.pop("erased"), in_force.pop("legal_hold")) == (False, None)
        assert bundle[name] == in_force
    start, end = bundle["plan_at_start"], bundle["plan_at_end"]
    assert [(p["sessions_per_week"], p["minutes_per_session"]) for p in start["provisions"]] == [(3, 25)]
    assert [(p["sessions_per_week"], p["minutes_per_session"]) for p in end["provisions"]] == [(2, 25)]
    assert start["adjustments"] == end["adjustments"] == []  # agreed in October: after the period
    assert [r["held_on"] for r in end["reviews"]] == ["2026-09-30"]

    # Every entry agreed or recorded in the period, oldest first, with both times; sessions are in the delivery.
    changes = bundle["changes"]
    rows = [(c["version"], c["type"], c["agreed_on"], c["backdated"], c["actor"]["name"], c["reason"])
            for c in changes]
    assert rows == [
        (1, "PlanOpened", "2026-09-01", False, "Sam Senco", None),
        (2, "BarrierIdentified", "2026-09-01", False, "Sam Senco", None),
        (3, "ProvisionAgreed", "2026-09-01", False, "Sam Senco", None),
        (6, "ProvisionAmended", "2026-09-14", True, "Sam Senco", "Agreed with parent on 14 September"),
        (7, "CorrectionRecorded", "2026-09-22", False, "Sam Senco", "Typed 30; the sessions agreed are 25 minutes"),
        (8, "ContributionRecorded", "2026-09-23", False, "Sam Senco", None),
        (9, "AcknowledgementRecorded", "2026-09-23", False, "Sam Senco", None),
        (10, "ReviewHeld", "2026-09-30", True, "Sam Senco", None),
    ]
    by_version = {c["version"]: c for c in changes}
    assert by_version[6]["recorded_at"] == w["amended"]["recorded_at"]
    assert by_version[6]["event_id"] == w["amended"]["event_id"]
    assert by_version[3]["recorded_at"] == w["provision"]["recorded_at"]
    assert by_version[6]["summary"].startswith(
        "Provision “Small-group phonics with a trained TA” changed: the number of sessions a week from 3 to 2.")
    # The correction names the entry it corrects, and that entry names its correction.
    assert by_version[7]["corrects"]["version"] == 3
    assert by_version[7]["corrects"]["event_id"] == w["provision"]["event_id"]
    assert "the length of each session was corrected from 30 minutes to 25 minutes" in by_version[7]["summary"]
    assert [(c["version"], c["event_id"]) for c in by_version[3]["corrected_by"]] == [
        (7, w["correction"]["event_id"])]
    assert all(c["corrected_by"] == [] for c in changes if c["version"] != 3)

    # Reviews and parents' responses of the period.
    assert [r["id"] for r in bundle["reviews"]] == [w["review"]["item_id"]]
    responses = bundle["parent_responses"]
    assert [(a["id"], a["response"], a["version"], a["version_recorded_at"]) for a in responses["acknowledgements"]] \
        == [(w["acknowledgement"]["item_id"], "agree", 7, w["correction"]["recorded_at"])]
    assert [c["text"] for c in responses["contributions"]] == [f"She is tired after phonics {SCRIPT}"]

    # Planned against delivered: 3 a week for 7-11 September (5 school days), then 2 a week on the 12 school days
    # from the 14th (the 25th was an INSET day): 3 + 4.8 sessions of 25 minutes.
    delivery = bundle["delivery"]
    assert delivery["calendars"] == {SETTING: {"holidays": [{"start": "2026-10-26", "end": "2026-10-30"}],
                                               "closures": ["2026-09-25"], "bank_holidays": []}}
    assert (delivery["counted_to"], delivery["late_entry_days"]) == ("2026-09-30", 5)
    [phonics] = delivery["provisions"]
    expected = {
        "planned_sessions": 7.8, "delivered_sessions": 1, "missed_sessions": 1,
        "missed_by_reason": {"pupil_absent": 0, "staff_absent": 1, "timetable_clash": 0, "school_closed": 0,
                             "pupil_declined": 0, "other": 0},
        "unrecorded_sessions": 5.8, "extra_sessions": 0, "late_sessions": 0, "planned_minutes": 195.0,
        "delivered_minutes": 30, "delivery_rate": 0.13,
    }
    assert {k: phonics[k] for k in expected} == expected
    assert delivery["totals"] == expected
    assert phonics["provision_id"] == provision_id
    # Every session of the period, with the day it happened and the day it was recorded (both on time here).
    assert [(x["date"], x["status"], x["missed_reason"], x["note"], x["recorded_on"], x["late"], x["voided"])
            for x in phonics["sessions"]] == [
        ("2026-09-07", "delivered", None, None, "2026-09-08", False, None),
        ("2026-09-08", "missed", "staff_absent", "TA covering Year 4", "2026-09-08", False, None)]
    assert [(x["version"], x["event_id"], x["recorded_at"]) for x in phonics["sessions"]] == [
        (entry["version"], entry["event_id"], entry["recorded_at"])
        for entry in (w["delivered"]["entries"][0], w["missed"]["entries"][0])]
    assert bundle["summary"]["sessions"] == {"recorded": 2, "backdated": 1, "late": 0, "voided": 0,
                                             "late_entry_days": 5}
    assert [(m["month"], m["planned_sessions"]) for m in phonics["by_month"]] == [("2026-09", 7.8)]
    # ... the same figures the delivery report gives for the period.
    report = api.get(f"/v1/plans/{plan_id}/delivery", **{"from": "2026-09-01", "to": "2026-09-30"}).json()
    [reported] = report["provisions"]
    assert {k: phonics[k] for k in reported} == reported
    assert report["totals"] == delivery["totals"]

    # The cover and the integrity section.
    summary = bundle["summary"]
    assert (summary["changes"], summary["backdated"], summary["corrections"], summary["reviews"]) == (8, 2, 1, 1)
    assert summary["pupil"]["given_name"] == "Amara" and summary["status_at_end"] == "open"
    events = api.events(plan_id)
    integrity = bundle["integrity"]
    assert integrity["version"] == integrity["events"] == len(events) == len(bundle["events"])
    assert integrity["head_hash"] == events[-1]["hash"] == integrity["receipt"]["head_hash"]
    assert integrity["public_key"] == api.get("/v1/keys").json()["keys"][0]
    assert verify_bundle(bundle).ok


def test_the_events_in_the_bundle_are_the_stored_events_exactly(api: Api) -> None:
    w = scripted_september(api)
    bundle = bundle_of(api, w["plan_id"])
    stored = [orjson.loads(text) for text in bundle["events"]]
    shown = api.events(w["plan_id"])
    assert [{**s["event"], "hash": s["hash"]} for s in stored] == [
        {**{k: v for k, v in e.items() if k not in ("backdated", "late", "stored")}, **e.get("stored", {})}
        for e in shown]


def test_a_period_keeps_to_entries_agreed_or_recorded_in_it(api: Api) -> None:
    w = scripted_september(api)
    bundle = bundle_of(api, w["plan_id"], **{"from": "2026-09-15", "to": "2026-09-30"})
    # The amendment agreed on the 14th is in: it was recorded on the 21st. The review held on the 30th is in,
    # though recorded in October. The opening, agreed and recorded on 1 September, is not.
    assert [c["version"] for c in bundle["changes"]] == [6, 7, 8, 9, 10]
    assert [p["sessions_per_week"] for p in bundle["plan_at_start"]["provisions"]] == [2]
    assert bundle["delivery"]["totals"]["planned_sessions"] == 4.4  # 11 school days (not the 25th) at 2 a week
    # By default: from the day the plan was opened to today.
    assert bundle_of(api, w["plan_id"])["period"] == {"from": "2026-09-01", "to": "2026-10-05"}


def test_the_html_says_what_happened_in_plain_words_and_escapes_what_people_wrote(api: Api) -> None:
    w = scripted_september(api)
    response = api.get(f"/v1/plans/{w['plan_id']}/bundle", **{"format": "html", "from": "2026-09-01",
                                                              "to": "2026-09-30"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    for fact in ("Amara Okafor", "1 September 2026", "30 September 2026", "URN 123456", "Targeted",
                 "Back-dated", "Correction of entry 3", "Corrected later by entry 7",
                 "Agreed with parent on 14 September",
                 "Small-group phonics with a trained TA", "Staff absent", "TA covering Year 4", "13%",
                 "Integrity: checked", "isp-ledger verify BUNDLE.json", w["plan_id"]):
        assert fact in html, fact
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#39;parent&#39;)&lt;/script&gt;" in html


def test_the_pdf_of_a_school_year_runs_to_numbered_a4_pages(api: Api, ledger: Ledger) -> None:
    # A year of entries is scripted on the ledger itself (the same one the API serves), then read over HTTP.
    year = script_school_year(ledger, api.clock, api.people.senco, api.people.teacher)
    response = api.get(f"/v1/plans/{year.plan_id}/bundle", format="pdf")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("attachment; filename=\"isp-evidence-")
    assert response.content.startswith(b"%PDF")
    pdf = pypdf.PdfReader(io.BytesIO(response.content))
    pages = len(pdf.pages)
    assert pages > 1
    width, height = (round(float(v) * 25.4 / 72) for v in pdf.pages[0].mediabox[2:])
    assert (width, height) == (210, 297)  # A4, in millimetres
    first, last = pdf.pages[0].extract_text(), pdf.pages[-1].extract_text()
    assert "Amara Okafor" in first and "3 September 2026 to 21 July 2027" in first
    assert f"Page 1 of {pages}" in first and f"Page {pages} of {pages}" in last
    assert "How to verify" in " ".join(page.extract_text() for page in pdf.pages[-3:])


def test_whoever_may_read_the_plan_may_have_its_bundle_and_no_one_else(api: Api) -> None:
    plan_id = api.open_plan()
    for who in ("senco", "teacher", "admin"):
        assert bundle_of(api, plan_id, who)["plan_id"] == plan_id
    for who in ("other_senco", "other_teacher", "parent", "professional", "complaint_handler"):
        assert_problem(api.get(f"/v1/plans/{plan_id}/bundle", who), 404)
    assert_problem(api.get(f"/v1/plans/{plan_id}/bundle", None), 401)
    assert_problem(api.get("/v1/plans/00000000-0000-4000-8000-000000000000/bundle"), 404)
    assert_problem(api.get("/v1/plans/not-a-plan/bundle"), 404)


@pytest.mark.parametrize(("params", "field"), [
    ({"from": "2026-11-20", "to": "2026-11-01"}, "from"),
    ({"format": "docx"}, "format"),
    ({"from": "2026-02-30"}, "from"),
    ({"to": "yesterday"}, "to"),
    ({"from": "2026-11-21"}, "from"),  # after today (the clock's 20 November 2026)
])
def test_bad_dates_and_formats_are_refused(api: Api, params: dict[str, str], field: str) -> None:
    plan_id = api.open_plan()
    assert_problem(api.get(f"/v1/plans/{plan_id}/bundle", **params), 422, field=field)
