"""Encrypting a plan's personal values under its data key (CONTRACT.md §11), wherever they are kept.

A sealed value is the text ``hex(nonce ‖ AES-256-GCM ciphertext)`` of its JSON, under the plan's data key
(``data_keys.py``), with *associated data* naming where the value belongs (an event's plan, version and type; a
snapshot's plan, version and head hash; a read-model row's plan and table): a ciphertext moved anywhere else does
not decrypt. Hex rather than base64, though longer: ciphertext in base64 is random text in which a short name
("Maya") turns up by chance every few megabytes, so a scan of a database copy for pupils' names would find false
alarms; lower-case hex can hold no capitalised name, no sentence, no date and no UPN. :class:`PlanSealer` is what
the rest of the code uses; it also splits a record into its clear and personal parts (``domain/personal.py``) and
puts it back together, so that a record whose key was destroyed reads as its clear part: the same fields, each
personal one ``null``.
"""

from __future__ import annotations

import binascii
import os
from collections.abc import Iterable
from typing import Any
from uuid import UUID

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from isp_ledger.domain.personal import merge, split
from isp_ledger.storage.data_keys import NONCE_BYTES, DataKeys, PlanErased

SEALED = "sealed"  # the key under which a record keeps its sealed personal part


class Unreadable(ValueError):
    """A sealed value that does not decrypt under its plan's key with its associated data: altered, or moved."""


class _Nonces:
    """Random 96-bit nonces for AES-GCM, drawn from the operating system a thousand at a time: one system call
    rather than one per value sealed (it cost more than the encryption itself). Each is used once: ``list.pop`` is
    one atomic step under the interpreter's lock, so two threads never take the same nonce, and no lock of our own
    is needed (two threads that refill at once each draw fresh ones; the pool one of them drops is never used). A
    child process forgets the parent's unused ones, so that two processes never use the same."""

    BATCH = 1024

    def __init__(self) -> None:
        self._pool: list[bytes] = []

    def next(self) -> bytes:
        while True:
            try:
                return self._pool.pop()
            except IndexError:
                fresh = os.urandom(NONCE_BYTES * self.BATCH)
                self._pool = [fresh[at:at + NONCE_BYTES] for at in range(0, len(fresh), NONCE_BYTES)]

    def forget(self) -> None:
        self._pool = []


_NONCES = _Nonces()
os.register_at_fork(after_in_child=_NONCES.forget)


def seal_with(key: AESGCM, aad: bytes, value: Any) -> str:
    nonce = _NONCES.next()
    return (nonce + key.encrypt(nonce, orjson.dumps(value), aad)).hex()


def open_with(key: AESGCM, aad: bytes, token: str) -> Any:
    try:
        raw = bytes.fromhex(token)
        return orjson.loads(key.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], aad))
    except (InvalidTag, ValueError, TypeError):
        raise Unreadable("a sealed value does not decrypt where it is stored (it was altered or moved)") from None


def seal_bytes(key: AESGCM, aad: bytes, data: bytes) -> bytes:
    """Bytes sealed as they are (a snapshot's JSON: not wrapped as a JSON string), in hex as every sealed value."""
    nonce = _NONCES.next()
    return binascii.hexlify(nonce + key.encrypt(nonce, data, aad))


def open_bytes(key: AESGCM, aad: bytes, token: bytes) -> bytes:
    try:
        raw = binascii.unhexlify(token)
        return key.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], aad)
    except (InvalidTag, binascii.Error, ValueError, TypeError):
        raise Unreadable("a sealed value does not decrypt where it is stored (it was altered or moved)") from None


def event_aad(plan_id: str, version: int, event_type: str) -> bytes:
    return f"isp-ledger event|{plan_id}|{version}|{event_type}".encode()


def row_aad(plan_id: UUID | str, place: str) -> bytes:
    """Associated data of a value kept in a read model or side table: its plan and where it is kept (a table and,
    where one plan has many rows, the row's key)."""
    return f"isp-ledger row|{plan_id}|{place}".encode()


class PlanSealer:
    """Seals and opens the personal values of plans, each under its own plan's data key."""

    def __init__(self, keys: DataKeys) -> None:
        self.keys = keys

    def load(self, plan_ids: Iterable[UUID]) -> None:
        """Have the keys of these plans ready (one query for many: the read side's batches and listings)."""
        self.keys.load(plan_ids)

    def is_erased(self, plan_id: UUID) -> bool:
        """Whether the plan's key was destroyed (nothing of it can be sealed or opened any more)."""
        return self.keys.is_erased(plan_id)

    def seal(self, plan_id: UUID, aad: bytes, value: Any) -> str | None:
        """``value`` sealed under the plan's key (made if the plan has none yet); ``None`` if the plan was erased
        (nothing personal of an erased plan is ever stored again)."""
        try:
            key = self.keys.for_writing(plan_id)
        except PlanErased:
            return None
        return seal_with(key, aad, value)

    def seal_bytes(self, plan_id: UUID, aad: bytes, data: bytes) -> bytes | None:
        """:meth:`seal` for bytes as they are."""
        try:
            key = self.keys.for_writing(plan_id)
        except PlanErased:
            return None
        return seal_bytes(key, aad, data)

    def open_bytes(self, plan_id: UUID, aad: bytes, token: bytes) -> bytes | None:
        """:meth:`open` for bytes as they are (``None`` once the plan's key was destroyed)."""
        key = self.keys.readable(plan_id)
        return None if key is None else open_bytes(key, aad, token)

    def open(self, plan_id: UUID, aad: bytes, token: str | None) -> Any:
        """The sealed value; ``None`` if there is none or the plan's key was destroyed. ``Unreadable`` if it does
        not decrypt (altered, or moved from elsewhere)."""
        if token is None:
            return None
        key = self.keys.readable(plan_id)
        return None if key is None else open_with(key, aad, token)

    def seal_record(self, plan_id: UUID, aad: bytes, record: dict[str, Any]) -> dict[str, Any]:
        """The record with each personal value ``null`` and all of them sealed under ``"sealed"`` (absent if
        there are none)."""
        clear, personal = split(record)
        if personal:
            clear[SEALED] = self.seal(plan_id, aad, personal)
        return clear

    def open_record(self, plan_id: UUID, aad: bytes, stored: dict[str, Any]) -> dict[str, Any]:
        """The record :meth:`seal_record` stored (its personal values ``null`` once the plan's key is gone)."""
        if SEALED not in stored:
            return stored
        clear = dict(stored)
        token = clear.pop(SEALED)
        return merge(clear, self.open(plan_id, aad, token))

    def seal_text(self, plan_id: UUID, aad: bytes, text: str | None) -> str | None:
        """A personal text as kept in a column (``None`` stays ``None``)."""
        return None if text is None else self.seal(plan_id, aad, text)

    def open_text(self, plan_id: UUID, aad: bytes, token: str | None) -> str | None:
        value = self.open(plan_id, aad, token)
        return None if value is None else str(value)
