"""The green "done" banner shown once on the page a form's write redirects to ("Provision added").

A write answers 303 to the plan page; what was done travels in a short-lived cookie holding one of the messages
below by its key (never free text, so no other site or tampered cookie can put words on our pages), and the
next page rendered shows it in GOV.UK Frontend's success notification banner (``base.html``) and clears it.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from isp_ledger.domain.sections import SECTIONS
from isp_ledger.web.deps import is_local

NOTICE_COOKIE = "isp_notice"
_NOUNS = {"barriers": "Need", "provisions": "Provision", "adjustments": "Adjustment", "outcomes": "Outcome"}
NOTICES: dict[str, str] = {
    "plan-opened": "Plan opened",
    "plan-closed": "Plan closed",
    "review-recorded": "Review recorded",
    "progress-recorded": "Progress recorded",
    "entry-corrected": "Entry corrected",
    "entry-voided": "Entry struck out as recorded in error",
    # FAMILY PAGES (routes/family.py)
    "response-recorded": "Response recorded",
    "views-added": "Views added",
    "child-views-added": "Child's views added",
    "advice-added": "Professional advice added",
    **{f"{kind}-{done}": f"{_NOUNS[kind]} {words}" for kind in SECTIONS
       for done, words in (("added", "added"), ("changed", "changed"), ("ended", "ended"))},
}


def redirect_with_notice(url: str, key: str, request: Request) -> RedirectResponse:
    """303 to ``url``, which shows the notice ``key`` (one of :data:`NOTICES`)."""
    if key not in NOTICES:
        raise KeyError(key)
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(NOTICE_COOKIE, key, max_age=120, path="/", httponly=True, samesite="lax",
                        secure=not is_local(request))
    return response


def take_notice(request: Request) -> str | None:
    """The notice waiting for this request's page, if any (the page then clears it: :func:`clear_notice`)."""
    return NOTICES.get(request.cookies.get(NOTICE_COOKIE, ""))


def clear_notice(request: Request, response: Response) -> None:
    if NOTICE_COOKIE in request.cookies:
        response.delete_cookie(NOTICE_COOKIE, path="/", httponly=True, samesite="lax", secure=not is_local(request))
