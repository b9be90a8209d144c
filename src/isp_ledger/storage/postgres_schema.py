"""Setting up the PostgreSQL store: the write side's tables, and the statements the recorder and the sequencer
share (a statement on the store's schema, an append to the transparency log of plan heads).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import orjson
import psycopg
from eventsourcing.postgres import PostgresDatastore
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed, Identifier

from isp_ledger.domain.stamp import format_instant
from isp_ledger.storage import transparency
from isp_ledger.storage.schema import POSTGRES_TABLES

# The entries go as one JSON parameter (see log_rows): far cheaper for psycopg to send than seven arrays.
APPEND_TO_LOG = (
    "INSERT INTO {schema}.isp_head_log "
    "(position, plan_id, version, head_hash, recorded_at, prev_entry_hash, entry_hash) "
    "SELECT * FROM json_to_recordset(%s::json) AS e(position bigint, plan_id uuid, version bigint, head_hash text, "
    "recorded_at text, prev_entry_hash text, entry_hash text)"
)


def q(statement: str, schema: str) -> Composed:
    """``statement`` with ``{schema}`` filled in (quoted as an identifier)."""
    return SQL(statement).format(schema=Identifier(schema))


def log_rows(entries: Sequence[transparency.LogEntry]) -> str:
    """Transparency log entries as the JSON parameter of :data:`APPEND_TO_LOG`."""
    return orjson.dumps([e.as_dict() for e in entries]).decode()


def sequencer_lock_key(schema: str) -> str:
    """The advisory lock under which events are numbered and the log appended to (hashed by ``hashtext``)."""
    return f"{schema}.isp_events.sequencer"


def create_tables(datastore: PostgresDatastore) -> None:
    """Create the write side's tables, once, even when several processes start together."""
    with datastore.transaction(commit=True) as curs:
        curs.execute(SQL("CREATE SCHEMA IF NOT EXISTS {0}").format(Identifier(datastore.schema)))
        curs.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"{datastore.schema}.isp_ledger_ddl",))
        curs.execute("SELECT to_regclass(%s) IS NULL AS new_log", (f'"{datastore.schema}".isp_head_log',))
        row = curs.fetchone()
        new_log = bool(row and row["new_log"])
        for statement in POSTGRES_TABLES:
            curs.execute(q(statement, datastore.schema))
        if new_log:
            _start_log(curs, datastore.schema)
        # Snapshots are large, read whole, and sealed (CONTRACT.md §11): a ciphertext does not compress, so
        # PostgreSQL's attempt to compress it (pglz by default: ~50 ms for a 2 MB snapshot) is wasted work. Stored
        # out of line without compression (EXTERNAL), a snapshot costs a few ms to write. Works on every version.
        curs.execute(q("ALTER TABLE {schema}.isp_snapshots ALTER COLUMN state SET STORAGE EXTERNAL", datastore.schema))


def _start_log(curs: psycopg.Cursor[DictRow], schema: str) -> None:
    """A store from before the transparency log: the log starts from each plan's numbered head as it stands."""
    curs.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (sequencer_lock_key(schema),))
    curs.execute(q(
        "SELECT e.originator_id, e.originator_version, substring(e.state FROM octet_length(e.state) - 74) AS tail "
        "FROM (SELECT originator_id, max(originator_version) AS originator_version FROM {schema}.isp_sequence "
        "      GROUP BY originator_id) h "
        "JOIN {schema}.isp_events e USING (originator_id, originator_version) ORDER BY e.originator_id",
        schema,
    ))
    heads = [(str(r["originator_id"]), r["originator_version"], transparency.head_hash_of(r["tail"]))
             for r in curs.fetchall()]
    entries = transparency.append(None, [(p, v, h) for p, v, h in heads if h is not None],
                                  format_instant(dt.datetime.now(dt.UTC)))
    if entries:
        curs.execute(q(APPEND_TO_LOG, schema), (log_rows(entries),))
