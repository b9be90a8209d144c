"""The per-plan hash chain (CONTRACT.md §7).

An event is stored as the canonical JSON (RFC 8785) of its *envelope*::

    {"type", "plan_id", "version", "event_id", "recorded_at", "agreed_on", "actor", "reason", "data",
     "prev_hash", "hash"}

``hash`` is the SHA-256 of the canonical JSON of the envelope *without* ``hash``; ``prev_hash`` is the hash of
the plan's previous event (64 zeros for the first). The stored bytes must be exactly that canonical form, so
any changed byte, a removed or reordered event, or a rewritten hash shows up in :func:`verify_chain`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import rfc8785

GENESIS_HASH = "0" * 64


def canonical(obj: Any) -> bytes:
    return rfc8785.dumps(obj)


def seal(body: dict[str, Any], prev_hash: str) -> tuple[bytes, str]:
    """The stored bytes of an event envelope and its hash, chained to ``prev_hash``."""
    unsealed = {**body, "prev_hash": prev_hash}
    digest = hashlib.sha256(canonical(unsealed)).hexdigest()
    return canonical({**unsealed, "hash": digest}), digest


def unseal(state: bytes) -> dict[str, Any]:
    """The envelope stored in ``state`` (no checks: use :func:`check_envelope` for that)."""
    envelope = json.loads(state)
    if not isinstance(envelope, dict):
        raise ValueError("stored event is not a JSON object")
    return envelope


class ChainError(ValueError):
    pass


def check_envelope(state: bytes) -> dict[str, Any]:
    """The envelope, if ``state`` is exactly a sealed envelope whose hash matches its content."""
    try:
        envelope = unseal(state)
    except (ValueError, UnicodeDecodeError) as e:
        raise ChainError(f"stored bytes are not valid JSON ({e.__class__.__name__})") from None
    stated = envelope.get("hash")
    if not isinstance(stated, str):
        raise ChainError("stored event has no hash")
    try:
        if canonical(envelope) != bytes(state):
            raise ChainError("stored bytes are not in canonical form (they were edited)")
        unsealed = {k: v for k, v in envelope.items() if k != "hash"}
        actual = hashlib.sha256(canonical(unsealed)).hexdigest()
    except (TypeError, ValueError, rfc8785.CanonicalizationError) as e:
        raise ChainError(f"stored event cannot be canonicalised ({e})") from None
    if actual != stated:
        raise ChainError(f"content does not match its hash (stated {stated[:12]}…, actual {actual[:12]}…)")
    return envelope


@dataclass(frozen=True)
class Verification:
    ok: bool
    events_checked: int
    head_hash: str | None = None
    head_version: int | None = None
    first_bad_version: int | None = None
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        if self.ok:
            return {
                "ok": True,
                "events_checked": self.events_checked,
                "head_hash": self.head_hash,
                "head_version": self.head_version,
            }
        return {
            "ok": False,
            "events_checked": self.events_checked,
            "first_bad_version": self.first_bad_version,
            "detail": self.detail,
        }


def verify_chain(plan_id: str, rows: Iterable[tuple[int, bytes]]) -> Verification:
    """Check a plan's stored events, given as ``(version, state)`` in version order.

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
