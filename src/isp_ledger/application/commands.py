"""The commands on plans (CONTRACT.md §4, §5, §8): each checks who is asking, runs one domain method, and
hands the plan to the write path.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from isp_ledger import access
from isp_ledger.access import Action, User
from isp_ledger.application.base import Change, Idempotency, WriteResult
from isp_ledger.application.calendars import Calendars
from isp_ledger.application.writes import UpnClaimed, WritePath, write_answer
from isp_ledger.domain import delivery
from isp_ledger.domain.errors import FieldError, InvalidInput, LedgerError, RuleViolation
from isp_ledger.domain.plan import Plan
from isp_ledger.domain.stamp import Stamp


class PlanCommands:
    def __init__(self, writes: WritePath, calendars: Calendars) -> None:
        self.writes = writes
        self.calendars = calendars  # a session is checked against the school calendar of its setting

    def open_plan(
        self, user: User, *, pupil: dict[str, Any], setting_urn: str, tier: str, ehcp_reference: str | None = None,
        next_review_due: Any = None, agreed_on: Any = None, idempotency: Idempotency | None = None,
    ) -> WriteResult:
        access.require_can_open(user, setting_urn)
        if replay := self.writes.replay(user, idempotency):
            return replay
        plan = Plan.open(
            self.writes.stamp(user), pupil=pupil, setting_urn=setting_urn, tier=tier, ehcp_reference=ehcp_reference,
            next_review_due=next_review_due, agreed_on=agreed_on,
        )
        try:
            return self.writes.write_new(user, plan, write_answer(plan, 201, None), idempotency)
        except UpnClaimed:
            raise RuleViolation("one_open_plan_per_upn", self._already_open(user, plan.upn, setting_urn)) from None

    def _already_open(self, user: User, upn: str, setting_urn: str) -> str:
        """Why a plan for ``upn`` cannot be opened. The open plan is named only to a caller who may see it: to
        anyone else, that it exists elsewhere is all they learn (not its id, nor which setting holds it)."""
        existing = self.writes.store.accounts.open_plan_for(self.writes.store.upn_key(upn))
        try:
            held_by = self.writes.plans.current(UUID(existing)).setting_urn if existing else None
        except LedgerError:  # a damaged record: its setting cannot be told, so it is named to nobody
            held_by = None
        if existing and held_by is not None and access.can_see(user, held_by):
            return f"Pupil {upn} already has an open plan ({existing}); amend that plan, or close it first"
        return (f"Pupil {upn} already has an open plan elsewhere. A pupil has one plan, which moves with "
                f"them: ask the SENCO of their previous setting (or an administrator) to transfer it to setting "
                f"{setting_urn}, rather than opening a new one")

    def change_tier(self, user: User, plan_id: UUID, *, tier: str, ehcp_reference: str | None, reason: str,
                    agreed_on: Any = None, **options: Any) -> WriteResult:
        def change(plan: Plan, by: Stamp) -> None:
            plan.change_tier(by, tier=tier, ehcp_reference=ehcp_reference, reason=reason, agreed_on=agreed_on)

        return self._on_plan(user, plan_id, Action.EDIT, change, 200, **options)

    def add_item(self, user: User, plan_id: UUID, section: str, fields: dict[str, Any], *,
                 agreed_on: Any = None, reason: str | None = None, **options: Any) -> WriteResult:
        def change(plan: Plan, by: Stamp) -> str:
            return plan.add_item(by, section, fields, agreed_on=agreed_on, reason=reason)

        return self._on_plan(user, plan_id, Action.EDIT, change, 201, **options)

    def amend_item(self, user: User, plan_id: UUID, section: str, item_id: str, changes: dict[str, Any], *,
                   agreed_on: Any = None, reason: str | None = None, **options: Any) -> WriteResult:
        def change(plan: Plan, by: Stamp) -> None:
            plan.amend_item(by, section, item_id, changes, agreed_on=agreed_on, reason=reason)

        return self._on_plan(user, plan_id, Action.EDIT, change, 200, **options)

    def end_item(self, user: User, plan_id: UUID, section: str, item_id: str, *, reason: str,
                 outcome: str | None = None, agreed_on: Any = None, **options: Any) -> WriteResult:
        def change(plan: Plan, by: Stamp) -> None:
            plan.end_item(by, section, item_id, reason=reason, outcome=outcome, agreed_on=agreed_on)

        return self._on_plan(user, plan_id, Action.EDIT, change, 200, **options)

    def pause_item(self, user: User, plan_id: UUID, section: str, item_id: str, *, reason: str,
                   until: Any = None, agreed_on: Any = None, **options: Any) -> WriteResult:
        def change(plan: Plan, by: Stamp) -> None:
            plan.pause_item(by, section, item_id, reason=reason, until=until, agreed_on=agreed_on)

        return self._on_plan(user, plan_id, Action.EDIT, change, 200, **options)

    def resume_item(self, user: User, plan_id: UUID, section: str, item_id: str, *, reason: str | None = None,
                    agreed_on: Any = None, **options: Any) -> WriteResult:
        def change(plan: Plan, by: Stamp) -> None:
            plan.resume_item(by, section, item_id, reason=reason, agreed_on=agreed_on)

        return self._on_plan(user, plan_id, Action.EDIT, change, 200, **options)

    def record_progress(self, user: User, plan_id: UUID, outcome_id: str, fields: dict[str, Any],
                        **options: Any) -> WriteResult:
        def change(plan: Plan, by: Stamp) -> str:
            return plan.record_progress(by, outcome_id, fields)

        return self._on_plan(user, plan_id, Action.RECORD_PROGRESS, change, 201, **options)

    def hold_review(self, user: User, plan_id: UUID, fields: dict[str, Any], **options: Any) -> WriteResult:
        def change(plan: Plan, by: Stamp) -> str:
            return plan.hold_review(by, fields)

        return self._on_plan(user, plan_id, Action.EDIT, change, 201, **options)

    def record_contribution(self, user: User, plan_id: UUID, fields: dict[str, Any], *, agreed_on: Any = None,
                            **options: Any) -> WriteResult:
        def change(plan: Plan, by: Stamp) -> str:
            return plan.record_contribution(by, fields, agreed_on=agreed_on)

        action = access.contribution_action(fields.get("kind"))  # a parent adds views, a professional advice
        return self._on_plan(user, plan_id, action, change, 201, **options)

    def record_acknowledgement(self, user: User, plan_id: UUID, fields: dict[str, Any], *, agreed_on: Any = None,
                               **options: Any) -> WriteResult:
        def change(plan: Plan, by: Stamp) -> str:
            return plan.record_acknowledgement(by, fields, agreed_on=agreed_on)

        return self._on_plan(user, plan_id, Action.RECORD_ACKNOWLEDGEMENT, change, 201, **options)

    def correct(self, user: User, plan_id: UUID, *, event_id: str, reason: str,
                changes: dict[str, Any] | None = None, void: bool | None = None, **options: Any) -> WriteResult:
        """Correct an earlier entry (``changes``), or strike it out as recorded in error (``void`` true)."""
        def change(plan: Plan, by: Stamp) -> None:
            plan.correct(by, event_id=event_id, reason=reason, changes=changes, void=void)

        return self._on_plan(user, plan_id, Action.CORRECT, change, 201, **options)

    def close_plan(self, user: User, plan_id: UUID, *, reason: str, agreed_on: Any = None,
                   **options: Any) -> WriteResult:
        def change(plan: Plan, by: Stamp) -> None:
            plan.close(by, reason=reason, agreed_on=agreed_on)

        return self._on_plan(user, plan_id, Action.EDIT, change, 200, **options)

    def record_session(self, user: User, *, entries: list[dict[str, Any]], session: dict[str, Any],
                       idempotency: Idempotency | None = None, per_entry: list[dict[str, Any]] | None = None,
                       named: str = "entries") -> WriteResult:
        """Record one session of provision (CONTRACT.md §8) for each entry, a pupil's plan and provision: every
        entry in one transaction, or none.

        Each entry becomes a ``SessionRecorded`` event on its plan, sharing a ``session_id``; every entry is
        checked before anything is stored, and the events of all the plans go to the store in one write, each
        chained to its own plan. A refused entry is named by its place in ``entries`` (as ``named``.N: a group's
        session names its members). Each is checked against the school calendar of its plan's setting, as it
        stands when the session is recorded. ``per_entry``, one for each entry, gives the fields that differ
        between entries (a group's register: ``status`` and ``missed_reason``), over the shared ``session``.
        """
        access.require_role_may(user, Action.RECORD_DELIVERY)
        targets = delivery.clean_entries(entries)
        today = self.writes.stamp(user).today.isoformat()
        if per_entry is None:
            sessions = [session] * len(targets)
            delivery.clean_session(session, today)  # the shared fields, named once
        else:
            if len(per_entry) != len(targets):
                raise ValueError("per_entry must give the fields of each entry")
            sessions = [{**session, **fields} for fields in per_entry]
            for index, each in enumerate(sessions):
                try:
                    delivery.clean_session(each, today)
                except InvalidInput as e:
                    if _shared(e, per_entry[index]):
                        raise  # a field every entry shares, named once
                    raise _in_entry(index, targets[index][0], e, named) from None
        plan_ids = list(dict.fromkeys(plan_id for plan_id, _ in targets))
        session_id = str(uuid4())

        def authorize(plans: dict[UUID, Plan]) -> None:
            for plan in plans.values():
                self.writes.plans.authorize(user, plan, Action.RECORD_DELIVERY)

        def record(plans: dict[UUID, Plan], by: Stamp) -> WriteResult:
            recorded = []
            for index, (plan_id, provision_id) in enumerate(targets):
                try:
                    plans[plan_id].record_session(by, provision_id, sessions[index], session_id,
                                                  calendar_of=self.calendars.school_calendar)
                except LedgerError as e:
                    raise _in_entry(index, plan_id, e, named) from None
                recorded.append((provision_id, plans[plan_id].pending_events[-1]))
            return WriteResult(201, {"session_id": session_id, "entries": [
                {"plan_id": str(event.originator_id), "provision_id": provision_id,
                 "version": event.originator_version, "event_id": event.event_id,  # type: ignore[attr-defined]
                 "recorded_at": event.recorded_at}  # type: ignore[attr-defined]
                for provision_id, event in recorded
            ]})

        return self.writes.write(user, plan_ids, authorize, record, idempotency=idempotency)

    def _on_plan(self, user: User, plan_id: UUID, action: Action, change: Change, status_code: int, *,
                 if_match: int | None = None, idempotency: Idempotency | None = None) -> WriteResult:
        def authorize(plans: dict[UUID, Plan]) -> None:
            self.writes.plans.authorize(user, plans[plan_id], action)  # by role, or by a grant in force today

        def command(plans: dict[UUID, Plan], by: Stamp) -> WriteResult:
            plan = plans[plan_id]
            return write_answer(plan, status_code, change(plan, by))

        return self.writes.write(user, [plan_id], authorize, command, if_match=if_match, idempotency=idempotency)


def _in_entry(index: int, plan_id: UUID, error: LedgerError, named: str = "entries") -> LedgerError:
    """A refusal of one entry of a session, saying which entry it was."""
    if isinstance(error, InvalidInput):
        return InvalidInput([FieldError(f"{named}.{index}.{e.field}", e.message) for e in error.errors])
    if isinstance(error, RuleViolation):
        return RuleViolation(error.rule, f"{named}.{index} (plan {plan_id}): {error.detail}")
    return error


def _shared(error: InvalidInput, own: dict[str, Any]) -> bool:
    """Whether every field refused is one the entries share (not one of this entry's own)."""
    return all(e.field not in own for e in error.errors)
