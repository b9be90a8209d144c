"""A setting's groups as pages: the list (with "Log a session" for staff, "Create a group" and "Change" for its
SENCO and administrators), and logging a session from a group: every member ticked, today's date, one button; its
refusals shown on the same form naming the pupil; both stores.

The ``clock`` fixture starts on Friday 20 November 2026; each plan is opened on 1 September with one provision of
3 x 30-minute sessions a week from Monday 7 September.
"""

from __future__ import annotations

import re
from uuid import UUID

import pytest

from isp_ledger.access import User
from isp_ledger.application import Ledger
from tests import samples
from tests.web.conftest import Pages
from tests.web.test_access_pages import as_, school  # noqa: F401 - the fixture, shared

SETTING = "123456"
GROUPS = f"/settings/{SETTING}/groups"


def pupil(ledger: Ledger, senco: User, given: str, family: str, description: str, *, minutes: int = 30,
          setting: str = SETTING) -> tuple[UUID, str]:
    body = samples.pupil(given_name=given, family_name=family)
    plan = UUID(ledger.commands.open_plan(senco, pupil=body, setting_urn=setting, tier="targeted",
                                          agreed_on="2026-09-01").body["plan_id"])
    barrier = ledger.commands.add_item(senco, plan, "barriers", samples.barrier(), agreed_on="2026-09-01")
    provision = ledger.commands.add_item(senco, plan, "provisions", samples.provision(
        [barrier.body["item_id"]], description=description, minutes_per_session=minutes), agreed_on="2026-09-01")
    return plan, str(provision.body["item_id"])


@pytest.fixture
def phonics(ledger: Ledger, school: dict[str, User]) -> tuple[UUID, list[tuple[UUID, str]]]:  # noqa: F811
    members = [pupil(ledger, school["senco"], "Amira", "Khan", "Phonics catch-up", minutes=20),
               pupil(ledger, school["senco"], "Ben", "Jones", "Phonics catch-up", minutes=20),
               pupil(ledger, school["senco"], "Cal", "Evans", "Precision teaching")]
    made = ledger.groups.create(school["senco"], SETTING, name="Year 2 phonics", led_by="Mrs Patel",
                                members=[{"plan_id": str(p), "provision_id": v} for p, v in members])
    return UUID(made["group_id"]), members


def test_who_gets_the_groups_and_the_session_form(pages: Pages, school: dict[str, User],  # noqa: F811
                                                  phonics: tuple[UUID, list[tuple[UUID, str]]]) -> None:
    group_id, _ = phonics
    session = f"{GROUPS}/{group_id}/session"
    assert pages.client.get(GROUPS, follow_redirects=False).headers["location"] == f"/sign-in?next={GROUPS}"
    expected = {"admin": 200, "senco": 200, "teacher": 200, "other_senco": 403, "parent": 403, "professional": 403,
                "handler": 403}
    for key, status in expected.items():
        as_(pages, key)
        listing, form = pages.client.get(GROUPS), pages.client.get(session)
        assert (listing.status_code, form.status_code) == (status, status), key
        assert ("Year 2 phonics" in listing.text) == (status == 200) and ("Amira" in form.text) == (status == 200)
        if status == 200:
            assert "Log a session" in listing.text
            assert ("Create a group" in listing.text) == (key != "teacher"), key
            assert (f"{GROUPS}/{group_id}/edit" in listing.text) == (key != "teacher"), key
        day = {"date-day": str(16 + list(expected).index(key) % 3), "date-month": "11", "date-year": "2026"}
        saved = pages.post(session, day)  # admin, senco and teacher: Monday, Tuesday, Wednesday
        assert saved.status_code == (303 if status == 200 else status), key
        if status == 200:  # the same session again: refused, naming the first pupil
            assert "already" in pages.post(session, day).text
    as_(pages, "admin")
    assert pages.client.get(f"/settings/{SETTING}/groups/{UUID(int=1)}/session").status_code == 404
    assert pages.client.get(f"/settings/654321/groups/{group_id}/session").status_code == 404


