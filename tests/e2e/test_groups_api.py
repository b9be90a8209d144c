"""A setting's saved groups over HTTP (CONTRACT.md §8): made, listed with the pupils' names, changed, retired, and a
session logged from one, on both stores.

Tests start on Friday 20 November 2026 (the ``clock`` fixture); each plan is opened on 1 September with one
provision of 3 x 30-minute sessions a week from Monday 7 September (``pupil``).
"""

from __future__ import annotations

from typing import Any

import httpx2 as httpx

from isp_ledger.application import Ledger
from tests.conftest import OTHER_SETTING, SETTING
from tests.e2e.helpers import Api, assert_problem
from tests.e2e.test_deliveries_api import numbers, plan_report, pupil, tally

GROUPS = f"/v1/settings/{SETTING}/groups"


def send(api: Api, method: str, path: str, body: Any = None, who: str = "senco", **headers: str) -> httpx.Response:
    return api.client.request(method, path, json=body, headers=api.headers(who, **headers))


def members(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"plan_id": plan_id, "provision_id": provision_id} for plan_id, provision_id in pairs]


def make(api: Api, name: str, *pairs: tuple[str, str], who: str = "senco", **extra: Any) -> str:
    response = send(api, "POST", GROUPS, {"name": name, "members": members(*pairs), **extra}, who)
    assert response.status_code == 201, response.text
    assert set(response.json()) == {"group_id", "version"} and response.json()["version"] == 1
    return str(response.json()["group_id"])


def test_a_group_is_made_listed_with_names_changed_and_retired(api: Api, ledger: Ledger) -> None:
    amara, ben = pupil(api), pupil(api, description="Precision teaching")
    group_id = make(api, "Year 2 phonics, Tue/Thu", amara, ben, led_by="Mrs Patel")

    listing = api.get(GROUPS, "teacher")
    assert listing.status_code == 200, listing.text
    [group] = listing.json()["groups"]
    assert (group["group_id"], group["name"], group["led_by"], group["version"], group["retired"]) == (
        group_id, "Year 2 phonics, Tue/Thu", "Mrs Patel", 1, False)
    assert group["changed_by"]["name"] == "Sam Senco"
    pupils = {m["plan_id"]: api.plan(m["plan_id"])["pupil"] for m in group["members"]}
    assert [(m["plan_id"], m["provision_id"], m["visible"], m["in_force"], m["not_in_force_because"])
            for m in group["members"]] == [(*amara, True, True, None), (*ben, True, True, None)]
    assert [m["pupil"] for m in group["members"]] == [
        {"given_name": pupils[p]["given_name"], "family_name": pupils[p]["family_name"]} for p, _ in (amara, ben)]
    assert [m["provision"]["description"] for m in group["members"]] == [
        "Small-group phonics with a trained TA", "Precision teaching"]
    # The listing showed both pupils: each plan's access log says who saw it, and where.
    for plan_id, _ in (amara, ben):
        [entry] = [e for e in api.get(f"/v1/plans/{plan_id}/access-log", "senco").json()["entries"]
                   if e["user"]["name"] == "Tess Teacher"]
        assert (entry["what"], entry["detail"], entry["asked"]) == (
            "The plan in a list", "Saw the plan in the setting's groups", {"setting_urn": SETTING})
    assert api.get(f"{GROUPS}/{group_id}", "teacher").status_code == 200
    one, listed = [e for e in api.get(f"/v1/plans/{ben[0]}/access-log", "senco").json()["entries"]
                   if e["user"]["name"] == "Tess Teacher"]  # newest first
    assert (one["detail"], one["asked"]) == ("Saw the plan in group Year 2 phonics, Tue/Thu",
                                             {"setting_urn": SETTING, "group_id": group_id})
    assert listed["detail"] == "Saw the plan in the setting's groups"

    # Changed: renamed, Ben leaves; the old version is kept.
    changed = send(api, "PUT", f"{GROUPS}/{group_id}", {"name": "Year 2 phonics", "members": members(amara)},
                   **{"If-Match": '"1"'})
    assert changed.status_code == 200, changed.text
    assert changed.json() == {"group_id": group_id, "version": 2} and changed.headers["etag"] == '"2"'
    stale = send(api, "PUT", f"{GROUPS}/{group_id}", {"name": "Year 2", "members": members(amara)},
                 **{"If-Match": '"1"'})
    assert assert_problem(stale, 412, detail_contains="the group is at version 2")["current_version"] == 2
    one = api.get(f"{GROUPS}/{group_id}").json()
    assert (one["name"], one["led_by"], [m["plan_id"] for m in one["members"]]) == ("Year 2 phonics", None,
                                                                                   [amara[0]])
    history = api.get(f"{GROUPS}/{group_id}/history", "teacher").json()["versions"]
    assert [(v["version"], v["name"], len(v["members"])) for v in history] == [
        (2, "Year 2 phonics", 1), (1, "Year 2 phonics, Tue/Thu", 2)]

    # Retired: no longer listed or usable, still readable; its name is free again.
    retired = send(api, "DELETE", f"{GROUPS}/{group_id}", **{"If-Match": '"2"'})
    assert retired.status_code == 200, retired.text
    assert api.get(GROUPS).json()["groups"] == []
    assert api.get(f"{GROUPS}/{group_id}").json()["retired"] is True
    assert_problem(send(api, "PUT", f"{GROUPS}/{group_id}", {"name": "X", "members": members(amara)}), 409,
                   rule="group_retired")
    assert_problem(send(api, "POST", f"{GROUPS}/{group_id}/sessions", {"date": "2026-11-19", "attended": []},
                        "teacher"), 409, rule="group_retired")
    make(api, "year 2  PHONICS", amara)
    assert_problem(send(api, "POST", GROUPS, {"name": "Year 2 Phonics", "members": members(ben)}), 409,
                   rule="group_name_taken")


