"""The ledger application: commands and queries on plans, nothing HTTP.

Built on eventsourcing's ``Application``: the library's event store, repository and snapshots, with the
ledger's own mapper (hash-chained envelopes) and recorders (see ``storage/``). Each command loads the plan,
checks who is asking, runs one domain method and saves the events it produced in one transaction together
with their companions (UPN claims, idempotent responses).

Plans being written are cached in memory, and commands on one plan are serialised within this process. A
writer in another process is detected by the (plan, version) primary key: the command is then re-run on the
fresh plan, so concurrent writers never lose an update, and a command that no longer makes sense on the fresh
plan is refused rather than applied blindly. With ``If-Match`` there is no re-run: the caller is told.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, Application, Repository
from eventsourcing.persistence import EventStore
from eventsourcing.utils import Environment, EnvType

from isp_ledger import access
from isp_ledger.access import Action, User
from isp_ledger.config import Settings
from isp_ledger.domain import delivery
from isp_ledger.domain.calendar import WEEKDAYS_ONLY, SchoolCalendar, clean_calendar
from isp_ledger.domain.diff import diff_documents
from isp_ledger.domain.diff import is_empty as diff_is_empty
from isp_ledger.domain.errors import (
    FieldError,
    IdempotencyMismatch,
    InvalidInput,
    Forbidden,
    LedgerError,
    NotFound,
    RuleViolation,
    StaleVersion,
)
from isp_ledger.domain.plan import Plan
from isp_ledger.domain.stamp import Stamp, format_instant, is_backdated
from isp_ledger.domain.view import plan_document
from isp_ledger.storage.accounts import UserRecord
from isp_ledger.storage.calendars import CalendarStore
from isp_ledger.storage.chain import GENESIS_HASH, Verification, unseal, verify_chain
from isp_ledger.storage.companions import (
    ClaimUpn,
    Companion,
    IdempotencyKeyTaken,
    ReleaseUpn,
    RememberResponse,
    UpnTaken,
    VersionConflict,
)
from isp_ledger.storage.factory import PERSISTENCE_MODULE, LedgerFactory
from isp_ledger.storage.keys import KeyRing
from isp_ledger.storage.mapper import ChainedMapper
from isp_ledger.snapshotting import Snapshotter
from isp_ledger.storage.headlog import LogCheck
from isp_ledger.storage.signing import ReceiptCheck, Signer, check_signature, check_statement
from isp_ledger.storage.transparency import PlanAudit, check_plan, check_removed_plan
from isp_ledger.storage.snapshots import SnapshotStore
from isp_ledger.users import check_new_user

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8


class Clock(Protocol):
    def now(self) -> dt.datetime: ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.timezone.utc)


class RecordDamaged(LedgerError):
    """The stored history of a plan cannot be read back: it was altered outside the ledger."""

    title = "The stored record is damaged"

    @classmethod
    def reading(cls, plan_id: UUID, error: Exception) -> RecordDamaged:
        what = f"{error.__class__.__name__}: {error}" if str(error) else error.__class__.__name__
        return cls(f"The stored history of plan {plan_id} cannot be read back ({what}); it was altered outside "
                   f"the ledger. GET /v1/plans/{plan_id}/verify names the first altered version")


@dataclass(frozen=True)
class Idempotency:
    key: str
    fingerprint: str  # of the whole request: method, path and canonical body


@dataclass(frozen=True)
class WriteResult:
    status_code: int
    body: dict[str, Any]
    replayed: bool = False


Command = Callable[[Plan, Stamp], str | None]


class Ledger(Application[UUID]):
    """isp-ledger's application object. Construct with an environment (``ISP_LEDGER_*`` variables)."""

    name = "isp_ledger"

    def __init__(self, env: EnvType | None = None, *, clock: Clock | None = None) -> None:
        self.clock = clock or SystemClock()
        super().__init__(env)
        self.factory: LedgerFactory
        self.settings: Settings = self.factory.settings
        self.accounts = self.factory.accounts
        self.calendars = CalendarStore(self.factory.datastore)
        self.keys = KeyRing(self.settings.key_dir)
        self._upn_key_secret = self.keys.secret("upn-index")
        self.signer = Signer(self.keys)
        # Each OrderedDict operation is atomic under the GIL; the cache needs no lock of its own.
        self._cache: OrderedDict[UUID, Plan] = OrderedDict()
        self._locks = PlanLocks()
        # The latest write in this process (and each user's), so that reads answered by this process can wait
        # for the read models to show what it has acknowledged.
        self.last_writes: dict[str, tuple[UUID, int]] = {}
        self.last_write: tuple[UUID, int] | None = None
        assert self.snapshots is not None
        self.snapshotter = Snapshotter(self.snapshots)

    # ---------------------------------------------------------------- library wiring

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        environment = super().construct_env(name, env)
        environment["PERSISTENCE_MODULE"] = PERSISTENCE_MODULE
        return environment

    def construct_factory(self, env: Environment) -> LedgerFactory:
        return LedgerFactory(env)

    def construct_mapper(self) -> ChainedMapper:
        return ChainedMapper(transcoder=self.construct_transcoder())

    def construct_snapshot_store(self) -> EventStore[UUID]:
        recorder = self.factory.aggregate_recorder("snapshots")
        return SnapshotStore(recorder)

    def close(self) -> None:
        self.snapshotter.close()
        super().close()

    def construct_repository(self) -> Repository[UUID]:
        return Repository(event_store=self.events, snapshot_store=self.snapshots)

    # ---------------------------------------------------------------- users

    def add_user(self, *, name: str, role: str, setting_urn: str | None = None) -> tuple[User, str]:
        user = check_new_user(name=name, role=role, setting_urn=setting_urn)
        token = access.new_token()
        self.accounts.add_user(
            UserRecord(user.user_id, user.name, user.role, user.setting_urn), access.token_digest(token)
        )
        return user, token

    def authenticate(self, token: str) -> User | None:
        record = self.accounts.user_by_token_hash(access.token_digest(token))
        if record is None:
            return None
        return User(record.user_id, record.name, record.role, record.setting_urn)

    # ---------------------------------------------------------------- commands

    def open_plan(
        self, user: User, *, pupil: dict[str, Any], setting_urn: str, tier: str, ehcp_reference: str | None = None,
        next_review_due: Any = None, agreed_on: Any = None, idempotency: Idempotency | None = None,
    ) -> WriteResult:
        access.require_can_open(user, setting_urn)
        if idempotency and (replay := self._replay(user, idempotency)):
            return replay
        plan = Plan.open(
            self._stamp(user), pupil=pupil, setting_urn=setting_urn, tier=tier, ehcp_reference=ehcp_reference,
            next_review_due=next_review_due, agreed_on=agreed_on,
        )
        result = self._result(plan, 201, None)
        companions: list[Companion] = [ClaimUpn(self.upn_key(plan.upn), plan.id)]
        try:
            with self._locks.of(plan.id):
                self._save(plan, companions, user, idempotency, result)
                self._cache_put(plan)
        except UpnTaken:
            existing = self.accounts.open_plan_for(self.upn_key(plan.upn))
            raise RuleViolation(
                "one_open_plan_per_upn",
                f"Pupil {plan.upn} already has an open plan"
                + (f" ({existing}); amend that plan, or close it first" if existing else ""),
            ) from None
        except IdempotencyKeyTaken:
            return self._replay_after_race(user, idempotency)
        self._note_write(user, plan)
        return result

    def change_tier(self, user: User, plan_id: UUID, *, tier: str, ehcp_reference: str | None, reason: str,
                    agreed_on: Any = None, **options: Any) -> WriteResult:
        def command(plan: Plan, by: Stamp) -> None:
            plan.change_tier(by, tier=tier, ehcp_reference=ehcp_reference, reason=reason, agreed_on=agreed_on)

        return self._execute(user, plan_id, Action.EDIT, command, 200, **options)

    def add_item(self, user: User, plan_id: UUID, section: str, fields: dict[str, Any], *,
                 agreed_on: Any = None, reason: str | None = None, **options: Any) -> WriteResult:
        return self._execute(
            user, plan_id, Action.EDIT,
            lambda plan, by: plan.add_item(by, section, fields, agreed_on=agreed_on, reason=reason), 201, **options,
        )

    def amend_item(self, user: User, plan_id: UUID, section: str, item_id: str, changes: dict[str, Any], *,
                   agreed_on: Any = None, reason: str | None = None, **options: Any) -> WriteResult:
        def command(plan: Plan, by: Stamp) -> None:
            plan.amend_item(by, section, item_id, changes, agreed_on=agreed_on, reason=reason)

        return self._execute(user, plan_id, Action.EDIT, command, 200, **options)

    def end_item(self, user: User, plan_id: UUID, section: str, item_id: str, *, reason: str,
                 outcome: str | None = None, agreed_on: Any = None, **options: Any) -> WriteResult:
        def command(plan: Plan, by: Stamp) -> None:
            plan.end_item(by, section, item_id, reason=reason, outcome=outcome, agreed_on=agreed_on)

        return self._execute(user, plan_id, Action.EDIT, command, 200, **options)

    def pause_item(self, user: User, plan_id: UUID, section: str, item_id: str, *, reason: str,
                   until: Any = None, agreed_on: Any = None, **options: Any) -> WriteResult:
        def command(plan: Plan, by: Stamp) -> None:
            plan.pause_item(by, section, item_id, reason=reason, until=until, agreed_on=agreed_on)

        return self._execute(user, plan_id, Action.EDIT, command, 200, **options)

    def resume_item(self, user: User, plan_id: UUID, section: str, item_id: str, *, reason: str | None = None,
                    agreed_on: Any = None, **options: Any) -> WriteResult:
        def command(plan: Plan, by: Stamp) -> None:
            plan.resume_item(by, section, item_id, reason=reason, agreed_on=agreed_on)

        return self._execute(user, plan_id, Action.EDIT, command, 200, **options)

    def record_progress(self, user: User, plan_id: UUID, outcome_id: str, fields: dict[str, Any],
                        **options: Any) -> WriteResult:
        return self._execute(
            user, plan_id, Action.RECORD_PROGRESS,
            lambda plan, by: plan.record_progress(by, outcome_id, fields), 201, **options,
        )

    def hold_review(self, user: User, plan_id: UUID, fields: dict[str, Any], **options: Any) -> WriteResult:
        return self._execute(user, plan_id, Action.EDIT, lambda plan, by: plan.hold_review(by, fields), 201, **options)

    def record_contribution(self, user: User, plan_id: UUID, fields: dict[str, Any], *, agreed_on: Any = None,
                            **options: Any) -> WriteResult:
        return self._execute(
            user, plan_id, Action.RECORD_CONTRIBUTION,
            lambda plan, by: plan.record_contribution(by, fields, agreed_on=agreed_on), 201, **options,
        )

    def record_acknowledgement(self, user: User, plan_id: UUID, fields: dict[str, Any], *, agreed_on: Any = None,
                               **options: Any) -> WriteResult:
        return self._execute(
            user, plan_id, Action.RECORD_ACKNOWLEDGEMENT,
            lambda plan, by: plan.record_acknowledgement(by, fields, agreed_on=agreed_on), 201, **options,
        )

    def correct(self, user: User, plan_id: UUID, *, event_id: str, reason: str, changes: dict[str, Any],
                **options: Any) -> WriteResult:
        def command(plan: Plan, by: Stamp) -> None:
            plan.correct(by, event_id=event_id, reason=reason, changes=changes)

        return self._execute(user, plan_id, Action.CORRECT, command, 201, **options)

    def close_plan(self, user: User, plan_id: UUID, *, reason: str, agreed_on: Any = None,
                   **options: Any) -> WriteResult:
        return self._execute(
            user, plan_id, Action.EDIT, lambda plan, by: plan.close(by, reason=reason, agreed_on=agreed_on), 200,
            **options,
        )

    def record_session(self, user: User, *, entries: list[dict[str, Any]], session: dict[str, Any],
                       idempotency: Idempotency | None = None) -> WriteResult:
        """Record one session of provision (CONTRACT.md §8) for each entry, a pupil's plan and provision: every
        entry in one transaction, or none.

        Each entry becomes a ``SessionRecorded`` event on its plan, sharing a ``session_id``. The plans are locked
        together (in stripe order, so two group sessions never deadlock), every entry is checked before anything
        is stored, and the events of all the plans go to the store in one write, each chained to its own plan.
        A refused entry is named by its place in ``entries``.
        """
        access.require_role_may(user, Action.RECORD_DELIVERY)
        targets = delivery.clean_entries(entries)
        delivery.clean_session(session, self._stamp(user).today.isoformat())  # the shared fields, named once
        if idempotency and (replay := self._replay(user, idempotency)):
            return replay
        plan_ids = list(dict.fromkeys(plan_id for plan_id, _ in targets))
        session_id = str(uuid4())
        for _attempt in range(MAX_ATTEMPTS):
            with self._locks.of_all(plan_ids):
                plans = {plan_id: self._cached_or_loaded(plan_id) for plan_id in plan_ids}
                for plan_id, plan in plans.items():
                    access.require(user, plan.setting_urn, Action.RECORD_DELIVERY, plan_id)
                by = self._stamp(user)
                recorded = []
                try:
                    for index, (plan_id, provision_id) in enumerate(targets):
                        try:
                            plans[plan_id].record_session(by, provision_id, session, session_id)
                        except LedgerError as e:
                            raise _in_entry(index, plan_id, e) from None
                        recorded.append((provision_id, plans[plan_id].pending_events[-1]))
                except Exception:
                    self._evict_all(plans)  # entries before the refused one changed their plans: never keep that
                    raise
                result = WriteResult(201, {"session_id": session_id, "entries": [
                    {"plan_id": str(event.originator_id), "provision_id": provision_id,
                     "version": event.originator_version, "event_id": event.event_id,  # type: ignore[attr-defined]
                     "recorded_at": event.recorded_at}  # type: ignore[attr-defined]
                    for provision_id, event in recorded
                ]})
                try:
                    self._save_all(list(plans.values()), user, idempotency, result)
                except VersionConflict:
                    self._evict_all(plans)
                    continue  # another process wrote to one of the plans first: run the whole session again
                except IdempotencyKeyTaken:
                    self._evict_all(plans)
                    return self._replay_after_race(user, idempotency)
                except BaseException:
                    self._evict_all(plans)
                    raise
                for plan in plans.values():
                    self._note_write(user, plan)
                return result
        raise RuleViolation("too_busy", "These plans are being changed by many writers at once; please try again")

    def _save_all(self, plans: list[Plan], user: User, idempotency: Idempotency | None,
                  result: WriteResult) -> None:
        """Store the pending events of several plans in one write: all of them, or (on a conflict) none."""
        stored = []
        heads = []
        for plan in plans:
            head = plan.head_hash
            for event in plan.collect_events():
                stored_event, head = self.mapper.seal(event, head)
                stored.append(stored_event)
            heads.append(head)
        companions: list[Companion] = []
        if idempotency is not None:
            companions.append(RememberResponse(user.user_id, idempotency.key, idempotency.fingerprint,
                                               result.status_code, json.dumps(result.body).encode()))
        self.recorder.insert_events(stored, companions=companions)
        for plan, head in zip(plans, heads, strict=True):
            plan.head_hash = head
            self._snapshot_if_due(plan)

    def _evict_all(self, plans: dict[UUID, Plan]) -> None:
        for plan_id in plans:
            self._cache_evict(plan_id)

    # ---------------------------------------------------------------- school calendars

    def setting_calendar(self, user: User, setting_urn: str) -> dict[str, Any]:
        """The setting's calendar as it stands (version 0, weekdays only, if none was ever set)."""
        access.require_staff_of(user, setting_urn)
        stored = self.calendars.current(setting_urn)
        if stored is None:
            return {"setting_urn": setting_urn, "version": 0, **WEEKDAYS_ONLY.as_json(), "changed_at": None,
                    "changed_by": None}
        return stored.as_json()

    def set_calendar(self, user: User, setting_urn: str, *, holidays: Any, closures: Any) -> dict[str, Any]:
        access.require_can_manage_setting(user, setting_urn)
        calendar = clean_calendar(holidays, closures)
        return self.calendars.set(setting_urn, calendar, user.actor, self.clock.now()).as_json()

    def calendar_history(self, user: User, setting_urn: str) -> list[dict[str, Any]]:
        access.require_staff_of(user, setting_urn)
        return [stored.as_json() for stored in self.calendars.history(setting_urn)]

    def school_calendar(self, setting_urn: str) -> SchoolCalendar:
        """The calendar the reports use for a setting: its current one."""
        stored = self.calendars.current(setting_urn)
        return stored.calendar if stored is not None else WEEKDAYS_ONLY

    # ---------------------------------------------------------------- queries

    def plan_document(self, user: User, plan_id: UUID, *, as_of: dt.date | None = None,
                      as_at: dt.datetime | None = None) -> dict[str, Any]:
        plan = self._plan_at(plan_id, as_at) if as_at is not None else self._current(plan_id)
        access.require(user, plan.setting_urn, Action.READ, plan_id)
        document = plan_document(plan, as_of.isoformat() if as_of else None)
        if document is None:
            raise NotFound(f"Plan {plan_id} had not been opened by {as_of}")
        document["as_at"] = format_instant(as_at) if as_at is not None else None
        return document

    def plan_diff(self, user: User, plan_id: UUID, start: int | dt.datetime | None,
                  end: int | dt.datetime | None) -> dict[str, Any]:
        """What changed in the record between two points, each a version or an instant (``None``: before the
        plan was opened for ``start``, as it stands now for ``end``)."""
        current = self.require_visible(user, plan_id)
        points = []
        for name, point in (("from", start), ("to", end)):
            if isinstance(point, int) and point > current.version:
                raise InvalidInput.field(name, f"the plan has only {current.version} versions")
            points.append(self._plan_at_point(plan_id, point) if point is not None else None)
        before, after = points[0], points[1] if end is not None else current
        if after is None:
            raise InvalidInput.field("to", "the plan had not been recorded by then")
        if before is not None and before.version > after.version:
            raise InvalidInput.field("from", "must not be after 'to'")
        changes = diff_documents(plan_document(before) if before is not None else None, plan_document(after))
        return {
            "plan_id": str(plan_id),
            "from": _point(before),
            "to": _point(after),
            "changed": not diff_is_empty(changes),
            "changes": changes,
        }

    def _plan_at_point(self, plan_id: UUID, point: int | dt.datetime) -> Plan | None:
        """The plan as recorded at a version or an instant; ``None`` if it had not been opened by then."""
        if isinstance(point, int):
            if point < 1:
                return None
            try:
                plan: Plan = self.repository.get(plan_id, version=point, projector_func=replay)
            except Exception as e:
                raise RecordDamaged.reading(plan_id, e) from e
            return plan
        try:
            return self._plan_at(plan_id, point)
        except NotFound:
            return None

    def plan_events(self, user: User, plan_id: UUID) -> list[dict[str, Any]]:
        self.require_visible_record(user, plan_id)
        events = []
        for stored in self.recorder.select_events(plan_id):
            try:
                envelope = unseal(stored.state)
                envelope["backdated"] = is_backdated(envelope["agreed_on"], envelope["recorded_at"])
            except (ValueError, KeyError, TypeError) as e:
                envelope = {"version": stored.originator_version, "damaged": True,
                            "detail": f"stored event cannot be read ({e.__class__.__name__}); run verify"}
            events.append(envelope)
        return events

    def verify(self, user: User | None, plan_id: UUID) -> Verification:
        """Check the plan's hash chain, then the plan against the transparency log (which catches events removed
        from the end); ``user`` None is the operator at the command line."""
        if user is not None:
            try:
                self.require_visible_record(user, plan_id)
            except NotFound:
                if user.role != "admin":  # an administrator may still learn that every event was removed
                    raise
        return self._verified(plan_id)[1]

    def _verified(self, plan_id: UUID) -> tuple[PlanAudit, Verification]:
        audit = self.factory.head_log.audit(plan_id)
        if not audit.rows:
            removed = check_removed_plan(str(plan_id), audit)
            if removed is None:
                raise NotFound(f"No plan {plan_id}")
            return audit, removed
        chain = verify_chain(str(plan_id), audit.rows)
        return audit, check_plan(str(plan_id), chain, audit) if chain.ok else chain

    def receipt(self, user: User, plan_id: UUID) -> dict[str, Any]:
        """A signed receipt for the plan's head, once the plan verifies (the service never vouches for a damaged
        record), with the signed transparency log entry that records that head."""
        return self.signed_head(user, plan_id)[0]

    def signed_head(self, user: User, plan_id: UUID) -> tuple[dict[str, Any], list[bytes]]:
        """The receipt (as :meth:`receipt`) and the stored events it vouches for, exactly as verified."""
        self.require_visible(user, plan_id)
        audit, verification = self._verified(plan_id)
        sequencer = getattr(self.recorder, "sequencer", None)
        if verification.ok and verification.log_version != verification.head_version and sequencer is not None:
            sequencer.number_pending()  # PostgreSQL: log the head now rather than at the next pass
            audit, verification = self._verified(plan_id)
        if not verification.ok:
            raise RecordDamaged(f"Plan {plan_id} does not verify ({verification.detail}); no receipt was signed")
        assert verification.head_version is not None and verification.head_hash is not None
        receipt = self.signer.receipt(plan_id=str(plan_id), version=verification.head_version,
                                      head_hash=verification.head_hash,
                                      recorded_at=unseal(audit.rows[-1][1])["recorded_at"])
        entry = next((e for e in audit.entries if e.position == verification.log_position), None)
        if entry is not None and entry.version == verification.head_version:
            receipt["log_entry"] = self.signer.statement("isp-ledger log entry", entry.as_dict())
        return receipt, [bytes(state) for _, state in audit.rows]

    def check_receipt(self, user: User, receipt: dict[str, Any]) -> ReceiptCheck:
        """Whether a receipt we signed still holds: the history up to it unchanged, nothing after it removed."""
        signature = check_signature(receipt, self.signer.public_key)
        if not signature.ok:
            return signature
        try:
            plan_id = UUID(str(receipt["plan_id"]))
        except ValueError:
            return ReceiptCheck(False, "the receipt names no plan")
        self.require_visible_record(user, plan_id)
        version = receipt["version"]
        rows = self._stored_rows(plan_id)
        if not rows or rows[-1][0] < version:  # a gap in the middle is for the chain check to name
            return ReceiptCheck(False, f"the plan now ends before version {version}, which this receipt vouches "
                                       "for: events were removed from the end of its history")
        verification = verify_chain(str(plan_id), [r for r in rows if r[0] <= version])
        if not verification.ok:
            return ReceiptCheck(False, f"the history up to the receipt was altered: {verification.detail}")
        if verification.head_hash != receipt["head_hash"]:
            return ReceiptCheck(False, f"version {version} no longer has the hash the receipt vouches for: the "
                                       "history up to it was rewritten")
        return ReceiptCheck(True, f"the history up to version {version} is unchanged, and the plan now has "
                                  f"{len(rows)} versions")

    def log_head(self) -> dict[str, Any]:
        """The transparency log's latest position and entry hash, signed: held outside the service, it later
        shows whether the log (and with it the plans' heads) was cut back or rewritten before that position."""
        entry = self.factory.head_log.head()
        return self.signer.statement("isp-ledger log head", {
            "position": entry.position if entry else 0,
            "entry_hash": entry.entry_hash if entry else GENESIS_HASH,
            "recorded_at": entry.recorded_at if entry else None,
            "signed_at": format_instant(self.clock.now()),
        })

    def check_log(self, user: User | None, held: dict[str, Any] | None = None) -> LogCheck:
        """Check the whole transparency log, and every plan's stored head against it; with ``held`` (a signed log
        head, or a receipt's log entry), also that the log still holds that entry. Administrators only (and the
        operator, ``user`` None): the answer names plans."""
        if user is not None and user.role != "admin":
            raise Forbidden("Only an administrator may check the whole transparency log")
        position, entry_hash = None, None
        if held is not None:
            signature = check_statement(held, self.signer.public_key)
            position, entry_hash = held.get("position"), held.get("entry_hash")
            if signature.ok and not (isinstance(position, int) and isinstance(entry_hash, str)):
                signature = ReceiptCheck(False, "the statement names no log position and entry hash")
            if not signature.ok:
                refused = LogCheck()
                refused.fail(signature.detail)
                return refused
        held_entry = (position, entry_hash) if isinstance(position, int) and isinstance(entry_hash, str) else None
        return self.factory.head_log.check(held_entry if position else None)

    def _stored_rows(self, plan_id: UUID) -> list[tuple[int, bytes]]:
        """The plan's stored events as ``(version, state)``, in version order, exactly as stored."""
        return [(s.originator_version, s.state) for s in self.recorder.select_events(plan_id)]

    def require_visible_record(self, user: User, plan_id: UUID) -> None:
        """Access to a plan's stored record (its events, its verification) even when the plan cannot be folded:
        a damaged record must stay inspectable by those entitled to see it. Who that is comes from the setting
        the record names; if even that cannot be read, only an administrator may look."""
        try:
            self.require_visible(user, plan_id)
        except RecordDamaged:
            setting_urn = self._stored_setting(plan_id)
            if setting_urn is None:
                if user.role != "admin":
                    raise NotFound(f"No plan {plan_id}") from None
                return
            access.require(user, setting_urn, Action.READ, plan_id)

    def _stored_setting(self, plan_id: UUID) -> str | None:
        for stored in self.recorder.select_events(plan_id, limit=1):
            with suppress(ValueError, KeyError, TypeError, AttributeError):
                event = unseal(stored.state)
                if event.get("type") == "PlanOpened":
                    return str(event["data"]["setting_urn"])
        return None

    def require_visible(self, user: User, plan_id: UUID) -> Plan:
        plan = self._current(plan_id)
        access.require(user, plan.setting_urn, Action.READ, plan_id)
        return plan

    def upn_key(self, upn: str) -> str:
        """The open-plan index holds a keyed digest of the UPN, never the UPN itself."""
        return hmac.new(self._upn_key_secret, upn.encode(), hashlib.sha256).hexdigest()

    # ---------------------------------------------------------------- the write path

    def _execute(self, user: User, plan_id: UUID, action: Action, command: Command, status_code: int, *,
                 if_match: int | None = None, idempotency: Idempotency | None = None) -> WriteResult:
        if idempotency and (replay := self._replay(user, idempotency)):
            return replay
        for _attempt in range(MAX_ATTEMPTS):
            with self._locks.of(plan_id):
                plan = self._cached_or_loaded(plan_id)
                access.require(user, plan.setting_urn, action, plan_id)
                if if_match is not None and plan.version != if_match:
                    raise StaleVersion(if_match, plan.version)
                upn_before = plan.upn
                try:
                    item_id = command(plan, self._stamp(user))
                except Exception:
                    if plan.pending_events:  # a command that failed part-way: never keep its state
                        self._cache_evict(plan_id)
                    raise
                result = self._result(plan, status_code, item_id)
                companions = self._upn_companions(plan, upn_before)
                try:
                    self._save(plan, companions, user, idempotency, result)
                except VersionConflict:
                    self._cache_evict(plan_id)
                    if if_match is not None:
                        raise StaleVersion(if_match, self._current(plan_id).version) from None
                    continue  # another process wrote first: run the command again on the fresh plan
                except IdempotencyKeyTaken:
                    self._cache_evict(plan_id)
                    return self._replay_after_race(user, idempotency)
                except UpnTaken:
                    self._cache_evict(plan_id)
                    raise RuleViolation("one_open_plan_per_upn", f"Pupil {plan.upn} already has an open plan") from None
                except BaseException:
                    self._cache_evict(plan_id)
                    raise
                self._note_write(user, plan)
                return result
        raise RuleViolation("too_busy", "The plan is being changed by many writers at once; please try again")

    def _note_write(self, user: User, plan: Plan) -> None:
        self.last_writes[user.user_id] = self.last_write = (plan.id, plan.version)

    def _upn_companions(self, plan: Plan, upn_before: str) -> list[Companion]:
        if not plan.is_open:
            return [ReleaseUpn(self.upn_key(upn_before), plan.id)]
        if plan.upn != upn_before:  # the UPN itself was corrected
            return [ReleaseUpn(self.upn_key(upn_before), plan.id), ClaimUpn(self.upn_key(plan.upn), plan.id)]
        return []

    def _save(self, plan: Plan, companions: list[Companion], user: User, idempotency: Idempotency | None,
              result: WriteResult) -> None:
        if idempotency is not None:
            companions = [*companions, RememberResponse(
                user.user_id, idempotency.key, idempotency.fingerprint, result.status_code,
                json.dumps(result.body).encode(),
            )]
        events = plan.collect_events()
        stored = []
        head = plan.head_hash
        for event in events:
            stored_event, head = self.mapper.seal(event, head)
            stored.append(stored_event)
        self.recorder.insert_events(stored, companions=companions)
        plan.head_hash = head
        self._snapshot_if_due(plan)

    def _snapshot_if_due(self, plan: Plan) -> None:
        # Snapshot every `snapshot_interval` events, and less often as a plan grows: a snapshot costs time in
        # proportion to the plan's size, so spacing them by a fraction of the version keeps that cost per
        # event constant, while a load never replays more than an eighth of the plan after its snapshot.
        if plan.version - plan.snapshot_version >= max(self.settings.snapshot_interval, plan.version // 8):
            self._snapshot(plan)

    def _snapshot(self, plan: Plan) -> None:
        plan.snapshot_version = plan.version
        self.snapshotter.take(plan)

    def _result(self, plan: Plan, status_code: int, item_id: str | None) -> WriteResult:
        last = plan.pending_events[-1]
        body = {
            "plan_id": str(plan.id),
            "version": last.originator_version,
            "event_id": last.event_id,  # type: ignore[attr-defined]
            "recorded_at": format_instant(last.timestamp),  # type: ignore[attr-defined]
        }
        if item_id is not None:
            body["item_id"] = item_id
        return WriteResult(status_code, body)

    def _replay(self, user: User, idempotency: Idempotency) -> WriteResult | None:
        remembered = self.accounts.remembered_response(user.user_id, idempotency.key)
        if remembered is None:
            return None
        if remembered.fingerprint != idempotency.fingerprint:
            raise IdempotencyMismatch()
        return WriteResult(remembered.status_code, json.loads(remembered.body), replayed=True)

    def _replay_after_race(self, user: User, idempotency: Idempotency | None) -> WriteResult:
        assert idempotency is not None
        replay = self._replay(user, idempotency)
        assert replay is not None, "the key's row committed before our conflict"
        return replay

    def _stamp(self, user: User) -> Stamp:
        return Stamp(user.actor, self.clock.now())

    # ---------------------------------------------------------------- loading plans

    def _cached_or_loaded(self, plan_id: UUID) -> Plan:
        """The plan to run a command on (the caller holds its lock): cached, or loaded from the store."""
        plan = self._cache.get(plan_id)
        if plan is not None:
            with suppress(KeyError):  # evicted meanwhile by another thread: still ours to use
                self._cache.move_to_end(plan_id)
            return plan
        plan = self._load(plan_id)
        self._cache_put(plan)
        return plan

    def _current(self, plan_id: UUID) -> Plan:
        """The plan as stored now, including writes by other processes."""
        with self._locks.of(plan_id):
            plan = self._cached_or_loaded(plan_id)
            try:
                for event in self.events.get(plan_id, gt=plan.version):
                    event.mutate(plan)  # type: ignore[attr-defined]
            except Exception as e:
                self._cache_evict(plan_id)
                raise RecordDamaged.reading(plan_id, e) from e
            return plan

    def _load(self, plan_id: UUID) -> Plan:
        try:
            plan: Plan = self.repository.get(plan_id, projector_func=replay)
        except AggregateNotFoundError:
            raise NotFound(f"No plan {plan_id}") from None
        except Exception as e:
            raise RecordDamaged.reading(plan_id, e) from e
        return plan

    def _plan_at(self, plan_id: UUID, instant: dt.datetime) -> Plan:
        """The plan exactly as the record stood at ``instant``: only events recorded by then."""
        plan: Plan | None = None
        try:
            assert self.snapshots is not None
            for snapshot in self.snapshots.get(plan_id, desc=True):
                if snapshot.state["_modified_on"] <= instant:  # type: ignore[attr-defined]
                    plan = snapshot.mutate(None)  # type: ignore[attr-defined]
                    break
            for event in self.events.get(plan_id, gt=plan.version if plan else None):
                if event.timestamp > instant:  # type: ignore[attr-defined]
                    break
                plan = event.mutate(plan)  # type: ignore[attr-defined]
        except LedgerError:
            raise
        except Exception as e:
            raise RecordDamaged.reading(plan_id, e) from e
        if plan is None:
            self.require_exists(plan_id)
            raise NotFound(f"Plan {plan_id} had not been recorded by {format_instant(instant)}")
        return plan

    def require_exists(self, plan_id: UUID) -> None:
        if not self.recorder.select_events(plan_id, limit=1):
            raise NotFound(f"No plan {plan_id}")

    # ---------------------------------------------------------------- the cache

    def _cache_put(self, plan: Plan) -> None:
        self._cache[plan.id] = plan
        with suppress(KeyError):
            self._cache.move_to_end(plan.id)
            while len(self._cache) > self.settings.plan_cache_size:
                self._cache.popitem(last=False)

    def _cache_evict(self, plan_id: UUID) -> None:
        self._cache.pop(plan_id, None)


def _in_entry(index: int, plan_id: UUID, error: LedgerError) -> LedgerError:
    """A refusal of one entry of a session, saying which entry it was."""
    if isinstance(error, InvalidInput):
        return InvalidInput([FieldError(f"entries.{index}.{e.field}", e.message) for e in error.errors])
    if isinstance(error, RuleViolation):
        return RuleViolation(error.rule, f"entries.{index} (plan {plan_id}): {error.detail}")
    return error


def _point(plan: Plan | None) -> dict[str, Any]:
    if plan is None:
        return {"version": 0, "recorded_at": None}
    return {"version": plan.version, "recorded_at": format_instant(plan.modified_on)}


class PlanLocks:
    """Serialises commands on one plan within this process.

    A fixed set of re-entrant locks, chosen by the plan's id: nothing to create or clean up per plan, and no
    lock shared by every command. Two plans may share a stripe, which only makes them take turns. Several
    plans are locked in stripe order, so that two multi-plan commands can never deadlock.
    """

    STRIPES = 1024

    def __init__(self) -> None:
        self._stripes = [threading.RLock() for _ in range(self.STRIPES)]

    def of(self, plan_id: UUID) -> threading.RLock:
        return self._stripes[plan_id.int % self.STRIPES]

    @contextmanager
    def of_all(self, plan_ids: Iterable[UUID]) -> Iterator[None]:
        with ExitStack() as stack:
            for index in sorted({p.int % self.STRIPES for p in plan_ids}):
                stack.enter_context(self._stripes[index])
            yield


def replay(plan: Plan | None, events: Iterable[Any]) -> Plan | None:
    """Apply stored events in order (the library's default also re-checks each event's type at run time,
    which costs more than applying it)."""
    for event in events:
        plan = event.mutate(plan)
    return plan
