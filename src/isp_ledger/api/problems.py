"""Every error the API returns, as RFC 9457 ``application/problem+json``: mapped, and documented, in one place.

Which errors an operation can answer follows from what it takes and does, read from the OpenAPI document itself
(``document``): a route added later is documented the same way, and ``tests/e2e/test_openapi.py`` makes each of
those errors happen to prove it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from isp_ledger.application import RecordDamaged
from isp_ledger.application.access_log import AccessLogUnavailable
from isp_ledger.domain.errors import (
    Forbidden,
    Gone,
    InvalidInput,
    LedgerError,
    NotFound,
    RuleViolation,
    StaleVersion,
    Unauthenticated,
)

log = logging.getLogger(__name__)

BODY_PARSE_ERROR = "There was an error parsing the body"  # FastAPI's detail when a body cannot be decoded

PROBLEM = "application/problem+json"
TYPE_BASE = "https://isp-ledger.org/problems/"

STATUS: list[tuple[type[LedgerError], int, str]] = [
    (InvalidInput, 422, "invalid-input"),
    (RuleViolation, 409, "rule-violation"),
    (NotFound, 404, "not-found"),
    (Forbidden, 403, "forbidden"),
    (Gone, 410, "gone"),
    (Unauthenticated, 401, "unauthenticated"),
    (StaleVersion, 412, "stale-version"),
    # A record altered outside the ledger: the ledger refuses to fold it into a plan as if it were evidence.
    (RecordDamaged, 409, "record-damaged"),
    # An answer showing a plan's content is logged before it is sent; if the log cannot be written, none is sent.
    (AccessLogUnavailable, 503, "access-log-unavailable"),
]


class ProblemResponse(JSONResponse):
    """A problem document, escaped to ASCII: it may quote input that is not valid Unicode (a lone surrogate),
    and describing bad input must never fail in its turn."""

    media_type = PROBLEM

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def problem(status: int, slug: str, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": TYPE_BASE + slug, "title": title, "status": status, "detail": detail, **extra}
    headers = {"WWW-Authenticate": 'Bearer realm="isp-ledger"'} if status == 401 else None
    return ProblemResponse(body, status_code=status, headers=headers)


def body_problem(message: str) -> JSONResponse:
    return problem(422, "invalid-input", "Invalid input", f"body: {message}",
                   errors=[{"field": "body", "message": message}])


def unauthenticated(request: Request) -> JSONResponse | None:
    """401 for a ``/v1`` request without a known token, else None.

    FastAPI parses a request's body before running the routes' dependencies, so an unparseable body would
    otherwise be reported before the missing token: a caller without a token must learn nothing, not even
    that their body was wrong.
    """
    if not request.url.path.startswith("/v1"):
        return None
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    ledger = request.app.state.ledger
    if scheme.lower() == "bearer" and token.strip() and ledger.accounts.authenticate(token.strip()) is not None:
        return None
    detail = ("Send your token as 'Authorization: Bearer TOKEN'" if not token.strip()
              else "That token is not known; ask an administrator for a new one")
    return problem(401, "unauthenticated", Unauthenticated.title, detail)


def ledger_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, LedgerError)
    status, slug = next(((status, slug) for cls, status, slug in STATUS if isinstance(exc, cls)),
                        (400, "refused"))  # every LedgerError subclass is listed
    extra: dict[str, Any] = {}
    if isinstance(exc, InvalidInput):
        extra["errors"] = [{"field": e.field, "message": e.message} for e in exc.errors]
    if isinstance(exc, RuleViolation):
        extra["rule"] = exc.rule
    if isinstance(exc, RecordDamaged):
        extra["rule"] = "record_intact"
    if isinstance(exc, StaleVersion):
        extra["current_version"] = exc.actual
    return problem(status, slug, exc.title, exc.detail, **extra)


def _field_name(location: tuple[Any, ...], kind: str = "") -> str:
    where, *path = location or ("body",)
    if kind == "json_invalid":  # the location's second part is a character offset, not a field
        return "body"
    if where == "header" and path:
        return "-".join(part.capitalize() for part in str(path[0]).split("-"))
    return ".".join(str(p) for p in path) if path else str(where)


def _message(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a field here"
    if kind == "json_invalid":
        return f"the body is not valid JSON ({error.get('ctx', {}).get('error', 'parse error')})"
    return str(error.get("msg", "is invalid"))


def validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    if (refused := unauthenticated(request)) is not None:
        return refused
    errors = [{"field": _field_name(tuple(e.get("loc", ())), e.get("type", "")), "message": _message(e)}
              for e in exc.errors()]
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return problem(422, "invalid-input", "Invalid input", detail, errors=errors)


def http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and exc.detail == BODY_PARSE_ERROR:
        # FastAPI's answer to a body it could not even decode (not UTF-8, nested too deep): bad input, 422.
        return unauthenticated(request) or body_problem("is not valid UTF-8 JSON, or is nested too deeply")
    slug = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
    return problem(exc.status_code, slug, str(exc.detail), str(exc.detail))


def unexpected_error(_request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error", exc_info=exc)
    return problem(500, "internal-error", "Internal error",
                   "Something went wrong on our side; the error has been logged")


def install(app: FastAPI) -> None:
    app.add_exception_handler(LedgerError, ledger_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected_error)
    app.openapi = documented(app.openapi)  # type: ignore[method-assign]  # FastAPI's way to extend its document


# ------------------------------------------------------------------------------------------ the OpenAPI document


class FieldProblem(BaseModel):
    field: str = Field(description="the field as sent: pupil.upn, entries.0.plan_id, If-Match, body...")
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem: what went wrong, for a program (type, status) and for a person (title, detail)."""

    type: str = Field(json_schema_extra={"format": "uri"})
    title: str
    status: int
    detail: str
    rule: str | None = Field(None, description="409: the rule that refused it (record_intact: the stored record "
                                               "was altered outside the ledger)")
    current_version: int | None = Field(None, description="412: the version the plan is at")
    errors: list[FieldProblem] | None = Field(None, description="422: every field that is wrong")


