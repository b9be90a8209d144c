"""Running the read models: following the ledger's sequence in batches, and rebuilding from zero.

The library's ``ProjectionRunner`` commits one event per transaction; catching up on hundreds of thousands of
events needs batches. A :class:`Projector` reads a batch of notifications after the lowest position of its
read models, lets each read model note the events it has not yet seen, applies them to the shared plans, then
commits each read model's rows with its new position. It waits for new events with the store's own signal:
PostgreSQL's LISTEN/NOTIFY (from the sequencer) or, on SQLite, a commit signal plus ``PRAGMA data_version``.

A rebuild (``rebuild.py``) fills a new generation of the read models beside the live ones (the service keeps
answering from the current generation), catches up with the head, then switches.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, cast
from uuid import UUID

from eventsourcing.persistence import Notification, Tracking

from isp_ledger.domain.plan import Plan
from isp_ledger.storage.sql import Sql
from projections import READ_MODELS
from projections.base import APPLICATION, PlanFolder, ReadModel, View
from projections.batches import NOT_DAMAGE, Background, Damaged, DamagedMidBatch, Pages, collector_paused, in_sequence
from projections.log import EventLog
from projections.plan_index import PlanIndex
from projections.registry import Registry

log = logging.getLogger(__name__)

REGISTRY_CHECK_SECONDS = 1.0

Damage = tuple[dict[UUID, int], dict[str, str]]  # plans passed over, from which version; what was wrong


class Projector:
    """Keeps the named read models (all by default) up to date with the ledger."""

    PAGE_SIZE = 5_000  # the most notifications read by one query
    # The most plans one batch may change. Their rows are worked out while the batch's transaction is open (and
    # idle, as far as the server can tell), so this also bounds that time; it must not exceed the plan folder's
    # capacity, since every plan a batch changed must still be in memory when the batch is written.
    MAX_PLANS_PER_BATCH = 2_000

    def __init__(
        self,
        log: EventLog,
        names: Iterable[str] | None = None,
        *,
        generations: dict[str, int] | None = None,
        batch_size: int = 500,
    ) -> None:
        self.log = log
        self.sql = Sql(log.datastore)
        self.registry = Registry(self.sql)
        self.batch_size = batch_size
        self.plans = PlanFolder(self._load_plan)
        self.damaged: dict[str, str] = {}  # plan id -> what could not be read, for /healthz
        self._damaged_from: dict[UUID, int] = {}  # plan id -> the first version not projected
        self._pinned = generations
        self.models: dict[str, ReadModel] = {}
        for name in names or READ_MODELS:
            if name not in READ_MODELS:
                raise ValueError(f"no read model called {name!r} (there are: {', '.join(READ_MODELS)})")
            generation = generations[name] if generations else self.registry.current(name)
            self.models[name] = self._open(name, generation)
        self._progress = threading.Condition()
        self._pages = Pages(self._select, key=in_sequence)
        self._writing: Background | None = None
        self._waiter: Any = None  # while running: what it waits on for new events
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_error: str | None = None

    def _open(self, name: str, generation: int) -> ReadModel:
        cls = READ_MODELS[name]
        view = View(self.sql, name, generation, cls.tables, sealer=self.log.sealer)
        view.create_table()
        if cls is PlanIndex:
            return PlanIndex(view, self.plans, upn_key=self.log.upn_key)
        return cls(view, self.plans)

    def _select(self, after: int, limit: int, stop: int | None) -> Sequence[Notification]:
        return self._with_keys(self.log.notifications(after, limit, stop))

    def _with_keys(self, page: Sequence[Notification]) -> Sequence[Notification]:
        """The page, once the data keys of its plans are in memory: fetched in one query for the page (on the
        thread that reads the page ahead), rather than one query when each plan's first event is opened. (Keyed by
        the ids' integers, which hash in C, where a UUID's hash is Python code.)"""
        plans: dict[int, UUID] = {}
        for notification in page:
            plan_id = cast(UUID, notification.originator_id)
            plans[plan_id.int] = plan_id
        self.log.sealer.load(plans.values())
        return page

    def _load_plan(self, plan_id: UUID, version: int) -> Plan:
        return self.log.get(plan_id, version)

    # ------------------------------------------------------------------ positions

    def position(self, name: str | None = None) -> int:
        """How far the read model (the least advanced, by default) is committed."""
        if name is not None:
            return self.models[name].position
        return min(model.position for model in self.models.values())

    def wait_for(self, name: str, notification_id: int, timeout: float) -> bool:
        """Block until read model ``name`` has processed ``notification_id`` (or the timeout passes)."""
        with self._progress:
            return self._progress.wait_for(lambda: self.models[name].position >= notification_id, timeout)

    # ------------------------------------------------------------------ processing

    def step(self) -> int:
        """Process one batch of up to ``batch_size`` events and commit it; return how many it held (0 if there
        was nothing new)."""
        processed = self.advance()
        self.drain()
        return processed

    def advance(self, stop: int | None = None) -> int:
        """Process one batch and hand its rows to a writer thread; return how many events it held.

        The batch is read in pages of at most ``PAGE_SIZE`` notifications, the next page being fetched while
        one is processed. Each read model's rows are worked out once, at the batch's end: a row per plan is
        written once per batch however many of the batch's events were about it, so large batches make
        catching up cheaper. A batch ends early rather than change more than ``MAX_PLANS_PER_BATCH`` plans.

        The rows are written, with the new position, while the next batch is read and processed; batches
        commit one at a time, in order. :meth:`drain` waits for the last one. Events after ``stop`` are left
        for later.
        """
        while True:
            try:
                return self._advance(stop)
            except DamagedMidBatch:
                continue  # the batch was abandoned: again, passing over the plan found damaged

    def _advance(self, stop: int | None) -> int:
        try:
            with collector_paused():
                last_id, processed = self._read_batch(stop)
                if last_id is None:
                    return 0
                prepared = [(model, model.prepare()) for model in self.models.values() if model.seen < last_id]
            self.drain()  # the batch before commits first
        except BaseException:
            self._abandon()
            raise
        for model, _ in prepared:
            model.seen = last_id
        self._writing = Background(lambda: self._write(prepared, last_id), name="isp-ledger-projector-write")
        return processed

    def drain(self) -> None:
        """Wait until every batch handed to the writer is committed; if one failed, start again from the
        committed positions and raise what went wrong."""
        writing, self._writing = self._writing, None
        if writing is None:
            return
        try:
            writing.result()
        except BaseException:
            self._reset()
            raise

    def _read_batch(self, stop: int | None) -> tuple[int | None, int]:
        last, processed = self._read_pages(min(model.seen for model in self.models.values()), stop)
        return (last.id if last is not None else None), processed

    def _read_pages(self, after: Any, stop: int | None) -> tuple[Notification | None, int]:
        """Process a batch's events, reading pages from the one after the event whose key is ``after``; return
        the last event processed (``None`` if there was none) and how many there were."""
        processed = 0
        last: Notification | None = None
        touched: set[Any] = set()
        most_plans = min(self.MAX_PLANS_PER_BATCH, self.plans.capacity)
        while processed < self.batch_size:
            wanted = min(self.PAGE_SIZE, self.batch_size - processed)
            notifications = self._pages.get(after, wanted, stop)
            full = False
            for notification in notifications:
                plan_id = notification.originator_id
                if plan_id not in touched:
                    if len(touched) >= most_plans and last is not None:
                        full = True
                        break
                    touched.add(plan_id)
                self._process(notification)
                last = notification
                processed += 1
            if full or len(notifications) < wanted or last is None:
                break
            after = self._pages.key(last)
        return last, processed

    def _write(self, prepared: list[tuple[ReadModel, Any]], last_id: int) -> None:
        """Write a batch's rows and every read model's new position in one transaction (they share the
        ledger's database): one commit per batch, and the read models never disagree about a position."""
        last = Tracking(APPLICATION, last_id)
        with self.sql.write() as cursor:
            for model, rows in prepared:
                model.write(cursor, rows)
                model.view.record(cursor, last)
        for model, _ in prepared:
            model.position = last_id
        with self._progress:
            self._progress.notify_all()

    def _process(self, notification: Notification) -> None:
        """Note one event in every read model that has not seen it, then apply it to its plan.

        A stored event altered outside the ledger (``isp-ledger verify`` says how) must not stop the read side
        for every other plan: its plan is projected up to the version before the damage and no further, and
        it is listed in ``damaged`` (``/healthz`` shows it). Whatever the order the log is read in, the same
        versions are projected.
        """
        plan_id, version = cast(UUID, notification.originator_id), notification.originator_version
        damaged_from = self._damaged_from.get(plan_id)
        if damaged_from is not None and version >= damaged_from:
            return
        try:
            event = self.log.to_event(notification)
            if event.originator_id != plan_id or event.originator_version != version:
                raise Damaged(version, "the stored event names another plan or version than where it is stored")
            before = self.plans.before(event)
            if before is not None and before.version != version - 1:
                raise Damaged(before.version + 1, "the event is missing")
        except NOT_DAMAGE:
            raise  # the store or the machine failed, not the plan: the batch fails and is done again
        except Exception as e:
            self._damaged(plan_id, e.version if isinstance(e, Damaged) else version, e)
            return
        try:
            for model in self.models.values():
                if notification.id > model.seen:
                    model.note(event, before)
            self.plans.apply(event, before)
        except NOT_DAMAGE:
            raise
        except Exception as e:
            # Some read models may have noted an event that a read model or the plan could not take: the batch
            # is abandoned, and done again without the plan's events from this one on.
            self._damaged(plan_id, version, e)
            raise DamagedMidBatch from e

    def damage(self) -> Damage:
        """The plans passed over (from which version), and what was wrong with each."""
        return dict(self._damaged_from), dict(self.damaged)

    def pass_over(self, damaged_from: dict[UUID, int], damaged: dict[str, str]) -> None:
        """Pass over plans another projector found damaged, from the versions it did (a rebuild's)."""
        for plan_id, version in damaged_from.items():
            self._damaged_from[plan_id] = min(version, self._damaged_from.get(plan_id, version))
        for plan_id_text, detail in damaged.items():
            self.damaged.setdefault(plan_id_text, detail)

    def _damaged(self, plan_id: UUID, version: int, error: Exception) -> None:
        self._damaged_from[plan_id] = min(version, self._damaged_from.get(plan_id, version))
        reason = str(error) if isinstance(error, Damaged) else f"{error.__class__.__name__}: {error}"
        self.damaged.setdefault(str(plan_id), f"version {version}: {reason}")
        log.error("plan %s cannot be projected from version %s (%s); run verify", plan_id, version, reason)

    def _abandon(self) -> None:
        """After a failure: let a write in progress finish (or fail), then start again from what is committed."""
        writing, self._writing = self._writing, None
        if writing is not None:
            with contextlib.suppress(BaseException):
                writing.result()
        self._reset()

    def _reset(self) -> None:
        """Forget everything not committed and start again from the committed positions."""
        self.plans.clear()
        self._pages.clear()
        for model in self.models.values():
            model.discard()
            model.position = model.seen = model.view.position()

    def catch_up(self, progress: Callable[[int, int], None] | None = None, *, stop: int | None = None) -> int:
        """Process and commit everything up to ``stop`` (by default, the head as it is now); return the number
        of events processed."""
        done = 0
        head = stop if stop is not None else self.log.max_position()
        try:
            while True:
                processed = self.advance(head)
                if processed == 0:
                    break  # at the head (or the head is not visible yet, or was removed by tampering)
                done += processed
                if progress is not None:
                    progress(min(model.seen for model in self.models.values()), head)
        finally:
            self.drain()
        return done

    # ------------------------------------------------------------------ running

    def run(self, stop: threading.Event | None = None) -> None:
        """Follow the ledger until ``stop`` is set, recovering from errors."""
        stop = stop or self._stopping
        self.log.start_sequencer()  # also numbers events left behind by writers that died
        waiter = self._waiter = self.log.waiter()
        next_check = 0.0
        failures = 0
        try:
            self._drop_retired()
            while not stop.is_set():
                try:
                    processed = self.advance()
                    following = time.monotonic() >= next_check and self._pinned is None
                    if processed < self.batch_size or following:
                        self.drain()  # commit before waiting for more, or before switching generations
                    if following:
                        self._follow_registry()
                        next_check = time.monotonic() + REGISTRY_CHECK_SECONDS
                    failures = 0
                    self.last_error = None
                except Exception as e:
                    failures += 1
                    self.last_error = f"{e.__class__.__name__}: {e}"
                    log.exception("projection failed; retrying from the committed position")
                    stop.wait(min(0.1 * 2**failures, 10.0))
                    continue
                if processed < self.batch_size:
                    waiter.wait(REGISTRY_CHECK_SECONDS)
        finally:
            with contextlib.suppress(Exception):
                self.drain()
            self._waiter = None
            waiter.close()

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="isp-ledger-projector", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        waiter = self._waiter
        if waiter is not None:
            with contextlib.suppress(Exception):
                waiter.interrupt()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _follow_registry(self) -> None:
        """Carry on with a generation a rebuild has made current, and drop the one it replaced."""
        currents = self.registry.currents()
        for name, model in list(self.models.items()):
            generation = currents.get(name, model.view.generation)
            if generation != model.view.generation:
                log.info("read model %s: switching to generation %d", name, generation)
                self.models[name] = self._open(name, generation)
                model.view.drop()
                self.registry.forget(name, model.view.generation)
        with self._progress:
            self._progress.notify_all()

    def _drop_retired(self) -> None:
        for name, generation in self.registry.retired():
            if name in READ_MODELS:
                View(self.sql, name, generation, READ_MODELS[name].tables).drop()
                self.registry.forget(name, generation)




def lag(log: EventLog, view: View, now: dt.datetime) -> dict[str, Any]:
    """How far a read model is behind the ledger: in events, and in seconds since the first it has not seen."""
    head = log.max_position()
    position = view.position()
    seconds = 0.0
    if position < head:
        first = log.notifications(position, 1)
        if first:
            seconds = max(0.0, (now - log.recorded_at(first[0])).total_seconds())
    return {"position": position, "head": head, "events_behind": max(0, head - position),
            "seconds_behind": round(seconds, 3), "generation": view.generation}
