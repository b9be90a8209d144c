"""Whom the demo school's plans are shared with (CONTRACT.md §10), as a SENCO would share them.

Each child's parent (an account with their e-mail address, by which the web pages will sign them in) is given
access the day the plan is opened (the demo parent, whose token is printed, is the first child's); the speech and
language therapist of the Experts at Hand service is given access to the Targeted Plus and Specialist plans for the
rest of that school year; and the complaint handler, a month ago, to the first child's plan, whose family
disagreed with the support agreed, until two months from today. Every grant is an entry in the plan's history at
the moment it was given.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from isp_ledger.demo.pupils import Pupil
from isp_ledger.demo.state import PlanState

if TYPE_CHECKING:
    from isp_ledger.demo.school import School

DAY = dt.timedelta(days=1)
PROFESSIONAL = "Priya Nair"  # a speech and language therapist (Experts at Hand)
SHARING_TIME = 17 * 60 + 30  # the SENCO's last job of the day: sharing the plans opened that day


def schedule_sharing(school: School) -> None:
    """Put the school's sharing in its diary (after the users exist and the plans' own stories are scheduled)."""
    school.users["professional"], school.tokens["professional"] = school.ledger.accounts.add_user(
        name=PROFESSIONAL, role="professional", email=work_email(PROFESSIONAL, school.urn))
    shared: set[int] = set()
    day = school.years[0].first_day
    while day <= school.today:
        school.task(day, SHARING_TIME, lambda today: _share_new_plans(school, shared, today))
        day += DAY
    first = school.plans[0]
    complaint = max(school.today - 30 * DAY, first.pupil.opens_on + 60 * DAY)
    if complaint < school.today:
        school.task(complaint, 10 * 60, lambda today: _refer_complaint(school, first))


def _share_new_plans(school: School, shared: set[int], today: dt.date) -> None:
    for s in school.plans:
        if s.plan_id is None or s.pupil.number in shared or not s.open_on(today):
            continue
        shared.add(s.pupil.number)
        parent = school.users["parent"] if s is school.plans[0] else school.ledger.accounts.add_user(
            name=s.pupil.parent, role="parent", email=email_of(s.pupil, school.urn))[0]
        _grant(school, s, parent.user_id, "parent",
               reason=f"{s.pupil.parent_role.capitalize()}; shared at the meeting that agreed the plan")
        if s.tier != "targeted":
            end_of_year = school.school_year(school.year_of(today)).last_day
            _grant(school, s, school.users["professional"].user_id, "professional", expires_on=end_of_year,
                   reason="Experts at Hand: speech and language therapy assessment and advice this school year")


def email_of(pupil: Pupil, urn: str) -> str:
    """The parent's e-mail address, as they gave it to the school (made up, and unique in the store: the school's
    URN and the child's number in it tell apart two parents of one name)."""
    name = ".".join(part.lower() for part in pupil.parent.replace("'", "").split())
    return f"{name}.{urn}{pupil.number:03d}@example.org"


def work_email(name: str, urn: str) -> str:
    """A demo member of staff's (or visiting professional's) e-mail address, to sign in to the pages with: made up,
    and unique in the store (a second demo school has another URN)."""
    local = ".".join(part.lower() for part in name.replace("'", "").split())
    return f"{local}.{urn}@example.org"


def _refer_complaint(school: School, s: PlanState) -> None:
    if s.plan_id is None:
        return
    _grant(school, s, school.users["complaint_handler"].user_id, "complaint_handler",
           expires_on=school.today + 60 * DAY,
           reason="Stage 2 complaint: the family disagree with the support agreed at the first review")


def _grant(school: School, s: PlanState, user_id: str, relationship: str, *, reason: str,
           expires_on: dt.date | None = None) -> None:
    result = school.ledger.grants.grant(school.senco, s.id, user_id=user_id, relationship=relationship,
                                        expires_on=expires_on.isoformat() if expires_on else None, reason=reason)
    s.wrote(result.body)
    school.count_written(1, school.day)
    school.tally.grants[relationship] += 1
