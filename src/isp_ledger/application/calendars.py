"""Settings' school calendars (CONTRACT.md §8): the days on which provision is owed."""

from __future__ import annotations

from typing import Any

from isp_ledger import access
from isp_ledger.access import User
from isp_ledger.application.base import Clock
from isp_ledger.domain.calendar import WEEKDAYS_ONLY, SchoolCalendar, clean_calendar
from isp_ledger.storage.calendars import CalendarStore


class Calendars:
    def __init__(self, store: CalendarStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def setting_calendar(self, user: User, setting_urn: str) -> dict[str, Any]:
        """The setting's calendar as it stands (version 0, weekdays only, if none was ever set)."""
        access.require_staff_of(user, setting_urn)
        stored = self.store.current(setting_urn)
        if stored is None:
            return {"setting_urn": setting_urn, "version": 0, **WEEKDAYS_ONLY.as_json(), "changed_at": None,
                    "changed_by": None}
        return stored.as_json()

    def set_calendar(self, user: User, setting_urn: str, *, holidays: Any, closures: Any) -> dict[str, Any]:
        access.require_can_manage_setting(user, setting_urn)
        calendar = clean_calendar(holidays, closures)
        return self.store.set(setting_urn, calendar, user.actor, self.clock.now()).as_json()

    def calendar_history(self, user: User, setting_urn: str) -> list[dict[str, Any]]:
        access.require_staff_of(user, setting_urn)
        return [stored.as_json() for stored in self.store.history(setting_urn)]

    def school_calendar(self, setting_urn: str) -> SchoolCalendar:
        """The calendar the reports use for a setting: its current one."""
        stored = self.store.current(setting_urn)
        return stored.calendar if stored is not None else WEEKDAYS_ONLY
