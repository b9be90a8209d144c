"""What every request passes through before a route sees it, and every response on its way out (ASGI middleware).

* ``SecurityHeaders``: no sniffing, no referrer, a Content-Security-Policy fitted to what is sent, and
  ``Cache-Control: no-store`` (answers carry children's records: no browser or proxy may keep them).
* ``BodyLimit``: a body over the limit is refused with 413 before it is read (by its Content-Length, or, sent
  in chunks, as soon as it passes the limit), so a large body costs neither time nor memory.
* ``AuthFailureLimit``: a client that keeps failing to authenticate is answered 429 with ``Retry-After``; a
  request with a good token is never held up. The counts are kept in memory, per process: a restart forgets
  them, and each process of a deployment counts on its own.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp as App
from starlette.types import Message, Receive, Scope, Send

from isp_ledger.api import problems

# JSON, PDF and anything else: nothing may be loaded, run or framed.
STRICT_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# The HTML evidence bundle: its styles are inline (a bundle is one self-contained file), it loads nothing.
HTML_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; "
            "base-uri 'none'; form-action 'none'")
# FastAPI's documentation pages: Swagger UI and ReDoc from their CDN, started by an inline script of FastAPI's own.
DOCS_CSP = ("default-src 'none'; script-src 'unsafe-inline' https://cdn.jsdelivr.net; "
            "style-src 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
            "font-src https://fonts.gstatic.com; img-src data: https://fastapi.tiangolo.com https://cdn.jsdelivr.net; "
            "worker-src blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
DOCS = ("/docs", "/redoc")

SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cache-control": "no-store",
}


async def _send_problem(scope: Scope, receive: Receive, send: Send, *, status: int, slug: str, title: str,
                        detail: str, headers: dict[str, str] | None = None) -> None:
    response = problems.problem(status, slug, title, detail)
    response.headers.update(headers or {})
    await response(scope, receive, send)


class SecurityHeaders:
    """``page_policy``: the Content-Security-Policy of the web pages (HTML outside ``/v1`` and the API's documents)."""

    def __init__(self, app: App, page_policy: str | None = None) -> None:
        self.app = app
        self.page_policy = page_policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
                headers["content-security-policy"] = self.policy(scope["path"], headers.get("content-type", ""),
                                                                  self.page_policy)
                if "server" in headers:
                    del headers["server"]
            await send(message)

        await self.app(scope, receive, send_with_headers)

    @staticmethod
    def policy(path: str, content_type: str, page_policy: str | None = None) -> str:
        if not content_type.startswith("text/html"):
            return STRICT_CSP
        if path.startswith(DOCS):
            return DOCS_CSP
        if page_policy is not None and not path.startswith("/v1"):
            return page_policy
        return HTML_CSP


class BodyTooLarge(Exception):
    """Raised into the application by ``receive`` when the body passes the limit, so it stops reading."""


class BodyLimit:
    def __init__(self, app: App, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > self.max_bytes:
            await self.refuse(scope, receive, send)
            return
        received = 0
        exceeded = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    raise BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded and not started:
                return  # whatever the application made of a body cut short, the answer is 413 (sent below)
            started = started or message["type"] == "http.response.start"
            await send(message)

        with contextlib.suppress(BodyTooLarge):
            await self.app(scope, counting_receive, guarded_send)
        if exceeded and not started:
            await self.refuse(scope, receive, send)

    async def refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        await _send_problem(
            scope, receive, send, status=413, slug="body-too-large", title="Request body too large",
            detail=f"The request body is larger than the {self.max_bytes} bytes this service accepts "
            "(ISP_LEDGER_MAX_BODY_BYTES); nothing was read or recorded",
            headers={"connection": "close"},
        )


@dataclass
class _Allowance:
    """A client's allowance of failed authentications: ``burst`` at first, refilled at ``per_second``."""

    left: float
    updated: float


class AuthFailureLimit:
    """At most ``burst`` failed authentications (a token sent, and refused with 401) from one client at once, then
    ``per_second``; past that, a request whose token is bad is answered 429 without going further.

    A request whose token is good always goes through: while a client is over its allowance, its tokens are
    checked here (``authenticate``, the one indexed read the route would make) and only bad ones are refused. A
    request with no token at all is no attempt to guess one: it is answered (401 on ``/v1``) and not counted.
    """

    MAX_CLIENTS = 10_000  # remembered at once; beyond that, clients back to a full allowance are forgotten first

    def __init__(self, app: App, authenticate: Callable[[str], object | None], *, burst: int = 20,
                 per_second: float = 1 / 3, clock: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self.authenticate = authenticate
        self.burst = burst
        self.per_second = per_second
        self.clock = clock
        self.allowances: dict[str, _Allowance] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        authorization = Headers(scope=scope).get("authorization") if scope["type"] == "http" else None
        if authorization is None:
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("unknown",))[0]
        allowance = self._allowance(client)
        if allowance.left < 1 and not await self._good(authorization):
            wait = math.ceil((1 - allowance.left) / self.per_second)
            await _send_problem(
                scope, receive, send, status=429, slug="too-many-failed-authentications",
                title="Too many failed authentications",
                detail=f"Too many requests from your address failed to authenticate; try again in {wait} seconds "
                "with a valid token", headers={"retry-after": str(wait)},
            )
            return

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 401:
                self._spend(client)
            await send(message)

        await self.app(scope, receive, counting_send)

    async def _good(self, authorization: str) -> bool:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return False
        return await run_in_threadpool(self.authenticate, token.strip()) is not None

    def _allowance(self, client: str) -> _Allowance:
        now = self.clock()
        allowance = self.allowances.get(client)
        if allowance is None:
            return _Allowance(self.burst, now)
        allowance.left = min(self.burst, allowance.left + (now - allowance.updated) * self.per_second)
        allowance.updated = now
        return allowance

    def _spend(self, client: str) -> None:
        allowance = self._allowance(client)
        allowance.left -= 1
        self.allowances[client] = allowance
        if len(self.allowances) > self.MAX_CLIENTS:
            self._forget()

    def _forget(self) -> None:
        now = self.clock()
        for client, allowance in list(self.allowances.items()):
            if allowance.left + (now - allowance.updated) * self.per_second >= self.burst:
                del self.allowances[client]
        while len(self.allowances) > self.MAX_CLIENTS:  # still too many: the oldest go
            del self.allowances[next(iter(self.allowances))]
