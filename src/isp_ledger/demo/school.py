"""The demo school living through its school year on the ledger, one day at a time.

Each day the clock moves through the school's diary: registers not typed up yesterday first thing, then the day's
plan meetings, parents' forms, reviews and corrections at the times they happen, the intervention registers after
school, closures at the end of the day. Weekends and holidays pass with little or nothing written. The diary is
filled up front (``stories.schedule``) from the demo's seeded random generator, so the same seed gives the same
school, children and year.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from isp_ledger.access import User
from isp_ledger.application import Ledger
from isp_ledger.demo import stories
from isp_ledger.demo.calendar import SchoolYear, school_year, school_year_of
from isp_ledger.demo.clock import DemoClock
from isp_ledger.demo.pupils import LOCAL_AUTHORITY_NAME, another_serial, enrol
from isp_ledger.demo.saved_groups import schedule_saved_groups
from isp_ledger.demo.sessions import Register
from isp_ledger.demo.sharing import email_of, schedule_sharing, work_email
from isp_ledger.demo.state import PlanState, Tally

DAY = dt.timedelta(days=1)
HISTORY = dt.timedelta(days=270)  # the history starts in the September of the school year nine months ago
SCHOOL_NAMES = ("Hawthorn Road", "Millbrook", "Oakfield", "St Mary's Church of England", "Riverside", "Ashgrove",
                "Kingsmead", "Beechwood", "Saxon Way", "Orchard Vale")
STAFF = (("admin", "Helen Carter", "admin"), ("senco", "Joanne Whitaker", "senco"),
         ("teacher", "Daniel Reeves", "teacher"), ("ta", "Sarah Lewis", "teacher"),
         ("parent", "", "parent"), ("complaint_handler", "David Morgan", "complaint_handler"))
Action = Callable[[dt.date], Any]


@dataclass(frozen=True)
class SchoolEvent:
    """Something on the school's calendar that takes pupils out of their sessions (a timetable clash)."""

    note: str
    year_groups: frozenset[int] | None = None  # None: every year group
    afternoon_only: bool = False

    def affects(self, year_group: int, afternoon: bool) -> bool:
        in_year = self.year_groups is None or year_group in self.year_groups
        return in_year and (afternoon or not self.afternoon_only)


