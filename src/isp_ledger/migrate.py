"""Moving a store written before per-pupil encryption (CONTRACT.md §11) to it: ``isp-ledger migrate``.

A store written before then holds every pupil's name, date of birth, UPN and free text in clear in its events, and
the hash chain covers those clear bytes: they cannot be encrypted in place without changing every hash. Reading such
a store as it is and encrypting only what is written from now on would leave it half in clear for good, so the
service refuses to serve it (:func:`require_migrated`, called by ``bootstrap.build_ledger``: one line naming this
command) until it is migrated.

The migration re-seals each plan whose events hold personal values in clear, in one transaction per plan: every
event is stored again as today's mapper stores it (its personal values, reason and non-staff actor's name encrypted
under a new data key of the pupil, ``mapper.py``), exactly as it said, with its ``class_version`` as it was (so it is
upcast on reading as before), chained anew, and with ``"was"``: the hash it had before, under the new hash. A receipt,
a bundle or a transparency log entry issued before the migration names those old hashes: the receipt check and
``verify`` accept an old hash where the event at that version says it ``was`` that hash
(``application/integrity.py``, ``storage/transparency.py``). Each migrated plan gets a new transparency log entry for
its new head; its snapshots are deleted (they were written in clear). Then the remembered idempotent responses are
forgotten (written in clear), every read model is rebuilt from the re-sealed events, and the store is marked
``encryption = per-pupil`` in ``isp_meta``. A plan already sealed is skipped, so a run cut short is simply run again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.postgres import PostgresDatastore

from isp_ledger.domain.personal import CLEAR_REASONS, actor_split, split
from isp_ledger.domain.stamp import format_instant
from isp_ledger.storage import chain, meta, sqlite_erasure, transparency
from isp_ledger.storage.factory import StoreUnreachable
from isp_ledger.storage.mapper import seal_personal
from isp_ledger.storage.postgres_schema import sequencer_lock_key
from isp_ledger.storage.sealing import SEALED, PlanSealer
from isp_ledger.storage.sql import Cursor, Sql
from isp_ledger.storage.store import PlanStore

COMMAND = "isp-ledger migrate"
_SET_ASIDE = ("hash", "prev_hash", SEALED, "erased", "was")  # what the store adds to an event, not what it says


class StoreNotMigrated(StoreUnreachable):
    """The store holds events with pupils' data in clear: it is served only once migrated."""


@dataclass
class Migration:
    """What a run did (or, dry, would do)."""

    dry_run: bool
    plans: int = 0  # plans in the store
    plans_in_clear: int = 0  # migrated (or to migrate)
    events_resealed: int = 0
    snapshots_deleted: int = 0
    responses_forgotten: int = 0
    read_models_rebuilt: int = 0

    def lines(self) -> list[str]:
        verb = "would be" if self.dry_run else "were"
        return [f"{self.plans} plans in the store; {self.plans - self.plans_in_clear} already encrypted",
                f"{self.plans_in_clear} plans {verb} re-sealed under their own data keys "
                f"({self.events_resealed} events)",
                f"{self.snapshots_deleted} snapshots {verb} deleted, {self.responses_forgotten} remembered responses "
                f"{verb} forgotten, and {self.read_models_rebuilt or 'all'} read models {verb} rebuilt"]


def is_migrated(store: PlanStore) -> bool:
    return meta.read(store.datastore, meta.ENCRYPTION) == meta.PER_PUPIL


def require_migrated(store: PlanStore) -> None:
    """Refuse (``StoreNotMigrated``) a store that holds events but is not marked encrypted; mark a new, empty one."""
    if is_migrated(store):
        return
    sql = Sql(store.datastore)
    with sql.write() as cursor:
        if not cursor.fetch("SELECT 1 FROM {isp_events} LIMIT 1"):
            meta.write(cursor, meta.ENCRYPTION, meta.PER_PUPIL, replace=False)
            return
    raise StoreNotMigrated(f"This store holds pupils' records written before per-pupil encryption, in clear: run "
                           f"'{COMMAND}' (after backing up the store and ISP_LEDGER_KEY_DIR) before serving it")


def in_clear(envelope: dict[str, Any]) -> bool:
    """Whether a stored event holds a personal value outside its sealed part."""
    if split(envelope.get("data") or {})[1]:
        return True
    if actor_split(envelope.get("actor") or {})[1] is not None:
        return True
    return envelope.get("reason") is not None and envelope.get("type") not in CLEAR_REASONS


def reseal(sealer: PlanSealer, opened: dict[str, Any], was: str, prev_hash: str) -> tuple[bytes, str]:
    """An event (as read, its personal values in clear) stored as today's mapper stores it, chained to
    ``prev_hash``, recording the hash it ``was`` stored with; its stored bytes and new hash."""
    body = seal_personal(sealer, {key: value for key, value in opened.items() if key not in _SET_ASIDE})
    body["was"] = was
    return chain.seal(body, prev_hash)


