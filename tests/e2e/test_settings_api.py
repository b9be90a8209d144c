"""A setting's details over HTTP (CONTRACT.md §4): its name and local authority, set by its SENCO or an
administrator, and shown with its URN wherever the setting is shown to people (reports, timelines, evidence
bundles), falling back to "the setting with URN ..." when no name was set. Both stores.

Tests start on Friday 20 November 2026 (the ``clock`` fixture).
"""

from __future__ import annotations

from typing import Any

from tests import samples
from tests.conftest import OTHER_SETTING, SETTING
from tests.e2e.helpers import Api, assert_problem

DETAILS = f"/v1/settings/{SETTING}"
HAWTHORN = {"name": "Hawthorn Road Primary School", "local_authority": "Kent"}
SHOWN = {"urn": SETTING, "name": "Hawthorn Road Primary School",
         "shown_as": f"Hawthorn Road Primary School (URN {SETTING})"}
UNNAMED = {"urn": SETTING, "name": None, "shown_as": f"the setting with URN {SETTING}"}


def put(api: Api, body: Any, who: str = "senco", urn: str = SETTING) -> dict[str, Any]:
    response = api.client.put(f"/v1/settings/{urn}", json=body, headers=api.headers(who))
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def details(api: Api, who: str = "senco") -> dict[str, Any]:
    response = api.get(DETAILS, who)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_a_setting_has_no_details_until_they_are_set(api: Api) -> None:
    assert details(api) == {"setting_urn": SETTING, "version": 0, "name": None, "local_authority": None,
                            "changed_at": None, "changed_by": None, "shown_as": f"the setting with URN {SETTING}"}


def test_the_senco_sets_the_settings_name_and_local_authority(api: Api) -> None:
    answer = put(api, HAWTHORN)
    assert {k: answer[k] for k in ("setting_urn", "version", "name", "local_authority", "shown_as")} == {
        "setting_urn": SETTING, "version": 1, "name": "Hawthorn Road Primary School", "local_authority": "Kent",
        "shown_as": f"Hawthorn Road Primary School (URN {SETTING})"}
    assert answer["changed_by"]["name"] == "Sam Senco" and answer["changed_at"].startswith("2026-11-20T")
    assert details(api, "teacher") == answer
    assert put(api, HAWTHORN)["version"] == 1  # the same details again change nothing
    renamed = put(api, {"name": "  Hawthorn Road   Primary Academy "}, "admin")
    assert (renamed["version"], renamed["name"], renamed["local_authority"]) == (
        2, "Hawthorn Road Primary Academy", None)
    assert renamed["changed_by"]["role"] == "admin"


def test_only_the_settings_senco_or_an_administrator_sets_its_details(api: Api) -> None:
    for who in ("teacher", "other_senco", "other_teacher", "parent", "professional", "complaint_handler"):
        response = api.client.put(DETAILS, json=HAWTHORN, headers=api.headers(who))
        assert_problem(response, 403)
    assert_problem(api.client.put(DETAILS, json=HAWTHORN), 401)
    for who in ("other_senco", "other_teacher", "parent", "professional", "complaint_handler"):
        assert_problem(api.get(DETAILS, who), 403)
    assert details(api, "admin")["version"] == 0
    assert put(api, HAWTHORN, "other_senco", OTHER_SETTING)["setting_urn"] == OTHER_SETTING


def test_bad_details_are_refused_naming_the_field(api: Api) -> None:
    for body, field in (
        ({}, "name"), ({"name": None}, "name"), ({"name": "  "}, "name"), ({"name": "x" * 151}, "name"),
        ({"name": "Hawthorn\nRoad"}, "name"), ({"name": 7}, "name"),
        ({"name": "Hawthorn", "local_authority": "K" * 101}, "local_authority"),
        ({"name": "Hawthorn", "local_authority": "Kent\r"}, "local_authority"),
        ({"name": "Hawthorn", "urn": "123456"}, "urn"),
    ):
        response = api.client.put(DETAILS, json=body, headers=api.headers())
        assert_problem(response, 422, field=field)
    for bad in ("12345", "abcdef"):
        assert_problem(api.client.put(f"/v1/settings/{bad}", json=HAWTHORN, headers=api.headers("admin")), 422,
                       field="urn")
    assert details(api)["version"] == 0


def test_reports_and_timelines_name_the_setting_with_its_urn(api: Api) -> None:
    plan_id = api.open_plan(agreed_on="2026-06-01", next_review_due="2026-09-01")
    paths = [f"{DETAILS}/quality", f"{DETAILS}/reviews-due", f"{DETAILS}/delivery"]
    for path in paths:
        assert api.get(path).json()["setting"] == UNNAMED, path
    assert api.get(f"/v1/plans/{plan_id}/timeline").json()["setting"] == UNNAMED
    put(api, HAWTHORN)
    for path in paths:
        assert api.get(path).json()["setting"] == SHOWN, path
    assert api.get(f"/v1/plans/{plan_id}/timeline").json()["setting"] == SHOWN


def test_a_bundle_names_the_setting_on_its_cover_and_in_its_plan_documents(api: Api) -> None:
    plan_id = api.open_plan(agreed_on="2026-09-01")
    barrier = api.add_barrier(plan_id)
    api.add(plan_id, "provisions", samples.provision([barrier]))
    unnamed = api.get(f"/v1/plans/{plan_id}/bundle", format="html")
    assert unnamed.status_code == 200, unnamed.text
    assert f"The setting with URN {SETTING}" in unnamed.text
    put(api, HAWTHORN)
    bundle = api.get(f"/v1/plans/{plan_id}/bundle").json()
    assert bundle["settings"] == {SETTING: SHOWN}
    html = api.get(f"/v1/plans/{plan_id}/bundle", format="html").text
    assert f'<th scope="row">Setting</th><td>Hawthorn Road Primary School (URN {SETTING})</td>' in html
    assert html.count(f"Setting: Hawthorn Road Primary School (URN {SETTING})") == 2  # the plan at start and end
    assert "School or setting with URN" not in html
