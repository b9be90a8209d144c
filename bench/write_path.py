"""The write path's benchmarks: one writer, eight writers, loading a long plan, group sessions, bundles."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
from common import (
    DATABASE_URL,
    REPLAY_EVENTS,
    ROUNDS,
    WRITERS,
    WRITES,
    Result,
    compare,
    ledger_in_own_schema,
    note,
)
from stdnum.gb import upn

from isp_ledger.access import User
from isp_ledger.bundle.build import build_bundle
from isp_ledger.domain.calendar import NOT_SET
from isp_ledger.storage.chain import canonical


class Bench:
    def __init__(self) -> None:
        self.dsn = DATABASE_URL.split("?", 1)[0]
        self.schema, self.keys, self.ledger, self.admin = ledger_in_own_schema(self.dsn, "raw_events")
        self.sample_state = canonical({"text": "x" * 700})

    def close(self) -> None:
        self.ledger.close()
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{self.schema}" CASCADE')

    # ------------------------------------------------------------------ helpers

    def new_plan(self, n: int, opened_on: dt.date | None = None) -> uuid.UUID:
        body = f"8012000{26:02d}{n % 1000:03d}"
        la_body = f"{801:03d}{(2000 + n // 1000) % 10000:04d}{26:02d}{n % 1000:03d}"
        del body
        result = self.ledger.commands.open_plan(
            self.admin,
            pupil={"upn": upn.calc_check_digit(la_body) + la_body, "given_name": "Bench", "family_name": f"Pupil {n}",
                   "date_of_birth": "2016-01-01"},
            setting_urn="123456",
            tier="targeted",
            agreed_on=opened_on.isoformat() if opened_on else None,
        )
        return uuid.UUID(result.body["plan_id"])

    def contribute(self, user: User, plan_id: uuid.UUID, i: int) -> None:
        self.ledger.commands.record_contribution(
            user, plan_id, {"kind": "parent_view", "text": f"Parent view number {i}: reading together at home."}
        )

    def raw_insert(self, conn: psycopg.Connection[Any], plan_id: uuid.UUID, version: int) -> None:
        conn.execute(
            f'INSERT INTO "{self.schema}".raw_events VALUES (%s, %s, %s, %s)',
            (plan_id, version, "ContributionRecorded", self.sample_state),
        )

    # ------------------------------------------------------------------ (a) one writer

    def sequential_writes(self) -> Result:
        plan_id = self.new_plan(1)
        counter = iter(range(10**9))

        def app() -> int:
            for _ in range(WRITES):
                self.contribute(self.admin, plan_id, next(counter))
            return WRITES

        raw_plan = uuid.uuid4()
        versions = iter(range(1, 10**9))

        def raw() -> int:
            with psycopg.connect(self.dsn, autocommit=True) as conn:
                for _ in range(WRITES):
                    self.raw_insert(conn, raw_plan, next(versions))
            return WRITES

        return Result("one writer, one event per command", *compare(ROUNDS, app, raw), "events/s")

    # ------------------------------------------------------------------ (b) eight writers

    def concurrent_writes(self) -> Result:
        plans = [self.new_plan(100 + i) for i in range(WRITERS)]
        per_writer = WRITES // WRITERS
        counter = iter(range(10**9))

        def in_threads(work: Callable[[int], None]) -> int:
            threads = [threading.Thread(target=work, args=(i,)) for i in range(WRITERS)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            return per_writer * WRITERS

        def app() -> int:
            def writer(i: int) -> None:
                for _ in range(per_writer):
                    self.contribute(self.admin, plans[i], next(counter))

            return in_threads(writer)

        raw_plans = [uuid.uuid4() for _ in range(WRITERS)]
        raw_versions = [iter(range(1, 10**9)) for _ in range(WRITERS)]

        def raw() -> int:
            def writer(i: int) -> None:
                with psycopg.connect(self.dsn, autocommit=True) as conn:
                    for _ in range(per_writer):
                        self.raw_insert(conn, raw_plans[i], next(raw_versions[i]))

            return in_threads(writer)

        return Result(f"{WRITERS} writers on different plans", *compare(ROUNDS, app, raw), "events/s")

    # ------------------------------------------------------------------ (c) replay

    def replay(self) -> Result:
        plan_id = self.new_plan(999)
        for i in range(REPLAY_EVENTS - 1):
            self.contribute(self.admin, plan_id, i)
        statement = (
            f'SELECT originator_id, originator_version, topic, state FROM "{self.schema}".isp_events '
            "WHERE originator_id = %s ORDER BY originator_version"
        )

        def app() -> int:
            self.ledger.plans.evict(plan_id)
            plan = self.ledger.plans.load(plan_id)
            assert plan.version == REPLAY_EVENTS
            return 1

        # The raw side keeps one open connection, as the application keeps its pool: what is compared is
        # fetching the rows, not opening a connection.
        with psycopg.connect(self.dsn, autocommit=True) as conn:

            def raw() -> int:
                rows = conn.execute(statement, (plan_id,)).fetchall()
                assert len(rows) == REPLAY_EVENTS
                return 1

            return Result(f"load a plan of {REPLAY_EVENTS} events", *compare(ROUNDS * 3, app, raw), "loads/s")


class DeliveryBench:
    """Issue 4: logging group sessions, six pupils per request, through the Ledger (one transaction per request,
    each pupil's event chained on their own plan) against inserting the same rows, six per transaction."""

    GROUP = 6

    def __init__(self, bench: Bench) -> None:
        self.bench = bench
        self.ledger = bench.ledger
        self.start = dt.date.today() - dt.timedelta(days=400)
        self.entries: list[dict[str, str]] = []
        for n in range(self.GROUP):
            plan_id = bench.new_plan(5000 + n, opened_on=self.start)
            barrier = self.ledger.commands.add_item(bench.admin, plan_id, "barriers", {
                "description": "Finds it hard to blend sounds", "area_of_need": "cognition_and_learning",
                "need_type": "SPLD", "evidence": "Phonics screening check"}, agreed_on=self.start.isoformat())
            provision = self.ledger.commands.add_item(bench.admin, plan_id, "provisions", {
                "description": "Small-group phonics", "barrier_ids": [barrier.body["item_id"]],
                "delivered_by": "teaching assistant", "group_size": self.GROUP, "sessions_per_week": 3,
                "minutes_per_session": 30, "location": "withdrawal", "starts_on": self.start.isoformat(),
                "evidence_basis": "EEF: phonics"}, agreed_on=self.start.isoformat())
            self.entries.append({"plan_id": str(plan_id), "provision_id": provision.body["item_id"]})

    def sessions(self) -> Result:
        requests = max(1, WRITES // self.GROUP)
        slots = self._slots()

        def app() -> int:
            for _ in range(requests):
                day, starts_at = next(slots)
                self.ledger.commands.record_session(self.bench.admin, entries=self.entries, session={
                    "date": day, "starts_at": starts_at, "status": "delivered", "minutes": 30,
                    "delivered_by": "Mrs Patel (TA)", "note": "Worked on blending CVC words"})
            return requests * self.GROUP

        schema = self.bench.schema
        with psycopg.connect(self.bench.dsn, autocommit=True) as conn:
            size = conn.execute(f"SELECT avg(length(state))::int FROM \"{schema}\".isp_events "
                                "WHERE topic = 'SessionRecorded'").fetchone()
        state = b"x" * int(size[0] if size and size[0] else 900)
        raw_plans = [uuid.uuid4() for _ in range(self.GROUP)]
        versions = itertools.count(1)
        insert = f'INSERT INTO "{schema}".raw_events VALUES (%s, %s, %s, %s)'

        def raw() -> int:
            with psycopg.connect(self.bench.dsn, autocommit=True) as conn, conn.cursor() as cursor:
                for _ in range(requests):
                    version = next(versions)
                    with conn.transaction():
                        cursor.executemany(insert, [(p, version, "SessionRecorded", state) for p in raw_plans])
            return requests * self.GROUP

        app()  # the first round also loads the plans: leave it out
        return Result(f"group sessions, {self.GROUP} pupils per request", *compare(ROUNDS, app, raw),
                      "pupil-sessions/s")


    def _slots(self) -> Iterator[tuple[str, str]]:
        """A session is recorded once (CONTRACT.md §8): distinct slots, each school day of the year from the start
        at every minute of a long school day."""
        for offset in range(1, 390):
            day = self.start + dt.timedelta(days=offset)
            if NOT_SET.is_school_day(day):
                for minute in range(7 * 60, 19 * 60):
                    yield day.isoformat(), f"{minute // 60:02d}:{minute % 60:02d}"


class BundleBench:
    """Issue 4: building the evidence bundle (JSON, as served) of a plan with a school year of history, against
    fetching that plan's stored rows with psycopg on an open connection."""

    def __init__(self, bench: Bench) -> None:
        self.bench = bench
        ledger, admin = bench.ledger, bench.admin
        opened = dt.date.today() - dt.timedelta(days=365)
        self.plan_id = bench.new_plan(7000, opened_on=opened)
        barrier = ledger.commands.add_item(admin, self.plan_id, "barriers", {
            "description": "Finds it hard to blend sounds", "area_of_need": "cognition_and_learning",
            "need_type": "SPLD", "evidence": "Phonics screening check"}, agreed_on=opened.isoformat())
        provisions = []
        for name, weekly in (("Small-group phonics", 3), ("Speech and language therapy", 1)):
            provisions.append(ledger.commands.add_item(admin, self.plan_id, "provisions", {
                "description": name, "barrier_ids": [barrier.body["item_id"]], "delivered_by": "teaching assistant",
                "group_size": 4, "sessions_per_week": weekly, "minutes_per_session": 30, "location": "withdrawal",
                "starts_on": opened.isoformat(), "evidence_basis": "EEF"}, agreed_on=opened.isoformat()
            ).body["item_id"])
        day, sessions = opened, 0
        while day < dt.date.today():
            day += dt.timedelta(days=1)
            if not NOT_SET.is_school_day(day):  # no session on a weekend or a bank holiday
                continue
            for index, provision in enumerate(provisions):
                if index == 1 and day.weekday() != 2:
                    continue  # speech and language on Wednesdays
                if index == 0 and day.weekday() not in (0, 2, 4):
                    continue
                missed = sessions % 9 == 4
                entries = [{"plan_id": str(self.plan_id), "provision_id": provision}]
                ledger.commands.record_session(admin, entries=entries,
                                      session={"date": day.isoformat(), "status": "missed" if missed else "delivered",
                                               **({"missed_reason": "pupil_absent"} if missed else {})})
                sessions += 1
            if day.day == 1 and day.month in (1, 4, 7, 10):
                ledger.commands.record_contribution(admin, self.plan_id, {"kind": "parent_view",
                                                                 "text": "Reading more at home."},
                                           agreed_on=day.isoformat())
        self.events = ledger.history.plan_document(admin, self.plan_id)["version"]
        note(f"bundle: a plan of {self.events} events over a year ({sessions} sessions)")

    def bundle(self) -> Result:
        def app() -> int:
            json.dumps(build_bundle(self.bench.ledger, self.bench.admin, self.plan_id))
            return 1

        statement = (f'SELECT originator_id, originator_version, topic, state FROM "{self.bench.schema}".isp_events '
                     "WHERE originator_id = %s ORDER BY originator_version")
        with psycopg.connect(self.bench.dsn, autocommit=True) as conn:

            def raw() -> int:
                assert len(conn.execute(statement, (self.plan_id,)).fetchall()) == self.events
                return 1

            return Result(f"one-year bundle ({self.events} events)", *compare(ROUNDS, app, raw), "bundles/s",
                          "reads/s")
