"""Issue 12: what the access log costs a read. A parent reads their child's plan (its current document, through
the application, as ``GET /v1/plans/{plan_id}`` with ``as_of`` does) with every read logged before it is answered,
against the very same read with the log switched off, on the same database in the same run: ``logged_read_ratio``
(floor 0.5). The switch is a constructor argument of ``AccessLog`` used only here: a service always logs.
"""

from __future__ import annotations

import datetime as dt
import os

from common import ROUNDS, Result, compare, note
from write_path import Bench

from isp_ledger.application.access_log import AccessLog
from isp_ledger.application.history import PlanHistory

READS = int(os.environ.get("ISP_LEDGER_BENCH_READS", "2000"))


class LoggedReadBench:
    def __init__(self, bench: Bench) -> None:
        ledger, admin = bench.ledger, bench.admin
        self.ledger = ledger
        opened = dt.date.today() - dt.timedelta(days=120)
        self.plan_id = bench.new_plan(9000, opened_on=opened)
        barrier = ledger.commands.add_item(admin, self.plan_id, "barriers", {
            "description": "Finds it hard to blend sounds", "area_of_need": "cognition_and_learning",
            "need_type": "SPLD", "evidence": "Phonics screening check"}, agreed_on=opened.isoformat()).body["item_id"]
        for name in ("Small-group phonics", "Precision teaching", "Reading with an adult"):
            ledger.commands.add_item(admin, self.plan_id, "provisions", {
                "description": name, "barrier_ids": [barrier], "delivered_by": "teaching assistant", "group_size": 4,
                "sessions_per_week": 3, "minutes_per_session": 30, "location": "withdrawal",
                "starts_on": opened.isoformat(), "evidence_basis": "EEF"}, agreed_on=opened.isoformat())
        for i in range(40):
            bench.contribute(admin, self.plan_id, i)
        self.parent, _ = ledger.accounts.add_user(name="Bench Parent", role="parent")
        ledger.grants.grant(admin, self.plan_id, user_id=self.parent.user_id, relationship="parent")
        off = AccessLog(ledger.access_log.store, ledger.plans, ledger.clock, enabled=False)
        self.logged = ledger.history
        self.unlogged = PlanHistory(ledger.plans, ledger.calendars, ledger.clock, off)
        version = self.logged.plan_document(self.parent, self.plan_id)["version"]
        note(f"reads: a parent's plan of {version} events, read {READS} times a round, logged and not")

    def reads(self) -> Result:
        def read(history: PlanHistory) -> int:
            for _ in range(READS):
                history.plan_document(self.parent, self.plan_id)
            return READS

        before = self.ledger.access_log.store.count(self.plan_id)
        logged, unlogged = compare(ROUNDS, lambda: read(self.logged), lambda: read(self.unlogged))
        entries = self.ledger.access_log.store.count(self.plan_id) - before
        assert entries == ROUNDS * READS, f"{entries} entries for {ROUNDS * READS} logged reads"
        return Result("a parent reads a plan, logged vs not", logged, unlogged, "logged/s", "plain/s")
