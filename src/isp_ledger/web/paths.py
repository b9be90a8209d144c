"""Which paths are the web pages': everything but the API, its documents and the operations endpoints.

Decided in one place, so that the pages' CSRF protection, content security policy and error pages apply to every
page route (one added later included) and to none of the API's, whose bearer tokens need none of them.
"""

from __future__ import annotations

NOT_PAGES = ("/v1/", "/healthz", "/metrics", "/docs", "/redoc", "/openapi.json")
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


def is_page(path: str) -> bool:
    return path != "/v1" and not path.startswith(NOT_PAGES)


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path of this site only (never ``//elsewhere`` or a URL), else home."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")) or not is_page(target):
        return "/"
    if any(ord(c) < 0x20 for c in target):
        return "/"
    return target
