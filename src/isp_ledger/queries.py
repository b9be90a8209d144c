"""The reads answered from read models, for every entry point: a plan's timeline and delivery figures, a setting's
reviews due, quality gaps and delivery report (CONTRACT.md §6, §8).

Each query decides visibility the one way the API always has (``access`` and the plan's own events, never a read
model), reads the read model once it shows what the caller must see, and writes the access-log entry before the
answer goes back. The API's routes and the web pages both call these, so a page shows exactly what the API
answers, and logs it the same way.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol
from uuid import UUID

from isp_ledger import access
from isp_ledger.access import User
from isp_ledger.application import Ledger
from isp_ledger.application.access_log import (
    Reading,
    delivery_read,
    listed_in,
    period_words,
    timeline_read,
)
from isp_ledger.domain.delivery import SESSION_EVENT
from isp_ledger.domain.errors import InvalidInput
from isp_ledger.domain.quality import delivery_window
from isp_ledger.domain.stamp import london_date
from projections import delivery, quality, reviews_due, timeline
from projections.base import View

MAX_WINDOW_DAYS = 3_700  # ten school years and then some: enough for any report, bounded for the server


class Freshness(Protocol):
    """How fresh a read model's answer is (``ReadSide.for_user``)."""

    @property
    def fresh(self) -> bool: ...

    def headers(self) -> dict[str, str]: ...


class ReadModels(Protocol):
    """The read side as a query needs it: a read model once it shows what ``user_id`` must see."""

    def for_user(self, name: str, user_id: str, plan_id: UUID | None = None) -> tuple[View, Any]: ...


def window(ledger: Ledger, start: dt.date | None, end: dt.date | None) -> tuple[dt.date, dt.date]:
    """A report's period: ``to`` defaults to today (Europe/London), ``from`` to the start of that school year."""
    end = end or london_date(ledger.clock.now())
    start = start or dt.date(end.year if end.month >= 9 else end.year - 1, 9, 1)
    if start > end:
        raise InvalidInput.field("from", "must not be after 'to'")
    if (end - start).days > MAX_WINDOW_DAYS:
        raise InvalidInput.field("from", f"the period may be at most {MAX_WINDOW_DAYS} days long")
    return start, end


def counting(ledger: Ledger) -> dict[str, Any]:
    """What a delivery report counts by besides its window: today (planned sessions are counted up to it at the
    latest) and the school days after which a session's entry is late."""
    return {"today": london_date(ledger.clock.now()), "late_entry_days": ledger.calendars.late_entry_days}


def plan_timeline(ledger: Ledger, read_side: ReadModels, user: User, plan_id: UUID, *,
                  recorded_from: dt.date | None = None, recorded_to: dt.date | None = None,
                  kinds: list[str] | None = None, limit: int = 50,
                  before_version: int | None = None) -> tuple[dict[str, Any], Freshness]:
    """The plan's history, newest first, one plain-English line per entry; ``next_version`` pages on."""
    plan = ledger.plans.require_visible(user, plan_id)  # decided by the plan's own events, never a read model
    view, freshness = read_side.for_user(timeline.Timeline.name, user.user_id, plan_id)
    entries, next_version = timeline.entries(view, plan_id, limit=limit, before_version=before_version,
                                             recorded_from=recorded_from, recorded_to=recorded_to, kinds=kinds)
    # Late entries of sessions (CONTRACT.md §8) are counted with the setting's calendar as it stands, on reading.
    late = ledger.history.late_sessions(plan_id) if any(e["type"] == SESSION_EVENT for e in entries) else set()
    for entry in entries:
        entry["late"] = entry["event_id"] in late
    ledger.access_log.shown(user, plan, timeline_read(recorded_from, recorded_to, kinds))
    return {"setting": ledger.setting_details.shown(plan.setting_urn), "entries": entries,
            "next_version": next_version}, freshness


