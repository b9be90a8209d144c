"""Erasure and legal holds (CONTRACT.md §11): the rules of erasing a pupil's personal data, and of holding a plan
back from erasure.

An administrator erases a closed plan's personal data (``PlanErased``): storage destroys the pupil's data key in the
same transaction, so every personal value of the plan (``personal.py``) reads ``null`` from then on, wherever it was
kept, while the record's structure (event types, dates, codes, staff actors) and its hash chain stay whole. The
erasure is an entry in the history like any other, with who, when and why; its reason stays readable, outside the
pupil's key, so it must name no one. Nothing is recorded on an erased plan afterwards.

A legal hold (``LegalHoldSet``, ``LegalHoldLifted``) keeps a plan from being erased, by retention or by anyone,
until it is lifted: a plan wanted as evidence in a claim is not destroyed at the end of its retention period.

The plan keeps the records of these entries under :data:`PRIVACY`, beside its facts, as it keeps those of grants
(``grants.py``): they are not part of the plan document, are not corrected nor struck out, and do not count as
decisions on the plan (a hold set today does not stop a closure being back-dated). Applying ``PlanErased`` also
wipes the personal values from the plan in memory (:func:`wipe`), so a plan folded before the erasure (a cache, the
projector's) reads exactly as one replayed from the erased events.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from isp_ledger.domain import events
from isp_ledger.domain.errors import RuleViolation
from isp_ledger.domain.fields import REASON
from isp_ledger.domain.personal import CLEAR_REASONS, actor_split, split
from isp_ledger.domain.records import VOIDED, Record, make_record
from isp_ledger.domain.stamp import Stamp
from isp_ledger.domain.state import PlanState, RecordedEvent
from isp_ledger.domain.validation import Checker

PRIVACY = "privacy"  # where a plan keeps the records of its erasure and legal holds (a snapshot may predate it)
ERASED, HOLD_SET, HOLD_LIFTED = "PlanErased", "LegalHoldSet", "LegalHoldLifted"
PRIVACY_EVENTS = (ERASED, HOLD_SET, HOLD_LIFTED)


class Privacy(PlanState):
    """The commands of erasure and legal holds on the ``Plan`` aggregate (a base of it)."""

    if TYPE_CHECKING:  # the aggregate's own (``Plan._trigger``)
        def _trigger(self, event_class: type[events.PlanEvent], by: Stamp, agreed_on: str, reason: str | None,
                     **data: Any) -> None: ...

    def erase(self, by: Stamp, *, reason: str) -> None:
        """Erase the pupil's personal data: refused while the plan is open, or under a legal hold."""
        why = _reason(reason)
        self.require_not_erased()
        if self.is_open:
            raise RuleViolation("plan_open", "This plan is still open; close it before erasing the pupil's personal "
                                             f"data (POST /v1/plans/{self.id}/close)")
        hold = legal_hold(self)
        if hold is not None:
            raise RuleViolation("legal_hold", f"This plan is under a legal hold (set by {_who(hold['by'])} on "
                                              f"{hold['since'][:10]}); it cannot be erased until the hold is lifted")
        self._trigger(events.PlanErased, by, by.today.isoformat(), why)

    def set_legal_hold(self, by: Stamp, *, reason: str) -> None:
        why = _reason(reason)
        self.require_not_erased()
        hold = legal_hold(self)
        if hold is not None:
            raise RuleViolation("legal_hold_already_set", f"This plan is already under a legal hold (set by "
                                                          f"{_who(hold['by'])} on {hold['since'][:10]})")
        self._trigger(events.LegalHoldSet, by, by.today.isoformat(), why)

    def lift_legal_hold(self, by: Stamp, *, reason: str) -> None:
        why = _reason(reason)
        self.require_not_erased()
        if legal_hold(self) is None:
            raise RuleViolation("no_legal_hold", "This plan is not under a legal hold; there is none to lift")
        self._trigger(events.LegalHoldLifted, by, by.today.isoformat(), why)

    def require_not_erased(self) -> None:
        require_not_erased(self)

    def trigger_event(self, event_class: Any, **kwargs: Any) -> None:
        """Every new event of the plan passes here: none is recorded after an erasure, and none corrects or
        strikes out an erasure or a legal hold."""
        self.require_not_erased()
        target = kwargs.get("corrected_event_id") or kwargs.get("voided_event_id")
        if target is not None and any(r["event_id"] == target for r in self.facts.get(PRIVACY, ())):
            raise RuleViolation("privacy_not_corrected", "An erasure or a legal hold is not corrected or struck out: "
                                                         "lift the hold (or set it again) instead")
        super().trigger_event(event_class, **kwargs)  # type: ignore[misc]  # the next base's, in Plan's bases

    def note(self, event: RecordedEvent) -> None:
        """Keep an erasure's or a hold's record under :data:`PRIVACY` (an erasure also wipes the plan in memory);
        every other entry as the next base does."""
        if type(event).__name__ not in PRIVACY_EVENTS:
            super().note(event)
            return
        self.facts.setdefault(PRIVACY, []).append(make_record(
            event_type=type(event).__name__, version=event.originator_version, event_id=event.event_id,
            agreed_on=event.agreed_on, recorded_at=event.recorded_at, reason=event.reason, actor=event.actor,
            data=event.data(),
        ))
        if type(event).__name__ == ERASED:
            wipe(self)
        stored_hash = vars(event).get("stored_hash")
        if stored_hash is not None:
            self.head_hash = stored_hash