class InvalidInputProblem(Problem):
    errors: list[FieldProblem] = Field(description="every field that is wrong, at once")


WRITES = {"post", "put", "patch", "delete"}
CHECKS = {"/v1/receipts/verify"}  # a POST that changes nothing: anyone who may see the plan may check a receipt
SETTINGS = "/v1/settings/"  # a setting's records and reports: its staff and administrators only
REPORTED_IN_ANSWER = {"/v1/plans/{plan_id}/events", "/v1/plans/{plan_id}/verify"}  # a damaged record is shown
RECORDS_ON_PLANS = ("/v1/plans", "/v1/deliveries")  # writes here are entries in plans' histories
GROUPS = "/v1/settings/{urn}/groups"  # a setting's own records, whose writes a rule may refuse (409)
ITEM_PATH = ("plan_id", "item_id", "grant_id")  # path parameters that find a plan, item or grant (or answer 404)
# Reads of a plan that its grantees may not all make (the SENCO's and administrators' view of who may see it, and
# who has looked); and the answers logged before they are sent (CONTRACT.md §10: 503 if the log cannot be written).
READS_NOT_FOR_EVERY_GRANTEE = {"/v1/plans/{plan_id}/grants", "/v1/plans/{plan_id}/access-log"}
LOGGED_LISTINGS = {("get", "/v1/plans"), ("get", "/v1/me/plans"), ("post", "/v1/receipts/verify"),
                   ("get", "/v1/settings/{urn}/reviews-due"), ("get", "/v1/settings/{urn}/quality"),
                   ("get", "/v1/settings/{urn}/delivery")}
FASTAPI_422 = "Validation Error"  # how FastAPI describes the 422 it adds itself, which no answer is shaped like


