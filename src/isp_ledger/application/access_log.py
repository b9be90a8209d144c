"""The access log (CONTRACT.md §10): every answer that shows a pupil's details or a plan's content is logged, per
plan, before it is sent, in the plan's own store; the plan's SENCO, administrators and its parents read it.

An answer is logged once its content is known and before it is returned: if the entry cannot be written, the read
fails (:class:`AccessLogUnavailable`, 503) rather than go unlogged. A listing logs all its rows in one statement.
Entries say in plain words what was shown ("Read the plan as it stood on 1 March 2026"), with what was asked for
(``as_of``, ``as_at``, a period) beside them for a program.

The name of a viewer who is not school staff (a parent above all, whose name may be the pupil's) is personal data
of the pupil's (CONTRACT.md §11): it is stored sealed under the plan's key (``SEALED_NAME``), and reads as ``null``
once the plan is erased. Staff names, and what was shown, stay in clear.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from isp_ledger.access import Action, User
from isp_ledger.application.base import Clock, RecordDamaged
from isp_ledger.application.plans import Plans
from isp_ledger.domain.errors import InvalidInput, LedgerError, NotFound
from isp_ledger.domain.grants import spoken_date
from isp_ledger.domain.personal import STAFF_ROLES
from isp_ledger.domain.plan import Plan
from isp_ledger.domain.stamp import LONDON, format_instant
from isp_ledger.storage.access_log import AccessEntry, AccessLogStore
from isp_ledger.storage.sealing import Unreadable, row_aad

log = logging.getLogger(__name__)
MAX_PAGE = 200
SEALED_NAME = "sealed:"  # marks a viewer's name kept sealed (hex has no colon)


class AccessLogUnavailable(LedgerError):
    """The access log could not be written, so the answer was not sent."""

    title = "The access log cannot be written"

    def __init__(self) -> None:
        super().__init__("This answer would show a plan's content, and every such answer is logged before it is "
                         "sent; the access log cannot be written just now, so nothing was shown. Try again shortly")


@dataclass(frozen=True)
class Reading:
    """What an answer showed of a plan, in plain words, and what was asked for."""

    what: str
    detail: str
    asked: dict[str, str] = field(default_factory=dict)


class AccessLog:
    """Logs what each caller was shown, and reads a plan's log back.

    ``enabled=False`` logs nothing: for the benchmark that measures what logging costs, never for a service.
    """

    def __init__(self, store: AccessLogStore, plans: Plans, clock: Clock, *, enabled: bool = True) -> None:
        self.store = store
        self.plans = plans
        self.clock = clock
        self.enabled = enabled

    def shown(self, user: User, plan: Plan, reading: Reading) -> None:
        """Log that ``user`` was shown ``plan`` (as loaded now: their grant on it says their relationship)."""
        grant = self.plans.grant_for(user, plan)
        self.listed(user, [(plan.id, grant.relationship if grant else None)], reading)

    def shown_record(self, user: User, plan_id: UUID, reading: Reading) -> None:
        """Log that ``user`` was shown the plan's stored record, which may be damaged past folding: then the
        entry names no relationship (a grant read from a damaged record is not trusted, so only staff see it)."""
        try:
            plan = self.plans.current(plan_id)
        except (RecordDamaged, NotFound):
            self.listed(user, [(plan_id, None)], reading)
            return
        self.shown(user, plan, reading)

    def listed(self, user: User, plans: Sequence[tuple[UUID, str | None]], reading: Reading) -> None:
        """Log that ``user`` was shown each of ``plans`` (each with their relationship to it, if a grantee), in one
        statement."""
        if not self.enabled or not plans:
            return
        at = format_instant(self.clock.now())
        asked = json.dumps(reading.asked, sort_keys=True)
        entries = [AccessEntry(plan_id, at, user.user_id, self._name(user, plan_id, at), user.role, relationship,
                               reading.what, reading.detail, asked) for plan_id, relationship in plans]
        try:
            self.store.append(entries)
        except Exception as e:  # whatever the store's failure, the answer must not be sent unlogged
            log.error("access log not written (%s: %s); %d answers refused", e.__class__.__name__, e, len(entries))
            raise AccessLogUnavailable() from e

    def _name(self, user: User, plan_id: UUID, at: str) -> str:
        """The viewer's name as the entry keeps it: a staff member's in clear; anyone else's sealed."""
        if user.role in STAFF_ROLES:
            return user.name
        sealed = self.plans.store.sealer.seal(plan_id, _name_aad(plan_id, at, user.user_id), user.name)
        return SEALED_NAME + (sealed or "")

    def _shown_name(self, entry: AccessEntry) -> str | None:
        if not entry.user_name.startswith(SEALED_NAME):
            return entry.user_name
        token = entry.user_name.removeprefix(SEALED_NAME) or None
        try:
            return self.plans.store.sealer.open_text(entry.plan_id, _name_aad(entry.plan_id, entry.at, entry.user_id),
                                                     token)
        except Unreadable:
            return None

    def entries(self, user: User, plan_id: UUID, *, limit: int = 50, cursor: str | None = None) -> dict[str, Any]:
        """A page of the plan's access log, newest first (its SENCO, administrators and its parents). This read is
        itself logged, first, so it heads the first page."""
        before = _decode_cursor(cursor)
        if not 1 <= limit <= MAX_PAGE:
            raise InvalidInput.field("limit", f"must be from 1 to {MAX_PAGE}")
        plan = self.plans.require_visible(user, plan_id, Action.READ_ACCESS_LOG)
        self.shown(user, plan, Reading("Who has looked at the plan", "Read who has looked at the plan"))
        rows = self.store.page(plan_id, before=before, limit=limit + 1)
        entries = [_entry_json(entry, self._shown_name(entry)) for _, entry in rows[:limit]]
        more = len(rows) > limit
        return {"plan_id": str(plan_id), "entries": entries, "next_cursor": str(rows[limit - 1][0]) if more else None}