# ------------------------------------------------------------------ reading a plan's erasure and holds


def require_not_erased(plan: PlanState) -> None:
    """Nothing is recorded on an erased plan: its pupil's personal data is gone, and with it what any entry would
    be about (checked before anything else, so a command never reads the erased values)."""
    erasure = erasure_of(plan)
    if erasure is not None:
        raise RuleViolation(
            "plan_erased",
            f"This plan's personal data was erased on {erasure['recorded_at'][:10]} by {_who(erasure['actor'])}; "
            "nothing more can be recorded on it",
        )


def erasure_of(plan: PlanState) -> Record | None:
    """The record of the plan's erasure, if it was erased."""
    return next((r for r in plan.facts.get(PRIVACY, ()) if r["type"] == ERASED), None)


def is_erased(plan: PlanState) -> bool:
    return erasure_of(plan) is not None


def legal_hold(plan: PlanState) -> dict[str, Any] | None:
    """The legal hold in force on the plan (``{"since", "by"}``, its reason being the pupil's to keep), if any."""
    hold = None
    for record in plan.facts.get(PRIVACY, ()):
        if record["type"] == HOLD_SET:
            hold = {"since": record["recorded_at"], "by": record["actor"]}
        elif record["type"] == HOLD_LIFTED:
            hold = None
    return hold


def retention_ends(plan: PlanState, years: int) -> dt.date | None:
    """The day a plan's retention period ends: the pupil's date of birth plus ``years`` (29 February: 28 February
    in a year that has none); ``None`` if the date of birth is not known (erased)."""
    born = plan.state["pupil"].get("date_of_birth")
    if born is None:
        return None
    day = dt.date.fromisoformat(born)
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def is_due_for_erasure(plan: PlanState, years: int, today: dt.date) -> bool:
    """Whether retention erases the plan on ``today``: closed, not erased, and past its retention period (a plan
    under a legal hold is due, and left alone while the hold lasts)."""
    ends = retention_ends(plan, years)
    return not plan.is_open and not is_erased(plan) and ends is not None and ends <= today


# ------------------------------------------------------------------ erasing what a plan holds in memory


def wipe(plan: PlanState) -> None:
    """Make every personal value of the plan ``null``, as reading its events back gives once the key is destroyed
    (``personal.split`` of each record's data, each reason but an erasure's, each name of someone not staff), and
    fold its states again."""
    plan.records = {key: [_cleared(r) for r in recs] for key, recs in plan.records.items()}
    plan.facts = {kind: [_cleared(r) for r in recs] for kind, recs in plan.facts.items()}
    for key in plan.records:
        plan._refresh(key)


def _cleared(record: Record) -> Record:
    cleared = {
        **record,
        "data": split(record["data"])[0],
        "actor": actor_split(record["actor"])[0],
        "reason": record["reason"] if record["type"] in CLEAR_REASONS else None,
        "corrections": [{**note, "actor": actor_split(note["actor"])[0], "reason": None,
                         "changes": split(note["changes"])[0], "previous": split(note["previous"])[0]}
                        for note in record["corrections"]],
    }
    mark = record.get(VOIDED)
    if mark is not None:
        cleared[VOIDED] = {**mark, "actor": actor_split(mark["actor"])[0], "reason": None}
    return cleared


def _reason(reason: str) -> str:
    check = Checker()
    why: str = check.clean("reason", REASON, reason)
    check.done()
    return why


def _who(actor: dict[str, Any]) -> str:
    return str(actor.get("name") or actor.get("role") or "someone")
