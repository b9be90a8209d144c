"""What families read beside the plan (CONTRACT.md §10, §13): who has looked at it (``/plans/{id}/access-log``),
and a one-page summary of the plan as it stands to print for a meeting (``/plans/{id}/summary``).

Both are reads of the application (``AccessLog.entries``, ``PlanHistory.plan_document``), which decide who may see
them and log them before they are shown. The summary only chooses what to show and puts it in words.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from starlette.responses import Response

from isp_ledger.access import User
from isp_ledger.domain.sections import LIVE_STATUSES
from isp_ledger.domain.stamp import LONDON
from isp_ledger.domain.wording import (
    AREA_NAMES,
    CATEGORY_NAMES,
    LOCATION_NAMES,
    NEED_TYPE_NAMES,
    ROLE_NAMES,
    TIER_NAMES,
    in_words,
    number,
    plural,
)
from isp_ledger.web.deps import LedgerDep, PageUser
from isp_ledger.web.errors import PageRoute
from isp_ledger.web.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

LOG_PAGE = 25  # entries a page: a parent reads them, and the newest matter most


# ------------------------------------------------------------------ who has looked at the plan


@router.get("/plans/{plan_id}/access-log")
def access_log(request: Request, plan_id: UUID, user: PageUser, ledger: LedgerDep,
               cursor: str | None = None) -> Response:
    page = ledger.access_log.entries(user, plan_id, limit=LOG_PAGE, cursor=cursor or None)
    return render(request, "family/access_log.html", title="Who has looked at this plan", plan_id=str(plan_id),
                  entries=[looked(entry, user) for entry in page["entries"]], next_cursor=page["next_cursor"],
                  first_page=cursor is None)


def day_of(instant: str) -> str:
    """The London date of an instant, in words: "3 March 2026"."""
    return in_words(dt.datetime.fromisoformat(instant).astimezone(LONDON).date())


def looked(entry: dict[str, Any], user: User) -> dict[str, str]:
    """An access-log entry as a parent reads it: when, and "Sam Senco (SENCO) read the plan as it stands"."""
    at = dt.datetime.fromisoformat(entry["at"]).astimezone(LONDON)
    viewer = entry["user"]
    if viewer["user_id"] == user.user_id:
        who = "You"
    else:
        name = viewer["name"] if viewer["name"] is not None else "Someone whose name was erased"
        who = f"{name} ({ROLE_NAMES.get(viewer['role'], viewer['role'])})"
    detail = entry["detail"]
    did = detail[:1].lower() + detail[1:] if detail[:2] != detail[:2].upper() else detail
    if who == "You":
        did = did.replace("shared with them", "shared with you")  # "Saw the plan in the plans shared with them"
    return {"at": at.isoformat(), "day": in_words(at.date()), "time": f"{at:%H:%M}",
            "sentence": f"{who} {did.rstrip('.')}."}


# ------------------------------------------------------------------ the one-page summary


@router.get("/plans/{plan_id}/summary")
def summary(request: Request, plan_id: UUID, user: PageUser, ledger: LedgerDep) -> Response:
    plan = ledger.history.plan_document(user, plan_id)  # checks who may see it, and logs the read
    setting = ledger.setting_details.shown(plan["setting_urn"])
    return render(request, "family/summary.html", title="Plan summary", plan=plan, setting=setting,
                  tier=TIER_NAMES.get(plan["tier"], plan["tier"]),
                  needs=[need(b) for b in plan["barriers"] if b["status"] in LIVE_STATUSES],
                  provisions=[provision(p) for p in plan["provisions"] if p["status"] in LIVE_STATUSES],
                  adjustments=[adjustment(a) for a in plan["adjustments"] if a["status"] in LIVE_STATUSES],
                  outcomes=[outcome(o) for o in plan["outcomes"] if o["status"] in LIVE_STATUSES],
                  today=in_words(ledger.history.today()), last_changed=day_of(plan["recorded_at"]))


def need(barrier: dict[str, Any]) -> dict[str, Any]:
    kind = NEED_TYPE_NAMES.get(barrier["need_type"]) if barrier.get("need_type") else None
    area = AREA_NAMES.get(barrier["area_of_need"], barrier["area_of_need"])
    if kind is not None and kind.casefold() == area.casefold():
        kind = None  # SEMH is both an area of need and a need type: said once
    return {"description": barrier["description"], "area": area[:1].upper() + area[1:], "type": kind,
            "paused": barrier["status"] != "active"}


def provision(item: dict[str, Any]) -> dict[str, Any]:
    """What, how often, who and where: "3 sessions a week, 30 minutes each"."""
    sessions, minutes = item["sessions_per_week"], item["minutes_per_session"]
    group = "one-to-one" if item["group_size"] == 1 else f"in a group of {number(item['group_size'])}"
    return {
        "description": item["description"],
        "how_often": f"{number(sessions)} {plural(sessions, 'session')} a week, {number(minutes)} "
                     f"{plural(minutes, 'minute')} each",
        "who": item["delivered_by"],
        "where": f"{group}, {LOCATION_NAMES.get(item['location'], item['location'])}",
        "ends_on": item.get("ends_on"),
        "paused": item["status"] != "active",
    }


def adjustment(item: dict[str, Any]) -> dict[str, Any]:
    category = CATEGORY_NAMES.get(item["category"], item["category"])
    return {"description": item["description"], "category": category[:1].upper() + category[1:],
            "paused": item["status"] != "active"}


def outcome(item: dict[str, Any]) -> dict[str, Any]:
    latest = item["progress"][-1] if item.get("progress") else None
    return {"description": item["description"], "success_criteria": item["success_criteria"],
            "target_date": item["target_date"], "baseline": item.get("baseline"), "target": item.get("target"),
            "latest": latest, "paused": item["status"] != "active"}
