"""What a page says after a write went through: the GOV.UK notification banner on the page it redirects to.

A write's route redirects (303) to the plan's page with ``?done=KEY``; the page shows :data:`NOTICES` [KEY] in a
success banner (:func:`notice`). Only these fixed sentences can be shown: an address cannot make a page say
anything else. Each part of the site adds its own keys here.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request

NOTICES = {
    # FAMILY PAGES (routes/family.py)
    "response-recorded": "Response recorded",
    "views-added": "Views added",
    "child-views-added": "Child's views added",
    "advice-added": "Professional advice added",
}


def done(path: str, key: str) -> str:
    """Where a write redirects to: ``path`` with the notice ``key`` to show there."""
    assert key in NOTICES, key
    return f"{path}?done={quote(key)}"


def notice(request: Request) -> str | None:
    """The notice the address asks for, if it is one of ours."""
    return NOTICES.get(request.query_params.get("done") or "")
