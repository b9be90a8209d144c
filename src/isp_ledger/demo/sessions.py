"""The demo school's intervention timetable and its daily register of sessions, delivered or missed.

Pupils with the same provision meet in groups (up to the provision's group size) on fixed weekdays with a named
member of staff, and each group's session is logged once for everyone in it (``POST /v1/deliveries``), as schools
log them: present pupils as delivered, absent ones as missed. Sessions are missed for the reasons they are in real
schools, most often because the pupil is off (illness comes in spells, and more in winter), then because the
member of staff is off or covering a class, clashes with trips, rehearsals and SATs, a child too upset to take
part, and one afternoon when the school closed early. Most sessions are logged at the end of the day; now and
then a whole day's register is typed up the next morning (back-dated), once in a while one is mislaid and typed up
two or three weeks later (late entries), and a few are never logged at all.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from isp_ledger.demo import texts
from isp_ledger.demo.catalogue import Provision
from isp_ledger.demo.state import LoggedSession, PlanState, ProvisionState

if TYPE_CHECKING:
    from isp_ledger.demo.school import School

TEACHING_ASSISTANTS = ("Mrs Lewis", "Mrs Patel", "Mr Daniels", "Miss Kaur", "Mrs O'Neill", "Mrs Hughes")
ONE_TO_ONE_ASSISTANTS = ("Miss Ellis", "Mrs Carr", "Mr Hussain", "Mrs Doyle", "Miss Brooks", "Mrs Ward",
                         "Mrs Nolan", "Miss Shah", "Mrs Lowe", "Mr Grant", "Mrs Quinn", "Miss Young")
ELSA = "Mrs Green"
VISITORS = {"salt": ("speech and language therapist", "Rachel Moore"), "tod": ("Teacher of the Deaf", "Ian Shaw"),
            "qtvi": ("Qualified Teacher of Vision Impairment", "Alison Reid")}
TEACHERS_CLASS = 4  # the demo teacher's class (Year 4) logs its own in-class provision
WITHDRAWN_MOODS = ("elsa", "nurture", "lego", "zones", "attention", "drawing")  # where "declined" happens


@dataclass
class Member:
    plan: PlanState
    provision: ProvisionState


@dataclass
class Group:
    kind: Provision
    weekdays: tuple[int, ...]
    staff: str  # who runs it
    role: str  # what they are: sessions are logged as delivered by "teaching assistant (Mrs Patel)"
    afternoon: bool
    parity: int  # for a fortnightly provision: meets in ISO weeks of this parity
    members: list[Member] = field(default_factory=list)

    def meets_on(self, day: dt.date) -> bool:
        if day.weekday() not in self.weekdays:
            return False
        return self.kind.sessions_per_week >= 1 or day.isocalendar().week % 2 == self.parity

    def attending(self, day: dt.date) -> list[Member]:
        return [m for m in self.members if m.plan.open_on(day) and m.provision.in_force(day)]

    def places_taken(self) -> int:
        return sum(1 for m in self.members if m.provision.running and m.plan.closed_on is None)


@dataclass
class Call:
    """One ``record_session``: who logs it, for whom, what happened."""

    logger: str  # "ta", "teacher" or "senco": which demo user types it in
    members: list[Member]
    session: dict[str, Any]


class Timetable:
    def __init__(self) -> None:
        self.groups: list[Group] = []
        self._assistants = itertools.cycle(TEACHING_ASSISTANTS)
        self._one_to_one = itertools.cycle(ONE_TO_ONE_ASSISTANTS)

    def join(self, plan: PlanState, provision: ProvisionState) -> None:
        kind = provision.kind
        same = [g for g in self.groups if g.kind.key == kind.key]
        if kind.group_size > 1:
            for group in same:
                if group.places_taken() < kind.group_size:
                    group.members.append(Member(plan, provision))
                    return
        index = len(same)
        weekdays = kind.weekdays
        if len(weekdays) < 5:  # spread the groups of one intervention across the week
            weekdays = tuple(sorted((d + index) % 5 for d in weekdays))
        role = "teaching assistant"
        if kind.staff == "therapist":
            role, staff = VISITORS[kind.key]
        elif kind.staff == "elsa":
            role, staff = "ELSA", ELSA
        elif kind.key in ("one_to_one", "intensive"):
            staff = next(self._one_to_one)
        else:
            staff = next(self._assistants)
        group = Group(kind, weekdays, staff, role, afternoon=index % 2 == 1 or kind.key == "nurture",
                      parity=index % 2)
        group.members.append(Member(plan, provision))
        self.groups.append(group)

    def reschedule(self, provision: ProvisionState, weekdays: tuple[int, ...]) -> None:
        """A one-to-one provision now meets on other days (its sessions a week were changed)."""
        for group in self.groups:
            if any(m.provision is provision for m in group.members):
                group.weekdays = weekdays


class Register:
    """Decides, day by day, who was off and what happened to each group's session, and logs it."""

    def __init__(self, school: School) -> None:
        self.school = school
        self.rng = school.rng
        self.timetable = Timetable()
        self.pupils_off: set[int] = set()
        self.staff_off: set[str] = set()
        self.deferred: list[tuple[dt.date, list[Call]]] = []

    def start_of_day(self, day: dt.date) -> None:
        """Who is off today: illness comes in spells (half of those off yesterday are off again), more in winter."""
        winter = 1.6 if day.month in (12, 1, 2) else 0.8 if day.month in (6, 7) else 1.0
        off = set()
        for plan in self.school.plans:
            chance = 0.5 if plan.pupil.number in self.pupils_off else plan.pupil.absence_rate * 0.5 * winter
            if self.rng.random() < chance:
                off.add(plan.pupil.number)
        self.pupils_off = off
        staff = set()
        for person in (*TEACHING_ASSISTANTS, *ONE_TO_ONE_ASSISTANTS, ELSA):
            if self.rng.random() < (0.5 if person in self.staff_off else 0.015 * winter):
                staff.add(person)
        self.staff_off = staff

    def day_of_sessions(self, day: dt.date) -> None:
        """Everything held today, logged after school; some registers wait for the next morning."""
        by_logger: dict[str, list[Call]] = defaultdict(list)
        for group in self.timetable.groups:
            if group.meets_on(day) and (attending := group.attending(day)):
                for call in self._calls(group, day, attending):
                    by_logger[call.logger].append(call)
        on_time: list[Call] = []
        for calls in by_logger.values():
            chance = self.rng.random()
            if chance < 0.03:
                self.deferred.append((day, calls))
            elif chance < 0.036:
                # A register mislaid and typed up two or three weeks later: late entries, which a complaint panel
                # will want to see with both dates.
                found = self.school.school_day_after(day, self.rng.randint(8, 15))
                self.school.task(found, 8 * 60 + 20, self._typed_up(day, calls))
            else:
                on_time += calls
        self.log(day, on_time, minute=35)

    def late_registers(self, today: dt.date) -> None:
        """Yesterday's registers that were not typed up in time, logged first thing (back-dated)."""
        waiting, self.deferred = self.deferred, []
        for day, calls in waiting:
            self._log_held(day, calls, today, 5)

    def _typed_up(self, held: dt.date, calls: list[Call]) -> Callable[[dt.date], None]:
        """Typing up a mislaid register of ``held``, on the day it is found."""
        return lambda today: self._log_held(held, calls, today, 20)

    def _log_held(self, held: dt.date, calls: list[Call], today: dt.date, minute: int) -> None:
        """Registers of sessions held on ``held``, typed up at 8 o'clock on ``today``, for the pupils still there."""
        still = []
        for call in calls:
            members = [m for m in call.members if m.plan.open_on(today) and m.provision.in_force(held)]
            if members:
                still.append(Call(call.logger, members, call.session))
        self.log(today, still, minute=minute, hour=8)

    def log(self, today: dt.date, calls: list[Call], *, minute: int, hour: int = 15) -> None:
        school = self.school
        for index, call in enumerate(calls):
            if self.rng.random() < 0.006:
                continue  # never logged: the report shows it as unrecorded
            moment = dt.datetime.combine(today, dt.time(hour, minute)) + dt.timedelta(seconds=index * 20)
            if not school.clock.at(today, moment.hour, moment.minute, moment.second):
                return  # still to come in real time
            entries = [{"plan_id": str(m.plan.plan_id), "provision_id": m.provision.item_id} for m in call.members]
            result = school.ledger.commands.record_session(school.users[call.logger], entries=entries,
                                                  session=call.session)
            status = call.session["status"]
            day = dt.date.fromisoformat(call.session["date"])
            school.count_written(len(entries), day)
            school.tally.sessions[call.session.get("missed_reason") or status] += len(entries)
            for member, written in zip(call.members, result.body["entries"], strict=True):
                logged = LoggedSession(member.plan.wrote(written), day, call.session.get("minutes"))
                if status == "delivered":
                    member.plan.last_delivered = logged
                elif call.session["missed_reason"] == "pupil_absent":
                    member.plan.last_absent = logged

    def _calls(self, group: Group, day: dt.date, attending: list[Member]) -> list[Call]:
        school, rng, kind = self.school, self.rng, group.kind
        logger = self._logger(group, attending, day)
        base: dict[str, Any] = {"date": day.isoformat(), "delivered_by": f"{group.role} ({group.staff})"}
        if day == school.early_closure and group.afternoon:
            return [Call(logger, attending, {**base, "status": "missed", "missed_reason": "school_closed",
                                             "note": "Heating failure: pupils sent home at 12:30"})]
        if group.staff in self.staff_off:
            cover = next((a for a in TEACHING_ASSISTANTS if a not in self.staff_off and a != group.staff), None)
            if cover is not None and kind.staff != "therapist" and rng.random() < 0.25:
                base["delivered_by"] = f"teaching assistant ({cover})"
                base["note"] = f"Covered by {cover}: {group.staff} off"
            else:
                return [Call(logger, attending, {**base, "status": "missed", "missed_reason": "staff_absent",
                                                 "note": rng.choice(texts.MISSED_NOTES["staff_absent"])})]
        if rng.random() < 0.015:
            return [Call(logger, attending, {**base, "status": "missed", "missed_reason": "timetable_clash",
                                             "note": rng.choice(texts.MISSED_NOTES["timetable_clash"])})]
        outcomes: dict[tuple[str, str | None], list[Member]] = defaultdict(list)
        for member in attending:
            outcomes[self._what_happened(member, group, day)].append(member)
        calls = []
        for (reason, note), members in outcomes.items():
            if reason == "delivered":
                minutes = members[0].provision.minutes
                session = {**base, "status": "delivered", "minutes": minutes}
                if rng.random() < 0.04 and minutes > 15:
                    session.update(minutes=minutes - 10, note=rng.choice(texts.SHORT_SESSION_NOTES))
            else:
                session = {**base, "status": "missed", "missed_reason": reason}
                if note:
                    session["note"] = note
            calls.append(Call(logger, members, session))
        return calls

    def _what_happened(self, member: Member, group: Group, day: dt.date) -> tuple[str, str | None]:
        pupil = member.plan.pupil
        for event in self.school.events.get(day, ()):
            if event.affects(pupil.year_group_in(self.school.year_of(day)), group.afternoon):
                return "timetable_clash", event.note
        if pupil.number in self.pupils_off:
            return "pupil_absent", None
        if group.kind.key in WITHDRAWN_MOODS and self.rng.random() < 0.035:
            return "pupil_declined", self.rng.choice(texts.MISSED_NOTES["pupil_declined"])
        if self.rng.random() < 0.003:
            return "other", self.rng.choice(texts.MISSED_NOTES["other"])
        return "delivered", None

    def _logger(self, group: Group, attending: list[Member], day: dt.date) -> str:
        if group.kind.staff == "therapist":
            return "senco"
        year = self.school.year_of(day)
        if group.kind.location == "in_class" and all(m.plan.pupil.year_group_in(year) == TEACHERS_CLASS
                                                      for m in attending):
            return "teacher"
        return "ta"
