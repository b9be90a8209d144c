"""Assembling an evidence bundle from the ledger (CONTRACT.md §9).

A bundle is one JSON document::

    {"format", "format_version", "plan_id", "period", "generated_at", "generated_for", "settings",
     "summary", "plan_at_start", "plan_at_end", "changes", "reviews", "parent_responses", "delivery", "access",
     "integrity": {"version", "head_hash", "events", "receipt", "public_key", "how_to_verify", "data_key"},
     "events": ["<each event exactly as stored: its sealed, canonical JSON>", ...]}

The events run from version 1 to the version the receipt vouches for; the derived sections (``content.py``) are
computed from exactly those events, so the offline check can recompute and compare them. The events are the
rows the receipt was signed over, read once in the snapshot that verified them, so a write landing meanwhile
cannot make the two disagree. When the
service has logged the head, the receipt carries the signed entry of its transparency log (``receipt.log_entry``).

``settings`` names each setting the plan has belonged to (``{urn: {"urn", "name", "shown_as"}}``), as the service
knows it when the bundle is made: a setting's name is the setting's own record, not part of the plan's chain, so,
like the school calendar, it travels beside the signed record rather than in it.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any
from uuid import UUID

from isp_ledger import __version__
from isp_ledger.access import User
from isp_ledger.application import Ledger
from isp_ledger.bundle.content import FORMAT, FORMAT_VERSION, Period, derive, plan_settings, replay
from isp_ledger.bundle.opening import opened_events
from isp_ledger.domain.errors import InvalidInput
from isp_ledger.domain.stamp import format_instant, london_date
from isp_ledger.storage.signing import public_key_document

MAX_PERIOD_DAYS = 3_700  # as the delivery reports: ten school years and then some

HOW_TO_VERIFY = [
    "This bundle carries every entry of the plan's record exactly as the ledger stored it (the 'events'), each "
    "sealed with a SHA-256 hash that also covers the hash of the entry before it, so that no entry can be changed, "
    "removed or reordered without breaking the chain.",
    "The 'receipt' is the service's Ed25519 signature over the plan's plan_id, version, head_hash and recorded_at: "
    "it vouches that the chain ended with head_hash at that version when the bundle was made.",
    "To check the bundle on any computer, without access to the service: install isp-ledger and run "
    "'isp-ledger verify BUNDLE.json'. It recomputes every hash and link, checks the receipt's signature with the "
    "public key in the bundle, and replays the events to confirm that the plan documents, the change log and the "
    "delivery figures shown in the bundle are exactly what the chained entries say.",
    "To be sure the public key is the service's own, fetch it from the service (GET /v1/keys) or from the school, "
    "save it to a file and run 'isp-ledger verify BUNDLE.json --key KEYS.json': the check then fails if the "
    "bundle names any other key.",
    "The receipt also carries the entry of the service's transparency log (kept apart from the plans' records) "
    "that recorded this head, signed with the same key: the service cannot later drop entries from the end of "
    "the plan without its log disagreeing.",
    "To check that nothing was added or removed since, ask the service for GET /v1/plans/{plan_id}/verify, or "
    "POST the receipt to /v1/receipts/verify: the history up to the receipt must be unchanged.",
    "The school calendar used to count planned sessions and late entries (with England's bank holidays listed), "
    "and the number of school days after which a session's entry counts as late, are part of the bundle but not "
    "of the signed record; compare the holidays and closures with the school's published term dates. Nor are the "
    "setting's name (the record names the setting by its URN), the date the bundle was made and the name of the "
    "person it was made for.",
]


def resolve_period(ledger: Ledger, opened_on: str, start: dt.date | None, end: dt.date | None) -> Period:
    """The bundle's period: by default from the day the plan was opened to today (Europe/London), and never past
    today."""
    today = london_date(ledger.clock.now())
    # A bundle holds what has happened: a 'to' still to come is taken as today, as the delivery reports count
    # planned sessions up to today at the latest, so that the two give the same figures.
    end = min(end, today) if end is not None else today
    if start is None:
        start = min(dt.date.fromisoformat(opened_on), end)
    if start > today:
        raise InvalidInput.field("from", f"must not be after today ({today.isoformat()}, Europe/London)")
    if start > end:
        raise InvalidInput.field("from", "must not be after 'to'")
    if (end - start).days > MAX_PERIOD_DAYS:
        raise InvalidInput.field("from", f"the period may be at most {MAX_PERIOD_DAYS} days long")
    return Period(start, end)


def build_bundle(ledger: Ledger, user: User, plan_id: UUID, start: dt.date | None = None,
                 end: dt.date | None = None) -> dict[str, Any]:
    """The evidence bundle of ``plan_id`` for a period, for whoever may read the plan (404 otherwise)."""
    ledger.plans.require_visible(user, plan_id)
    # The events are the very rows the receipt was signed over, read in one snapshot when they were verified.
    receipt, states = ledger.integrity.signed_head(user, plan_id)  # the service never vouches for a damaged record
    version = int(receipt["version"])
    data_key = ledger.store.data_keys.raw(plan_id)
    replayed = replay(opened_events(states, data_key))
    period = resolve_period(ledger, replayed.plan.state["opened_on"], start, end)
    settings = plan_settings(replayed.plan)
    calendars = {urn: ledger.calendars.school_calendar(urn) for urn in settings}
    content = derive(replayed, period, calendars, ledger.calendars.late_entry_days)
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "plan_id": str(plan_id),
        "period": period.as_json(),
        "generated_at": format_instant(ledger.clock.now()),
        "generated_for": {"user_id": user.user_id, "name": user.name, "role": user.role},
        "service_version": __version__,
        "settings": ledger.setting_details.shown_many(settings),
        **content,
        "integrity": {
            "version": version,
            "head_hash": receipt["head_hash"],
            "events": len(states),
            "receipt": receipt,
            "public_key": public_key_document(ledger.signer.public_key),
            "how_to_verify": HOW_TO_VERIFY,
            # The pupil's data key, which opens the events' sealed personal values (CONTRACT.md §11): the bundle
            # shows all of them anyway, and with it anyone can check that it shows them as the chain holds them.
            "data_key": base64.b64encode(data_key).decode() if data_key is not None else None,
        },
        "events": [state.decode("utf-8") for state in states],
    }
