"""What a plan said, and when (CONTRACT.md §3, §6): the plan document now, as of a date and as at an instant;
what changed between two points; the stored events themselves. Each answer is logged in the plan's access log
before it is returned.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from isp_ledger.access import User
from isp_ledger.application.access_log import AccessLog, diff_read, events_read, plan_read
from isp_ledger.application.base import Clock
from isp_ledger.application.calendars import Calendars
from isp_ledger.application.plans import Plans
from isp_ledger.domain.diff import diff_documents
from isp_ledger.domain.diff import is_empty as diff_is_empty
from isp_ledger.domain.errors import InvalidInput, LedgerError, NotFound
from isp_ledger.domain.plan import Plan
from isp_ledger.domain.stamp import LONDON, ONE_MICROSECOND, format_instant, is_backdated, london_date
from isp_ledger.domain.view import plan_document
from isp_ledger.storage.chain import unseal
from isp_ledger.storage.sealing import SEALED


class PlanHistory:
    def __init__(self, plans: Plans, calendars: Calendars, clock: Clock, access_log: AccessLog) -> None:
        self.plans = plans
        self.calendars = calendars  # which sessions were recorded late
        self.clock = clock
        self.access_log = access_log

    def today(self) -> str:
        """Today in London: the day the plan as it stands is shown as of (a provision past its ``ends_on`` is
        ended)."""
        return london_date(self.clock.now()).isoformat()

    def plan_document(self, user: User, plan_id: UUID, *, as_of: dt.date | None = None,
                      as_at: dt.datetime | None = None) -> dict[str, Any]:
        """The plan as it stands (as of today), as in force on ``as_of``, or as the record stood at ``as_at``
        (then as of that instant's London date, unless ``as_of`` says otherwise). Who may see it is decided by the
        plan as it is now."""
        current = self.plans.require_visible(user, plan_id)
        plan = self.plans.at_instant(plan_id, as_at) if as_at is not None else current
        today = _day_of_instant(as_at) if as_at is not None else self.today()
        document = plan_document(plan, as_of.isoformat() if as_of else None, today, privacy=True)
        if document is None:
            raise NotFound(f"Plan {plan_id} had not been opened by {as_of}")
        document["as_at"] = format_instant(as_at) if as_at is not None else None
        self.access_log.shown(user, current, plan_read(as_of, as_at))
        return document

    def plan_diff(self, user: User, plan_id: UUID, start: int | dt.date | dt.datetime | None,
                  end: int | dt.date | dt.datetime | None) -> dict[str, Any]:
        """What changed in the record between two points, each a version, a date or an instant (``None``: before
        the plan was opened for ``start``, as it stands now for ``end``). A date is a London day: ``start`` the
        record as it stood when the day began, ``end`` as it stood when the day ended, so that the changes
        recorded on the days from ``start`` to ``end`` are what the diff shows (as the timeline's dates read)."""
        current = self.plans.require_visible(user, plan_id)
        points = []
        first, last = _instant_of(start, False), _instant_of(end, True)
        both_days = all(isinstance(p, dt.date) and not isinstance(p, dt.datetime) for p in (start, end))
        if (both_days and start > end) or (  # type: ignore[operator]  # two dates, as just checked
                isinstance(first, dt.datetime) and isinstance(last, dt.datetime) and first > last):
            raise InvalidInput.field("from", "must not be after 'to'")
        for name, point in (("from", first), ("to", last)):
            if isinstance(point, int) and point > current.version:
                raise InvalidInput.field(name, f"the plan has only {current.version} versions")
            points.append(self.plans.at_point(plan_id, point) if point is not None else None)
        before, after = points[0], points[1] if end is not None else current
        if after is None:
            raise InvalidInput.field("to", "the plan had not been recorded by then")
        if before is not None and before.version > after.version:
            raise InvalidInput.field("from", "must not be after 'to'")
        # Each side as of the London date of its point: a provision whose ends_on passed in between is ended.
        now = plan_document(after, None, self.today() if last is None else _day_of(last, after))
        assert now is not None  # a plan folded to a version has been opened
        old = plan_document(before, None, _day_of(first, before)) if before is not None and first is not None else None
        changes = diff_documents(old, now)
        self.access_log.shown(user, current, diff_read(start, end))
        return {
            "plan_id": str(plan_id),
            "from": _point(before),
            "to": _point(after),
            "changed": not diff_is_empty(changes),
            "changes": changes,
        }

    def plan_events(self, user: User, plan_id: UUID) -> list[dict[str, Any]]:
        self.plans.require_visible_record(user, plan_id)
        late = self.late_sessions(plan_id)
        events = []
        for version, state in self.plans.store.stored_rows(plan_id):
            try:
                stored = unseal(state)
                envelope = self.plans.store.opened(stored)
                if SEALED in stored:  # what the hash covers, where it differs from what is shown (§7, §11)
                    envelope["stored"] = {key: stored[key] for key in ("actor", "reason", "data", SEALED)}
                envelope["backdated"] = is_backdated(envelope["agreed_on"], envelope["recorded_at"])
                envelope["late"] = envelope["event_id"] in late
            except (ValueError, KeyError, TypeError) as e:
                envelope = {"version": version, "damaged": True,
                            "detail": f"stored event cannot be read ({e.__class__.__name__}); run verify"}
            events.append(envelope)
        self.access_log.shown_record(user, plan_id, events_read())
        return events

    def late_sessions(self, plan_id: UUID) -> set[str]:
        """The event ids of the plan's sessions recorded late (CONTRACT.md §8); none for a record that cannot be
        folded (its events show as damaged)."""
        try:
            plan = self.plans.current(plan_id)
        except LedgerError:
            return set()
        return self.calendars.late_sessions(plan)


def _instant_of(point: int | dt.date | dt.datetime | None, end_of_day: bool) -> int | dt.datetime | None:
    """A date as the last instant before its London day began (or, ``end_of_day``, before the next began)."""
    if isinstance(point, dt.datetime) or not isinstance(point, dt.date):
        return point
    day = point + dt.timedelta(days=1) if end_of_day else point
    return dt.datetime.combine(day, dt.time(), tzinfo=LONDON) - ONE_MICROSECOND


def _day_of(point: int | dt.datetime, plan: Plan) -> str:
    """The London date of a point of the record: of the instant, or of the version's entry (``plan`` folded to it)."""
    return _day_of_instant(point if isinstance(point, dt.datetime) else plan.modified_on)


def _day_of_instant(instant: dt.datetime) -> str:
    try:
        return london_date(instant).isoformat()
    except OverflowError:  # an instant at the very edge of the calendar: its own date is as near as it gets
        return instant.date().isoformat()


def _point(plan: Plan | None) -> dict[str, Any]:
    if plan is None:
        return {"version": 0, "recorded_at": None}
    return {"version": plan.version, "recorded_at": format_instant(plan.modified_on)}