def _decode_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    if not cursor.isdigit() or len(cursor) > 18:
        raise InvalidInput.field("cursor", "cursor is not one this service gave out")
    return int(cursor)


def _name_aad(plan_id: UUID, at: str, user_id: str) -> bytes:
    return row_aad(plan_id, f"access_log|{at}|{user_id}")


def _entry_json(entry: AccessEntry, name: str | None) -> dict[str, Any]:
    shown: dict[str, Any] = {"at": entry.at, "user": {"user_id": entry.user_id, "name": name,
                                                      "role": entry.user_role}}
    if entry.relationship is not None:
        shown["relationship"] = entry.relationship
    shown.update(what=entry.what, detail=entry.detail, asked=json.loads(entry.asked))
    return shown


# ------------------------------------------------------------------ what each answer showed, in plain words


def day_words(day: dt.date) -> str:
    return spoken_date(day.isoformat())


def instant_words(instant: dt.datetime) -> str:
    """"14:05 on 1 March 2026" (London time)."""
    local = instant.astimezone(LONDON)
    return f"{local:%H:%M} on {day_words(local.date())}"


def period_words(start: dt.date | None, end: dt.date | None) -> str:
    if start is not None and end is not None:
        return f" from {day_words(start)} to {day_words(end)}"
    if start is not None:
        return f" from {day_words(start)}"
    return f" up to {day_words(end)}" if end is not None else ""


def asked(**values: object) -> dict[str, str]:
    """What was asked for, as text, leaving out what was not given."""
    return {name: value.isoformat() if isinstance(value, dt.date | dt.datetime) else str(value)
            for name, value in values.items() if value is not None}


def plan_read(as_of: dt.date | None = None, as_at: dt.datetime | None = None) -> Reading:
    if as_of is not None and as_at is not None:
        detail = (f"Read the plan as it stood on {day_words(as_of)}, as the record stood at "
                  f"{instant_words(as_at)}")
    elif as_of is not None:
        detail = f"Read the plan as it stood on {day_words(as_of)}"
    elif as_at is not None:
        detail = f"Read the plan as the record stood at {instant_words(as_at)}"
    else:
        detail = "Read the plan as it stands"
    return Reading("The plan", detail, asked(as_of=as_of, as_at=as_at))


def events_read() -> Reading:
    return Reading("Every entry of the plan's record", "Read every entry of the plan's record, exactly as stored")


def timeline_read(start: dt.date | None, end: dt.date | None, kinds: Sequence[str] | None) -> Reading:
    which = f" ({', '.join(kinds)} entries)" if kinds else ""
    return Reading("The plan's history", f"Read the plan's history{which}{period_words(start, end)}",
                   asked(**{"from": start, "to": end, "kind": ",".join(kinds) if kinds else None}))


def diff_read(start: int | dt.date | dt.datetime | None, end: int | dt.date | dt.datetime | None) -> Reading:
    def point(value: int | dt.date | dt.datetime | None, default: str, edge: str) -> str:
        if value is None:
            return default
        if isinstance(value, int):
            return f"version {value}"
        if isinstance(value, dt.datetime):
            return f"the record at {instant_words(value)}"
        return f"the record as it stood {edge} {day_words(value)}"

    return Reading("What changed in the plan",
                   f"Compared {point(start, 'the plan before it was opened', 'at the start of')} with "
                   f"{point(end, 'the plan as it stands', 'at the end of')}", asked(**{"from": start, "to": end}))


def delivery_read(start: dt.date, end: dt.date) -> Reading:
    return Reading("Planned and delivered provision", f"Read planned and delivered provision{period_words(start, end)}",
                   asked(**{"from": start, "to": end}))


def bundle_read(form: str, start: str, end: str) -> Reading:
    first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    return Reading("The evidence bundle", f"Downloaded the evidence bundle ({form.upper()}){period_words(first, last)}",
                   asked(**{"from": start, "to": end, "format": form}))


VERIFIED = Reading("A check of the plan's record", "Checked that the plan's record has not been altered")
RECEIPT = Reading("A signed receipt", "Obtained a signed receipt for the plan's record as it stands")
RECEIPT_CHECKED = Reading("A check of a receipt", "Checked a receipt for the plan's record against the record")
GRANTS_READ = Reading("Who has access", "Read who has been given access to the plan")


def listed_in(where: str, detail: str = "", **values: object) -> Reading:
    """A plan shown as a row of a listing or report: ``where`` names it ("the list of plans")."""
    return Reading("The plan in a list", f"Saw the plan in {where}{detail}", asked(**values))
