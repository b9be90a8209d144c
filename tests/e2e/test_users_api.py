"""Users over the API (CONTRACT.md §10): create, list, disable; a disabled user's token refused on the very next
request, and their entries keeping their name in every history."""

from __future__ import annotations

from typing import Any

from tests.conftest import OTHER_SETTING, SETTING
from tests.e2e.helpers import Api, assert_problem

ACCOUNT_KEYS = {"user_id", "name", "role", "setting_urn", "email", "status", "created_at", "created_by",
                "disabled_at", "disabled_by"}


def create(api: Api, body: dict[str, Any], who: str = "admin") -> dict[str, Any]:
    response = api.post("/v1/users", body, who)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    assert set(created) == ACCOUNT_KEYS | {"token"}
    return created


def listed(api: Api, who: str, **params: str) -> list[dict[str, Any]]:
    response = api.get("/v1/users", who, **params)
    assert response.status_code == 200, response.text
    users: list[dict[str, Any]] = response.json()["users"]
    return users


def test_an_administrator_creates_a_user_whose_token_works_at_once(api: Api) -> None:
    created = create(api, {"name": "Pat Khan", "role": "parent", "email": "pat.khan@example.org"})
    assert created["status"] == "active" and created["email"] == "pat.khan@example.org"
    assert created["created_by"] == api.people.admin.user_id
    me = api.client.get("/v1/me", headers={"Authorization": f"Bearer {created['token']}"})
    assert me.status_code == 200
    assert me.json() == {"user_id": created["user_id"], "name": "Pat Khan", "role": "parent", "setting_urn": None}
    senco = create(api, {"name": "Nia Senco", "role": "senco", "setting_urn": OTHER_SETTING})
    assert senco["setting_urn"] == OTHER_SETTING
    assert all("token" not in user for user in listed(api, "admin"))


def test_a_senco_creates_teachers_of_their_setting_and_the_people_plans_are_shared_with(api: Api) -> None:
    teacher = create(api, {"name": "New Teacher", "role": "teacher"}, "senco")
    assert teacher["setting_urn"] == SETTING
    for role in ("parent", "professional", "complaint_handler"):
        assert create(api, {"name": f"A {role}", "role": role}, "senco")["created_by"] == api.people.senco.user_id
    for body in ({"name": "T", "role": "teacher", "setting_urn": OTHER_SETTING},
                 {"name": "S", "role": "senco", "setting_urn": SETTING}, {"name": "A", "role": "admin"}):
        assert_problem(api.post("/v1/users", body, "senco"), 403)
    for who in ("teacher", "other_teacher", "parent", "professional", "complaint_handler"):
        assert_problem(api.post("/v1/users", {"name": "X", "role": "parent"}, who), 403)


def test_bad_input_is_refused_naming_each_field_and_creates_nobody(api: Api) -> None:
    before = len(listed(api, "admin"))
    for body, field in (({"name": "", "role": "parent"}, "name"), ({"name": "X", "role": "headteacher"}, "role"),
                        ({"name": "X", "role": "teacher", "setting_urn": "12"}, "setting_urn"),
                        ({"name": "X", "role": "senco"}, "setting_urn"),
                        ({"name": "X", "role": "parent", "setting_urn": SETTING}, "setting_urn"),
                        ({"name": "X", "role": "parent", "email": "not an address"}, "email"),
                        ({"name": "X", "role": "parent", "token": "mine"}, "token"),
                        ({"role": "parent"}, "name")):
        assert_problem(api.post("/v1/users", body, "admin"), 422, field=field)
    create(api, {"name": "Pat", "role": "parent", "email": "pat@example.org"})
    assert_problem(api.post("/v1/users", {"name": "Pat 2", "role": "parent", "email": "PAT@example.org"}, "admin"),
                   409, rule="email_unique")
    assert len(listed(api, "admin")) == before + 1


def test_who_sees_whom(api: Api) -> None:
    mine = create(api, {"name": "Pat Mine", "role": "parent"}, "senco")
    create(api, {"name": "Olu Theirs", "role": "parent"}, "other_senco")
    assert {u["name"] for u in listed(api, "senco")} == {"Sam Senco", "Tess Teacher", "Pat Mine"}
    assert {u["name"] for u in listed(api, "other_senco")} == {"Otto Other", "Olive Other", "Olu Theirs"}
    everyone = listed(api, "admin")
    assert len(everyone) == len(api.people.users) + 2
    assert [u["created_at"] for u in everyone] == sorted(u["created_at"] for u in everyone)
    assert next(u for u in everyone if u["user_id"] == mine["user_id"]) == {
        k: v for k, v in mine.items() if k != "token"}
    for who in ("teacher", "parent", "professional", "complaint_handler"):
        assert_problem(api.get("/v1/users", who), 403)


