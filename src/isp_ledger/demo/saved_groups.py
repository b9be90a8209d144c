"""The demo school's saved groups (CONTRACT.md §8): after school on the last school day before today the SENCO saves
the timetable's groups that still meet ("Small-group phonics, Mon/Wed/Fri"), so that the teaching assistant who signs
in to the pages finds them ready to log a session from. A group's name is the provision and its days (never a
pupil's name: a group is kept in clear, CONTRACT.md §11); a group of one pupil is not saved.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from isp_ledger.demo.school import School
    from isp_ledger.demo.sessions import Group

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri")
SAVING_TIME = 16 * 60 + 45  # after the day's sessions are logged


def schedule_saved_groups(school: School) -> None:
    """On the last school day before today (the demo never records anything later than now)."""
    day = school.today - dt.timedelta(days=1)
    first = school.years[0].first_day
    while day >= first and not school.is_school_day(day):
        day -= dt.timedelta(days=1)
    if day >= first:
        school.task(day, SAVING_TIME, lambda today: _save_groups(school, today))


def _save_groups(school: School, today: dt.date) -> None:
    names: dict[str, int] = {}
    for group in school.register.timetable.groups:
        members = [m for m in group.members if m.plan.open_on(today) and m.provision.in_force(today)]
        if len(members) < 2:
            continue
        name = _name(group)
        names[name] = names.get(name, 0) + 1
        if names[name] > 1:
            name = f"{name} ({names[name]})"
        school.ledger.groups.create(
            school.senco, school.urn, name=name, led_by=group.staff,
            members=[{"plan_id": str(m.plan.id), "provision_id": m.provision.item_id} for m in members])


def _name(group: Group) -> str:
    description = group.kind.description.split(",")[0].split("(")[0].strip()
    days = "/".join(DAYS[day] for day in group.weekdays if day < len(DAYS))
    return f"{description[:80]}, {days}"