def migrate(store: PlanStore, *, dry_run: bool = False,
            rebuild: Callable[[PlanStore], int] | None = None,
            progress: Callable[[int, int], None] | None = None) -> Migration:
    """Re-seal every plan still in clear, forget remembered responses, rebuild the read models (``rebuild``, by
    default all of them: a function of the store returning how many it rebuilt) and mark the store; see the module
    docstring."""
    sql = Sql(store.datastore)
    postgres = sql.dialect == "postgresql"
    plan_ids = [row[0] if isinstance(row[0], UUID) else UUID(row[0])
                for row in sql.fetch("SELECT DISTINCT originator_id FROM {isp_events} ORDER BY originator_id")]
    report = Migration(dry_run=dry_run, plans=len(plan_ids))
    for done, plan_id in enumerate(plan_ids, 1):
        rows = store.stored_rows(plan_id)
        if any(in_clear(chain.unseal(bytes(state))) for _, state in rows):
            report.plans_in_clear += 1
            report.events_resealed += len(rows)
            report.snapshots_deleted += len(list(store.snapshots_newest_first(plan_id)))
            if not dry_run:
                _reseal_plan(store, sql, plan_id, postgres)
        if progress is not None:
            progress(done, len(plan_ids))
    report.responses_forgotten = int(sql.fetch("SELECT count(*) FROM {isp_idempotency}")[0][0])
    if dry_run:
        return report
    with sql.write() as cursor:
        cursor.execute("DELETE FROM {isp_idempotency}")
        meta.write(cursor, meta.MIGRATED_ON, dt.datetime.now(dt.UTC).date().isoformat(), replace=False)
    report.read_models_rebuilt = (rebuild or rebuild_read_models)(store)
    with sql.write() as cursor:
        meta.write(cursor, meta.ENCRYPTION, meta.PER_PUPIL)
    if not postgres:  # no page of the clear events stays in the write-ahead log
        sqlite_erasure.checkpoint(store.datastore)  # type: ignore[arg-type]
    return report


def rebuild_read_models(store: PlanStore) -> int:
    """Rebuild every read model from the re-sealed events (the service's own ``isp-ledger rebuild``)."""
    from projections import READ_MODELS
    from projections.rebuild import rebuild

    return len(rebuild(store, list(READ_MODELS)))


def _reseal_plan(store: PlanStore, sql: Sql, plan_id: UUID, postgres: bool) -> None:
    store.data_keys.for_writing(plan_id)  # made in a transaction of its own, before this plan's (SQLite: one writer)
    key: Any = plan_id if postgres else str(plan_id)
    with sql.write() as cursor:
        if isinstance(store.datastore, PostgresDatastore):  # the log is appended to under the sequencer's lock
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(?))", (sequencer_lock_key(store.datastore.schema),))
        rows = cursor.fetch("SELECT originator_version, state FROM {isp_events} WHERE originator_id = ? "
                            "ORDER BY originator_version", (key,))
        envelopes = [chain.check_envelope(bytes(state)) for _, state in rows]  # a damaged plan is not rewritten
        if not any(in_clear(envelope) for envelope in envelopes):
            return  # sealed meanwhile (another run)
        head = chain.GENESIS_HASH
        for (version, _), envelope in zip(rows, envelopes, strict=True):
            opened = store.opened(envelope) if SEALED in envelope else envelope
            state, head = reseal(store.sealer, opened, envelope["hash"], head)
            cursor.execute("UPDATE {isp_events} SET state = ? WHERE originator_id = ? AND originator_version = ?",
                           (state, key, version))
        cursor.execute("DELETE FROM {isp_snapshots} WHERE originator_id = ?", (key,))
        _append_head(cursor, str(plan_id), int(rows[-1][0]), head)


def _append_head(cursor: Cursor, plan_id: str, version: int, head_hash: str) -> None:
    last = cursor.fetch("SELECT position, entry_hash FROM {isp_head_log} ORDER BY position DESC LIMIT 1")
    previous = (int(last[0][0]), str(last[0][1])) if last else None
    recorded_at = format_instant(dt.datetime.now(dt.UTC))
    for e in transparency.append(previous, [(plan_id, version, head_hash)], recorded_at):
        cursor.execute("INSERT INTO {isp_head_log} (position, plan_id, version, head_hash, recorded_at, "
                       "prev_entry_hash, entry_hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (e.position, e.plan_id, e.version, e.head_hash, e.recorded_at, e.prev_entry_hash,
                        e.entry_hash))

