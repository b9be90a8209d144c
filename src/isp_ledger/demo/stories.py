"""Each child's plan over the year: opened at a meeting with the parent, reviewed each term, answered by the
parent, now and then corrected, closed when the child leaves.

Everything is scheduled up front (a day and a time for each entry) and written through the ledger's own commands
when the demo's clock reaches it, so each entry's ``recorded_at`` is when it was typed in and its ``agreed_on``
when it was decided. A few entries are deliberately typed in late (a plan agreed at a meeting but entered a week
later, a change agreed at a review and recorded after the SENCO's course, parents' forms dated when they signed)
and a few deliberately wrong, then corrected with the reason: a date of birth with day and month swapped, a
provision's minutes mistyped, a session's length, a missed session put down to the wrong reason, a phone call
dated the day it was typed up.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from uuid import UUID

from isp_ledger.demo import catalogue
from isp_ledger.demo.entries import (
    acknowledge,
    add_item,
    add_outcome,
    add_provision,
    close,
    contribution,
    correct,
    professional_advice,
)
from isp_ledger.demo.reviews import hold_review
from isp_ledger.demo.state import PlanState

if TYPE_CHECKING:
    from isp_ledger.demo.school import School

DAY = dt.timedelta(days=1)


def schedule(school: School, s: PlanState) -> None:
    """Put the plan's whole year in the school's diary."""
    p, rng = s.pupil, school.rng
    meeting = p.opens_on
    typed = school.school_day_after(meeting, 5) if p.number == 0 else meeting  # typed up a week late
    s.first_due = school.review_due(meeting + 42 * DAY, p.number)
    school.task(typed, 9 * 60 + 30 + (p.number % 12) * 10, lambda day: open_plan(school, s, meeting))
    school.task(school.school_day_after(typed, rng.randint(2, 6)), 8 * 60 + 45, lambda day: acknowledge(
        school, s, day - DAY * rng.choice((0, 0, 1, 3)), not_before=typed))
    if s.tier != "targeted":
        school.task(school.school_day_after(typed, rng.randint(8, 20)), 11 * 60,
                    lambda day: professional_advice(school, s))
    _deliberate_mistakes(school, s, typed)
    due, index, previous = s.first_due, 0, typed
    while True:
        slip = rng.randint(21, 35) if rng.random() < 0.1 else rng.randint(-3, 2)  # a parent cancels, twice
        held = max(school.school_day_on_or_after(due + slip * DAY), school.school_day_after(previous, 10))
        recorded = held if rng.random() < 0.85 else school.school_day_after(held, rng.randint(1, 2))
        if recorded >= school.today or (s.leaves_on is not None and held > s.leaves_on):
            break
        next_due = school.review_due(held + 35 * DAY, p.number)
        _review_around(school, s, held=held, recorded=recorded, next_due=next_due, index=index)
        due, index, previous = next_due, index + 1, recorded
    if s.leaves_on is not None and s.leaves_on <= school.today:
        leaving_time = 16 * 60 + 45 if s.leaves_on in school.last_days else 14 * 60
        school.task(s.leaves_on, leaving_time, lambda day: close(school, s, day))


def _review_around(school: School, s: PlanState, *, held: dt.date, recorded: dt.date, next_due: dt.date,
                   index: int) -> None:
    """The review, the parent's and the pupil's views before it, and the parent's response after it."""
    rng, p = school.rng, s.pupil
    if rng.random() < 0.3:  # the parent's form before the meeting
        school.task(school.school_day_after(held, -rng.randint(2, 6)), 12 * 60 + 40,
                    lambda day: contribution(school, s, "parent_view", day))
    if rng.random() < 0.7:  # the parent's views after it (typed in from their form, an email or a call)
        school.task(school.school_day_after(recorded, rng.randint(1, 8)), 12 * 60 + 40,
                    lambda day: contribution(school, s, "parent_view", day - DAY * rng.choice((0, 0, 0, 1))))
    if p.year_group_in(school.year_of(held)) >= 2 and rng.random() < 0.5:
        school.task(held, 12 * 60 + 20, lambda day: contribution(school, s, "pupil_voice", day))
    school.task(recorded, rng.choice((8 * 60 + 20, 15 * 60 + 50)), lambda day: (
        hold_review(school, s, held, next_due, index) if s.open_on(day) else None))
    if rng.random() < 0.75 or (p.number == 0 and index == 0):
        school.task(school.school_day_after(recorded, rng.randint(2, 7)), 8 * 60 + 45, lambda day: acknowledge(
            school, s, day - DAY * rng.choice((0, 0, 1, 2)), not_before=held, disagree=p.number == 0 and index == 0))


