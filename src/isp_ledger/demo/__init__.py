"""``isp-ledger demo``: a realistic synthetic school, so that a new user sees a living system at once.

About sixty children's plans across the tiers, with need types in national proportions, lived through a school
year (from the September of the school year nine months ago up to today) on the ledger's own commands: plans
opened at meetings with parents, termly reviews, parents' views and responses, provision changed, children
referred on, an EHC plan issued, Year 6 leaving in July; the school's calendar set; intervention sessions logged
for groups, most delivered and the rest missed for realistic reasons; a few entries typed in late (back-dated) and
a few corrected. Every entry is in its plan's hash chain and the read models, recorded at the moment it happened
in the school's year (``clock.py``), never in the future.

    clock = DemoClock()
    ledger = build_ledger(env, clock=clock)
    report = build_demo(ledger, plans=60, seed=2025)

The same seed gives the same school, children and year (the ids the ledger issues differ).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from isp_ledger.application import Ledger
from isp_ledger.demo.clock import DemoClock
from isp_ledger.demo.report import DemoReport, describe
from isp_ledger.demo.school import School
from isp_ledger.storage.sql import Sql

DEFAULT_PLANS = 60
DEFAULT_SEED = 2025

__all__ = ["DEFAULT_PLANS", "DEFAULT_SEED", "DemoClock", "DemoReport", "build_demo", "describe", "store_has_plans"]


def build_demo(ledger: Ledger, *, plans: int = DEFAULT_PLANS, seed: int = DEFAULT_SEED,
               progress: Callable[[int, int], None] | None = None) -> DemoReport:
    """Write the demo school into ``ledger``, which must run on a :class:`DemoClock`; ``progress(done, total)`` is
    told of each day of the year lived through."""
    if plans < 1:
        raise ValueError("the demo school needs at least one plan")
    started = time.perf_counter()
    school = School(ledger, plans=plans, seed=seed)
    try:
        school.run(progress or (lambda done, total: None))
    finally:
        school.clock.release()
    ledger.store.number_pending()  # PostgreSQL: give every event its place in the sequence (and the log) now
    return DemoReport.of(school, time.perf_counter() - started)


def store_has_plans(ledger: Ledger) -> bool:
    return bool(Sql(ledger.store.datastore).fetch("SELECT 1 FROM {isp_events} LIMIT 1"))
