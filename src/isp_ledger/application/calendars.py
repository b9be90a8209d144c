"""Settings' school calendars (CONTRACT.md §8): the days on which provision is owed, sessions are recorded, and late
entries are counted; and settings' details (CONTRACT.md §4): the name shown with a setting's URN wherever people
see the setting."""

from __future__ import annotations

import datetime as dt
from typing import Any

from isp_ledger import access
from isp_ledger.access import User
from isp_ledger.application.base import Clock
from isp_ledger.domain import delivery
from isp_ledger.domain.calendar import NOT_SET, SchoolCalendar, clean_calendar
from isp_ledger.domain.fields import clean_setting_details, setting_shown_as
from isp_ledger.domain.stamp import london_date
from isp_ledger.domain.state import PlanState
from isp_ledger.storage.calendars import CalendarStore, SettingDetailsStore

DEFAULT_LATE_ENTRY_DAYS = 5


class Calendars:
    def __init__(self, store: CalendarStore, clock: Clock, late_entry_days: int = DEFAULT_LATE_ENTRY_DAYS) -> None:
        self.store = store
        self.clock = clock
        self.late_entry_days = late_entry_days  # ISP_LEDGER_LATE_ENTRY_DAYS

    def setting_calendar(self, user: User, setting_urn: str) -> dict[str, Any]:
        """The setting's calendar as it stands (version 0, weekdays but bank holidays, if none was ever set)."""
        access.require_staff_of(user, setting_urn)
        stored = self.store.current(setting_urn)
        if stored is None:
            return self._with_bank_holidays({"setting_urn": setting_urn, "version": 0, **NOT_SET.as_json(),
                                             "changed_at": None, "changed_by": None})
        return self._with_bank_holidays(stored.as_json())

    def set_calendar(self, user: User, setting_urn: str, *, holidays: Any, closures: Any) -> dict[str, Any]:
        access.require_can_manage_setting(user, setting_urn)
        calendar = clean_calendar(holidays, closures)
        return self._with_bank_holidays(self.store.set(setting_urn, calendar, user.actor, self.clock.now()).as_json())

    def _with_bank_holidays(self, shown: dict[str, Any]) -> dict[str, Any]:
        """England's bank holidays of this school year and the next, which count without anyone entering them."""
        today = london_date(self.clock.now())
        first = dt.date(today.year if today.month >= 9 else today.year - 1, 9, 1)
        last = dt.date(first.year + 2, 8, 31)
        return {**shown, "bank_holidays": [{"date": day.isoformat(), "name": name}
                                           for day, name in NOT_SET.bank_holidays.between(first, last)]}

    def calendar_history(self, user: User, setting_urn: str) -> list[dict[str, Any]]:
        access.require_staff_of(user, setting_urn)
        return [stored.as_json() for stored in self.store.history(setting_urn)]

    def school_calendar(self, setting_urn: str) -> SchoolCalendar:
        """The calendar the reports and the rules of sessions use for a setting: its current one, England's bank
        holidays included."""
        stored = self.store.current(setting_urn)
        return stored.calendar if stored is not None else NOT_SET

    def late_sessions(self, plan: PlanState) -> set[str]:
        """The event ids of the plan's sessions recorded late (``ISP_LEDGER_LATE_ENTRY_DAYS`` school days)."""
        return delivery.late_sessions(plan, self.school_calendar, self.late_entry_days)


class SettingDetails:
    """A setting's name and local authority, set by its SENCO or an administrator, read by its staff; and the
    setting as people are shown it (:meth:`shown`), for the answers that name a setting."""

    def __init__(self, store: SettingDetailsStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def details(self, user: User, setting_urn: str) -> dict[str, Any]:
        """The setting's details as they stand (version 0, no name, if none were ever set)."""
        access.require_staff_of(user, setting_urn)
        stored = self.store.current(setting_urn)
        if stored is None:
            return {"setting_urn": setting_urn, "version": 0, "name": None, "local_authority": None,
                    "changed_at": None, "changed_by": None, "shown_as": setting_shown_as(setting_urn, None)}
        return {**stored.as_json(), "shown_as": setting_shown_as(setting_urn, stored.name)}

    def set_details(self, user: User, setting_urn: str, *, name: Any, local_authority: Any) -> dict[str, Any]:
        access.require_can_manage_setting(user, setting_urn, "its details")
        cleaned = clean_setting_details(name, local_authority)
        stored = self.store.set(setting_urn, str(cleaned["name"]), cleaned["local_authority"], user.actor,
                                self.clock.now())
        return {**stored.as_json(), "shown_as": setting_shown_as(setting_urn, stored.name)}

    def shown(self, setting_urn: str) -> dict[str, Any]:
        """``{"urn", "name", "shown_as"}``: for an answer already allowed to name the setting (no access check)."""
        return self.shown_many([setting_urn])[setting_urn]

    def shown_many(self, setting_urns: list[str]) -> dict[str, dict[str, Any]]:
        names = self.store.names(sorted(set(setting_urns)))
        return {urn: {"urn": urn, "name": names.get(urn), "shown_as": setting_shown_as(urn, names.get(urn))}
                for urn in setting_urns}