def open_plan(school: School, s: PlanState, meeting: dt.date) -> None:
    """The plan as agreed at the first meeting: barriers, provision, adjustments, outcomes and the parent's view."""
    p, rng = s.pupil, school.rng
    born = p.date_of_birth
    typed_born = born.replace(month=born.day, day=born.month) if p.number == 1 else born
    body = school.ledger.commands.open_plan(
        school.senco, pupil={"upn": p.upn, "given_name": p.given_name, "family_name": p.family_name,
                             "date_of_birth": typed_born.isoformat()},
        setting_urn=school.urn, tier=s.tier, ehcp_reference=p.ehcp_reference,
        next_review_due=s.first_due.isoformat() if s.first_due else None, agreed_on=school.agreed(meeting)).body
    s.plan_id = UUID(body["plan_id"])
    s.opened_event = s.wrote(body)
    school.count_written(1, meeting)
    for need in p.needs:
        template = rng.choice(catalogue.BARRIERS[need])
        evidence = template.evidence.format(low=rng.randint(14, 26), incidents=rng.randint(6, 19),
                                            attendance=rng.randint(84, 91), speed=rng.randint(9, 14))
        s.barriers[need] = add_item(school, s, "barriers", {
            "description": template.description, "area_of_need": catalogue.AREA_OF[need], "need_type": need,
            "evidence": evidence}, meeting)[0]
    starts = school.school_day_on_or_after(meeting + DAY * (7 - meeting.weekday()))  # from next week
    for kind, need in _provision_kinds(school, s):
        add_provision(school, s, kind, need=need, agreed=meeting, starts=starts,
                      mistyped=p.number == 2 and not s.provisions)
    for area in dict.fromkeys(catalogue.AREA_OF[n] for n in p.needs):
        # An adjustment for an area of need meets every barrier of that area (two needs may share one).
        barriers = list(dict.fromkeys(s.barriers[n] for n in p.needs if catalogue.AREA_OF[n] == area))
        for description, category in rng.sample(catalogue.ADJUSTMENTS[area], 2 if area == s.area else 1):
            add_item(school, s, "adjustments", {"description": description, "category": category,
                                                "barrier_ids": barriers}, meeting)
            s.adjustments.append(description)
    for outcome in rng.sample(catalogue.OUTCOMES[s.area], 2 if rng.random() < 0.5 else 1):
        add_outcome(school, s, outcome, p.needs[0], meeting)
    if len(p.needs) > 1 and rng.random() < 0.5:
        second = p.needs[1]
        add_outcome(school, s, rng.choice(catalogue.OUTCOMES[catalogue.AREA_OF[second]]), second, meeting)
    contribution(school, s, "parent_view", meeting)


def _provision_kinds(school: School, s: PlanState) -> list[tuple[str, str]]:
    """The provision for the primary need at this tier, the professional's for Targeted Plus and Specialist,
    and sometimes something for a second need: ``(provision key, need type)``."""
    need = s.pupil.needs[0]
    options = catalogue.NEED_PROVISIONS[need][s.tier]
    kinds = [(options[0], need)]
    if len(options) > 1 and (s.tier != "targeted" or school.rng.random() < 0.45):
        kinds.append((options[1], need))
    professional = catalogue.PROFESSIONAL_PROVISION.get(need)
    if s.tier != "targeted" and professional and all(k != professional for k, _ in kinds):
        kinds.append((professional, need))
    if len(s.pupil.needs) > 1 and school.rng.random() < 0.4:
        second = s.pupil.needs[1]
        extra = catalogue.NEED_PROVISIONS[second]["targeted"][0]
        if all(k != extra for k, _ in kinds):
            kinds.append((extra, second))
    return kinds


def _deliberate_mistakes(school: School, s: PlanState, typed: dt.date) -> None:
    """The few entries typed wrongly on purpose, and their corrections, on the first pupils' plans."""
    number, first = s.pupil.number, school.years[0].first_day
    if number == 1:
        school.task(school.school_day_after(typed, 7), 11 * 60 + 20, lambda day: correct(
            school, s, s.opened_event, {"pupil.date_of_birth": s.pupil.date_of_birth.isoformat()},
            "Date of birth entered with the day and month swapped; checked against the admissions form"))
    elif number == 2:
        school.task(school.school_day_after(typed, 1), 8 * 60 + 40, lambda day: correct(
            school, s, s.provisions[0].event_id, {"minutes_per_session": s.provisions[0].minutes},
            f"Typed {s.provisions[0].minutes + 15} minutes by mistake; the meeting notes say "
            f"{s.provisions[0].minutes}-minute sessions"))
    elif number == 3:
        school.task(school.school_day_on_or_after(first + 45 * DAY), 8 * 60 + 25,
                    lambda day: _shorten_last_session(school, s))
        call = school.school_day_on_or_after(first + 60 * DAY)
        typed_up = school.school_day_after(call, 3)
        school.task(typed_up, 13 * 60 + 10, lambda day: contribution(school, s, "parent_view", call, phone=True))
        school.task(school.school_day_after(typed_up, 2), 9 * 60 + 5, lambda day: correct(
            school, s, s.phone_event, {"agreed_on": call.isoformat()},
            f"The phone call was on {call:%A} {call.day} {call:%B}; it was typed up three days later without "
            "changing the date"))
    elif number == 4:
        school.task(school.school_day_on_or_after(dt.date(first.year + 1, 3, 20)), 8 * 60 + 30,
                    lambda day: _absence_was_a_trip(school, s))


def _shorten_last_session(school: School, s: PlanState) -> None:
    last = s.last_delivered
    if last is not None and last.minutes and last.minutes > 15:
        correct(school, s, last.event_id, {"minutes": last.minutes - 10},
                f"The session on {last.day.day} {last.day:%B} was cut short by a fire drill: "
                f"{last.minutes - 10} minutes, not {last.minutes}")


def _absence_was_a_trip(school: School, s: PlanState) -> None:
    last = s.last_absent
    if last is not None:
        year = s.pupil.class_name(school.year_of(last.day))
        correct(school, s, last.event_id, {"missed_reason": "timetable_clash", "note": f"{year} trip"},
                f"Recorded as absent on {last.day.day} {last.day:%B}, but {s.pupil.given_name} was on the {year} "
                "trip that day")