def test_a_group_refuses_members_that_cannot_meet(api: Api) -> None:
    here = pupil(api)
    elsewhere = pupil(api, who="other_senco", setting=OTHER_SETTING)
    closed = pupil(api)
    assert api.post(f"/v1/plans/{closed[0]}/close", {"reason": "Left the school"}).status_code == 200
    ended = pupil(api)
    assert api.post(f"/v1/plans/{ended[0]}/provisions/{ended[1]}/end", {"reason": "Met"}).status_code == 200

    def refused(*pairs: tuple[str, str], name: str = "G") -> httpx.Response:
        return send(api, "POST", GROUPS, {"name": name, "members": members(*pairs)}, "admin")

    assert_problem(refused(here, elsewhere), 422, field="members.1.plan_id")
    senco_sees = send(api, "POST", GROUPS, {"name": "G", "members": members(elsewhere)})
    assert_problem(senco_sees, 422, field="members.0.plan_id", detail_contains="no plan of setting")
    assert_problem(refused(here, closed), 409, rule="plan_closed", detail_contains="members.1")
    assert_problem(refused(ended, here), 409, rule="provision_ended", detail_contains="members.0")
    assert_problem(refused(here, (here[0], "no-such-provision")), 422, field="members.1.provision_id")
    assert_problem(refused(here, here), 422, field="members.1")
    assert_problem(refused(*[here] * 31), 422, field="members")
    assert_problem(refused(here, name="x" * 101), 422, field="name")
    assert_problem(refused(here, name="   "), 422, field="name")
    assert api.get(GROUPS).json()["groups"] == []
    assert_problem(send(api, "POST", GROUPS, {"name": "G", "members": members(here)}, "teacher"), 403)


