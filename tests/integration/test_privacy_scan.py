"""How to show issue 13: a copy of the database alone holds no pupil's name, UPN, date of birth or free text.

The demo school is built on each store; every pupil's given, family and full name, UPN and date of birth, and a
sample of the free text written about them, are then searched for in the raw bytes: on SQLite the database file with
its ``-wal`` and ``-shm`` (free pages included), on PostgreSQL a ``pg_dump`` of the test's schema.

Sealed values are lower-case hex (``storage/sealing.py``), in which no capitalised name, sentence, date or UPN can
turn up by chance, so the bytes are searched as they are, case for case; the test checks that the sealed values it
saw written are in them. A pupil's name that is also a word of a user account's name (a parent's
account, "Mrs Khan"; a member of staff) is not searched alone: the account's name is the account holder's own, kept
with the account (``isp_users``), and staff are named in the record as its actors by design; the full name, which no
account carries, still is. The test prints what it searched, what it left out and what it found, by table.

Then one pupil's plan is erased and the scan repeated with the service's key at hand: nothing of that pupil, not
its wrapped data key either, and every read of it shows nothing of them; every other pupil still reads fully.
"""

from __future__ import annotations

import glob
import subprocess
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from isp_ledger.application import Ledger
from isp_ledger.bootstrap import build_ledger
from isp_ledger.demo import DemoClock, build_demo
from isp_ledger.migrate import rebuild_read_models
from isp_ledger.storage import sealing
from isp_ledger.storage.sql import Sql
from projections.runner import Projector
from tests.conftest import People
from tests.integration.read_models import read_model_rows

FREE_TEXT = ("description", "note", "summary", "parent_views", "pupil_views", "comment", "text", "evidence",
             "success_criteria")


