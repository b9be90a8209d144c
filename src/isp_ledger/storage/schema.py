"""Every table of the write side, for both stores, in one place.

``isp_events`` holds the hash-chained plan events. Each event also has a position in the ledger's single
sequence (its notification id, what projections track): gap-free and assigned in commit order. SQLite
assigns it while the writer holds the database's write lock, as the events table's own key. PostgreSQL
writers do not serialise on a lock: a writer also notes its events in ``isp_unsequenced``, and a sequencer
moves them into ``isp_sequence`` in batches (see ``postgres.py`` and ``postgres_sequencer.py``). Events rows
are written once and never updated.

``isp_head_log`` is the transparency log of plan heads (``transparency.py``), appended to when events are stored
(SQLite) or numbered (PostgreSQL). A store created before it existed has it filled, once, with each plan's head
when the table is created (``create_tables`` in ``sqlite.py`` and ``postgres_schema.py``).

``isp_setting_details`` keeps each setting's name and local authority (``calendars.py``), every version with who
changed it and when, like the setting's calendar: a setting's own record, not an event of any plan.

``isp_users`` gained its last five columns after the first release: a store made before them has them added at
start-up (``USER_COLUMNS_ADDED``, applied by ``accounts.upgrade_users_table``), and the index that keeps e-mail
addresses unique (``USERS_EMAIL_INDEX``) is made then too, once the column exists.
"""

from __future__ import annotations

SQLITE_TABLES: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS isp_events (
        notification_id INTEGER PRIMARY KEY AUTOINCREMENT,
        originator_id TEXT NOT NULL,
        originator_version INTEGER NOT NULL,
        topic TEXT NOT NULL,
        state BLOB NOT NULL,
        UNIQUE (originator_id, originator_version))""",
    """CREATE TABLE IF NOT EXISTS isp_snapshots (
        originator_id TEXT NOT NULL,
        originator_version INTEGER NOT NULL,
        topic TEXT NOT NULL,
        state BLOB NOT NULL,
        PRIMARY KEY (originator_id, originator_version)) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS isp_open_plans (
        upn_key TEXT PRIMARY KEY,
        plan_id TEXT NOT NULL) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS isp_idempotency (
        user_id TEXT NOT NULL,
        key TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        status_code INTEGER NOT NULL,
        response BLOB NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (user_id, key)) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS isp_users (
        user_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        role TEXT NOT NULL,
        setting_urn TEXT,
        token_hash TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        email TEXT,
        email_key TEXT,
        created_by TEXT,
        disabled_at TEXT,
        disabled_by TEXT) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS isp_head_log (
        position INTEGER PRIMARY KEY,
        plan_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        head_hash TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        prev_entry_hash TEXT NOT NULL,
        entry_hash TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS isp_head_log_plan ON isp_head_log (plan_id, position)",
    """CREATE TABLE IF NOT EXISTS isp_setting_details (
        setting_urn TEXT NOT NULL,
        version INTEGER NOT NULL,
        name TEXT NOT NULL,
        local_authority TEXT,
        changed_at TEXT NOT NULL,
        changed_by TEXT NOT NULL,
        PRIMARY KEY (setting_urn, version)) WITHOUT ROWID""",
)

