"""Query parameters (issue 11, problem 9): an unknown one is a 422 on every route; ``diff`` takes plain dates as
``timeline`` does; instants the calendar cannot hold are a 422, never a 500. On both stores."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from isp_ledger.api import problems
from isp_ledger.api.params import known_parameters_only
from tests import samples
from tests.e2e.helpers import Api, assert_problem, assert_written
from tests.e2e.test_openapi import PUBLIC, _url, operations

UNKNOWN = "colour"


def test_an_unknown_query_parameter_is_refused_on_every_route(api: Api) -> None:
    plan_id = api.open_plan()
    checked = 0
    for path, method, operation in operations(api):
        body: dict[str, Any] | None = {} if "requestBody" in operation else None
        url = _url(path, plan_id)
        response = api.client.request(method, url, params={UNKNOWN: "blue"}, json=body, headers=api.headers("admin"))
        problem = assert_problem(response, 422, field=UNKNOWN)
        assert "is not a parameter of this request" in problem["detail"], (method, path, problem)
        assert "422" in operation["responses"], f"{method.upper()} {path} does not document its 422"
        if path not in PUBLIC:  # a caller without a token learns nothing, not even that
            assert api.client.request(method, url, params={UNKNOWN: "blue"}, json=body).status_code == 401
        checked += 1
    assert checked >= 30, checked


def test_the_refusal_names_every_unknown_parameter_and_what_the_route_takes(api: Api) -> None:
    problem = assert_problem(api.get("/v1/plans", name="Okafor", colour="blue", sort="name"), 422)
    assert [e["field"] for e in problem["errors"]] == ["colour", "sort"]
    assert "it takes: cursor, limit, name, setting_urn, status, tier, upn" in problem["errors"][0]["message"]
    plan_id = api.open_plan()
    problem = assert_problem(api.get(f"/v1/plans/{plan_id}/diff", **{"from_": "1"}), 422, field="from_")
    assert "it takes: from, to" in problem["detail"]  # the name a client sends, not the code's
    assert api.get(f"/v1/plans/{plan_id}/diff", **{"from": "1"}).status_code == 200


# ------------------------------------------------------------------------------------------ diff by dates


def diff(api: Api, plan_id: str, **params: str) -> dict[str, Any]:
    response = api.get(f"/v1/plans/{plan_id}/diff", **params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def added_barriers(body: dict[str, Any]) -> list[str]:
    return [b["description"] for b in body["changes"]["barriers"]["added"]]


def test_diff_takes_dates_as_the_timeline_does(api: Api) -> None:
    plan_id = api.open_plan()
    for day, description in ((21, "Blending"), (22, "Handwriting"), (23, "Lunchtimes")):
        api.clock.set(dt.datetime(2026, 11, day, 10, tzinfo=dt.UTC))
        api.add_barrier(plan_id, description=description)
    # One London day: the changes recorded that day.
    one_day = diff(api, plan_id, **{"from": "2026-11-22", "to": "2026-11-22"})
    assert added_barriers(one_day) == ["Handwriting"]
    assert (one_day["from"]["version"], one_day["to"]["version"]) == (2, 3)
    # A run of days, and from a day to now.
    assert added_barriers(diff(api, plan_id, **{"from": "2026-11-21", "to": "2026-11-22"})) == [
        "Blending", "Handwriting"]
    assert added_barriers(diff(api, plan_id, **{"from": "2026-11-23"})) == ["Lunchtimes"]
    # The timeline's dates pick the same entries.
    timeline = api.get(f"/v1/plans/{plan_id}/timeline", **{"from": "2026-11-21", "to": "2026-11-22"}).json()
    assert [e["version"] for e in timeline["entries"]] == [3, 2]
    # Dates and versions and instants mix; a date after "to" is refused.
    assert added_barriers(diff(api, plan_id, **{"from": "2", "to": "2026-11-22"})) == ["Handwriting"]
    assert_problem(api.get(f"/v1/plans/{plan_id}/diff", **{"from": "2026-11-23", "to": "2026-11-22"}), 422,
                   field="from")
    for bad in ("2026-02-30", "0001-01-01", "22/11/2026"):
        assert_problem(api.get(f"/v1/plans/{plan_id}/diff", **{"from": bad}), 422, field="from")


def test_a_date_is_a_london_day_in_summer_time_too(api: Api) -> None:
    api.clock.set(dt.datetime(2026, 7, 1, 20, 0, tzinfo=dt.UTC))  # 21:00 on 1 July in London
    plan_id = api.open_plan()
    api.clock.set(dt.datetime(2026, 7, 1, 23, 30, tzinfo=dt.UTC))  # 00:30 on 2 July in London
    assert_written(api.post(f"/v1/plans/{plan_id}/barriers", samples.barrier(description="After midnight")),
                   item=True)
    assert added_barriers(diff(api, plan_id, to="2026-07-01")) == []
    assert added_barriers(diff(api, plan_id, **{"from": "2026-07-02"})) == ["After midnight"]


# ------------------------------------------------------------------------------------------ instants at the edges


def test_instants_the_calendar_cannot_hold_are_refused_not_failed(api: Api) -> None:
    plan_id = api.open_plan()
    for as_at in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "1899-12-31T23:59:59+00:00"):
        problem = assert_problem(api.get(f"/v1/plans/{plan_id}", as_at=as_at), 422, field="as_at")
        assert "from 1900-01-01 to 2199-12-31" in problem["detail"]
    for point in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"):
        assert_problem(api.get(f"/v1/plans/{plan_id}/diff", **{"from": point}), 422, field="from")
        assert_problem(api.get(f"/v1/plans/{plan_id}/diff", to=point), 422, field="to")
    assert_problem(api.get(f"/v1/plans/{plan_id}", as_at="2026-11-20T10:00:00"), 422, field="as_at")  # no offset
    # Within the range, an instant before the plan existed is an answer, not an error.
    assert api.get(f"/v1/plans/{plan_id}", as_at="1900-01-01T00:00:00+00:00").status_code == 404
    assert diff(api, plan_id, to="2199-12-31T23:59:59-00:00")["to"]["version"] == 1


class Filters(BaseModel):
    status: str | None = None
    from_: str | None = Field(None, alias="from")


def filtered(filters: Annotated[Filters, Query()]) -> dict[str, str | None]:
    return {"status": filters.status}


def test_parameters_declared_as_one_model_are_known_by_their_fields() -> None:
    app = FastAPI()
    problems.install(app)
    app.get("/things", dependencies=[Depends(known_parameters_only)])(filtered)
    client = TestClient(app)
    assert client.get("/things", params={"status": "open", "from": "2026-09-01"}).status_code == 200
    assert_problem(client.get("/things", params={"colour": "blue"}), 422, field="colour")