def _texts(value: Any, found: list[str]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            if key in FREE_TEXT and isinstance(inner, str) and len(inner) >= 12:
                found.append(inner)
            else:
                _texts(inner, found)
    elif isinstance(value, list):
        for inner in value:
            _texts(inner, found)


def pupil_strings(ledger: Ledger, people: People, plan_id: UUID, accounts: set[str],
                  texts_searched: int | None = 6) -> tuple[list[str], list[str]]:
    """What is searched for of the plan's pupil, and the names not searched alone (with the account words)."""
    document = ledger.history.plan_document(people.admin, plan_id)
    pupil = document["pupil"]
    names = [pupil["given_name"], pupil["family_name"]]
    strings = [f"{pupil['given_name']} {pupil['family_name']}", pupil["upn"], pupil["date_of_birth"]]
    strings += [name for name in names if name not in accounts]
    texts: list[str] = []
    _texts(document, texts)
    return strings + sorted(set(texts))[:texts_searched], [name for name in names if name in accounts]


def raw_bytes(ledger: Ledger, store_url: str) -> bytes:
    if ledger.store.kind == "sqlite":
        path = store_url.removeprefix("sqlite:///")
        return b"".join(Path(p).read_bytes() for p in (path, f"{path}-wal", f"{path}-shm") if Path(p).exists())
    dsn, schema = store_url.split("?schema=")
    pg_dump = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_dump"))[-1]
    return subprocess.run([pg_dump, "--schema", schema, dsn], check=True, capture_output=True).stdout


def hits(raw: bytes, strings: list[str]) -> list[str]:
    return [text for text in strings if text.encode() in raw]


def where(ledger: Ledger, text: str) -> list[str]:
    """The tables a row of which holds ``text`` (for the report of a hit)."""
    sql = Sql(ledger.store.datastore)
    columns: dict[str, list[str]] = {}
    if ledger.store.kind == "sqlite":
        for (table,) in sql.fetch("SELECT name FROM sqlite_master WHERE type = 'table'"):
            columns[table] = [f"instr(CAST({c[1]} AS TEXT), ?) > 0" for c in sql.fetch(f"PRAGMA table_info({table})")]
    else:
        schema = ledger.store.datastore.schema  # type: ignore[union-attr]
        listed = sql.fetch("SELECT table_name, column_name, data_type FROM information_schema.columns "
                           "WHERE table_schema = ?", (schema,))
        for table, column, kind in listed:
            columns.setdefault(f'"{schema}".{table}', []).append(
                f"position(convert_to(?, 'UTF8') in {column}) > 0" if kind == "bytea"
                else f"strpos(CAST({column} AS TEXT), ?) > 0")
    return [table.rsplit(".", 1)[-1] for table, conditions in columns.items()
            if sql.fetch(f"SELECT count(*) FROM {table} WHERE {' OR '.join(conditions)}",
                         [text] * len(conditions))[0][0]]


@pytest.fixture
def sealed_tokens(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """Every sealed value the service writes from now on, as written."""
    tokens: set[str] = set()
    seal_with = sealing.seal_with

    def recording(key: Any, aad: bytes, value: Any) -> str:
        token = seal_with(key, aad, value)
        tokens.add(token)
        return token

    monkeypatch.setattr(sealing, "seal_with", recording)
    return tokens


def test_a_copy_of_the_database_holds_no_pupils_data(
    env: dict[str, str], store_url: str, people: People, sealed_tokens: set[str]
) -> None:
    ledger = build_ledger(env, clock=DemoClock())
    try:
        build_demo(ledger, plans=12, seed=2025)
        rebuild_read_models(ledger.store)  # the read models hold what they hold once projected
        ledger.store.snapshotter.flush()
        sql = Sql(ledger.store.datastore)
        plan_ids = sorted(UUID(str(p)) for (p,) in sql.fetch("SELECT DISTINCT originator_id FROM {isp_events}"))
        accounts = {word for (name,) in sql.fetch("SELECT name FROM {isp_users}") for word in str(name).split()}
        searched, left_out = [], []
        for plan_id in plan_ids:
            strings, names = pupil_strings(ledger, people, plan_id, accounts)
            searched += strings
            left_out += names
        assert len(searched) >= 12 * 8
        raw = raw_bytes(ledger, store_url)
        assert sum(token.encode() in raw for token in sorted(sealed_tokens)[:200]) > 50  # the sealed values are there
        assert "isp_events" in where(ledger, '"setting_urn"')  # and the search by table finds what is in clear
        found = hits(raw, searched)
        print(f"\nprivacy scan ({ledger.store.kind}): {len(searched)} strings searched in {len(raw):,} bytes, "
              f"{len(found)} hits {[(text, where(ledger, text)) for text in found]}; names not searched alone "
              f"(also a word of an account's name): {sorted(set(left_out))}")
        assert found == []

        # Erase one pupil (closing the plan first): with the service's keys at hand, nothing of them is left.
        erased = plan_ids[0]
        gone, _ = pupil_strings(ledger, people, erased, accounts)
        others = {text for plan_id in plan_ids[1:] for text in pupil_strings(ledger, people, plan_id, set(), None)[0]}
        gone = [text for text in gone if text not in others]  # the demo gives some sentences to several pupils
        assert len(gone) >= 3  # their full name, UPN and date of birth at least
        wrapped = bytes(sql.fetch("SELECT wrapped FROM {isp_data_keys} WHERE plan_id = ?", (str(erased),))[0][0])
        if ledger.plans.current(erased).is_open:
            ledger.commands.close_plan(people.admin, erased, reason="Left the school")
        ledger.privacy.erase(people.admin, erased, reason="Retention period ended")
        rebuild_read_models(ledger.store)
        raw = raw_bytes(ledger, store_url)
        left = hits(raw, gone)
        key_left = wrapped in raw or wrapped.hex().encode() in raw
        projector = Projector(ledger.store)
        projector.catch_up()
        read_models = repr([read_model_rows(model.view) for model in projector.models.values()])  # all opened
        assert all(text in read_models for text in pupil_strings(ledger, people, plan_ids[1], set())[0][1:5])
        shown = read_models + "\n".join(str(answer) for plan_id in plan_ids
                                         for answer in everything_read(ledger, people, plan_id))
        read_back = [text for text in gone if text in shown]
        print(f"after erasing one pupil ({ledger.store.kind}): {len(gone)} strings of theirs searched, {len(left)} "
              f"hits in the bytes, wrapped key found: {key_left}, {len(read_back)} in every read of every plan")
        assert (left, key_left, read_back) == ([], False, [])
        assert ledger.integrity.verify(None, erased).ok
        for plan_id in plan_ids[1:]:  # every other pupil still reads fully
            strings, _ = pupil_strings(ledger, people, plan_id, set())
            shown = "\n".join(map(str, everything_read(ledger, people, plan_id)))
            assert [text for text in strings[1:] if text not in shown] == []  # (the full name is two fields)
    finally:
        ledger.close()


def everything_read(ledger: Ledger, people: People, plan_id: UUID) -> list[Any]:
    """What the service shows of a plan from its events, decrypting all it can: its document and its events."""
    return [ledger.history.plan_document(people.admin, plan_id), ledger.history.plan_events(people.admin, plan_id)]