def test_a_teacher_logs_a_session_with_one_pupil_absent(pages: Pages, ledger: Ledger, school: dict[str, User],  # noqa: F811
                                                       phonics: tuple[UUID, list[tuple[UUID, str]]]) -> None:
    group_id, members = phonics
    as_(pages, "teacher")
    form = pages.client.get(f"{GROUPS}/{group_id}/session").text
    assert "Amira K. — Phonics catch-up, 3×20 min" in form and "Cal E. — Precision teaching, 3×30 min" in form
    boxes = re.findall(r'<input[^>]*name="attended"[^>]*>', form)
    assert len(boxes) == 3 and all("checked" in box for box in boxes)  # all ticked by default
    assert 'name="date-day" type="text" value="20"' in form and 'value="2026"' in form  # today
    ticked = [f"{p}:{v}" for p, v in members[:2]]  # Cal was not there
    saved = pages.client.post(f"{GROUPS}/{group_id}/session", data={
        "csrftoken": pages.token(), "attended": ticked, "date-day": "19", "date-month": "11", "date-year": "2026",
        "starts_at": "09:15"}, follow_redirects=False)
    assert (saved.status_code, saved.headers["location"]) == (303, f"{GROUPS}?saved=2-1")
    assert "Session saved for 3 pupils (1 absent)" in pages.client.get(saved.headers["location"]).text
    statuses = {}
    for plan_id, provision_id in members:
        [entry] = [e for e in ledger.history.plan_events(school["senco"], plan_id) if "Session" in e["type"]]
        statuses[plan_id] = (entry["data"]["status"], entry["data"]["provision_id"] == provision_id)
    assert list(statuses.values()) == [("delivered", True), ("delivered", True), ("missed", True)]

    again = pages.client.post(f"{GROUPS}/{group_id}/session", data={
        "csrftoken": pages.token(), "attended": ticked, "date-day": "19", "date-month": "11", "date-year": "2026",
        "starts_at": "09:15", "note": "CCVC words"}, follow_redirects=False)
    assert again.status_code == 409 and "Amira K. — Phonics catch-up" in again.text
    assert "CCVC words</textarea>" in again.text and again.text.count("checked") >= 2
    weekend = pages.client.post(f"{GROUPS}/{group_id}/session", data={
        "csrftoken": pages.token(), "attended": ticked, "date-day": "14", "date-month": "11", "date-year": "2026"},
        follow_redirects=False)
    assert weekend.status_code == 409 and "There is a problem" in weekend.text and 'value="14"' in weekend.text
    unreal = pages.client.post(f"{GROUPS}/{group_id}/session", data={
        "csrftoken": pages.token(), "attended": ticked, "date-day": "31", "date-month": "11", "date-year": "2026"},
        follow_redirects=False)
    assert unreal.status_code == 422 and 'href="#date-day"' in unreal.text


def test_a_senco_creates_changes_and_retires_a_group(pages: Pages, ledger: Ledger, school: dict[str, User],  # noqa: F811
                                                     phonics: tuple[UUID, list[tuple[UUID, str]]]) -> None:
    _, members = phonics
    dana = pupil(ledger, school["senco"], "Dana", "Wood", "Speech and language", minutes=15)
    for key, status in (("teacher", 403), ("other_senco", 403), ("parent", 403)):
        assert as_(pages, key).client.get(f"{GROUPS}/new").status_code == status, key
    as_(pages, "senco")
    form = pages.client.get(f"{GROUPS}/new").text
    assert "Dana W. — Speech and language, 3×15 min" in form and "Amira K. — Phonics catch-up, 3×20 min" in form
    refused = pages.client.post(f"{GROUPS}/new", data={"csrftoken": pages.token(), "name": "Year 2 Phonics",
                                                       "led_by": "Mr Cole", "attended": [f"{dana[0]}:{dana[1]}"]},
                                follow_redirects=False)
    assert refused.status_code == 409 and "already has a group named" in refused.text
    assert 'value="Mr Cole"' in refused.text and re.search(rf'value="{dana[0]}:{dana[1]}"\s+checked', refused.text)
    empty = pages.post(f"{GROUPS}/new", {"name": ""})
    assert empty.status_code == 422 and 'href="#name"' in empty.text
    both = [f"{dana[0]}:{dana[1]}", f"{members[0][0]}:{members[0][1]}"]
    made = pages.client.post(f"{GROUPS}/new", data={"csrftoken": pages.token(), "name": "Talk boost", "attended": both},
                             follow_redirects=False)
    assert (made.status_code, made.headers["location"]) == (303, f"{GROUPS}?done=group-created")
    [talk] = [g for g in ledger.groups.list(school["senco"], SETTING) if g["name"] == "Talk boost"]
    assert [m["plan_id"] for m in talk["members"]] == [str(dana[0]), str(members[0][0])]
    edit = pages.client.get(f"{GROUPS}/{talk['group_id']}/edit").text
    assert 'value="Talk boost"' in edit
    stale = pages.client.post(f"{GROUPS}/{talk['group_id']}/edit", data={
        "csrftoken": pages.token(), "name": "Talk boost 2", "version": "7", "attended": [f"{dana[0]}:{dana[1]}"]},
        follow_redirects=False)
    assert stale.status_code == 412 and "The group changed since you opened this page" in stale.text
    changed = pages.client.post(f"{GROUPS}/{talk['group_id']}/edit", data={
        "csrftoken": pages.token(), "name": "Talk boost, Mon", "version": "1", "attended": [f"{dana[0]}:{dana[1]}"]},
        follow_redirects=False)
    assert changed.status_code == 303
    assert "Group changed" in pages.client.get(changed.headers["location"]).text
    assert pages.client.get(f"{GROUPS}/{talk['group_id']}/retire").status_code == 200
    retired = pages.post(f"{GROUPS}/{talk['group_id']}/retire", {"version": "2"})
    assert retired.status_code == 303
    listing = pages.client.get(retired.headers["location"]).text
    assert "Group retired" in listing and "Talk boost" not in listing
