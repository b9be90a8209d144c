"""The per-plan hash chain (CONTRACT.md §7).

An event is stored as ``{"event": EVENT, "hash": HASH}`` in canonical JSON (RFC 8785), where::

    EVENT = {"type", "plan_id", "version", "event_id", "recorded_at", "agreed_on", "actor", "reason", "data",
             "prev_hash"}

and ``HASH`` is the SHA-256 of the canonical JSON of ``EVENT`` (so it covers ``prev_hash``, ``recorded_at``,
``agreed_on`` and ``actor``). ``prev_hash`` is the hash of the plan's previous event (64 zeros for the first).
The stored bytes must be exactly that canonical form, so a changed byte anywhere, a removed or reordered event,
or a rewritten hash shows up in :func:`verify_chain`.

Because ``"event"`` sorts before ``"hash"``, the stored form is the event's canonical bytes with the hash
appended, and sealing canonicalises the event only once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
import rfc8785

GENESIS_HASH = "0" * 64
_SAFE_INT = 2**53


def canonical(obj: Any) -> bytes:
    """RFC 8785 canonical JSON.

    Values made only of ASCII-keyed objects, lists, strings, safe integers, booleans and null serialise
    identically under orjson with sorted keys (a property test checks this against ``rfc8785``), which is far
    faster; anything else (floats above all, whose RFC 8785 form differs) goes to ``rfc8785``.
    """
    if _plain(obj):
        return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)
    return rfc8785.dumps(obj)


def _plain(obj: Any) -> bool:
    stack = [obj]
    while stack:
        value = stack.pop()
        kind = type(value)
        if kind is str or kind is bool or value is None:
            continue
        if kind is dict:
            for key in value:
                if type(key) is not str or not key.isascii():
                    return False
            stack.extend(value.values())
        elif kind is list:
            stack.extend(value)
        elif kind is int:
            if not -_SAFE_INT < value < _SAFE_INT:
                return False
        else:
            return False
    return True


def seal(event: dict[str, Any], prev_hash: str) -> tuple[bytes, str]:
    """The stored bytes of an event chained to ``prev_hash``, and its hash.

    Apart from ``data`` the envelope holds only strings, safe integers and the actor's strings, by
    construction, so only ``data`` needs checking before taking the fast path.
    """
    unsealed = {**event, "prev_hash": prev_hash}
    if _plain(event["data"]):
        event_bytes = orjson.dumps(unsealed, option=orjson.OPT_SORT_KEYS)
    else:
        event_bytes = rfc8785.dumps(unsealed)
    digest = hashlib.sha256(event_bytes).hexdigest()
    return b'{"event":' + event_bytes + b',"hash":"' + digest.encode() + b'"}', digest


def unseal(state: bytes) -> dict[str, Any]:
    """The event stored in ``state`` with its ``hash`` beside ``prev_hash`` (no checks: see check_envelope)."""
    stored = orjson.loads(state)
    if not isinstance(stored, dict) or not isinstance(stored.get("event"), dict):
        raise ValueError("stored event is not a sealed event")
    event: dict[str, Any] = stored["event"]  # parsed just now: nobody else holds it
    event["hash"] = stored.get("hash")
    return event


class ChainError(ValueError):
    pass


def check_envelope(state: bytes) -> dict[str, Any]:
    """The event, if ``state`` is exactly a sealed event whose hash matches its content."""
    try:
        stored = orjson.loads(state)
    except (ValueError, UnicodeDecodeError) as e:
        raise ChainError(f"stored bytes are not valid JSON ({e.__class__.__name__})") from None
    if not isinstance(stored, dict) or set(stored) != {"event", "hash"} or not isinstance(stored["event"], dict):
        raise ChainError("stored bytes are not a sealed event")
    stated = stored["hash"]
    if not isinstance(stated, str):
        raise ChainError("stored event has no hash")
    try:
        event_bytes = canonical(stored["event"])
    except (TypeError, ValueError, rfc8785.CanonicalizationError) as e:
        raise ChainError(f"stored event cannot be canonicalised ({e})") from None
    if b'{"event":' + event_bytes + b',"hash":' + orjson.dumps(stated) + b"}" != bytes(state):
        raise ChainError("stored bytes are not in canonical form (they were edited)")
    actual = hashlib.sha256(event_bytes).hexdigest()
    if actual != stated:
        raise ChainError(f"content does not match its hash (stated {stated[:12]}…, actual {actual[:12]}…)")
    return {**stored["event"], "hash": stated}


@dataclass(frozen=True)
class Verification:
    ok: bool
    events_checked: int
    head_hash: str | None = None
    head_version: int | None = None
    first_bad_version: int | None = None
    detail: str = ""
    # The transparency log's latest entry for the plan (see transparency.py), when it was consulted; on
    # PostgreSQL ``log_version`` trails ``head_version`` for the few milliseconds before the sequencer's pass.
    log_position: int | None = None
    log_version: int | None = None
    log_entry_hash: str | None = None
    first_bad_log_position: int | None = None  # when the problem was found in, or with the help of, the log

    def as_dict(self) -> dict[str, Any]:
        if self.ok:
            result: dict[str, Any] = {
                "ok": True,
                "events_checked": self.events_checked,
                "head_hash": self.head_hash,
                "head_version": self.head_version,
            }
            if self.log_position is not None:
                result.update(log_position=self.log_position, log_version=self.log_version,
                              log_entry_hash=self.log_entry_hash)
            return result
        result = {
            "ok": False,
            "events_checked": self.events_checked,
            "first_bad_version": self.first_bad_version,
            "detail": self.detail,
        }
        if self.first_bad_log_position is not None:
            result["first_bad_log_position"] = self.first_bad_log_position
        return result


def verify_chain(plan_id: str, rows: Iterable[tuple[int, bytes]], topics: Mapping[int, str] | None = None
                 ) -> Verification:
    """Check a plan's stored events, given as ``(version, state)`` in version order, and (``topics``, by version)
    the column that names each event's type beside its state, which the hash does not cover.

    Reports the first version at which the chain does not hold; never raises for tampered data.
    """
    expected_prev = GENESIS_HASH
    expected_version = 1
    checked = 0
    for version, state in rows:
        if version != expected_version:
            return _broken(checked, expected_version, f"version {expected_version} is missing (found {version} next)")
        try:
            envelope = check_envelope(bytes(state))
        except ChainError as e:
            return _broken(checked, version, str(e))
        if envelope.get("plan_id") != plan_id or envelope.get("version") != version:
            return _broken(checked, version, "event claims a different plan or version than where it is stored")
        if topics is not None and topics.get(version) != envelope.get("type"):
            return _broken(checked, version, f"the event is stored under the topic {topics.get(version)!r}, but is "
                                             f"a {envelope.get('type')} (the topic column was changed)")
        if envelope.get("prev_hash") != expected_prev:
            return _broken(checked, version, "prev_hash does not match the previous event's hash")
        expected_prev = envelope["hash"]
        expected_version += 1
        checked += 1
    if checked == 0:
        return _broken(0, 1, "the plan has no stored events")
    return Verification(True, checked, head_hash=expected_prev, head_version=checked)


def _broken(checked: int, version: int, detail: str) -> Verification:
    return Verification(False, checked, first_bad_version=version, detail=f"version {version}: {detail}")
