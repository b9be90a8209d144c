"""Change records: what the plan keeps of each event, and how an item's state is folded from them.

Every event leaves one *record* on the thing it is about: the plan itself (key ``"plan"``), one item
(barrier, provision, adjustment or outcome, keyed by item id), or one fact (a review, a contribution, an
acknowledgement, a progress measurement). A record holds the event's data *as now known*: a correction patches
the record it corrects and notes itself on it, so folding the records gives the corrected state, while the
event log keeps both the original and the correction.

Records are plain JSON-native dicts so that snapshots and read models can store them as they are.

An item's state shows its ``status``: ``active`` when added, ``paused`` between a pause and a resumption (with
``paused_on``, ``paused_until`` and ``paused_reason``), and its end status once ended. A provision past its
``ends_on`` is ended from the next day without anyone recording it: :func:`status_on` and :func:`as_on` say so for a
given day (the views apply them; the stored state keeps what was recorded).

An entry struck out as recorded in error (CONTRACT.md §5, ``EntryVoided``) keeps its record, marked ``"voided"``
with who struck it out, when and why (:func:`is_voided`); folds pass over it, so it counts for nothing. An item
whose first record is voided was never part of the plan: its fold is ``None``, and the plan keeps it aside with the
status ``voided`` (``fold_item(..., keep_voided=True)``).

Because ``agreed_on`` never goes backwards on one item (or on the plan), the records of one key are in
``agreed_on`` order as well as version order, and "the item as in force on DATE" is the fold of a prefix.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from isp_ledger.domain.sections import LIVE_STATUSES, SECTION_OF_EVENT

Record = dict[str, Any]

SESSION_EVENT = "SessionRecorded"
VOID_EVENT = "EntryVoided"
SESSIONS = "sessions"  # where a plan keeps its sessions' records, beside its facts (never in the plan document)

# Facts whose agreed_on is one of their own fields: a review is agreed the day it is held, a session of
# provision the day it happened.
AGREED_ON_FIELD = {"ReviewHeld": "held_on", "ProgressRecorded": "measured_on", SESSION_EVENT: "date"}

FACT_KINDS = {
    "ReviewHeld": "reviews",
    "ContributionRecorded": "contributions",
    "AcknowledgementRecorded": "acknowledgements",
    "ProgressRecorded": "progress",
}
# The data field that names each fact (its ``id`` in the plan document).
FACT_ID_FIELD = {
    "ReviewHeld": "review_id",
    "ContributionRecorded": "contribution_id",
    "AcknowledgementRecorded": "acknowledgement_id",
    "ProgressRecorded": "progress_id",
}


def make_record(
    *,
    event_type: str,
    version: int,
    event_id: str,
    agreed_on: str,
    recorded_at: str,
    reason: str | None,
    actor: dict[str, str],
    data: dict[str, Any],
) -> Record:
    return {
        "type": event_type,
        "version": version,
        "event_id": event_id,
        "agreed_on": agreed_on,
        "recorded_at": recorded_at,
        "reason": reason,
        "actor": actor,
        "data": data,
        "corrections": [],
    }


VOIDED = "voided"  # the key of a voided record's mark, and the status of an item struck out whole


def is_voided(record: Record) -> bool:
    """Whether the entry was struck out as recorded in error."""
    return record.get(VOIDED) is not None


def void_mark(
    *, version: int, event_id: str, recorded_at: str, actor: dict[str, str], reason: str | None
) -> dict[str, Any]:
    """What a voided record keeps of the void: which entry said so, when, who, and why."""
    return {"event_id": event_id, "version": version, "recorded_at": recorded_at, "actor": actor, "reason": reason}


def patch(record: Record, changes: dict[str, Any]) -> Record:
    """A copy of ``record`` with corrected values.

    Keys name the entry's fields as a client sees them: ``agreed_on``, ``reason``, a data field, a field an
    amendment changed, or ``pupil.family_name`` style paths into nested data.
    """
    patched = {**record, "data": _copy_data(record["data"])}
    for key, value in changes.items():
        if key in ("agreed_on", "reason"):
            patched[key] = value
            continue
        container, name = _locate(patched["data"], key)
        container[name] = value
        if AGREED_ON_FIELD.get(record["type"]) == key:
            patched["agreed_on"] = value
    return patched


def current_value(record: Record, key: str) -> Any:
    if key in ("agreed_on", "reason"):
        return record[key]
    container, name = _locate(record["data"], key)
    return container.get(name)


def _locate(data: dict[str, Any], key: str) -> tuple[dict[str, Any], str]:
    if "." in key:
        outer, inner = key.split(".", 1)
        return data[outer], inner
    if isinstance(data.get("changes"), dict):  # an amendment: its fields are the ones it changed
        return data["changes"], key
    return data, key


def _copy_data(data: dict[str, Any]) -> dict[str, Any]:
    return {k: (dict(v) if isinstance(v, dict) else v) for k, v in data.items()}


def fold_item(item_id: str, records: list[Record], as_of: str | None = None, *,
              keep_voided: bool = False) -> dict[str, Any] | None:
    """The item as in force on ``as_of`` (or now), or ``None`` if it had not yet been added, or was struck out as
    recorded in error. With ``keep_voided``, an item struck out whole is folded as it was recorded, with the
    status ``voided`` and the void's mark (for the plan's own bookkeeping, never for a view)."""
    if keep_voided and records and is_voided(records[0]):
        struck = fold_item(item_id, [{**records[0], VOIDED: None}, *records[1:]], as_of)
        if struck is not None:
            struck.update(status=VOIDED, voided=records[0][VOIDED])
            _drop_pause(struck)
        return struck
    state: dict[str, Any] | None = None
    for record in records:
        if as_of is not None and record["agreed_on"] > as_of:
            break
        if is_voided(record):
            continue
        section = SECTION_OF_EVENT[record["type"]]
        if record["type"] == section.added:
            state = {
                "id": item_id,
                **record["data"],
                "status": "active",
                "added_on": record["agreed_on"],
                "corrected": False,
            }
        elif state is None:
            continue
        elif record["type"] == section.amended:
            state.update(record["data"]["changes"])
        elif record["type"] == section.paused:
            state.update(status="paused", paused_on=record["agreed_on"], paused_until=record["data"]["until"],
                         paused_reason=record["reason"])
        elif record["type"] == section.resumed:
            state["status"] = "active"
            _drop_pause(state)
        else:
            state["status"] = record["data"].get("outcome") or section.ended_status
            state["ended_on"] = record["agreed_on"]
            state["ended_reason"] = record["reason"]
            _drop_pause(state)
        state["agreed_on"] = record["agreed_on"]
        state["recorded_at"] = record["recorded_at"]
        state["version"] = record["version"]
        state["corrected"] = state["corrected"] or bool(record["corrections"])
    return state


PAUSE_FIELDS = ("paused_on", "paused_until", "paused_reason")  # on an item only while it is paused
_LIVE = frozenset(LIVE_STATUSES)


def _drop_pause(state: dict[str, Any]) -> None:
    for name in PAUSE_FIELDS:
        state.pop(name, None)


def status_on(item: dict[str, Any], day: str) -> str:
    """The item's status on ``day`` (``item`` as in force that day): as recorded, except that an item with an
    ``ends_on`` (a provision) is ``ended`` from the day after it, its last day in force, without anyone recording
    it (CONTRACT.md §8)."""
    status = str(item["status"])
    ends_on = item.get("ends_on")
    if status in _LIVE and ends_on and ends_on < day:
        return "ended"
    return status


def as_on(item: dict[str, Any], day: str | None) -> dict[str, Any]:
    """``item`` as a view shows it on ``day``: a provision past its ``ends_on`` ended from the next day, with
    ``ended_on`` that day and a reason saying so. The item itself is not changed; ``day`` ``None`` leaves it as
    recorded."""
    if day is None or status_on(item, day) == item["status"]:
        return item
    last = dt.date.fromisoformat(item["ends_on"])
    shown = {**item, "status": "ended", "ended_on": (last + dt.timedelta(days=1)).isoformat(),
             "ended_reason": f"Its agreed end date, {last.day} {last:%B %Y}, has passed."}
    _drop_pause(shown)
    return shown


def is_paused_on(item: dict[str, Any], day: str) -> bool:
    """Whether ``item`` (as in force on ``day``) was paused that day.

    A pause agreed on a day holds from that day until the provision is resumed, or, when it was agreed with an
    ``until`` date, through that date and no further: the provision is owed again from the next day without
    another decision. (The item keeps the status ``paused`` until a resumption records it, so the document shows
    ``paused_until`` for a reader to see when the pause ran out.)
    """
    if item.get("status") != "paused":
        return False
    until = item.get("paused_until")
    return until is None or day <= until



def fold_plan(records: list[Record], as_of: str | None = None) -> dict[str, Any] | None:
    """Plan-level state (pupil, tier, status) as in force on ``as_of``, or ``None`` if not yet opened."""
    state: dict[str, Any] | None = None
    for record in records:
        if as_of is not None and record["agreed_on"] > as_of:
            break
        if is_voided(record):
            continue
        data = record["data"]
        if record["type"] == "PlanOpened":
            state = {
                "status": "open",
                "pupil": dict(data["pupil"]),
                "setting_urn": data["setting_urn"],
                "tier": data["tier"],
                "ehcp_reference": data["ehcp_reference"],
                "initial_review_due": data["next_review_due"],
                "opened_on": record["agreed_on"],
                "closed_on": None,
                "closed_reason": None,
            }
        elif state is None:
            continue
        elif record["type"] == "TierChanged":
            state["tier"] = data["tier"]
            state["ehcp_reference"] = data["ehcp_reference"]
        elif record["type"] == "PlanClosed":
            state["status"] = "closed"
            state["closed_on"] = record["agreed_on"]
            state["closed_reason"] = record["reason"]
    return state