class School:
    def __init__(self, ledger: Ledger, *, plans: int, seed: int) -> None:
        if not isinstance(ledger.clock, DemoClock):
            raise TypeError("the demo runs on a ledger built with a DemoClock: build(env, clock=DemoClock())")
        self.ledger, self.clock = ledger, ledger.clock
        self.rng = random.Random(seed)  # noqa: S311 - a reproducible made-up school, not a secret
        self.today = self.clock.today
        first = school_year_of(self.today - HISTORY)
        self.years = [school_year(y) for y in range(first, school_year_of(self.today) + 1)]
        self._years = {y.start_year: y for y in self.years}
        self.last_days = {y.last_day for y in self.years}
        self.urn, self.name = self._setting()
        self.day = self.years[0].first_day
        self.tally = Tally()
        self.register = Register(self)
        self.users: dict[str, User] = {}
        self.tokens: dict[str, str] = {}
        self.agenda: dict[dt.date, list[tuple[int, int, Action]]] = defaultdict(list)
        self._order = itertools.count()
        pupils = enrol(self.rng, plans, self.years, self.today, establishment=2000 + int(self.urn) % 700)
        for pupil in pupils:  # a UPN already open in this store (a second demo): issue another serial
            while ledger.store.accounts.open_plan_for(ledger.upn_key(pupil.upn)) is not None:
                pupil.upn = another_serial(pupil.upn)
        self.plans = [PlanState(p, p.tier) for p in pupils]
        self.events: dict[dt.date, list[SchoolEvent]] = defaultdict(list)
        self.snow_days: set[dt.date] = set()
        self.early_closure: dt.date | None = None
        self._closures_published: set[dt.date] = set()

    # ------------------------------------------------------------------------------------------------- running

    def run(self, progress: Callable[[int, int], None]) -> None:
        for key, name, role in STAFF:
            setting = self.urn if role in ("senco", "teacher") else None
            email = email_of(self.plans[0].pupil, self.urn) if role == "parent" else work_email(name, self.urn)
            self.users[key], self.tokens[key] = self.ledger.accounts.add_user(
                name=name or self.plans[0].pupil.parent, role=role, setting_urn=setting, email=email)
        self._cast()
        self._diary()
        for s in self.plans:
            stories.schedule(self, s)
        schedule_sharing(self)
        schedule_saved_groups(self)
        first = self.years[0].first_day
        total = (self.today - first).days + 1
        for offset in range(total):
            self.day = day = first + offset * DAY
            items = self.agenda.pop(day, [])
            if self.is_school_day(day):
                self.register.start_of_day(day)
                items += [(8 * 60 + 5, -2, self.register.late_registers),
                          (15 * 60 + 30, -1, self.register.day_of_sessions)]
            for minutes, _, action in sorted(items, key=lambda item: (item[0], item[1])):
                if self.clock.at(day, minutes // 60, minutes % 60):
                    action(day)
            progress(offset + 1, total)

    def task(self, day: dt.date, minutes: int, action: Action) -> None:
        """Do ``action`` at ``minutes`` past midnight (London) on ``day``."""
        self.agenda[day].append((minutes, next(self._order), action))

    @property
    def senco(self) -> User:
        return self.users["senco"]

    def agreed(self, day: dt.date) -> str | None:
        """``agreed_on`` for a decision made on ``day``: given only when that is before today (back-dated)."""
        return day.isoformat() if day < self.day else None

    def count_written(self, entries: int, agreed: dt.date) -> None:
        self.tally.events += entries
        if agreed < self.day:
            self.tally.backdated += entries

    # ------------------------------------------------------------------------------------------------ calendar

    def year_of(self, day: dt.date) -> int:
        return school_year_of(day)

    def school_year(self, start_year: int) -> SchoolYear:
        if start_year not in self._years:
            self._years[start_year] = school_year(start_year)
        return self._years[start_year]

    def is_school_day(self, day: dt.date) -> bool:
        return self.school_year(school_year_of(day)).is_school_day(day) and day not in self.snow_days

    def school_day_on_or_after(self, day: dt.date) -> dt.date:
        while not self.is_school_day(day):
            day += DAY
        return day

    def school_day_after(self, day: dt.date, count: int) -> dt.date:
        """The ``count``-th school day after ``day`` (before it, when ``count`` is negative)."""
        step = DAY if count >= 0 else -DAY
        for _ in range(abs(count)):
            day += step
            while not self.is_school_day(day):
                day += step
        return day

    def review_due(self, not_before: dt.date, number: int) -> dt.date:
        """The first termly review window from ``not_before``, spread over the window's week by pupil."""
        for start_year in (school_year_of(not_before), school_year_of(not_before) + 1):
            for window in self.school_year(start_year).review_windows():
                if window >= not_before:
                    return self.school_day_on_or_after(window + DAY * (number % 4))
        raise AssertionError("a review window falls within two school years")

    def _publisher(self, years: list[SchoolYear]) -> Action:
        return lambda day: self._publish_calendar(years)

    def _publish_calendar(self, years: list[SchoolYear]) -> None:
        """The SENCO sets the setting's calendar (``PUT /v1/settings/{urn}/calendar``): every term so far."""
        self._closures_published |= {d for y in years for d in y.inset_days}
        self._closures_published |= {d for d in self.snow_days if d < self.day}  # once it has snowed
        stored = self.ledger.calendars.set_calendar(self.senco, self.urn,
                                          holidays=[h.as_json() for y in years for h in y.holidays],
                                          closures=[d.isoformat() for d in sorted(self._closures_published)])
        self.tally.calendar_versions = int(stored["version"])

    # ---------------------------------------------------------------------------------------------- the diary

    def _setting(self) -> tuple[str, str]:
        """A URN (6 digits) not yet used in this store, and the school's name."""
        while True:
            urn = str(self.rng.randrange(118000, 119999))
            store = self.ledger.store
            if store.calendars.current(urn) is None and store.setting_details.current(urn) is None:
                return urn, f"{self.rng.choice(SCHOOL_NAMES)} Primary School"

    def _cast(self) -> None:
        """Who leaves (Year 6 in July, one family moving away), who is referred on, who gets an EHC plan."""
        first = self.years[0]
        for s in self.plans:
            p = s.pupil
            year_six = self.school_year(p.school_year + 6 - p.year_group)
            if year_six.last_day <= self.today:
                s.leaves_on = year_six.last_day
        settled = [s for s in self.plans if s.pupil.number >= 5 and s.leaves_on is None
                   and s.pupil.school_year == first.start_year and s.pupil.opens_on.month in (9, 10)]
        moving_on = self.school_day_on_or_after(dt.date(first.start_year + 1, 2, 10))
        if settled and moving_on < self.today:
            settled[-1].leaves_on = moving_on
            settled = settled[:-1]
        targeted = [s for s in settled if s.tier == "targeted"]
        for s in targeted[:max(len(self.plans) // 20, 1 if len(self.plans) >= 10 else 0)]:
            s.escalate_at_review = 1
        plus = [s for s in settled if s.tier == "targeted_plus" and "NSA" not in s.pupil.needs]
        if plus and len(self.plans) >= 15:
            plus[0].ehcp_at_review = 1

    def _diary(self) -> None:
        """The school's details and calendar published, and the days that take pupils out of their sessions."""
        self.task(self.years[0].first_day, 7 * 60 + 35, lambda day: self.ledger.setting_details.set_details(
            self.senco, self.urn, name=self.name, local_authority=LOCAL_AUTHORITY_NAME))
        for index, year in enumerate(self.years):
            if index == 0:
                self.task(year.first_day, 7 * 60 + 40, self._publisher(self.years[:1]))
            else:  # next year's dates, published in the first week of the summer holiday
                published = self.school_year(year.start_year - 1).last_day + 3 * DAY
                self.task(published, 10 * 60, self._publisher(self.years[:index + 1]))
            self._events_of(year)
        first = self.years[0]
        snow = self._some_school_day(dt.date(first.start_year + 1, 1, 19), 15)
        if snow is not None and snow < self.today:
            self.snow_days.add(snow)  # the school closed; the SENCO adds the day to the calendar next morning
            self.task(self.school_day_after(snow, 1), 7 * 60 + 50,
                      lambda day: self._publish_calendar([y for y in self.years if y.first_day <= day]))
        self.early_closure = self._some_school_day(dt.date(first.start_year, 11, 24), 12)

    def _events_of(self, year: SchoolYear) -> None:
        autumn_inset = next(d for d in year.inset_days if d.month == 12)
        for day in (self.school_day_after(autumn_inset, -3), self.school_day_after(autumn_inset, -2)):
            self.events[day].append(SchoolEvent("Nativity dress rehearsal", frozenset({0, 1, 2})))
        self.events[self.school_day_after(autumn_inset, -1)].append(
            SchoolEvent("KS2 carol concert rehearsal", frozenset({3, 4, 5, 6}), afternoon_only=True))
        sats = self.school_day_on_or_after(dt.date(year.start_year + 1, 5, 8))
        for day in (sats + n * DAY for n in range(4)):
            self.events[day].append(SchoolEvent("KS2 SATs week", frozenset({6})))
        sports = dt.date(year.start_year + 1, 7, 1)
        self.events[sports + DAY * ((2 - sports.weekday()) % 7)].append(SchoolEvent("Sports day",
                                                                                    afternoon_only=True))
        trips = ((1, dt.date(year.start_year, 10, 6)), (5, dt.date(year.start_year + 1, 3, 2)),
                 (3, dt.date(year.start_year + 1, 6, 8)))
        for group, start in trips:
            trip = self._some_school_day(start, 10)
            if trip is not None:
                self.events[trip].append(SchoolEvent(f"Year {group} trip", frozenset({group})))
        residential = self.school_day_on_or_after(dt.date(year.start_year + 1, 6, 15))
        for day in (residential, residential + DAY, residential + 2 * DAY):
            self.events[day].append(SchoolEvent("Year 6 residential trip", frozenset({6})))

    def _some_school_day(self, start: dt.date, spread: int) -> dt.date | None:
        days = [start + n * DAY for n in range(spread) if self.is_school_day(start + n * DAY)]
        return self.rng.choice(days) if days else None