POSTGRES_TABLES: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS {schema}.isp_events (
        originator_id uuid NOT NULL,
        originator_version bigint NOT NULL,
        topic text NOT NULL,
        state bytea NOT NULL,
        PRIMARY KEY (originator_id, originator_version))""",
    """CREATE TABLE IF NOT EXISTS {schema}.isp_unsequenced (
        originator_id uuid NOT NULL,
        originator_version bigint NOT NULL,
        PRIMARY KEY (originator_id, originator_version))""",
    """CREATE TABLE IF NOT EXISTS {schema}.isp_sequence (
        notification_id bigint PRIMARY KEY,
        originator_id uuid NOT NULL,
        originator_version bigint NOT NULL,
        UNIQUE (originator_id, originator_version))""",
    """CREATE TABLE IF NOT EXISTS {schema}.isp_snapshots (
        originator_id uuid NOT NULL,
        originator_version bigint NOT NULL,
        topic text NOT NULL,
        state bytea NOT NULL,
        PRIMARY KEY (originator_id, originator_version))""",
    """CREATE TABLE IF NOT EXISTS {schema}.isp_open_plans (
        upn_key text PRIMARY KEY,
        plan_id uuid NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS {schema}.isp_idempotency (
        user_id text NOT NULL,
        key text NOT NULL,
        fingerprint text NOT NULL,
        status_code integer NOT NULL,
        response bytea NOT NULL,
        created_at timestamptz NOT NULL,
        PRIMARY KEY (user_id, key))""",
    """CREATE TABLE IF NOT EXISTS {schema}.isp_users (
        user_id text PRIMARY KEY,
        name text NOT NULL,
        role text NOT NULL,
        setting_urn text,
        token_hash text NOT NULL UNIQUE,
        created_at timestamptz NOT NULL,
        email text,
        email_key text,
        created_by text,
        disabled_at timestamptz,
        disabled_by text)""",
    """CREATE TABLE IF NOT EXISTS {schema}.isp_head_log (
        position bigint PRIMARY KEY,
        plan_id uuid NOT NULL,
        version bigint NOT NULL,
        head_hash text NOT NULL,
        recorded_at text NOT NULL,
        prev_entry_hash text NOT NULL,
        entry_hash text NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS isp_head_log_plan ON {schema}.isp_head_log (plan_id, position)",
    """CREATE TABLE IF NOT EXISTS {schema}.isp_setting_details (
        setting_urn text NOT NULL,
        version integer NOT NULL,
        name text NOT NULL,
        local_authority text,
        changed_at text NOT NULL,
        changed_by text NOT NULL,
        PRIMARY KEY (setting_urn, version))""",
)

# Columns of isp_users added after the first release, as (name, SQLite type, PostgreSQL type). ``email_key`` is the
# address case-folded, so that uniqueness ignores case; ``created_by`` and ``disabled_by`` hold a user id, or NULL
# for the command line.
USER_COLUMNS_ADDED = (
    ("email", "TEXT", "text"),
    ("email_key", "TEXT", "text"),
    ("created_by", "TEXT", "text"),
    ("disabled_at", "TEXT", "timestamptz"),
    ("disabled_by", "TEXT", "text"),
)
USERS_EMAIL_INDEX = "isp_users_email_key"

# Access grants and the access log (CONTRACT.md §10).
#
# ``isp_grants`` indexes the plans' AccessGranted and AccessRevoked events for listings (the plans granted to a
# user, the users granted on a setting's plans); each row is written in the same transaction as its event
# (``companions.py``). Whether someone may see a plan is decided from the plan's own events, never from here.
#
# ``isp_access_log`` records every answer that showed a plan's content or a pupil's details: who, when, their
# relationship if they saw it through a grant, what they saw and what they asked (``asked``: JSON). An entry is
# committed before the answer is sent, and never changed.
SQLITE_TABLES = (
    *SQLITE_TABLES,
    """CREATE TABLE IF NOT EXISTS isp_grants (
        grant_id TEXT PRIMARY KEY,
        plan_id TEXT NOT NULL,
        setting_urn TEXT NOT NULL,
        user_id TEXT NOT NULL,
        relationship TEXT NOT NULL,
        expires_on TEXT,
        granted_at TEXT NOT NULL,
        revoked_at TEXT) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS isp_grants_user ON isp_grants (user_id)",
    "CREATE INDEX IF NOT EXISTS isp_grants_setting ON isp_grants (setting_urn)",
    """CREATE TABLE IF NOT EXISTS isp_access_log (
        entry_id INTEGER PRIMARY KEY AUTOINCREMENT,
        plan_id TEXT NOT NULL,
        at TEXT NOT NULL,
        user_id TEXT NOT NULL,
        user_name TEXT NOT NULL,
        user_role TEXT NOT NULL,
        relationship TEXT,
        what TEXT NOT NULL,
        detail TEXT NOT NULL,
        asked TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS isp_access_log_plan ON isp_access_log (plan_id, entry_id)",
)
POSTGRES_TABLES = (
    *POSTGRES_TABLES,
    """CREATE TABLE IF NOT EXISTS {schema}.isp_grants (
        grant_id text PRIMARY KEY,
        plan_id uuid NOT NULL,
        setting_urn text NOT NULL,
        user_id text NOT NULL,
        relationship text NOT NULL,
        expires_on text,
        granted_at text NOT NULL,
        revoked_at text)""",
    "CREATE INDEX IF NOT EXISTS isp_grants_user ON {schema}.isp_grants (user_id)",
    "CREATE INDEX IF NOT EXISTS isp_grants_setting ON {schema}.isp_grants (setting_urn)",
    """CREATE TABLE IF NOT EXISTS {schema}.isp_access_log (
        entry_id bigserial PRIMARY KEY,
        plan_id uuid NOT NULL,
        at text NOT NULL,
        user_id text NOT NULL,
        user_name text NOT NULL,
        user_role text NOT NULL,
        relationship text,
        what text NOT NULL,
        detail text NOT NULL,
        asked text NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS isp_access_log_plan ON {schema}.isp_access_log (plan_id, entry_id)",
)


# The pupils' data keys (CONTRACT.md §11, ``data_keys.py``): one per plan, stored only wrapped (AES-256-GCM) by a
# service key from ``ISP_LEDGER_KEY_DIR`` (``wrap_id`` names which). An erased plan keeps its row with ``wrapped``
# NULL and ``erased_at`` set: the key is gone, and the row says so. ``isp_meta`` holds facts about the store itself
# (``encryption``: ``per-pupil`` once every event in it is stored encrypted, see ``migrate.py``).
SQLITE_TABLES = (
    *SQLITE_TABLES,
    """CREATE TABLE IF NOT EXISTS isp_data_keys (
        plan_id TEXT PRIMARY KEY,
        wrap_id INTEGER,
        wrapped BLOB,
        created_at TEXT NOT NULL,
        erased_at TEXT) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS isp_meta (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL) WITHOUT ROWID""",
)
POSTGRES_TABLES = (
    *POSTGRES_TABLES,
    """CREATE TABLE IF NOT EXISTS {schema}.isp_data_keys (
        plan_id uuid PRIMARY KEY,
        wrap_id integer,
        wrapped bytea,
        created_at text NOT NULL,
        erased_at text)""",
    """CREATE TABLE IF NOT EXISTS {schema}.isp_meta (
        name text PRIMARY KEY,
        value text NOT NULL)""",
)


# Signing in to the web pages (CONTRACT.md §13, ``signin.py``). ``isp_sign_in_codes`` holds at most one live code per
# address (``email_key``, as in ``isp_users``), only as an HMAC under a service key, with the wrong tries made so
# far; ``isp_sessions`` holds each signed-in browser's session, only as the SHA-256 digest of its cookie's token.
# Instants are UTC ISO text on both stores (written and compared by the application, under its clock).
SQLITE_TABLES = (
    *SQLITE_TABLES,
    """CREATE TABLE IF NOT EXISTS isp_sign_in_codes (
        email_key TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        code_hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        attempts INTEGER NOT NULL) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS isp_sessions (
        token_hash TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        created_at TEXT NOT NULL,
        last_seen_at TEXT NOT NULL) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS isp_sessions_user ON isp_sessions (user_id)",
)
POSTGRES_TABLES = (
    *POSTGRES_TABLES,
    """CREATE TABLE IF NOT EXISTS {schema}.isp_sign_in_codes (
        email_key text PRIMARY KEY,
        user_id text NOT NULL,
        code_hash text NOT NULL,
        created_at text NOT NULL,
        attempts integer NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS {schema}.isp_sessions (
        token_hash text PRIMARY KEY,
        user_id text NOT NULL,
        created_at text NOT NULL,
        last_seen_at text NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS isp_sessions_user ON {schema}.isp_sessions (user_id)",
)