def plan_delivery(ledger: Ledger, read_side: ReadModels, user: User, plan_id: UUID, *, start: dt.date,
                  end: dt.date) -> tuple[dict[str, Any], Freshness]:
    """Per provision of the plan, planned versus delivered over ``start``..``end`` (see ``window``)."""
    plan = ledger.plans.require_visible(user, plan_id)  # decided by the plan's own events, never a read model
    view, freshness = read_side.for_user(delivery.Delivery.name, user.user_id, plan_id)
    report = delivery.plan_report(view, plan_id, start, end, ledger.calendars.school_calendar, **counting(ledger))
    ledger.access_log.shown(user, plan, delivery_read(start, end))
    return report, freshness


def reviews_due_report(ledger: Ledger, read_side: ReadModels, user: User,
                       urn: str) -> tuple[dict[str, Any], Freshness]:
    """Open plans of the setting whose review is overdue or due within 30 days, soonest first."""
    access.require_staff_of(user, urn)
    view, freshness = read_side.for_user(reviews_due.ReviewsDue.name, user.user_id)
    today = london_date(ledger.clock.now())
    plans = reviews_due.report(view, urn, today)
    _log_rows(ledger, user, plans, listed_in("the setting's reviews-due report", setting_urn=urn))
    return {"setting_urn": urn, "setting": ledger.setting_details.shown(urn), "as_of": today.isoformat(),
            "plans": plans}, freshness


def quality_report(ledger: Ledger, read_side: ReadModels, user: User, urn: str) -> tuple[dict[str, Any], Freshness]:
    """Per open plan of the setting, the gaps a SENCO must fix on the day asked."""
    access.require_staff_of(user, urn)
    view, freshness = read_side.for_user(quality.Quality.name, user.user_id)
    today = london_date(ledger.clock.now())
    weeks = delivery_window(ledger.calendars.school_calendar(urn), today)
    delivered = None
    if weeks is not None:
        delivery_view, delivery_freshness = read_side.for_user(delivery.Delivery.name, user.user_id)
        delivered = delivery.provision_figures(delivery_view, urn, *weeks, ledger.calendars.school_calendar,
                                               late_entry_days=ledger.calendars.late_entry_days)
        freshness = _staler(freshness, delivery_freshness)
    plans = quality.report(view, urn, today, delivered, weeks)
    _log_rows(ledger, user, plans, listed_in("the setting's quality report", setting_urn=urn))
    return {"setting_urn": urn, "setting": ledger.setting_details.shown(urn), "as_of": today.isoformat(),
            "plans": plans}, freshness


def setting_delivery(ledger: Ledger, read_side: ReadModels, user: User, urn: str, *, start: dt.date,
                     end: dt.date) -> tuple[dict[str, Any], Freshness]:
    """Planned versus delivered provision across the setting (see ``window``)."""
    access.require_staff_of(user, urn)
    view, freshness = read_side.for_user(delivery.Delivery.name, user.user_id)
    report = delivery.setting_report(view, urn, start, end, ledger.calendars.school_calendar, **counting(ledger))
    report["calendar_version"] = ledger.calendars.setting_calendar(user, urn)["version"]
    report["setting"] = ledger.setting_details.shown(urn)
    _log_rows(ledger, user, report["plans"], listed_in(
        "the setting's delivery report", period_words(start, end), setting_urn=urn, **{"from": start, "to": end}))
    return report, freshness


def _staler(first: Freshness, second: Freshness) -> Freshness:
    """An answer drawn from two read models is as fresh as the less fresh of them."""
    return first if not first.fresh or second.fresh else second


def _log_rows(ledger: Ledger, user: User, rows: list[dict[str, Any]], reading: Reading) -> None:
    """Each plan a report shows a row of, in the plans' access logs (one statement)."""
    plan_ids = list(dict.fromkeys(UUID(str(row["plan_id"])) for row in rows))
    ledger.access_log.listed(user, [(plan_id, None) for plan_id in plan_ids], reading)
