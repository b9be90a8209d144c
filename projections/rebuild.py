"""Rebuilding read models from zero beside the live ones, then switching to them (``isp-ledger rebuild``)."""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
from collections.abc import Callable, Iterable
from typing import Any, cast
from uuid import UUID

from eventsourcing.persistence import Tracking

from isp_ledger.storage.sql import Sql
from projections import READ_MODELS
from projections.base import APPLICATION, ReadModel, View
from projections.batches import Background, Pages, collector_paused, in_plan_order
from projections.log import EventLog
from projections.registry import Registry
from projections.runner import Damage, Projector


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

    def __init__(self, log: EventLog, names: Iterable[str], generations: dict[str, int], head: int, *,
                 batch_size: int, plans: tuple[UUID | None, UUID | None] = (None, None)) -> None:
        """``plans``: project only the plans with ids from the first (inclusive) to the second (exclusive)."""
        super().__init__(log, names, generations=generations, batch_size=batch_size)
        low, below = plans
        select = log.notifications_in_plan_order
        self._pages = Pages(lambda after, limit, _stop: self._with_keys(select(head, after, limit, below)),
                            key=in_plan_order)
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
            with collector_paused():
                last, processed = self._read_pages(self._after, None)
                if last is None:
                    return 0
                prepared = [(model, model.prepare()) for model in self.models.values()]
            self.drain()
        except BaseException:
            self._abandon()
            raise
        self._after = in_plan_order(last)
        self._writing = Background(lambda: self._write_rows(prepared), name="isp-ledger-rebuild-write")
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
    log: EventLog,
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
    sql = Sql(log.datastore)
    registry = Registry(sql)
    generations = {name: registry.begin_build(name) for name in names}
    views = [View(sql, name, generation, READ_MODELS[name].tables) for name, generation in generations.items()]
    try:
        for view in views:
            view.drop()
            view.create_table()  # here, once: CREATE TABLE IF NOT EXISTS races with itself on PostgreSQL
        head = log.max_position()
        parts = workers if workers is not None else min(os.cpu_count() or 1, 4)
        if sql.dialect == "postgresql" and parts > 1 and (workers is not None or head >= PARALLEL_FROM_EVENTS):
            damage = _rebuild_in_parallel(log, names, generations, head=head, parts=parts, progress=progress,
                                          batch_size=batch_size)
        else:
            first = _PlanByPlan(log, names, generations, head, batch_size=batch_size)
            first.catch_up(progress)
            damage = [first.damage()]
        if head:
            with sql.write() as cursor:
                for view in views:
                    view.record(cursor, Tracking(APPLICATION, head))
        projector = Projector(log, names, generations=generations, batch_size=batch_size)
        for damaged_from, damaged in damage:  # the plans passed over stay passed over, as they would incrementally
            projector.pass_over(damaged_from, damaged)
        log.number_pending()  # events committed meanwhile are in the sequence before the last catch-up
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
    log: EventLog,
    names: list[str],
    generations: dict[str, int],
    *,
    head: int,
    parts: int,
    progress: Callable[[int, int], None] | None,
    batch_size: int,
) -> list[Damage]:
    env = log.worker_env()
    log_class = cast(Callable[[dict[str, str]], EventLog], type(log))  # opens the same log in a worker
    spawn = multiprocessing.get_context("spawn")  # never fork a process with live connections and threads
    done = spawn.Value("q", 0)  # events projected, by all the workers
    with concurrent.futures.ProcessPoolExecutor(max_workers=parts, mp_context=spawn, initializer=_share_count,
                                                initargs=(done,)) as pool:
        futures = [pool.submit(_rebuild_range, log_class, env, names, generations, plans=plans, head=head,
                               batch_size=batch_size)
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


def _rebuild_range(log_class: Callable[[dict[str, str]], EventLog], env: dict[str, str], names: list[str],
                   generations: dict[str, int], *, plans: tuple[UUID | None, UUID | None], head: int,
                   batch_size: int) -> Damage:
    """In a worker process: project the plans of one range of ids, up to ``head``; return the damage found."""
    worker = log_class(env)
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
        close = getattr(worker, "close", None)
        if close is not None:
            close()