def test_the_list_filters_and_pages(api: Api) -> None:
    for n in range(5):
        create(api, {"name": f"Parent {n}", "role": "parent"})
    parents = listed(api, "admin", role="parent")
    assert [u["name"] for u in parents] == ["Pat Parent", *(f"Parent {n}" for n in range(5))]
    seen: list[str] = []
    cursor = None
    while True:
        page = api.get("/v1/users", "admin", role="parent", limit="4", **({"cursor": cursor} if cursor else {}))
        assert page.status_code == 200, page.text
        seen += [u["name"] for u in page.json()["users"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert seen == [u["name"] for u in parents]
    assert_problem(api.get("/v1/users", "admin", cursor="bm9wZQ"), 422, field="cursor")
    assert_problem(api.get("/v1/users", "admin", status="asleep"), 422, field="status")
    api.post(f"/v1/users/{parents[0]['user_id']}/disable", None, "admin")
    assert [u["name"] for u in listed(api, "admin", status="disabled")] == ["Pat Parent"]
    assert len(listed(api, "admin", status="active")) == len(listed(api, "admin")) - 1


def test_a_disabled_users_token_is_refused_on_the_very_next_request_and_their_entries_keep_their_name(
    api: Api,
) -> None:
    plan_id = api.open_plan()
    teacher = api.people.teacher
    note = api.post(f"/v1/plans/{plan_id}/contributions", {"kind": "pupil_voice", "text": "I like maths"}, "teacher")
    assert note.status_code == 201, note.text
    assert api.get("/v1/me", "teacher").status_code == 200
    response = api.post(f"/v1/users/{teacher.user_id}/disable", None, "senco")
    assert response.status_code == 200, response.text
    account = response.json()
    assert account["status"] == "disabled" and account["disabled_by"] == api.people.senco.user_id
    assert_problem(api.get("/v1/me", "teacher"), 401)
    assert_problem(api.get(f"/v1/plans/{plan_id}", "teacher"), 401)
    assert_problem(api.post(f"/v1/plans/{plan_id}/contributions", {"kind": "pupil_voice", "text": "Again"},
                            "teacher"), 401)
    events = api.events(plan_id)
    assert events[-1]["actor"] == {"user_id": teacher.user_id, "name": "Tess Teacher", "role": "teacher"}
    timeline = api.get(f"/v1/plans/{plan_id}/timeline", "senco").json()["entries"]
    assert timeline[0]["actor"]["name"] == "Tess Teacher"
    assert api.plan(plan_id)["contributions"][0]["text"] == "I like maths"
    again = api.post(f"/v1/users/{teacher.user_id}/disable", None, "admin")  # already disabled: nothing changes
    assert again.status_code == 200 and again.json() == account


def test_who_may_disable_whom(api: Api) -> None:
    mine = create(api, {"name": "Pat Mine", "role": "parent"}, "senco")
    theirs = create(api, {"name": "Olu Theirs", "role": "parent"}, "other_senco")
    people = api.people
    for target in (people.other_teacher.user_id, theirs["user_id"], people.parent.user_id, people.admin.user_id,
                   "00000000-0000-4000-8000-000000000000"):  # not theirs to see: as if there were none
        assert_problem(api.post(f"/v1/users/{target}/disable", None, "senco"), 404)
    for who in ("teacher", "parent", "professional", "complaint_handler"):
        assert_problem(api.post(f"/v1/users/{mine['user_id']}/disable", None, who), 403)
    assert_problem(api.post(f"/v1/users/{people.senco.user_id}/disable", None, "senco"), 409, rule="not_yourself")
    assert_problem(api.post(f"/v1/users/{people.admin.user_id}/disable", None, "admin"), 409, rule="not_yourself")
    assert api.post(f"/v1/users/{mine['user_id']}/disable", None, "senco").status_code == 200
    assert api.post(f"/v1/users/{theirs['user_id']}/disable", None, "admin").status_code == 200
    assert_problem(api.post("/v1/users/not-a-user/disable", None, "admin"), 422, field="user_id")


def test_the_last_active_administrator_stays(api: Api) -> None:
    second = create(api, {"name": "Bea Admin", "role": "admin"})
    second_headers = {"Authorization": f"Bearer {second['token']}"}
    first = api.people.admin.user_id
    response = api.client.post(f"/v1/users/{first}/disable", headers=second_headers)
    assert response.status_code == 200, response.text
    assert_problem(api.get("/v1/users", "admin"), 401)
    assert_problem(api.client.post(f"/v1/users/{second['user_id']}/disable", headers=second_headers), 409,
                   rule="not_yourself")
