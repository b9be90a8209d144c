"""A realistic school year of one child's plan, scripted on the ledger with a controllable clock: for tests that
need a long history (evidence bundles), and to look at one.

September 2026 to July 2027 at setting 123456: a Targeted plan with two barriers, two provisions (small-group
phonics three times a week, a one-to-one social-skills session weekly), adjustments and outcomes; the school's
holidays; sessions logged most weeks, some missed (staff absent, school trip clash, pupil absent), a run of weeks
where nothing was logged (the social-skills sessions of it typed in three weeks later: late entries); a
reduction of phonics agreed in January but recorded a fortnight late (back-dated); a
wrong number corrected; three reviews; parents' views, a disagreement and an agreement; progress measured.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from isp_ledger.access import User
from isp_ledger.application import Ledger
from tests import samples
from tests.conftest import FakeClock

UTC = dt.UTC
HOLIDAYS = [
    {"start": "2026-10-26", "end": "2026-10-30"},
    {"start": "2026-12-21", "end": "2027-01-01"},
    {"start": "2027-02-15", "end": "2027-02-19"},
    {"start": "2027-03-29", "end": "2027-04-09"},
    {"start": "2027-05-03", "end": "2027-05-03"},
    {"start": "2027-05-31", "end": "2027-06-04"},
]
CLOSURES = ["2026-09-01", "2027-01-04"]
LAST_DAY = dt.date(2027, 7, 21)


@dataclass
class SchoolYear:
    plan_id: UUID
    phonics: str
    social: str
    reduction_event_id: str


def at(clock: FakeClock, day: str | dt.date, hour: int = 15) -> None:
    day = dt.date.fromisoformat(day) if isinstance(day, str) else day
    clock.set(dt.datetime(day.year, day.month, day.day, hour, 0, tzinfo=UTC))


def script_school_year(ledger: Ledger, clock: FakeClock, senco: User, teacher: User, parent_name: str = "Pat Okafor",
                       note: str = "Worked on blending CVC words.") -> SchoolYear:
    """Script the year; returns the plan and its provisions. ``note`` goes on a delivered session (tests escape)."""
    at(clock, "2026-09-03", 9)
    ledger.calendars.set_calendar(senco, "123456", holidays=HOLIDAYS, closures=CLOSURES)
    opened = ledger.commands.open_plan(senco, **samples.plan_body(), next_review_due="2026-11-20")
    plan_id = UUID(opened.body["plan_id"])
    reading = _add(ledger, senco, plan_id, "barriers", samples.barrier())
    social_barrier = _add(ledger, senco, plan_id, "barriers", samples.barrier(
        description="Finds unstructured times (break, lunch) hard; conflicts with peers most weeks",
        area_of_need="semh", need_type="SEMH", evidence="Behaviour log, summer term 2026: 14 incidents at lunch"))
    phonics = _add(ledger, senco, plan_id, "provisions", samples.provision([reading], starts_on="2026-09-07"))
    social_agreed = ledger.commands.add_item(senco, plan_id, "provisions", samples.provision(
        [social_barrier], description="One-to-one social skills session (Lego-based therapy)",
        delivered_by="learning mentor", group_size=1, sessions_per_week=1, minutes_per_session=45,
        location="withdrawal", starts_on="2026-09-14", evidence_basis="Lego-based therapy: EEF promising")).body
    social = str(social_agreed["item_id"])
    _add(ledger, senco, plan_id, "adjustments", samples.adjustment([reading]))
    _add(ledger, senco, plan_id, "adjustments", samples.adjustment(
        [social_barrier], description="A quiet indoor space at lunchtime with a named adult", category="routines"))
    reading_outcome = _add(ledger, senco, plan_id, "outcomes", samples.outcome([reading]))
    _add(ledger, senco, plan_id, "outcomes", samples.outcome(
        [social_barrier], description="Plays a structured game at lunch without adult help",
        success_criteria="Three lunchtimes a week with no incident, over four weeks", target_date="2027-07-16",
        baseline="0 of 5 lunchtimes", target="3 of 5 lunchtimes"))
    ledger.commands.record_contribution(senco, plan_id, {
        "kind": "parent_view", "text": f"{parent_name}: she loves books but gets upset when she cannot read the "
                                       "words; lunchtimes are the hardest part of her day."})
    ledger.commands.record_acknowledgement(senco, plan_id, {"version": 9, "response": "agree",
                                                            "comment": "Happy with the plan; please keep us posted.",
                                                            "given_by": parent_name, "method": "in_person"})

    phonics_weekly = 3
    day = dt.date(2026, 9, 7)
    calendar = ledger.calendars.school_calendar("123456")
    reduction_event_id = ""
    while day <= LAST_DAY:
        if day == dt.date(2027, 1, 25):
            # Agreed at a meeting on 11 January, recorded only now: back-dated.
            at(clock, day, 8)
            result = ledger.commands.amend_item(senco, plan_id, "provisions", phonics, {"sessions_per_week": 2},
                                                agreed_on="2027-01-11",
                                                reason="Agreed with parent at the January meeting: "
                                                "two longer sessions fit the timetable better")
            reduction_event_id = str(result.body["event_id"])
        if day == dt.date(2027, 3, 1):
            # The social-skills sessions of the fortnight nothing was logged, typed in from the learning mentor's
            # notes three weeks later: late entries.
            at(clock, day, 9)
            for held in ("2027-02-04", "2027-02-11"):
                ledger.commands.record_session(teacher, entries=[{"plan_id": str(plan_id), "provision_id": social}],
                                               session={"date": held, "status": "delivered",
                                                        "note": "Typed up from the learning mentor's notes"})
        if calendar.is_school_day(day):
            _sessions_of_the_day(ledger, clock, teacher, plan_id, phonics, social, day, phonics_weekly, note)
        if day == dt.date(2027, 1, 8):
            phonics_weekly = 2
        day += dt.timedelta(days=1)
        if day == dt.date(2026, 10, 5):
            at(clock, day, 8)
            ledger.commands.correct(senco, plan_id, event_id=social_agreed["event_id"],
                                    changes={"minutes_per_session": 40},
                                    reason="Typed 45 by mistake; the session agreed is 40 minutes")
        if day == dt.date(2026, 11, 19):
            at(clock, day, 16)
            ledger.commands.hold_review(senco, plan_id,
                                        samples.review(held_on="2026-11-19", next_review_due="2027-03-18"))
            ledger.commands.record_progress(senco, plan_id, reading_outcome, {
                "measured_on": "2026-11-19", "value": 12, "note": "12 of 20 unseen words", "source": "termly check"})
        if day == dt.date(2027, 3, 18):
            at(clock, day, 16)
            ledger.commands.hold_review(senco, plan_id, samples.review(
                held_on="2027-03-18", next_review_due="2027-07-15",
                parent_views="Worried that phonics sessions were missed in February; wants them made up.",
                summary="Progress slower this term; sessions to be protected from clashes."))
            ledger.commands.record_acknowledgement(senco, plan_id, {
                "version": _version(ledger, senco, plan_id), "response": "disagree",
                "comment": "We never agreed to fewer phonics sessions in January <b>in writing</b>.",
                "given_by": parent_name, "method": "letter"})
        if day == dt.date(2027, 7, 15):
            at(clock, day, 16)
            ledger.commands.hold_review(senco, plan_id,
                                        samples.review(held_on="2027-07-15", next_review_due="2027-11-15"))
    at(clock, "2027-07-21", 10)
    return SchoolYear(plan_id, phonics, social, reduction_event_id)


def _sessions_of_the_day(ledger: Ledger, clock: FakeClock, teacher: User, plan_id: UUID, phonics: str, social: str,
                         day: dt.date, phonics_weekly: int, note: str) -> None:
    phonics_days = (0, 2, 4) if phonics_weekly == 3 else (1, 3)
    gap = dt.date(2027, 2, 1) <= day <= dt.date(2027, 2, 12)  # nothing logged for a fortnight
    if day.weekday() in phonics_days and not gap:
        at(clock, day)
        if day.day in (6, 13) or (day.month == 5 and day.weekday() == 0):
            session: dict[str, Any] = {"date": day.isoformat(), "status": "missed", "missed_reason": "staff_absent",
                                       "note": "TA covering a class"}
        elif day.day == 20:
            session = {"date": day.isoformat(), "status": "missed", "missed_reason": "pupil_absent"}
        else:
            session = {"date": day.isoformat(), "status": "delivered", "minutes": 30,
                       "note": note if day == dt.date(2026, 9, 9) else None}
        ledger.commands.record_session(teacher, entries=[{"plan_id": str(plan_id), "provision_id": phonics}],
                                       session=session)
    if day.weekday() == 3 and day >= dt.date(2026, 9, 14) and not gap:
        at(clock, day)
        clash = day.month == 3 and day.day < 15
        session = ({"date": day.isoformat(), "status": "missed", "missed_reason": "timetable_clash",
                    "note": "School trip"} if clash else {"date": day.isoformat(), "status": "delivered"})
        ledger.commands.record_session(teacher, entries=[{"plan_id": str(plan_id), "provision_id": social}],
                                       session=session)


def _add(ledger: Ledger, senco: User, plan_id: UUID, kind: str, fields: dict[str, Any]) -> str:
    return str(ledger.commands.add_item(senco, plan_id, kind, fields).body["item_id"])


def _version(ledger: Ledger, user: User, plan_id: UUID) -> int:
    return int(ledger.history.plan_document(user, plan_id)["version"])
