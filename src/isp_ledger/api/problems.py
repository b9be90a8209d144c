"""Every error the API returns, as RFC 9457 ``application/problem+json``, mapped in one place."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from isp_ledger.application import RecordDamaged
from isp_ledger.domain.errors import (
    Forbidden,
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
    (Unauthenticated, 401, "unauthenticated"),
    (StaleVersion, 412, "stale-version"),
    # A record altered outside the ledger: the ledger refuses to fold it into a plan as if it were evidence.
    (RecordDamaged, 409, "record-damaged"),
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
    for cls, status, slug in STATUS:
        if isinstance(exc, cls):
            break
    else:  # pragma: no cover - every LedgerError subclass is listed
        status, slug = 400, "refused"
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
    errors = [{"field": _field_name(tuple(e.get("loc", ())), e.get("type", "")), "message": _message(e)} for e in exc.errors()]
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
    return problem(500, "internal-error", "Internal error", "Something went wrong on our side; the error has been logged")


def install(app: FastAPI) -> None:
    app.add_exception_handler(LedgerError, ledger_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected_error)