def test_a_session_logged_from_a_group_records_each_member_on_its_plan(api: Api) -> None:
    amara, ben, cal = pupil(api), pupil(api), pupil(api)
    group_id = make(api, "Phonics", amara, ben, cal)
    sessions = f"{GROUPS}/{group_id}/sessions"
    before = {plan_id: api.event_count(plan_id) for plan_id, _ in (amara, ben, cal)}

    response = send(api, "POST", sessions, {"date": "2026-11-19", "attended": members(amara, cal), "minutes": 25,
                                            "note": "CCVC words"}, "teacher", **{"Idempotency-Key": "phonics-19"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["group_id"] == group_id
    assert [(e["plan_id"], e["provision_id"], e["status"]) for e in body["entries"]] == [
        (*amara, "delivered"), (*ben, "missed"), (*cal, "delivered")]
    for (plan_id, provision_id), entry in zip((amara, ben, cal), body["entries"], strict=True):
        [*_, event] = api.events(plan_id)
        assert (event["type"], event["event_id"], event["actor"]["role"]) == ("SessionRecorded", entry["event_id"],
                                                                              "teacher")
        missed = plan_id == ben[0]
        assert event["data"] == {"session_id": body["session_id"], "provision_id": provision_id,
                                 "date": "2026-11-19", "status": "missed" if missed else "delivered",
                                 "minutes": None if missed else 25, "missed_reason": "pupil_absent" if missed else None,
                                 "delivered_by": None, "note": "CCVC words"}
        assert api.event_count(plan_id) == before[plan_id] + 1
    # The delivery figures count it (the week of 16 November: 3 sessions planned).
    week = ("2026-11-16", "2026-11-20")
    assert numbers(plan_report(api, amara[0], *week)[amara[1]]) == tally(3, 90, 1, 25)
    assert numbers(plan_report(api, ben[0], *week)[ben[1]]) == tally(3, 90, pupil_absent=1)

    replayed = send(api, "POST", sessions, {"date": "2026-11-19", "attended": members(amara, cal), "minutes": 25,
                                            "note": "CCVC words"}, "teacher", **{"Idempotency-Key": "phonics-19"})
    assert (replayed.status_code, replayed.json(), replayed.headers["idempotent-replayed"]) == (201, body, "true")
    again = send(api, "POST", sessions, {"date": "2026-11-19", "attended": members(amara, cal)}, "teacher")
    assert_problem(again, 409, rule="session_already_recorded", detail_contains="members.0")
    weekend = send(api, "POST", sessions, {"date": "2026-11-14", "attended": []}, "teacher")
    assert_problem(weekend, 409, rule="not_a_school_day", detail_contains="members.0")
    stranger = pupil(api)
    outsider = send(api, "POST", sessions, {"date": "2026-11-18", "attended": members(amara, stranger)}, "teacher")
    assert_problem(outsider, 422, field="attended.1")
    future = send(api, "POST", sessions, {"date": "2026-11-23", "attended": []}, "teacher")
    assert_problem(future, 422, field="date")
    assert {plan_id: api.event_count(plan_id) for plan_id, _ in (amara, ben, cal)} == {
        plan_id: count + 1 for plan_id, count in before.items()}, "nothing recorded by a refused session"

    # Nobody came because the TA was off: every member missed, for that reason.
    staff_off = send(api, "POST", sessions, {"date": "2026-11-18", "attended": [], "absent_reason": "staff_absent"},
                     "teacher")
    assert staff_off.status_code == 201, staff_off.text
    assert numbers(plan_report(api, cal[0], *week)[cal[1]]) == tally(3, 90, 1, 25, staff_absent=1)


def test_a_session_refused_for_one_member_records_nothing_for_any(api: Api) -> None:
    amara, ben = pupil(api), pupil(api)
    group_id = make(api, "Phonics", amara, ben)
    assert api.post(f"/v1/plans/{ben[0]}/close", {"reason": "Moved away"}).status_code == 200
    before = [api.event_count(plan_id) for plan_id, _ in (amara, ben)]
    listing = api.get(GROUPS).json()["groups"][0]["members"]
    assert [(m["in_force"], m["not_in_force_because"]) for m in listing] == [(True, None), (False, "plan_closed")]
    response = send(api, "POST", f"{GROUPS}/{group_id}/sessions", {"date": "2026-11-19", "attended": members(amara)},
                    "teacher")
    assert_problem(response, 409, rule="plan_closed", detail_contains="members.1")
    assert [api.event_count(plan_id) for plan_id, _ in (amara, ben)] == before

    cal, dev = pupil(api), pupil(api)
    group_id = make(api, "Maths", cal, dev)
    assert api.post(f"/v1/plans/{cal[0]}/provisions/{cal[1]}/end", {"reason": "Met"}).status_code == 200
    response = send(api, "POST", f"{GROUPS}/{group_id}/sessions", {"date": "2026-11-20", "attended": members(dev)},
                    "teacher")
    assert_problem(response, 409, rule="provision_ended", detail_contains="members.0")
    assert api.get(f"/v1/plans/{dev[0]}/delivery", **{"from": "2026-11-16"}).json()["provisions"][0][
        "delivered_sessions"] == 0


def test_groups_are_their_settings_own(api: Api) -> None:
    group_id = make(api, "Phonics", pupil(api))
    for who in ("other_senco", "other_teacher"):
        assert_problem(api.get(GROUPS, who), 403)
    other = f"/v1/settings/{OTHER_SETTING}/groups/{group_id}"
    assert_problem(api.get(other, "admin"), 404)
    assert_problem(send(api, "POST", f"{other}/sessions", {"date": "2026-11-19", "attended": []}, "admin"), 404)
    assert_problem(api.get(f"{GROUPS}/not-a-group"), 404)


def test_a_bad_register_is_refused_naming_the_field(api: Api) -> None:
    amara = pupil(api)
    sessions = f"{GROUPS}/{make(api, 'Phonics', amara)}/sessions"
    before = api.event_count(amara[0])
    for body, field in (({"attended": []}, "date"),
                        ({"date": "2026-11-19", "attended": [], "absent_reason": "hungover"}, "absent_reason"),
                        ({"date": "2026-11-19", "attended": members(amara), "minutes": 0}, "minutes"),
                        ({"date": "2026-11-19", "attended": members(amara), "starts_at": "9am"}, "starts_at"),
                        ({"date": "2026-11-19", "attended": members(amara), "note": "x" * 20_000}, "note"),
                        ({"date": "2026-11-19", "attended": members(amara, amara)}, "attended.1"),
                        ({"date": "2026-11-19", "attended": [{"plan_id": amara[0]}]}, "attended.0.provision_id"),
                        ({"date": "2026-11-19", "attended": "everyone"}, "attended")):
        assert_problem(send(api, "POST", sessions, body, "teacher"), 422, field=field)
    assert_problem(send(api, "POST", sessions, {"date": "2026-11-19", "attended": []}, "teacher",
                        **{"If-Match": '"1"'}), 422, field="If-Match")
    assert_problem(send(api, "POST", sessions, {"date": "2026-11-19", "attended": []}, "parent"), 403)
    assert api.event_count(amara[0]) == before


def test_a_repeated_register_gets_its_first_answer_even_after_the_group_changed(api: Api) -> None:
    amara, ben = pupil(api), pupil(api)
    group_id = make(api, "Phonics", amara, ben)
    register = {"date": "2026-11-19", "attended": members(ben)}
    key = {"Idempotency-Key": "phonics-19-nov"}
    first = send(api, "POST", f"{GROUPS}/{group_id}/sessions", register, "teacher", **key)
    assert first.status_code == 201, first.text
    assert [e["status"] for e in first.json()["entries"]] == ["missed", "delivered"]
    assert send(api, "PUT", f"{GROUPS}/{group_id}", {"name": "Phonics", "members": members(amara)}).status_code == 200
    again = send(api, "POST", f"{GROUPS}/{group_id}/sessions", register, "teacher", **key)
    assert (again.status_code, again.json(), again.headers["idempotent-replayed"]) == (201, first.json(), "true")
    assert_problem(send(api, "POST", f"{GROUPS}/{group_id}/sessions", register, "teacher"), 422, field="attended.0")


def test_a_member_whose_plan_was_erased_shows_nothing_of_the_pupil(api: Api) -> None:
    amara, ben = pupil(api), pupil(api)
    group_id = make(api, "Phonics", amara, ben)
    assert api.post(f"/v1/plans/{ben[0]}/close", {"reason": "Left"}).status_code == 200
    assert api.post(f"/v1/plans/{ben[0]}/erase", {"reason": "Retention period ended"}, "admin").status_code == 200
    erased = api.get(f"{GROUPS}/{group_id}").json()["members"][1]
    assert (erased["pupil"], erased["provision"], erased["in_force"]) == (
        {"given_name": None, "family_name": None}, {"description": None}, False)
    assert api.get(f"{GROUPS}/{group_id}").json()["members"][0]["pupil"]["given_name"] is not None
