"""The entries the demo writes on a plan, each through one of the ledger's commands, as the SENCO, a teacher or
the teaching assistant would through the API. Each is dated: ``agreed_on`` is given only when the decision was
made before the day it is typed in (a back-dated entry); otherwise the ledger dates it today."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from isp_ledger.demo import catalogue, texts
from isp_ledger.demo.calendar import school_year, school_year_of
from isp_ledger.demo.state import OutcomeState, PlanState, ProvisionState

if TYPE_CHECKING:
    from isp_ledger.demo.school import School

DAY = dt.timedelta(days=1)
METHODS = ("signed_form", "email", "in_person", "phone")  # how parents give their responses, most often first


def add_item(school: School, s: PlanState, section: str, fields: dict[str, Any], agreed: dt.date, *,
             reason: str | None = None) -> tuple[str, str]:
    """Add an item agreed on ``agreed``; its id and its entry's event id."""
    body = school.ledger.commands.add_item(school.senco, s.id, section, fields, agreed_on=school.agreed(agreed),
                                  reason=reason).body
    event_id = s.wrote(body)
    school.count_written(1, agreed)
    return str(body["item_id"]), event_id


def add_provision(school: School, s: PlanState, key: str, *, need: str, agreed: dt.date, starts: dt.date,
                  mistyped: bool = False, reason: str | None = None) -> None:
    kind = catalogue.PROVISIONS[key]
    ends = starts + DAY * (7 * kind.weeks - 3) if kind.weeks else None  # a block ends on a Friday
    fields: dict[str, Any] = {
        "description": kind.description, "barrier_ids": [s.barriers[need]], "delivered_by": kind.delivered_by,
        "group_size": kind.group_size, "sessions_per_week": kind.sessions_per_week,
        "minutes_per_session": kind.minutes + 15 if mistyped else kind.minutes, "location": kind.location,
        "starts_on": starts.isoformat()}
    if ends is not None:
        fields["ends_on"] = ends.isoformat()
    if kind.evidence_basis and (s.tier != "targeted" or school.rng.random() < 0.9):
        fields["evidence_basis"] = kind.evidence_basis  # the others show up in the quality report
    item_id, event_id = add_item(school, s, "provisions", fields, agreed, reason=reason)
    provision = ProvisionState(kind, item_id, event_id, agreed, starts, ends, kind.sessions_per_week, kind.minutes,
                               need)
    s.provisions.append(provision)
    school.register.timetable.join(s, provision)


def add_outcome(school: School, s: PlanState, kind: catalogue.Outcome, need: str, agreed: dt.date) -> None:
    if any(o.kind == kind for o in s.outcomes):
        return
    target_date = school_year(school_year_of(agreed + 100 * DAY)).last_day
    item_id, _ = add_item(school, s, "outcomes", {
        "description": kind.description, "success_criteria": kind.success_criteria,
        "barrier_ids": [s.barriers[need]], "target_date": target_date.isoformat(),
        "baseline": kind.unit.format(value=kind.baseline), "target": kind.unit.format(value=kind.target)}, agreed)
    s.outcomes.append(OutcomeState(kind, item_id, agreed, kind.baseline, need, target_date))


def contribution(school: School, s: PlanState, kind: str, day: dt.date, *, phone: bool = False) -> None:
    """A parent's view (typed in by the SENCO from a meeting, form, email or call) or the pupil's own words."""
    if not s.open_on(school.day):
        return
    p, rng = s.pupil, school.rng
    if kind == "pupil_voice":
        words = rng.choice(texts.PUPIL_VOICES) or "Did not want to add anything this time."
        text, user = f"{p.given_name}: {words}", school.users["teacher"]
    else:
        view = rng.choice(texts.PARENT_VIEWS[s.area]).format(child=p.given_name)
        # A view written down, not a meeting (meetings are the reviews and the responses given in person).
        how = "Phone call with" if phone else rng.choice(("Note sent in by", "Parent's form from", "Email from"))
        text, user = f"{how} {p.parent} ({p.parent_role}): {view}", school.senco
    # A phone call typed up days later keeps today's date by mistake (a correction fixes it).
    body = school.ledger.commands.record_contribution(user, s.id, {"kind": kind, "text": text},
                                             agreed_on=None if phone else school.agreed(day)).body
    event_id = s.wrote(body)
    if phone:
        s.phone_event = event_id
    school.count_written(1, school.day if phone else day)
    school.tally.contributions[kind] += 1


def professional_advice(school: School, s: PlanState) -> None:
    if not s.open_on(school.day):
        return
    profession = texts.PROFESSION_FOR[s.pupil.needs[0]]
    advice = school.rng.choice(texts.PROFESSIONAL_ADVICE[profession])
    s.wrote(school.ledger.commands.record_contribution(school.senco, s.id, {
        "kind": "professional_advice", "profession": profession,
        "text": f"Report received from the {profession} (Experts at Hand): {advice}"}).body)
    school.count_written(1, school.day)
    school.tally.contributions["professional_advice"] += 1


def acknowledge(school: School, s: PlanState, signed_on: dt.date, *, not_before: dt.date,
                disagree: bool = False) -> None:
    """The parent's response to the plan as it now stands, typed in by the SENCO: mostly from the form the parent
    signed, otherwise from an email, a call or a word at the school gate (dated when given, never before the meeting
    it answers), with the parent's name and how they gave it."""
    if not s.open_on(school.day):
        return
    rng, p = school.rng, s.pupil
    response = "disagree" if disagree else rng.choices(("agree", "seen", "disagree"), (86, 10, 4))[0]
    comment = (rng.choice(texts.DISAGREEMENTS).format(child=p.given_name) if response == "disagree"
               else rng.choice(texts.AGREEMENT_COMMENTS))
    method = rng.choices(METHODS, (55, 20, 15, 10))[0]
    fields: dict[str, Any] = {"version": s.version, "response": response, "given_by": p.parent, "method": method}
    if comment:
        fields["comment"] = comment
    signed_on = min(max(signed_on, not_before), school.day)
    s.wrote(school.ledger.commands.record_acknowledgement(school.senco, s.id, fields,
                                                 agreed_on=school.agreed(signed_on)).body)
    school.count_written(1, signed_on)
    school.tally.acknowledgements[response] += 1


def close(school: School, s: PlanState, day: dt.date) -> None:
    if not s.open_on(day):
        return
    reason = texts.CLOSING_REASONS["end_of_primary" if day in school.last_days else "moved_away"]
    s.wrote(school.ledger.commands.close_plan(school.senco, s.id, reason=reason).body)
    s.closed_on = day
    school.count_written(1, day)
    school.tally.closed += 1


def correct(school: School, s: PlanState, event_id: str, changes: dict[str, Any], reason: str) -> None:
    """Say that an earlier entry was wrong, and why (CONTRACT.md §5): the entry stays, the correction joins it."""
    if not s.open_on(school.day) or not event_id:
        return
    s.wrote(school.ledger.commands.correct(school.senco, s.id, event_id=event_id, reason=reason,
                                  changes=changes).body)
    school.count_written(1, school.day)
    school.tally.corrections += 1
