"""How a page answers when it cannot show what was asked: plain pages, never JSON and never a stack trace.

* not signed in, or the session ended: a redirect to sign in, then back (``SignInNeeded``, ``Unauthenticated``);
* no such page, or a plan the person may not see (``NotFound``: its existence is not revealed): "Page not found";
* not allowed for their role (``Forbidden``): a plain 403 page;
* erased (``Gone``): a plain 410 page; the access log unavailable: 503; anything unexpected: 500, logged.

A refused form (``InvalidInput``, a rule, a stale version) is answered by the route itself, with the same form
and its errors (``forms.py``); one a route does not catch is shown as a plain page saying what was refused.

Every page route is a :class:`PageRoute`, so this holds for each, whatever its dependencies raise. Unknown page
paths get the same "Page not found" through :func:`install`, which leaves the API's answers as they were.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response

from isp_ledger.application import RecordDamaged
from isp_ledger.application.access_log import AccessLogUnavailable
from isp_ledger.domain.errors import Forbidden, Gone, LedgerError, NotFound, Unauthenticated
from isp_ledger.web.deps import SignInNeeded
from isp_ledger.web.forms import FormErrors
from isp_ledger.web.paths import is_page
from isp_ledger.web.templating import render

log = logging.getLogger(__name__)

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def not_found(request: Request) -> Response:
    return render(request, "errors/not_found.html", status_code=404, title="Page not found")


def error_page(request: Request, error: Exception) -> Response:
    """The page for an error a route did not answer itself."""
    if isinstance(error, SignInNeeded):
        return RedirectResponse(error.location, status_code=303)
    if isinstance(error, Unauthenticated):
        return RedirectResponse(SignInNeeded(request.url.path).location, status_code=303)
    if isinstance(error, NotFound):
        return not_found(request)
    if isinstance(error, Forbidden):
        return render(request, "errors/forbidden.html", status_code=403, title="You cannot do this",
                      detail=error.detail)
    if isinstance(error, Gone):
        return render(request, "errors/problem.html", status_code=410, title="This record was erased",
                      detail=error.detail)
    if isinstance(error, AccessLogUnavailable):
        return render(request, "errors/problem.html", status_code=503, title="Sorry, there is a problem",
                      detail="The record of who has looked at plans cannot be written just now, so nothing is "
                             "shown. Try again in a few minutes.")
    if isinstance(error, RecordDamaged):
        return render(request, "errors/problem.html", status_code=409, title="This record is damaged",
                      detail=error.detail)
    if isinstance(error, LedgerError):
        refused = FormErrors.of(error)
        return render(request, "errors/problem.html", status_code=refused.status, title="This was not done",
                      detail=" ".join(item["text"] for item in refused.summary))
    if isinstance(error, RequestValidationError):
        return not_found(request)  # a page's address with a malformed part (a plan id that is no id)
    log.exception("page %s %s failed", request.method, request.url.path, exc_info=error)
    return render(request, "errors/problem.html", status_code=500, title="Sorry, there is a problem",
                  detail="Something went wrong on our side, and nothing was changed. Try again later.")


class PageRoute(APIRoute):
    """A page route: whatever it (or a dependency) raises is answered by :func:`error_page`."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except HTTPException as e:
                if e.status_code == 404:
                    return not_found(request)
                raise
            except Exception as e:
                return error_page(request, e)

        return page_handler


def install(app: FastAPI) -> None:
    """Unknown page paths (and a method a page does not take) are answered with pages; the API's are not touched."""
    api_handler = app.exception_handlers[HTTPException]

    async def http_error(request: Request, error: Exception) -> Response:
        if isinstance(error, HTTPException) and is_page(request.url.path):
            if error.status_code == 404:
                return not_found(request)
            if error.status_code == 405:
                return render(request, "errors/problem.html", status_code=405, title="Page not found",
                              detail="This address does not take that kind of request.",
                              headers=error.headers)
            return render(request, "errors/problem.html", status_code=error.status_code,
                          title="Sorry, that did not work", detail="Nothing was changed. Go back and try again.",
                          headers=error.headers)
        result = api_handler(request, error)
        return await result if isinstance(result, Awaitable) else result

    app.add_exception_handler(HTTPException, http_error)
