"""How snapshots of plans are serialised.

A snapshot is a cache of a plan's state at a version, never evidence: it is not chained, and deleting any
snapshot is always safe. A plan's state is JSON-native by design (see ``domain/records.py``) apart from the
aggregate's timestamps, so orjson serialises it whole, and only the three known timestamps are converted back
by hand. That keeps loading a long plan fast.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
from eventsourcing.persistence import Transcoder

_TIMESTAMPS = ("_created_on", "_modified_on")


class SnapshotTranscoder(Transcoder):
    def encode(self, obj: Any) -> bytes:
        return orjson.dumps(obj)

    def decode(self, data: bytes) -> Any:
        snapshot = orjson.loads(data)
        snapshot["timestamp"] = dt.datetime.fromisoformat(snapshot["timestamp"])
        state = snapshot["state"]
        for key in _TIMESTAMPS:
            state[key] = dt.datetime.fromisoformat(state[key])
        return snapshot
