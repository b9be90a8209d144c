"""Every form of the pages is protected against cross-site request forgery, twice over, before any route runs:

1. ``Sec-Fetch-Site: cross-site`` on a POST (or any unsafe method) to a page is refused: browsers send it with a
   form another website submits.
2. ``asgi-csrf`` (Simon Willison's): a signed token in a cookie that every form must echo in its ``csrftoken``
   field. It runs on the page paths only (``paths.is_page``); the API, which takes bearer tokens and no cookies,
   is left exactly as it was. Its one gap, that a POST carrying no cookie at all is let through (a browser sends
   no ``SameSite=Lax`` cookie with another site's POST), is closed by naming every page path as "always
   protected". The signing key is a service key (``csrf``), the same in every process.

A refused form gets a plain 403 page that says to go back and try again.
"""

from __future__ import annotations

from typing import Any

from asgi_csrf import asgi_csrf  # type: ignore[import-untyped]
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from isp_ledger.web.paths import LOCAL_HOSTS, is_page
from isp_ledger.web.templating import CSRF_FIELD, render

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class _PagePaths:
    """asgi-csrf's ``always_protect`` asks ``path in always_protect``: every page path is."""

    def __contains__(self, path: object) -> bool:
        return isinstance(path, str) and is_page(path)


async def _refuse(scope: Scope, send: Send, *_: Any) -> None:
    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    response = render(Request(scope, receive), "errors/refused.html", status_code=403,
                      title="Sorry, that did not work")
    await response(scope, receive, send)


class PageForms:
    """ASGI middleware: the two checks above, for the page paths."""

    def __init__(self, app: ASGIApp, secret: bytes) -> None:
        self.app = app
        self.protected = asgi_csrf(app, signing_secret=secret, always_protect=_PagePaths(),
                                   skip_if_scope=lambda scope: not is_page(scope["path"]),
                                   send_csrf_failed=_refuse)
        self.form_field = CSRF_FIELD

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_page(scope["path"]):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        if scope["method"] not in SAFE_METHODS and headers.get(b"sec-fetch-site") == b"cross-site":
            await _refuse(scope, send)
            return
        host = headers.get(b"host", b"").decode("latin-1").rsplit(":", 1)[0]
        local = host in LOCAL_HOSTS or host.strip("[]") in LOCAL_HOSTS

        async def send_with_flags(message: Message) -> None:
            # asgi-csrf sets its cookie without HttpOnly, and Secure only always or never: here Secure unless on
            # this machine (like the session cookie), and HttpOnly (the token reaches forms from the page itself).
            if message["type"] == "http.response.start":
                flags = b"; HttpOnly" + (b"" if local else b"; Secure")
                message = {**message, "headers": [
                    (name, value + flags if name == b"set-cookie" and value.startswith(b"csrftoken=") else value)
                    for name, value in message.get("headers", [])
                ]}
            await send(message)

        await self.protected(scope, receive, send_with_flags)
