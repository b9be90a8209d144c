"""The children of the demo school who have an ISP: who they are, their tier and needs, when their plan opens.

Tiers and need types are shared out in the national proportions (``catalogue.py``) by largest remainder, so
even a small demo school has the mix a real one would, then shuffled with the demo's seeded random generator.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass

from stdnum.gb import upn as stdnum_upn

from isp_ledger.demo import catalogue
from isp_ledger.demo.calendar import SchoolYear

LOCAL_AUTHORITY = 886  # Kent: its three-digit number, which starts every UPN its schools issue
LOCAL_AUTHORITY_NAME = "Kent"
YEAR_GROUP_WEIGHTS = (6, 9, 10, 11, 11, 11, 11)  # Reception to Year 6: needs are identified as children grow
YEAR_GROUP_NAMES = ("Reception", "Year 1", "Year 2", "Year 3", "Year 4", "Year 5", "Year 6")
FIXED_FROM_THE_START = 5  # the first pupils open in the first weeks: the demo's stories hang on them


@dataclass
class Pupil:
    number: int
    given_name: str
    family_name: str
    date_of_birth: dt.date
    upn: str
    parent: str  # the parent the school deals with, e.g. "Sarah Thompson"
    parent_role: str  # "mum", "dad"
    tier: str
    needs: list[str]  # the primary need first
    opens_on: dt.date  # the day the plan is agreed at a meeting with the parent
    year_group: int  # in the school year the plan opens: 0 is Reception
    school_year: int  # that school year's start year
    absence_rate: float  # how often the child is off school on a given day
    ehcp_reference: str | None = None

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def year_group_in(self, start_year: int) -> int:
        return self.year_group + start_year - self.school_year

    def class_name(self, start_year: int) -> str:
        year = self.year_group_in(start_year)
        return YEAR_GROUP_NAMES[year] if 0 <= year < len(YEAR_GROUP_NAMES) else "left"


def apportion(total: int, weights: Mapping[str, float], *, at_least_one: bool = False) -> dict[str, int]:
    """Share ``total`` out in proportion to ``weights`` (largest remainder); with ``at_least_one`` every key gets
    one first, when there are enough to go round."""
    counts = dict.fromkeys(weights, 0)
    if at_least_one and total >= len(weights):
        counts = dict.fromkeys(weights, 1)
    rest = total - sum(counts.values())
    whole = sum(weights.values())
    shares = {k: rest * w / whole for k, w in weights.items()}
    for key, share in shares.items():
        counts[key] += math.floor(share)
    left = total - sum(counts.values())
    for key in sorted(shares, key=lambda k: (-(shares[k] % 1), list(weights).index(k)))[:left]:
        counts[key] += 1
    return counts


def enrol(rng: random.Random, count: int, years: list[SchoolYear], today: dt.date, establishment: int) -> list[Pupil]:
    """``count`` pupils whose plans open over ``years`` (most in the first autumn term), none after ``today``."""
    tiers = apportion(count, catalogue.TIER_WEIGHTS, at_least_one=True)
    kinds: list[tuple[str, str]] = []
    for tier, tier_count in tiers.items():
        for need, need_count in apportion(tier_count, catalogue.NEED_WEIGHTS[tier]).items():
            kinds += [(tier, need)] * need_count
    rng.shuffle(kinds)
    used_names: set[str] = set()
    serials: set[tuple[int, int]] = set()
    pupils = []
    for number, (tier, need) in enumerate(kinds):
        year, opens_on = _opening(rng, number, count, years, today)
        year_group = rng.choices(range(7), YEAR_GROUP_WEIGHTS)[0]
        if tier == "specialist" and year_group == 0:
            year_group = 1  # an EHC plan seldom arrives before a child starts school
        boy = rng.random() < 0.68  # boys are about twice as likely as girls to be identified with SEN
        given = _unique(rng, catalogue.BOYS if boy else catalogue.GIRLS, used_names)
        family = rng.choice(catalogue.FAMILY_NAMES)
        used_names.add(given)
        born_in = year.start_year - 5 - year_group  # Reception children are 4 on 1 September
        date_of_birth = dt.date(born_in, 9, 1) + dt.timedelta(days=rng.randrange(365))
        if number == 1:  # the pupil whose date of birth is typed day-for-month, then corrected: day <= 12
            day = rng.randrange(1, 13)
            date_of_birth = date_of_birth.replace(day=day % 12 + 1 if day == date_of_birth.month else day)
        mother = rng.random() < 0.78
        parent_family = family if rng.random() < 0.85 else rng.choice(catalogue.FAMILY_NAMES)
        parent = f"{rng.choice(catalogue.MOTHERS if mother else catalogue.FATHERS)} {parent_family}"
        needs = [need]
        if rng.random() < 0.4:
            needs.append(rng.choice(catalogue.SECONDARY_NEEDS[need]))
        absence = rng.choice((0.02, 0.03, 0.04, 0.04, 0.05, 0.06, 0.08, 0.13))
        pupil = Pupil(number, given, family, date_of_birth, _upn(rng, date_of_birth, establishment, serials),
                      parent, "mum" if mother else "dad", tier, needs, opens_on, year_group, year.start_year,
                      absence)
        if tier == "specialist":
            issued = max(date_of_birth.year + 5, year.start_year - rng.randrange(0, 3))
            pupil.ehcp_reference = f"EHCP/{LOCAL_AUTHORITY}/{issued}/{rng.randrange(100, 9999):04d}"
        pupils.append(pupil)
    return pupils


def _opening(rng: random.Random, number: int, count: int, years: list[SchoolYear],
             today: dt.date) -> tuple[SchoolYear, dt.date]:
    """When the plan opens: most carried over from the SEN register in the first half term; a quarter as needs
    are identified during the year; the rest at the start of the next year (when the history reaches it)."""
    first = years[0]
    later = [y for y in years[1:] if y.first_day + dt.timedelta(days=21) <= today]
    share = number / max(count, 1)
    if number < FIXED_FROM_THE_START or share < 0.6 or (not later and share < 0.75):
        return first, _school_day(rng, first, first.first_day + dt.timedelta(days=3), first.first_day
                                  + dt.timedelta(days=45), today)
    if share < 0.85 or not later:
        return first, _school_day(rng, first, first.first_day + dt.timedelta(days=60), first.last_day
                                  - dt.timedelta(days=50), today)
    year = later[-1]
    return year, _school_day(rng, year, year.first_day + dt.timedelta(days=3), year.first_day
                             + dt.timedelta(days=40), today)


def _school_day(rng: random.Random, year: SchoolYear, start: dt.date, end: dt.date, today: dt.date) -> dt.date:
    end = min(end, today - dt.timedelta(days=7))
    days = [start + dt.timedelta(days=n) for n in range(max((end - start).days, 0) + 1)]
    school_days = [d for d in days if year.is_school_day(d)]
    return rng.choice(school_days) if school_days else start


def _unique(rng: random.Random, names: tuple[str, ...], used: set[str]) -> str:
    fresh = [n for n in names if n not in used]
    return rng.choice(fresh or list(names))


def _upn(rng: random.Random, date_of_birth: dt.date, establishment: int, serials: set[tuple[int, int]]) -> str:
    """A valid permanent UPN: check letter, LA number, establishment number, the year it was issued (the year the
    child started school) and a serial."""
    issued = (date_of_birth.year + 5 if date_of_birth.month >= 9 else date_of_birth.year + 4) % 100
    serial = rng.randrange(1, 200)
    while (issued, serial) in serials:
        serial = rng.randrange(1, 999)
    serials.add((issued, serial))
    body = f"{LOCAL_AUTHORITY:03d}{establishment:04d}{issued:02d}{serial:03d}"
    return str(stdnum_upn.calc_check_digit(body)) + body


def another_serial(upn: str) -> str:
    """The same kind of UPN with another serial number (when the store already holds this one)."""
    body = upn[1:10] + f"{(int(upn[10:]) + 211) % 1000:03d}"
    return str(stdnum_upn.calc_check_digit(body)) + body
