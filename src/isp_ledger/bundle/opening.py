"""Opening a bundle's events: the personal values each event keeps sealed (CONTRACT.md §11), opened with the
pupil's data key that a bundle of format 3 carries, so that what the bundle shows can be recomputed from them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from isp_ledger.bundle.content import ReplayError
from isp_ledger.storage.chain import unseal
from isp_ledger.storage.mapper import open_envelope
from isp_ledger.storage.sealing import SEALED, event_aad, open_with


def opened_events(states: Sequence[bytes], data_key: bytes | None) -> list[dict[str, Any]]:
    """The stored events, unsealed, with their personal values opened under the plan's data key (``ReplayError``
    if a sealed value does not open: an edited event or a wrong key)."""
    envelopes = []
    key = AESGCM(data_key) if data_key is not None else None
    for state in states:
        envelope = unseal(state)
        token = envelope.get(SEALED)
        if token is not None:
            if key is None:
                raise ReplayError(f"version {envelope.get('version')} holds sealed personal values, and no data key "
                                  "was given to open them")
            try:
                secret = open_with(key, event_aad(envelope["plan_id"], envelope["version"], envelope["type"]), token)
            except ValueError as e:
                raise ReplayError(f"at version {envelope.get('version')}: {e}") from None
            envelope = open_envelope(envelope, secret)
        envelopes.append(envelope)
    return envelopes
