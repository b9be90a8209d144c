"""Running the read models: following the ledger's sequence in batches, and rebuilding from zero.

The library's ``ProjectionRunner`` commits one event per transaction; catching up on hundreds of thousands of
events needs batches. A :class:`Projector` reads a batch of notifications after the lowest position of its
read models, lets each read model note the events it has not yet seen, applies them to the shared plans, then
commits each read model's rows with its new position. It waits for new events with the store's own signal:
PostgreSQL's LISTEN/NOTIFY (from the sequencer) or, on SQLite, a commit signal plus ``PRAGMA data_version``.

A rebuild fills a new generation of the read models beside the live ones (the service keeps answering from
the current generation), catches up with the head, then switches.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import gc
import logging
import multiprocessing
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, cast
from uuid import UUID

import psycopg
from eventsourcing.persistence import ConnectionPoolClosedError, Notification, PersistenceError, Tracking

from isp_ledger.application import Ledger, replay
from isp_ledger.domain.plan import Plan
from isp_ledger.storage.sql import Sql
from projections import READ_MODELS
from projections.base import APPLICATION, PlanFolder, ReadModel, View
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
        ledger: Ledger,
        names: Iterable[str] | None = None,
        *,
        generations: dict[str, int] | None = None,
        batch_size: int = 500,
    ) -> None:
        self.ledger = ledger
        self.sql = Sql(ledger.factory.datastore)
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
        self._pages = _Pages(self._select, key=_in_sequence)
        self._writing: _Background | None = None
        self._waiter: Any = None  # while running: what it waits on for new events
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_error: str | None = None

    def _open(self, name: str, generation: int) -> ReadModel:
        cls = READ_MODELS[name]
        view = View(self.sql, name, generation, cls.tables)
        view.create_table()
        if cls is PlanIndex:
            return PlanIndex(view, self.plans, upn_key=self.ledger.upn_key)
        return cls(view, self.plans)

    def _select(self, after: int, limit: int, stop: int | None) -> Sequence[Notification]:
        return self.ledger.recorder.select_notifications(after, limit, stop, inclusive_of_start=False)

    def _load_plan(self, plan_id: UUID, version: int) -> Plan:
        plan: Plan = self.ledger.repository.get(plan_id, version=version, projector_func=replay)
        return plan

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
            except _DamagedMidBatch:
                continue  # the batch was abandoned: again, passing over the plan found damaged

    def _advance(self, stop: int | None) -> int:
        try:
            with _collector_paused():
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
        self._writing = _Background(lambda: self._write(prepared, last_id), name="isp-ledger-projector-write")
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
            event: Plan.Event = self.ledger.mapper.to_domain_event(notification)  # type: ignore[assignment]
            if event.originator_id != plan_id or event.originator_version != version:
                raise _Damaged(version, "the stored event names another plan or version than where it is stored")
            before = self.plans.before(event)
            if before is not None and before.version != version - 1:
                raise _Damaged(before.version + 1, "the event is missing")
        except _NOT_DAMAGE:
            raise  # the store or the machine failed, not the plan: the batch fails and is done again
        except Exception as e:
            self._damaged(plan_id, e.version if isinstance(e, _Damaged) else version, e)
            return
        try:
            for model in self.models.values():
                if notification.id > model.seen:
                    model.note(event, before)
            self.plans.apply(event, before)
        except _NOT_DAMAGE:
            raise
        except Exception as e:
            # Some read models may have noted an event that a read model or the plan could not take: the batch
            # is abandoned, and done again without the plan's events from this one on.
            self._damaged(plan_id, version, e)
            raise _DamagedMidBatch from e

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
        reason = str(error) if isinstance(error, _Damaged) else f"{error.__class__.__name__}: {error}"
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
        head = stop if stop is not None else self.ledger.recorder.max_notification_id() or 0
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
        sequencer = getattr(self.ledger.recorder, "sequencer", None)
        if sequencer is not None:
            sequencer.start()  # also number events left behind by writers that died
        waiter = self._waiter = self.ledger.recorder.waiter()  # type: ignore[attr-defined]
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


# Failures of the store or of the machine, which say nothing about the plan being read: never taken for damage.
_NOT_DAMAGE = (PersistenceError, ConnectionPoolClosedError, psycopg.Error, sqlite3.Error, MemoryError)


class _Damaged(ValueError):
    """A stored event that cannot be what the ledger wrote at ``version`` of its plan."""

    def __init__(self, version: int, detail: str) -> None:
        super().__init__(detail)
        self.version = version


class _DamagedMidBatch(Exception):
    """A damaged plan found after read models may have noted its event: the batch must be done again."""


class _Background(threading.Thread):
    """One piece of work on a thread of its own, whose outcome is collected with :meth:`result`."""

    def __init__(self, work: Callable[[], Any], name: str) -> None:
        super().__init__(name=name, daemon=True)
        self._work = work
        self._value: Any = None
        self._error: BaseException | None = None
        self.start()

    def run(self) -> None:
        try:
            self._value = self._work()
        except BaseException as e:
            self._error = e

    def result(self) -> Any:
        self.join()
        if self._error is not None:
            raise self._error
        return self._value


class _Pages:
    """Reads the log a page at a time, fetching the next full page while the caller works on this one.

    ``select(after, limit, stop)`` reads a page of the events after the one whose ``key`` is ``after``.
    """

    def __init__(self, select: Callable[[Any, int, int | None], Sequence[Notification]],
                 key: Callable[[Notification], Any]) -> None:
        self.select = select
        self.key = key
        self._ahead: tuple[tuple[Any, int, int | None], _Background] | None = None

    def get(self, after: Any, limit: int, stop: int | None = None) -> Sequence[Notification]:
        ahead, self._ahead = self._ahead, None
        if ahead is not None and ahead[0] == (after, limit, stop):
            page: Sequence[Notification] = ahead[1].result()
        else:
            page = self.select(after, limit, stop)
        if len(page) == limit:  # there may well be more: start on the next page
            following = self.key(page[-1])
            self._ahead = ((following, limit, stop), _Background(lambda: self.select(following, limit, stop),
                                                                  name="isp-ledger-projector-read"))
        return page

    def clear(self) -> None:
        self._ahead = None


def _in_sequence(notification: Notification) -> int:
    return notification.id


def _in_plan_order(notification: Notification) -> tuple[UUID, int]:
    return cast(UUID, notification.originator_id), notification.originator_version


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Hold off Python's cycle collector for the length of a batch, then put what survived out of its sight.

    A batch allocates many small objects, and the plan folder keeps thousands of plans' records alive for as
    long as the projector runs. Left as it is, the collector walks all of them on every full collection: about
    a fifth of the time of catching up, and pauses of a second or more in a projector that is keeping up. So
    during a batch it is off; after it, one collection of the young generations frees the batch's garbage
    (cycles included), and ``gc.freeze`` moves the survivors, mostly plans, to the permanent generation, which
    full collections skip. Frozen objects are still freed by reference counting when the folder lets a plan go.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.collect(1)
        gc.freeze()
        gc.enable()


class _PlanByPlan(Projector):
    """Fills a new, empty generation of read models from the log read plan by plan, up to a head.

    Every read model is made of rows per plan, so the order in which plans are projected does not change what
    it holds. Read in the sequence's order, the plans of a busy log are interleaved: a batch of 10,000 events
    may touch thousands of plans, and each of them has its rows (its summary, its current plan's head, its
    report rows) rewritten by every batch that touches it. Read plan by plan, a plan's events come together,
    and its rows are written once, or twice when it straddles two batches.

    Positions are not recorded as it goes: they are positions in the sequence, and this order is another.
    A rebuild that fails is dropped whole; one that completes records ``head`` as every read model's position,
    and a :class:`Projector` carries on from there in the sequence's order.
    """

    def __init__(self, ledger: Ledger, names: Iterable[str], generations: dict[str, int], head: int, *,
                 batch_size: int, plans: tuple[UUID | None, UUID | None] = (None, None)) -> None:
        """``plans``: project only the plans with ids from the first (inclusive) to the second (exclusive)."""
        super().__init__(ledger, names, generations=generations, batch_size=batch_size)
        low, below = plans
        select = ledger.recorder.select_in_plan_order  # type: ignore[attr-defined]
        self._pages = _Pages(lambda after, limit, _stop: select(head, after, limit, below), key=_in_plan_order)
        self._after: tuple[UUID, int] = (low or _FIRST_ID, 0)
        self.head = head

    def catch_up(self, progress: Callable[[int, int], None] | None = None, *, stop: int | None = None) -> int:
        """Project every event up to the head; ``progress(events processed, head)`` after each batch."""
        done = 0
        try:
            while processed := self.advance():
                done += processed
                if progress is not None:
                    progress(done, self.head)
        finally:
            self.drain()
        return done

    def _advance(self, stop: int | None) -> int:
        """One batch, plan by plan (``stop`` is the head given at the start)."""
        try:
            with _collector_paused():
                last, processed = self._read_pages(self._after, None)
                if last is None:
                    return 0
                prepared = [(model, model.prepare()) for model in self.models.values()]
            self.drain()
        except BaseException:
            self._abandon()
            raise
        self._after = _in_plan_order(last)
        self._writing = _Background(lambda: self._write_rows(prepared), name="isp-ledger-rebuild-write")
        return processed

    def _abandon(self) -> None:
        """After a failure: a rebuild records no position to go back to, so if the batch being written failed,
        the rebuild fails (and is dropped); otherwise the batch that failed is done again, from where the one
        written ended."""
        writing, self._writing = self._writing, None
        if writing is not None:
            writing.result()
        self._reset()

    def _write_rows(self, prepared: list[tuple[ReadModel, Any]]) -> None:
        with self.sql.write() as cursor:
            for model, rows in prepared:
                model.write(cursor, rows)


_FIRST_ID = UUID(int=0)

# A rebuild of at least this many events runs in several processes, on PostgreSQL (starting them costs a second).
PARALLEL_FROM_EVENTS = 50_000


def rebuild(
    ledger: Ledger,
    names: Iterable[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
    *,
    batch_size: int = 10_000,
    workers: int | None = None,
) -> dict[str, int]:
    """Rebuild read models from zero beside the live ones, then switch to them; return their generations.

    The log up to its head is projected plan by plan (see :class:`_PlanByPlan`). On PostgreSQL a long log is
    projected by ``workers`` processes (by default one per CPU, up to four), each taking the plans of one range
    of plan ids: projecting is CPU-bound Python, and the ranges never share a row. Then the read models'
    position is set to the head, and a :class:`Projector` carries on from there, in the sequence's order, to
    the events written meanwhile, before the switch. If anything fails, the new generation is dropped and the
    live one stays as it was.
    """
    names = list(names or READ_MODELS)
    sql = Sql(ledger.factory.datastore)
    registry = Registry(sql)
    generations = {name: registry.begin_build(name) for name in names}
    views = [View(sql, name, generation, READ_MODELS[name].tables) for name, generation in generations.items()]
    try:
        for view in views:
            view.drop()
            view.create_table()  # here, once: CREATE TABLE IF NOT EXISTS races with itself on PostgreSQL
        head = ledger.recorder.max_notification_id() or 0
        parts = workers if workers is not None else min(os.cpu_count() or 1, 4)
        if sql.dialect == "postgresql" and parts > 1 and (workers is not None or head >= PARALLEL_FROM_EVENTS):
            damage = _rebuild_in_parallel(ledger, names, generations, head, parts, progress, batch_size)
        else:
            first = _PlanByPlan(ledger, names, generations, head, batch_size=batch_size)
            first.catch_up(progress)
            damage = [first.damage()]
        if head:
            with sql.write() as cursor:
                for view in views:
                    view.record(cursor, Tracking(APPLICATION, head))
        projector = Projector(ledger, names, generations=generations, batch_size=batch_size)
        for damaged_from, damaged in damage:  # the plans passed over stay passed over, as they would incrementally
            projector.pass_over(damaged_from, damaged)
        while projector.catch_up():
            pass  # the head moved while we caught up: go round again
        for name, generation in generations.items():
            registry.switch(name, generation)
    except BaseException:
        for view in views:
            view.drop()
            registry.forget(view.name, view.generation)
        raise
    return generations


def plan_ranges(parts: int) -> list[tuple[UUID | None, UUID | None]]:
    """``parts`` ranges of plan ids, each from its first id (inclusive) to the next range's (exclusive),
    covering every id: about equal shares of the ledger's random (uuid4) ids."""
    bounds = [UUID(int=(k * 2**128) // parts) for k in range(1, parts)]
    return list(zip([None, *bounds], [*bounds, None], strict=True))


def _rebuild_in_parallel(
    ledger: Ledger,
    names: list[str],
    generations: dict[str, int],
    head: int,
    parts: int,
    progress: Callable[[int, int], None] | None,
    batch_size: int,
) -> list[Damage]:
    env = {key: str(value) for key, value in ledger.env.items() if key.startswith("ISP_LEDGER_")}
    spawn = multiprocessing.get_context("spawn")  # never fork a process with live connections and threads
    done = spawn.Value("q", 0)  # events projected, by all the workers
    with concurrent.futures.ProcessPoolExecutor(max_workers=parts, mp_context=spawn, initializer=_share_count,
                                                initargs=(done,)) as pool:
        futures = [pool.submit(_rebuild_range, env, names, generations, plans, head, batch_size)
                   for plans in plan_ranges(parts)]
        try:
            while True:
                finished, running = concurrent.futures.wait(futures, timeout=0.5,
                                                            return_when=concurrent.futures.FIRST_EXCEPTION)
                for future in finished:
                    future.result()  # raise what went wrong in a worker
                if not running:
                    break
                if progress is not None:
                    progress(done.value, head)
        except BaseException:
            for future in futures:
                future.cancel()
            raise
    if progress is not None:
        progress(done.value, head)
    return [future.result() for future in futures]


_projected: Any = None  # in a worker process: the count of events projected, shared with the rebuild


def _share_count(count: Any) -> None:
    global _projected  # noqa: PLW0603 - how a pool initializer hands a worker what it shares
    _projected = count


def _rebuild_range(env: dict[str, str], names: list[str], generations: dict[str, int],
                   plans: tuple[UUID | None, UUID | None], head: int, batch_size: int) -> Damage:
    """In a worker process: project the plans of one range of ids, up to ``head``; return the damage found."""
    worker = Ledger(env)
    reported = 0

    def report(done: int, _head: int) -> None:
        nonlocal reported
        if _projected is not None:
            with _projected.get_lock():
                _projected.value += done - reported
        reported = done

    try:
        projector = _PlanByPlan(worker, names, generations, head, batch_size=batch_size, plans=plans)
        projector.catch_up(report)
        return projector.damage()
    finally:
        worker.close()


def lag(ledger: Ledger, view: View) -> dict[str, Any]:
    """How far a read model is behind the ledger: in events, and in seconds since the first it has not seen."""
    head = ledger.recorder.max_notification_id() or 0
    position = view.position()
    seconds = 0.0
    if position < head:
        first = ledger.recorder.select_notifications(position, 1, inclusive_of_start=False)
        if first:
            recorded_at = ledger.mapper.to_domain_event(first[0]).timestamp  # type: ignore[attr-defined]
            seconds = max(0.0, (ledger.clock.now() - recorded_at).total_seconds())
    return {"position": position, "head": head, "events_behind": max(0, head - position),
            "seconds_behind": round(seconds, 3), "generation": view.generation}