def error_statuses(path: str, method: str, operation: dict[str, Any], names_a_plan: bool) -> dict[int, str]:
    """What ``operation`` can answer instead of success, with what each means; ``names_a_plan`` when its body
    names a plan (a session's entries, a receipt)."""
    write = method in WRITES and path not in CHECKS
    parameters = operation.get("parameters", [])
    statuses: dict[int, str] = {}
    if operation.get("security"):
        statuses[401] = "no valid bearer token: send 'Authorization: Bearer TOKEN'"
    if write or path.startswith(SETTINGS) or path in READS_NOT_FOR_EVERY_GRANTEE:
        statuses[403] = "your role may not do this"
    if "{plan_id}" in path or names_a_plan:
        statuses[404] = "no such plan (or item), or you may not see it"
    if "{group_id}" in path:
        statuses[404] = "no such group in the setting"
    if write and path.startswith(GROUPS):
        statuses[409] = "a rule refuses the change (rule and detail say which)"
    elif write and path.startswith(RECORDS_ON_PLANS):
        statuses[409] = "a rule of the plan refuses the change (rule and detail say which)"
    elif "{plan_id}" in path and path not in REPORTED_IN_ANSWER:
        statuses[409] = "the plan's stored record was altered outside the ledger (rule record_intact): run verify"
    if "{plan_id}" in path and any(p["in"] == "header" and p["name"].lower() == "if-match" for p in parameters):
        statuses[412] = "If-Match named a version the plan is no longer at (current_version says which)"
    if "{group_id}" in path and any(p["in"] == "header" and p["name"].lower() == "if-match" for p in parameters):
        statuses[412] = "If-Match named a version the group is no longer at (current_version says which)"
    if "requestBody" in operation or any(p["name"] not in ITEM_PATH for p in parameters):
        statuses[422] = "invalid input, every bad field named in errors" + ("; nothing was recorded" if write else "")
    else:  # every operation refuses a query parameter it does not take (api/params.py)
        statuses[422] = "a query parameter this operation does not take, named in errors"
    shows_plans = "{plan_id}" in path or path.startswith(GROUPS)  # a group shows its members' plans
    if (method == "get" and shows_plans) or (method, path) in LOGGED_LISTINGS:
        statuses[503] = "the access log could not be written, so the answer (which shows a plan) was not sent"
    return statuses


def document(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` (FastAPI's OpenAPI document) with every error each operation can answer, as a problem."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in (Problem, InvalidInputProblem):
        generated = model.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(generated.pop("$defs", {}))
        components[model.__name__] = generated
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            statuses = error_statuses(path, method, operation, _names_a_plan(operation, components))
            if "422" in responses and 422 not in statuses and responses["422"].get("description") == FASTAPI_422:
                del responses["422"]  # FastAPI's guess for any parameter; plan_id and item_id answer 404 instead
            for status, meaning in statuses.items():
                response = responses.setdefault(str(status), {})
                if response.get("description") in (None, FASTAPI_422):
                    response["description"] = meaning
            for status, response in responses.items():
                if status.startswith(("4", "5")):
                    name = InvalidInputProblem.__name__ if status == "422" else Problem.__name__
                    response["content"] = {PROBLEM: {"schema": {"$ref": f"#/components/schemas/{name}"}}}
            operation["responses"] = dict(sorted(responses.items()))
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    return schema


def _names_a_plan(operation: dict[str, Any], components: dict[str, Any]) -> bool:
    body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    return any("plan_id" in part.get("properties", {}) for part in _schemas(body, components, set()))


def _schemas(schema: Any, components: dict[str, Any], seen: set[str]) -> Iterator[dict[str, Any]]:
    """``schema`` and every schema inside it, following references."""
    if isinstance(schema, list):
        for part in schema:
            yield from _schemas(part, components, seen)
    if not isinstance(schema, dict):
        return
    ref = schema.get("$ref")
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[-1]
        if name not in seen:
            seen.add(name)
            yield from _schemas(components.get(name, {}), components, seen)
        return
    yield schema
    for value in schema.values():
        yield from _schemas(value, components, seen)


def documented(generate: Callable[[], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
    """FastAPI's ``app.openapi``, with the errors documented (once: FastAPI keeps the document it made)."""
    def openapi() -> dict[str, Any]:
        schema = generate()
        if Problem.__name__ not in schema.get("components", {}).get("schemas", {}):
            document(schema)
        return schema
    return openapi
