"""What the plan page says after a successful write: the page that wrote redirects (303) to
``/plans/{id}?done=<key>`` (``done_redirect``) and the plan page shows the GOV.UK notification banner for that key.

Only the keys below are shown, each with its own fixed words: a link someone else made cannot put words of their
choosing on the page ("Your plan was deleted, call..."). An unknown key shows no banner.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.responses import RedirectResponse

NOTICES = {
    "plan-opened": "Plan opened",
    **{f"{kind}-{verb}": f"{noun} {verb}"
       for kind, noun in (("barriers", "Need"), ("provisions", "Provision"), ("adjustments", "Adjustment"),
                          ("outcomes", "Outcome"))
       for verb in ("added", "changed", "ended")},
    "progress-recorded": "Progress recorded",
    "review-recorded": "Review recorded",
    "entry-corrected": "Correction recorded",
    "entry-voided": "Entry marked as recorded in error",
    "plan-closed": "Plan closed",
    "access-granted": "Access given",
    "access-revoked": "Access taken away",
    "invitation-sent": "Invitation sent",
    "response-recorded": "Your response has been recorded",
    "view-added": "View added",
}


def notice(key: str | None) -> str | None:
    """The banner's words for ``key``, if it is one of ours."""
    return NOTICES.get(key) if key else None


def done_redirect(plan_id: object, key: str) -> RedirectResponse:
    """After a write: to the plan page, which says what was done."""
    if key not in NOTICES:
        raise ValueError(f"no notice {key!r}: add it to web/notices.py")
    return RedirectResponse(f"/plans/{plan_id}?done={quote(key)}", status_code=303)
