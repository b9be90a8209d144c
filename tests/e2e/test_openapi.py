"""The OpenAPI document says what a client gets: every error each operation can answer, as a problem, and the shape
of every read. The errors expected are worked out from the document itself and then made to happen, so a route
added later cannot escape.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx2 as httpx
from pydantic import BaseModel

from isp_ledger.api import reads, reports, schemas, sharing
from isp_ledger.api.problems import InvalidInputProblem, Problem
from isp_ledger.api.schemas import DeliveryWritten, GroupSessionWritten, GroupWritten, WriteResponse
from tests import samples
from tests.conftest import SETTING
from tests.e2e.helpers import PROBLEM, Api, assert_written

Operation = tuple[str, str, dict[str, Any]]  # path, method, what the document says of it

PUBLIC = {"/healthz", "/metrics"}  # the only operations that need no token
PLAN_PATH = {"plan_id", "item_id", "grant_id", "group_id"}  # path parameters that find a plan, an item, a grant or
# a group: unknown, 404
NONSENSE = "not valid"
# A parameter that takes any words: what it refuses instead. A search by name finds "not valid" or finds nothing.
NONSENSE_FOR = {"name": "  "}


def operations(api: Api) -> Iterator[Operation]:
    document = api.client.get("/openapi.json").json()
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def parameters(operation: dict[str, Any], where: str) -> list[str]:
    return [p["name"] for p in operation.get("parameters", []) if p["in"] == where]


def takes_input(operation: dict[str, Any]) -> bool:
    """A body, or any parameter but the plan or item it is about."""
    named = [p["name"] for p in operation.get("parameters", [])]
    return "requestBody" in operation or any(name not in PLAN_PATH for name in named)


def test_every_operation_documents_each_error_it_can_answer_as_a_problem(api: Api) -> None:
    for path, method, operation in operations(api):
        documented = operation["responses"]
        expected = set()
        if path not in PUBLIC:
            assert operation.get("security"), f"{method} {path} takes no token"
            expected.add("401")
        if "{plan_id}" in path:
            expected.add("404")
        if takes_input(operation):
            expected.add("422")
        assert expected <= set(documented), f"{method.upper()} {path}: {sorted(expected - set(documented))} missing"
        for status, response in documented.items():
            if status.startswith(("4", "5")):
                schema = response["content"][PROBLEM]["schema"]["$ref"]
                model = InvalidInputProblem if status == "422" else Problem
                assert schema == f"#/components/schemas/{model.__name__}", (method, path, status)


def _url(path: str, plan_id: str, **overrides: str) -> str:
    values = {"plan_id": plan_id, "item_id": str(uuid.uuid4()), "grant_id": str(uuid.uuid4()), "urn": SETTING,
              "user_id": str(uuid.uuid4()), "group_id": str(uuid.uuid4()),
              **overrides}
    names = re.findall(r"{(\w+)}", path)
    assert set(names) <= set(values), f"no value for a path parameter of {path} in this test"
    return re.sub(r"{(\w+)}", lambda m: values[m.group(1)], path)


def _assert_documented(response: httpx.Response, status: int, operation: Operation) -> dict[str, Any]:
    path, method, documented = operation
    assert response.status_code == status, f"{method.upper()} {path}: {response.status_code} {response.text[:300]}"
    assert str(status) in documented["responses"], f"{method.upper()} {path} answers {status}, undocumented"
    assert response.headers["content-type"].split(";")[0] == PROBLEM
    body: dict[str, Any] = response.json()
    (InvalidInputProblem if status == 422 else Problem).model_validate(body)
    return body


def test_each_error_the_document_promises_happens_and_is_documented(api: Api) -> None:
    plan_id = api.open_plan()
    admin = api.headers("admin")
    for operation in operations(api):
        path, method, documented = operation
        body: dict[str, Any] | None = {} if "requestBody" in documented else None
        if path not in PUBLIC:  # no token: 401, before anything else is looked at
            response = api.client.request(method, _url(path, plan_id), json=body)
            _assert_documented(response, 401, operation)
        if "{plan_id}" in path:  # a plan that is not there: 404, whatever else is wrong
            for unknown in ("not-a-plan", *([str(uuid.uuid4())] if body is None else [])):
                response = api.client.request(method, _url(path, unknown), json=body, headers=admin)
                _assert_documented(response, 404, operation)
        if "requestBody" in documented:  # a body that is not even an object: 422 naming the body
            response = api.client.request(method, _url(path, plan_id), json=[], headers=admin)
            assert "body" in [e["field"] for e in _assert_documented(response, 422, operation)["errors"]]
        for name in parameters(documented, "query"):  # each parameter, given nonsense: 422 naming it
            response = api.client.request(method, _url(path, plan_id), params={name: NONSENSE_FOR.get(name, NONSENSE)},
                                          headers=admin)
            assert name in [e["field"] for e in _assert_documented(response, 422, operation)["errors"]]
        for name in parameters(documented, "header"):
            response = api.client.request(method, _url(path, plan_id), json=body, headers={**admin, name: NONSENSE})
            assert name.lower() in [e["field"].lower() for e in _assert_documented(response, 422, operation)["errors"]]
        for name in set(parameters(documented, "path")) - PLAN_PATH:  # (a body that is wrong too is named first)
            response = api.client.request(method, _url(path, plan_id, **{name: NONSENSE}), json=body, headers=admin)
            fields = [e["field"] for e in _assert_documented(response, 422, operation)["errors"]]
            assert body is not None or name in fields, fields


# ------------------------------------------------------------------------------------------ reads as documented


def undocumented(value: Any, where: str = "") -> Iterator[str]:
    """Every field of ``value`` (a validated answer) that its model does not name."""
    if isinstance(value, BaseModel):
        yield from (f"{where}.{name}" for name in value.model_extra or {})
        for name in type(value).model_fields:
            yield from undocumented(getattr(value, name), f"{where}.{name}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from undocumented(item, f"{where}[{index}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from undocumented(item, f"{where}.{key}")


def assert_answers_as(model: type[BaseModel], body: Any, what: str) -> None:
    answer = model.model_validate(body)
    assert list(undocumented(answer)) == [], f"{what} sends fields {model.__name__} does not document"


def plan_with_history(api: Api) -> dict[str, str]:
    """A plan with something in every part of every read: items amended, ended, paused and corrected, facts,
    sessions delivered and missed, gaps of an item and of the plan; the setting's calendar; and a new plan whose
    review is due."""
    api.open_plan(next_review_due="2026-12-01")  # due soon, no review, no parent's view yet
    plan_id = api.open_plan(agreed_on="2026-09-01")
    api.add(plan_id, "barriers", samples.barrier(agreed_on="2026-09-02", description="Unsupported as yet"))
    barrier = api.add(plan_id, "barriers", samples.barrier(agreed_on="2026-09-02"))
    provision = api.add(plan_id, "provisions", samples.provision([barrier], agreed_on="2026-09-02"))
    paused = api.add(plan_id, "provisions",
                     samples.provision([barrier], agreed_on="2026-09-02", description="Pre-teaching vocabulary"))
    adjustment = api.add(plan_id, "adjustments", samples.adjustment([barrier], agreed_on="2026-09-02"))
    outcome = api.add(plan_id, "outcomes", samples.outcome([barrier], agreed_on="2026-09-02"))
    path = f"/v1/plans/{plan_id}"
    writes = [
        (f"{path}/provisions/{provision}", {"sessions_per_week": 2, "reason": "Timetable"}, "patch"),
        (f"{path}/adjustments/{adjustment}/end", {"reason": "No longer needed"}, "post"),
        (f"{path}/provisions/{paused}/pause", {"reason": "TA on leave", "until": "2026-11-30"}, "post"),
        (f"{path}/outcomes/{outcome}/progress", {"measured_on": "2026-11-19", "value": 14, "note": "Steady",
                                                 "source": "phonics check"}, "post"),
        (f"{path}/reviews", samples.review(), "post"),
        (f"{path}/contributions", {"kind": "parent_view", "text": "Reads at home"}, "post"),
        (f"{path}/acknowledgements", {"version": 2, "response": "disagree", "comment": "More support",
                                      "given_by": "Pat Okafor", "method": "phone"}, "post"),
    ]
    for url, body, method in writes:
        response = api.client.request(method, url, json=body, headers=api.headers())
        assert_written(response, response.status_code, item="item_id" in response.json())
        assert_answers_as(WriteResponse, response.json(), url)
    provision_agreed = api.events(plan_id)[3]["event_id"]
    assert_written(api.post(f"{path}/corrections",
                            {"event_id": provision_agreed, "reason": "Typo", "changes": {"group_size": 3}}))
    for day, status, extra in (("2026-11-18", "delivered", {}), ("2026-11-19", "missed", {"missed_reason": "other"})):
        response = api.post("/v1/deliveries", {"entries": [{"plan_id": plan_id, "provision_id": provision}],
                                               "date": day, "status": status, **extra})
        assert response.status_code == 201, response.text
        assert_answers_as(DeliveryWritten, response.json(), "POST /v1/deliveries")
    calendar = {"holidays": [{"start": "2026-10-26", "end": "2026-10-30"}], "closures": ["2026-11-13"]}
    assert api.client.put(f"/v1/settings/{SETTING}/calendar", json=calendar, headers=api.headers()).status_code == 200
    group = api.post(f"/v1/settings/{SETTING}/groups", {"name": "Phonics", "led_by": "Mrs Patel",
                                                         "members": [{"plan_id": plan_id, "provision_id": provision}]})
    assert group.status_code == 201, group.text
    assert_answers_as(GroupWritten, group.json(), "POST /v1/settings/{urn}/groups")
    session = api.post(f"/v1/settings/{SETTING}/groups/{group.json()['group_id']}/sessions",
                       {"date": "2026-11-20", "attended": []})
    assert session.status_code == 201, session.text
    assert_answers_as(GroupSessionWritten, session.json(), "POST /v1/settings/{urn}/groups/{group_id}/sessions")
    return {"plan_id": plan_id, "group_id": group.json()["group_id"]}


NOT_JSON = {"/v1/plans/{plan_id}/bundle"}  # JSON, HTML or PDF: its JSON form is checked by `isp-ledger verify`
MODELS = {model.__name__: model for module in (reads, reports, schemas, sharing) for model in vars(module).values()
          if isinstance(model, type) and issubclass(model, BaseModel)}


def test_every_read_answers_as_documented_and_documents_every_field(api: Api) -> None:
    made = plan_with_history(api)
    plan_id = made["plan_id"]
    queries: dict[str, list[dict[str, str]]] = {
        "/v1/plans/{plan_id}": [{}, {"as_of": "2026-10-01"}, {"as_at": "2026-11-20T10:00:00.004+00:00"}],
        "/v1/plans/{plan_id}/diff": [{}, {"from": "4", "to": "10"}],
    }
    checked = []
    for path, method, operation in operations(api):
        if method != "get" or not path.startswith("/v1") or path in NOT_JSON:
            continue
        ref = operation["responses"]["200"]["content"]["application/json"]["schema"].get("$ref", "")
        model = MODELS.get(ref.rsplit("/", 1)[-1])
        assert model is not None, f"GET {path} documents no answer this test knows ({ref or 'none'})"
        for params in queries.get(path, [{}]):
            response = api.client.get(_url(path, plan_id, group_id=made["group_id"]), params=params,
                                      headers=api.headers("admin"))
            assert response.status_code == 200, (path, response.text[:300])
            assert_answers_as(model, response.json(), f"GET {path} {params}")
        checked.append(path)
    assert len(checked) >= 15, checked
    report = api.get(f"/v1/settings/{SETTING}/quality").json()["plans"]
    assert {"item_id" in gap for plan in report for gap in plan["gaps"]} == {True, False}, "both kinds of gap seen"
    assert api.get(f"/v1/settings/{SETTING}/reviews-due").json()["plans"], "a review due seen"
