"""The pupils' data keys (CONTRACT.md §11): one AES-256 key per plan, stored only wrapped by a service key.

Every personal value of a plan (``domain/personal.py``) is encrypted under the plan's own data key, wherever it is
kept: the event log, snapshots, read models, the access log. Destroying that one key (an erasure) makes all of it
unreadable at once, everywhere, without touching a byte that the hash chain covers ("crypto-shredding").

Data keys are kept in ``isp_data_keys``, each wrapped (AES-256-GCM, the plan's id as associated data, so a wrapped
key cannot be moved to another plan) by a *service key*: a file ``wrap-N.key`` in ``ISP_LEDGER_KEY_DIR``, never in
the database. ``wrap_id`` says which; ``isp-ledger keys rotate`` wraps every data key again under a new service key
(``wrap-N+1``) without touching an event. A copy of the database alone unwraps nothing.

Unwrapped keys are kept in memory for a bounded time only (``ISP_LEDGER_KEY_CACHE_SECONDS``, and at most
``CAPACITY`` keys, the longest kept first out). A destroyed key is remembered as destroyed.

Written here rather than with the library's ``AESCipher``: that cipher holds one key for a whole application, while a
plan's data needs its own key and its event's identity bound in as associated data (``sealing.py``).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import threading
import time
from collections.abc import Iterable
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore

from isp_ledger.domain.stamp import format_instant
from isp_ledger.storage.keys import KeyRing
from isp_ledger.storage.sql import Sql

NONCE_BYTES = 12
CAPACITY = 20_000
_WRAP_FILE = re.compile(r"^wrap-(\d+)\.key$")


class KeyProblem(Exception):
    """A data key cannot be had: the message says why and what to do (never a key's bytes)."""


class MissingServiceKey(KeyProblem):
    pass


class PlanErased(KeyProblem):
    """The plan's data key was destroyed: its personal data is gone for good."""


class _Erased:
    """The cache's mark for a destroyed key."""


ERASED = _Erased()


class _Key:
    """A data key ready to use (``aead``), which can also be given out whole (``raw``, in its evidence bundle)."""

    __slots__ = ("aead", "raw")

    def __init__(self, raw: bytes) -> None:
        self.aead = AESGCM(raw)
        self.raw = raw


class DataKeys:
    def __init__(self, datastore: SQLiteDatastore | PostgresDatastore, key_ring: KeyRing,
                 ttl_seconds: float = 300.0, capacity: int = CAPACITY) -> None:
        self.sql = Sql(datastore)
        self.key_ring = key_ring
        self.ttl = ttl_seconds
        self.capacity = capacity
        self._cache: dict[UUID, tuple[float, _Key | _Erased]] = {}
        self._lock = threading.Lock()
        self._wrappers: dict[int, AESGCM] = {}

    # ---------------------------------------------------------------- the service keys

    def service_key_ids(self) -> list[int]:
        """The service keys in the key directory, oldest first."""
        try:
            names = os.listdir(self.key_ring.key_dir)
        except FileNotFoundError:
            return []
        return sorted(int(m.group(1)) for name in names if (m := _WRAP_FILE.match(name)))

    def _wrapper(self, wrap_id: int) -> AESGCM:
        wrapper = self._wrappers.get(wrap_id)
        if wrapper is None:
            path = self.key_ring.key_dir / f"wrap-{wrap_id}.key"
            try:
                secret = path.read_bytes()
            except FileNotFoundError:
                raise MissingServiceKey(
                    f"The service key {path} is missing: the pupils' data keys in this store are wrapped by it. "
                    "Restore the key directory from its backup (ISP_LEDGER_KEY_DIR); without it no personal data "
                    "in this store can be read") from None
            wrapper = self._wrappers[wrap_id] = AESGCM(secret)
        return wrapper

    def current_wrap_id(self) -> int:
        """The service key new data keys are wrapped by (the newest; the first is made on first use, but only
        while no data key in the store is wrapped by one that is missing)."""
        ids = self.service_key_ids()
        if ids:
            return ids[-1]
        used = self.sql.fetch("SELECT max(wrap_id) FROM {isp_data_keys}")
        if used and used[0][0] is not None:
            self._wrapper(int(used[0][0]))  # raises, naming the missing key
        self.key_ring.secret("wrap-1")
        return 1

    def _wrap(self, plan_id: UUID, key: bytes, wrap_id: int) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._wrapper(wrap_id).encrypt(nonce, key, _wrap_aad(plan_id))

    def _unwrap(self, plan_id: UUID, wrap_id: int, wrapped: bytes) -> _Key:
        wrapped = bytes(wrapped)
        try:
            key = self._wrapper(wrap_id).decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], _wrap_aad(plan_id))
        except InvalidTag:
            raise KeyProblem(f"The data key of plan {plan_id} does not unwrap with service key wrap-{wrap_id}: the "
                             "key file or the stored key was changed") from None
        return _Key(key)

    # ---------------------------------------------------------------- data keys

    def raw(self, plan_id: UUID) -> bytes | None:
        """The plan's data key itself (for its evidence bundle); ``None`` if it has none or it was destroyed."""
        if self.readable(plan_id) is None:
            return None
        found = self._cached(plan_id)
        return found.raw if isinstance(found, _Key) else None

    def for_writing(self, plan_id: UUID) -> AESGCM:
        """The plan's data key, made (and stored, wrapped) if it has none yet. ``PlanErased`` if destroyed."""
        found = self._cached(plan_id)  # the usual case, on every value sealed: straight from memory
        if isinstance(found, _Key):
            return found.aead
        key = self.get(plan_id)
        if key is None:
            key = self._create(plan_id)
        return key

    def get(self, plan_id: UUID) -> AESGCM | None:
        """The plan's data key; ``None`` if it never had one. ``PlanErased`` if it was destroyed."""
        found = self._cached(plan_id)
        if found is None:
            self.load([plan_id])
            found = self._cached(plan_id)
        if found is None:
            return None
        if isinstance(found, _Erased):
            raise PlanErased(f"Plan {plan_id} was erased: its personal data is gone")
        return found.aead

    def readable(self, plan_id: UUID) -> AESGCM | None:
        """The plan's data key, or ``None`` if it has none (never had one, or it was destroyed)."""
        found = self._cached(plan_id)  # the usual case, on every value opened: straight from memory
        if isinstance(found, _Key):
            return found.aead
        try:
            return self.get(plan_id)
        except PlanErased:
            return None

    def is_erased(self, plan_id: UUID) -> bool:
        found = self._cached(plan_id)
        if found is not None:
            return isinstance(found, _Erased)
        try:
            self.get(plan_id)
        except PlanErased:
            return True
        return False

    def load(self, plan_ids: Iterable[UUID]) -> None:
        """Fetch the keys of these plans not in memory, in one query per thousand (the read side's batches)."""
        wanted = [p for p in dict.fromkeys(plan_ids) if self._cached(p) is None]
        for start in range(0, len(wanted), 1000):
            chunk = wanted[start:start + 1000]
            marks = ", ".join("?" * len(chunk))
            rows = self.sql.fetch(
                f"SELECT plan_id, wrap_id, wrapped FROM {{isp_data_keys}} WHERE plan_id IN ({marks})",
                [str(p) for p in chunk],
            )
            for plan_id, wrap_id, wrapped in rows:
                pid = plan_id if isinstance(plan_id, UUID) else UUID(plan_id)
                value = ERASED if wrapped is None else self._unwrap(pid, int(wrap_id), wrapped)
                self._remember(pid, value)

    def forget(self, plan_id: UUID) -> None:
        self._cache.pop(plan_id, None)

    def _create(self, plan_id: UUID) -> AESGCM:
        wrap_id = self.current_wrap_id()
        key = AESGCM.generate_key(bit_length=256)
        with self.sql.write() as cursor:
            cursor.execute(
                "INSERT INTO {isp_data_keys} (plan_id, wrap_id, wrapped, created_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (plan_id) DO NOTHING",
                (str(plan_id), wrap_id, self._wrap(plan_id, key, wrap_id), format_instant(dt.datetime.now(dt.UTC))),
            )
        self.forget(plan_id)
        made = self.get(plan_id)  # another process may have made it first: theirs is the one stored
        assert made is not None
        return made

    def _cached(self, plan_id: UUID) -> _Key | _Erased | None:
        # Read without the lock (a dict's get is atomic): this is on every sealed value read or written.
        entry = self._cache.get(plan_id)
        if entry is None:
            return None
        if entry[0] < time.monotonic():
            self._cache.pop(plan_id, None)
            return None
        return entry[1]

    def _remember(self, plan_id: UUID, value: _Key | _Erased) -> None:
        """Keep a key until its time is up; past ``capacity``, the longest kept goes first."""
        with self._lock:
            self._cache.pop(plan_id, None)
            self._cache[plan_id] = (time.monotonic() + self.ttl, value)
            while len(self._cache) > self.capacity:
                self._cache.pop(next(iter(self._cache)), None)

    # ---------------------------------------------------------------- key care

    def rotate(self) -> tuple[int, int]:
        """Wrap every data key again under a new service key; ``(new wrap id, keys re-wrapped)``. Events, read
        models and the data keys themselves are untouched."""
        ids = self.service_key_ids()
        new_id = (ids[-1] if ids else 0) + 1
        self.key_ring.secret(f"wrap-{new_id}")
        rows = self.sql.fetch("SELECT plan_id, wrap_id, wrapped FROM {isp_data_keys} WHERE wrapped IS NOT NULL")
        updates = []
        for plan_id, wrap_id, wrapped in rows:
            pid = plan_id if isinstance(plan_id, UUID) else UUID(plan_id)
            key = self._unwrap(pid, int(wrap_id), wrapped).raw
            updates.append((new_id, self._wrap(pid, key, new_id), str(pid), int(wrap_id)))
        with self.sql.write() as cursor:
            cursor.executemany("UPDATE {isp_data_keys} SET wrap_id = ?, wrapped = ? WHERE plan_id = ? AND wrap_id = ?",
                               updates)
        return new_id, len(updates)

    def counts(self) -> dict[str, int]:
        """How many data keys the store holds, by state and by service key."""
        rows = self.sql.fetch("SELECT wrap_id, count(*) FROM {isp_data_keys} GROUP BY wrap_id")
        counts = {("erased" if wrap_id is None else f"wrap-{wrap_id}"): int(n) for wrap_id, n in rows}
        return counts


def _wrap_aad(plan_id: UUID) -> bytes:
    return b"isp-ledger data key|" + str(plan_id).encode()
