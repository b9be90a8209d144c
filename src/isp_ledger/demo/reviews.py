"""A termly review of one plan and what is decided at it: progress measured on each outcome, outcomes met and
the next ones set, provision changed as the child moves on, a referral to a professional (Targeted to Targeted
Plus) or an EHC plan issued (Targeted Plus to Specialist). Decisions are agreed on the day of the review, even
when they are typed in later."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from isp_ledger.demo import catalogue, texts
from isp_ledger.demo.calendar import school_year, school_year_of
from isp_ledger.demo.entries import add_item, add_outcome, add_provision, professional_advice
from isp_ledger.demo.state import PlanState, ProvisionState

if TYPE_CHECKING:
    from isp_ledger.demo.school import School

DAY = dt.timedelta(days=1)
CLASS_TEACHERS = ("Miss Holloway", "Mrs Ahmed", "Mr Bennett", "Mrs Fraser", "Mr Reeves", "Miss Nowak", "Mr Osei")
PROFESSIONALS = {"speech and language therapist": "Rachel Moore", "educational psychologist": "Dr Alan Price",
                 "occupational therapist": "Fiona Grant", "Teacher of the Deaf": "Ian Shaw",
                 "Qualified Teacher of Vision Impairment": "Alison Reid"}
WEEKDAY_PATTERNS = {1: (2,), 2: (1, 3), 3: (0, 2, 4), 4: (0, 1, 2, 3), 5: (0, 1, 2, 3, 4)}
ONE_TO_ONE_CHANGES = {
    "precision": ("sessions_per_week", 3, "Secure with 60 words now: three probes a week are enough"),
    "salt_programme": ("sessions_per_week", 3, "The therapist asks for a third session each week"),
    "fluency": ("minutes_per_session", 20, "Longer texts now: 20-minute sessions"),
    "zones": ("sessions_per_week", 3, "Settling well: check-ins on three days a week"),
    "elsa": ("minutes_per_session", 40, "The ELSA asks for 40 minutes to finish each activity"),
    "physio": ("sessions_per_week", 2, "The physiotherapist reduced the programme to twice a week"),
}


def hold_review(school: School, s: PlanState, held: dt.date, next_due: dt.date, index: int) -> None:
    p, rng = s.pupil, school.rng
    year = p.year_group_in(school.year_of(held))
    transition = s.leaves_on in school.last_days and held.month in (6, 7)
    going_well = rng.random() < 0.65
    attendees = [{"role": "SENCO", "name": school.senco.name}, {"role": p.parent_role, "name": p.parent},
                 {"role": "class teacher", "name": CLASS_TEACHERS[min(year, 6)]}]
    if year >= 2 and rng.random() < 0.6:
        attendees.append({"role": "pupil", "name": p.given_name})
    profession = texts.PROFESSION_FOR[p.needs[0]]
    if s.tier != "targeted" and rng.random() < 0.4:
        attendees.append({"role": profession, "name": PROFESSIONALS[profession]})
    summary = rng.choice(texts.SUMMARIES["good" if going_well else "steady"])
    if transition:
        attendees.append({"role": "SENCO of the receiving secondary school", "name": "Mr Alan Kirby"})
        summary = f"Transition review. {summary} The plan goes with {p.given_name} to secondary school."
    s.wrote(school.ledger.commands.hold_review(school.senco, s.id, {
        "held_on": held.isoformat(), "attendees": attendees,
        "parent_views": rng.choice(texts.PARENT_VIEWS[s.area]).format(child=p.given_name),
        "pupil_views": rng.choice(texts.PUPIL_VIEWS_AT_REVIEW), "summary": summary,
        "next_review_due": next_due.isoformat()}).body)
    school.count_written(1, held)
    school.tally.reviews += 1
    s.reviews_held += 1
    _measure_progress(school, s, held, going_well)
    if transition:
        return
    _carry_over(school, s, held, next_due)
    if index == s.escalate_at_review:
        _refer(school, s, held, profession)
    elif index == s.ehcp_at_review:
        _ehcp_issued(school, s, held)
    elif p.number == 2 and index == 0:  # agreed today, typed in after the SENCO's two-day course: back-dated
        school.task(school.school_day_after(school.day, 4), 9 * 60 + 15, lambda day: _change_provision(
            school, s, held, f"Agreed at the review on {held.day} {held:%B}; recorded late (SENCO on a course)"))
    elif rng.random() < 0.35:
        _change_provision(school, s, held, None)


def _measure_progress(school: School, s: PlanState, held: dt.date, going_well: bool) -> None:
    rng = school.rng
    for outcome in [o for o in s.outcomes if not o.achieved]:
        kind = outcome.kind
        step = (kind.target - kind.baseline) * rng.uniform(0.2, 0.6 if going_well else 0.35)
        outcome.value = min(kind.target, round(outcome.value + step))
        measured = max(outcome.added_on, school.school_day_after(held, -rng.choice((0, 0, 1, 3))))
        user = school.users["teacher"] if rng.random() < 0.5 else school.senco
        s.wrote(school.ledger.commands.record_progress(user, s.id, outcome.item_id, {
            "measured_on": measured.isoformat(), "value": outcome.value,
            "note": f"{kind.unit.format(value=outcome.value)} (target {kind.unit.format(value=kind.target)})",
            "source": kind.source}).body)
        school.count_written(1, measured)
        school.tally.progress += 1
        if outcome.value >= kind.target:
            s.wrote(school.ledger.commands.end_item(
                school.senco, s.id, "outcomes", outcome.item_id, outcome="achieved",
                reason=f"Success criteria met: {kind.unit.format(value=outcome.value)}",
                agreed_on=school.agreed(held)).body)
            school.count_written(1, held)
            outcome.achieved = True
            following = [o for o in catalogue.OUTCOMES[catalogue.AREA_OF[outcome.need]]
                         if all(o != mine.kind for mine in s.outcomes)]
            if following:
                add_outcome(school, s, following[0], outcome.need, held)


def _carry_over(school: School, s: PlanState, held: dt.date, next_due: dt.date) -> None:
    """An outcome not yet met whose target date falls before the next review is carried over, as agreed at the
    review: its target moves to the end of the school year after the coming term."""
    if not s.open_on(school.day):
        return
    for outcome in [o for o in s.outcomes if not o.achieved and o.target_date < next_due]:
        target = school_year(school_year_of(held + 100 * DAY)).last_day
        if target <= outcome.target_date:
            continue
        s.wrote(school.ledger.commands.amend_item(
            school.senco, s.id, "outcomes", outcome.item_id, {"target_date": target.isoformat()},
            agreed_on=school.agreed(held),
            reason=f"Not yet met; carried over, to be met by {target.day} {target:%B %Y}").body)
        school.count_written(1, held)
        outcome.target_date = target


def _change_provision(school: School, s: PlanState, held: dt.date, reason: str | None) -> None:
    """Move on from provision that has done its job, or change how much of it there is."""
    if not s.open_on(school.day):
        return
    running = [v for v in s.provisions if v.running and v.in_force(held)]
    keys = {v.kind.key for v in s.provisions if v.running}
    for provision in running:
        following = catalogue.NEXT_PROVISION.get(provision.kind.key)
        if following and following not in keys:
            why = texts.ENDINGS[provision.kind.key] + (f". {reason}" if reason else "")
            _end(school, s, provision, held, why)
            add_provision(school, s, following, need=provision.need, agreed=held,
                          starts=_next_monday(school, max(held, school.day)), reason=reason)
            return
    for provision in running:
        change = ONE_TO_ONE_CHANGES.get(provision.kind.key)
        if change and change[1] != getattr(provision, "minutes" if change[0] == "minutes_per_session"
                                           else "sessions_per_week"):
            field, value, why = change
            s.wrote(school.ledger.commands.amend_item(school.senco, s.id, "provisions", provision.item_id,
                                             {field: value}, agreed_on=school.agreed(held),
                                             reason=why + (f". {reason}" if reason else "")).body)
            school.count_written(1, held)
            if field == "minutes_per_session":
                provision.minutes = value
            else:
                provision.sessions_per_week = value
                school.register.timetable.reschedule(provision, WEEKDAY_PATTERNS[value])
            return
    for description, category in catalogue.ADJUSTMENTS[s.area]:
        if description not in s.adjustments:
            add_item(school, s, "adjustments", {"description": description, "category": category,
                                                "barrier_ids": [s.barriers[s.pupil.needs[0]]]}, held, reason=reason)
            s.adjustments.append(description)
            return


def _refer(school: School, s: PlanState, held: dt.date, profession: str) -> None:
    """Targeted to Targeted Plus: a professional from Experts at Hand joins."""
    need = s.pupil.needs[0]
    s.wrote(school.ledger.commands.change_tier(
        school.senco, s.id, tier="targeted_plus", ehcp_reference=None, agreed_on=school.agreed(held),
        reason=f"Little progress over two assess-plan-do-review cycles; referred to the {profession} through "
               "Experts at Hand").body)
    school.count_written(1, held)
    school.tally.tier_changes += 1
    s.tier = "targeted_plus"
    key = catalogue.PROFESSIONAL_PROVISION.get(need) or catalogue.NEED_PROVISIONS[need]["targeted_plus"][0]
    if all(not (v.running and v.kind.key == key) for v in s.provisions):
        add_provision(school, s, key, need=need, agreed=held, starts=_next_monday(school, school.day + 14 * DAY))
    school.task(school.school_day_after(school.day, 15), 11 * 60, lambda day: professional_advice(school, s))


def _ehcp_issued(school: School, s: PlanState, held: dt.date) -> None:
    """Targeted Plus to Specialist: the local authority issued an EHC plan; the ISP sits beside it."""
    reference = f"EHCP/886/{held.year}/{school.rng.randrange(1000, 9999)}"
    s.pupil.ehcp_reference = reference
    s.wrote(school.ledger.commands.change_tier(
        school.senco, s.id, tier="specialist", ehcp_reference=reference, agreed_on=school.agreed(held),
        reason="The local authority issued an EHC plan; this ISP now sets out the day-to-day provision beside "
               "it").body)
    school.count_written(1, held)
    school.tally.tier_changes += 1
    s.tier = "specialist"
    if all(not (v.running and v.kind.key == "one_to_one") for v in s.provisions):
        add_provision(school, s, "one_to_one", need=s.pupil.needs[0], agreed=held,
                      starts=_next_monday(school, school.day))


def _end(school: School, s: PlanState, provision: ProvisionState, held: dt.date, reason: str) -> None:
    s.wrote(school.ledger.commands.end_item(school.senco, s.id, "provisions", provision.item_id, reason=reason,
                                   agreed_on=school.agreed(held)).body)
    school.count_written(1, held)
    provision.ended_on = held


def _next_monday(school: School, day: dt.date) -> dt.date:
    return school.school_day_on_or_after(day + DAY * (7 - day.weekday()))
