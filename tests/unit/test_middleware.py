"""The HTTP hardening, at the level of ASGI messages, where "before it is read" and "never slowed" can be seen
exactly: how many chunks of a body were pulled, whether the application was reached at all."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anyio
import pytest
from starlette.types import Message, Receive, Scope, Send

from isp_ledger.api.middleware import DOCS_CSP, HTML_CSP, STRICT_CSP, AuthFailureLimit, BodyLimit, SecurityHeaders

LIMIT = 1000


class Echo:
    """An application that reads the whole body, then answers 401 unless the token is "good", else 200."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.calls += 1
        size = 0
        while True:
            message = await receive()
            size += len(message.get("body", b""))
            if not message.get("more_body"):
                break
        headers = dict(scope["headers"])
        status = 200 if headers.get(b"authorization", b"") in (b"", b"Bearer good") else 401
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"server", b"uvicorn")]})
        await send({"type": "http.response.body", "body": str(size).encode()})


class Exchange:
    """One request through an ASGI app: the chunks it pulls, the messages it sends."""

    def __init__(self, app: Any, chunks: list[bytes], headers: dict[str, str] | None = None,
                 client: str = "10.0.0.1", path: str = "/v1/plans") -> None:
        self.pulled = 0
        self.sent: list[Message] = []
        self.scope = {"type": "http", "method": "POST", "path": path, "client": (client, 5000),
                      "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]}
        self.chunks = chunks
        anyio.run(app, self.scope, self.receive, self.send)

    async def receive(self) -> Message:
        index = self.pulled
        self.pulled += 1
        if index >= len(self.chunks):
            return {"type": "http.disconnect"}
        return {"type": "http.request", "body": self.chunks[index], "more_body": index < len(self.chunks) - 1}

    async def send(self, message: Message) -> None:
        self.sent.append(message)

    @property
    def status(self) -> int:
        return int(self.sent[0]["status"])

    @property
    def headers(self) -> dict[str, str]:
        return {k.decode(): v.decode() for k, v in self.sent[0]["headers"]}


def test_a_body_announced_as_too_large_is_refused_without_reading_any_of_it() -> None:
    echo = Echo()
    exchange = Exchange(BodyLimit(echo, LIMIT), [b"x" * 100] * 50, {"content-length": str(LIMIT + 1)})
    assert exchange.status == 413
    assert exchange.pulled == 0 and echo.calls == 0
    assert exchange.headers["content-type"] == "application/problem+json"
    assert b"ISP_LEDGER_MAX_BODY_BYTES" in exchange.sent[1]["body"]


def test_a_body_sent_in_chunks_is_refused_as_soon_as_it_passes_the_limit() -> None:
    echo = Echo()
    exchange = Exchange(BodyLimit(echo, LIMIT), [b"x" * 100] * 10_000)  # 1 MB, no Content-Length
    assert exchange.status == 413
    assert exchange.pulled == LIMIT // 100 + 1, "not one chunk more than it took to pass the limit"
    assert [m["type"] for m in exchange.sent] == ["http.response.start", "http.response.body"], "only the 413"


def test_a_body_within_the_limit_reaches_the_application_whole() -> None:
    for chunks, headers in (([b"x" * 500, b"y" * 500], {"content-length": "1000"}), ([b"x" * 1000], {})):
        exchange = Exchange(BodyLimit(Echo(), LIMIT), chunks, headers)
        assert exchange.status == 200 and exchange.sent[1]["body"] == b"1000"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def limited() -> Iterator[tuple[AuthFailureLimit, Echo, Clock]]:
    echo, clock = Echo(), Clock()
    yield AuthFailureLimit(echo, lambda token: object() if token == "good" else None, burst=3, per_second=0.5,
                           clock=clock), echo, clock


def test_failed_authentications_past_the_allowance_are_answered_429_with_retry_after(
    limited: tuple[AuthFailureLimit, Echo, Clock],
) -> None:
    limit, echo, clock = limited
    bad = {"authorization": "Bearer guess"}
    assert [Exchange(limit, [b""], bad).status for _ in range(3)] == [401, 401, 401]
    refused = Exchange(limit, [b""], bad)
    assert refused.status == 429 and refused.headers["retry-after"] == "2"
    assert echo.calls == 3, "the refused request went no further"
    assert Exchange(limit, [b""], {"authorization": "Basic abc"}).status == 429
    assert Exchange(limit, [b""], bad, client="10.0.0.2").status == 401, "per client"
    clock.now += 2  # one failure's worth of allowance back
    assert [Exchange(limit, [b""], bad).status for _ in range(2)] == [401, 429]


def test_a_good_token_and_a_request_without_one_are_never_held_up(
    limited: tuple[AuthFailureLimit, Echo, Clock],
) -> None:
    limit, echo, _clock = limited
    for _ in range(10):
        Exchange(limit, [b""], {"authorization": "Bearer guess"})
    assert Exchange(limit, [b"abc"], {"authorization": "Bearer good"}).status == 200
    assert Exchange(limit, [b""], {}, path="/healthz").status == 200
    no_token = Exchange(limit, [b""], {})
    assert no_token.status == 200 and echo.calls == 3 + 3, "three failures, then the three requests above"


def test_security_headers_are_on_every_response_and_the_server_is_not_named() -> None:
    exchange = Exchange(SecurityHeaders(Echo()), [b""], {"authorization": "Bearer guess"})
    headers = exchange.headers
    assert exchange.status == 401
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["cache-control"] == "no-store"
    assert headers["content-security-policy"] == STRICT_CSP
    assert "server" not in headers


def test_the_content_security_policy_fits_what_is_sent() -> None:
    assert SecurityHeaders.policy("/v1/plans/x", "application/json") == STRICT_CSP
    assert SecurityHeaders.policy("/v1/plans/x/bundle", "application/pdf") == STRICT_CSP
    assert SecurityHeaders.policy("/v1/plans/x/bundle", "text/html; charset=utf-8") == HTML_CSP
    assert SecurityHeaders.policy("/docs", "text/html; charset=utf-8") == DOCS_CSP
    assert "script-src" not in HTML_CSP and "'unsafe-inline'" in HTML_CSP.split("style-src")[1].split(";")[0]
