"""A setting's saved groups (CONTRACT.md §8), and logging a session from one: the teaching assistant's most frequent
task, "Year 2 phonics, and who attended".

The setting's SENCO or an administrator makes, changes and retires its groups; its staff (teachers too) read them
and log their sessions. A group shows each member with the pupil's name and the provision's description, read from
the plans (the group itself holds ids only), so a group's answer is logged in each plan's access log, as a listing
of plans is. A session logged from a group is :meth:`PlanCommands.record_session` with one entry per member,
delivered for those who attended and missed for the others: the same events, rules and refusals as
``POST /v1/deliveries``, in one transaction.

For the pages: ``ledger.groups.list(user, urn)``, ``ledger.groups.get(user, urn, group_id)`` and
``ledger.groups.log_session(user, urn, group_id, date=..., attended=[...])``.
"""

from __future__ import annotations

import builtins
from typing import Any
from uuid import UUID, uuid4

from isp_ledger import access
from isp_ledger.access import Action, User
from isp_ledger.application.access_log import AccessLog, Reading, listed_in
from isp_ledger.application.base import Clock, Idempotency, WriteResult
from isp_ledger.application.commands import PlanCommands
from isp_ledger.application.plans import Plans
from isp_ledger.domain import delivery, groups, privacy
from isp_ledger.domain.errors import LedgerError, NotFound, RuleViolation
from isp_ledger.domain.groups import GroupChanged, GroupDraft
from isp_ledger.domain.plan import Plan
from isp_ledger.domain.stamp import london_date
from isp_ledger.storage.groups import GroupNameTaken, GroupStore, GroupVersionTaken, StoredGroup

ATTEMPTS = 5  # two changes of one group at once: the loser is made again on the winner's version


class Groups:
    def __init__(self, store: GroupStore, plans: Plans, commands: PlanCommands, access_log: AccessLog,
                 clock: Clock) -> None:
        self.store = store
        self.plans = plans
        self.commands = commands
        self.access_log = access_log
        self.clock = clock

    # ---------------------------------------------------------------- reading

    def list(self, user: User, setting_urn: str) -> list[dict[str, Any]]:
        """The setting's live groups, by name, each member shown (logged in each plan's access log)."""
        access.require_staff_of(user, setting_urn)
        live = self.store.live(setting_urn)
        return self._shown(user, live, listed_in("the setting's groups", setting_urn=setting_urn))

    def get(self, user: User, setting_urn: str, group_id: UUID) -> dict[str, Any]:
        """One group as it stands, retired or not."""
        access.require_staff_of(user, setting_urn)
        stored = self._group(setting_urn, group_id)
        return self._shown(user, [stored], listed_in(f"group {stored.group.name}", setting_urn=setting_urn,
                                                     group_id=group_id))[0]

    def history(self, user: User, setting_urn: str, group_id: UUID) -> builtins.list[dict[str, Any]]:
        """Every version of the group, newest first, as ids (the members as they were, without names). A plan
        named in it is logged as shown, as in a listing: its id says the pupil was in the group."""
        access.require_staff_of(user, setting_urn)
        current = self._group(setting_urn, group_id)
        versions = self.store.history(group_id)
        named = dict.fromkeys(plan_id for version in versions for plan_id, _ in version.group.members)
        seen = [plan_id for plan_id in named if self._visible(user, plan_id) is not None]
        self.access_log.listed(user, [(plan_id, None) for plan_id in seen], listed_in(
            f"the history of group {current.group.name}", setting_urn=setting_urn, group_id=group_id))
        return [_version(stored) for stored in versions]

    def _group(self, setting_urn: str, group_id: UUID) -> StoredGroup:
        stored = self.store.current(group_id)
        if stored is None or stored.setting_urn != setting_urn:
            raise NotFound(f"No group {group_id} in setting {setting_urn}")
        return stored

    def _shown(self, user: User, stored: builtins.list[StoredGroup],
               reading: Reading) -> builtins.list[dict[str, Any]]:
        today = self._today()
        plans: dict[UUID, Plan | None] = {}
        for group in stored:
            for plan_id, _ in group.group.members:
                if plan_id not in plans:
                    plans[plan_id] = self._visible(user, plan_id)
        seen = [plan_id for plan_id, plan in plans.items() if plan is not None]
        self.access_log.listed(user, [(plan_id, None) for plan_id in seen], reading)  # before it is shown
        return [{**_version(group), "members": [_member(plans[plan_id], plan_id, provision_id, today)
                                                for plan_id, provision_id in group.group.members]}
                for group in stored]

    def _visible(self, user: User, plan_id: UUID) -> Plan | None:
        """The plan, if the caller may see it and it can be read (else the member is shown by its ids alone)."""
        try:
            return self.plans.require_visible(user, plan_id)
        except LedgerError:
            return None

    # ---------------------------------------------------------------- changing

    def create(self, user: User, setting_urn: str, *, name: Any, members: Any, led_by: Any = None) -> dict[str, Any]:
        access.require_can_manage_setting(user, setting_urn, "its groups")
        draft = self._checked(user, setting_urn, name, members, led_by)
        stored = self._save(uuid4(), setting_urn, draft, None, user)
        return _version(stored)

    def change(self, user: User, setting_urn: str, group_id: UUID, *, name: Any, members: Any, led_by: Any = None,
               if_match: int | None = None) -> dict[str, Any]:
        """Replace the group's name, members and leader (a new version; unchanged, no new version)."""
        access.require_can_manage_setting(user, setting_urn, "its groups")
        self._live(setting_urn, group_id, if_match)  # a retired or changed group is refused before anything else
        draft = self._checked(user, setting_urn, name, members, led_by)
        return _version(self._next(user, setting_urn, group_id, if_match, draft))

    def retire(self, user: User, setting_urn: str, group_id: UUID, *, if_match: int | None = None) -> dict[str, Any]:
        """The group is no longer listed or used; it stays readable, with its history."""
        access.require_can_manage_setting(user, setting_urn, "its groups")
        return _version(self._next(user, setting_urn, group_id, if_match, None))

    def _next(self, user: User, setting_urn: str, group_id: UUID, if_match: int | None,
              draft: GroupDraft | None) -> StoredGroup:
        """Store the group's next version: ``draft``, or (``None``) the group retired. Without ``If-Match``, a change
        that another one beat to the version is made again on the group as it now stands (unless it was retired
        meanwhile); with it, it is refused (412)."""
        for _attempt in range(ATTEMPTS):
            current = self._live(setting_urn, group_id, if_match)
            if draft == current.group:
                return current  # nothing to change: no new version
            try:
                return self._save(group_id, setting_urn, draft or current.group, current, user,
                                  retired=draft is None)
            except GroupVersionTaken:
                continue
        raise RuleViolation("too_busy", f"Group {group_id} is being changed by many people at once; please try again")

    def _live(self, setting_urn: str, group_id: UUID, if_match: int | None) -> StoredGroup:
        current = self._group(setting_urn, group_id)
        if if_match is not None and if_match != current.version:
            raise GroupChanged(if_match, current.version)
        if current.retired:
            raise RuleViolation("group_retired", f"Group '{current.group.name}' was retired on "
                                                 f"{current.changed_at[:10]}; it can no longer be changed or used")
        return current

    def _checked(self, user: User, setting_urn: str, name: Any, members: Any, led_by: Any) -> GroupDraft:
        draft = groups.clean_group(name, members, led_by)
        today = self._today()
        for index, (plan_id, provision_id) in enumerate(draft.members):
            plan = self._visible(user, plan_id)
            if plan is None:
                raise groups.no_plan(index, setting_urn)
            groups.require_member(index, plan, provision_id, setting_urn, today)
        return draft

    def _save(self, group_id: UUID, setting_urn: str, draft: GroupDraft, after: StoredGroup | None, user: User,
              *, retired: bool = False) -> StoredGroup:
        try:
            return self.store.save(group_id, setting_urn, draft, after=after, retired=retired, by=user.actor,
                                   at=self.clock.now())
        except GroupNameTaken:
            raise RuleViolation("group_name_taken", f"Setting {setting_urn} already has a group named "
                                                    f"'{draft.name}'; choose another name") from None

    def _today(self) -> str:
        return london_date(self.clock.now()).isoformat()

    # ---------------------------------------------------------------- a session

    def log_session(self, user: User, setting_urn: str, group_id: UUID, *, date: Any, attended: Any,
                    starts_at: Any = None, minutes: Any = None, absent_reason: Any = None, note: Any = None,
                    delivered_by: Any = None, idempotency: Idempotency | None = None) -> WriteResult:
        """Record a session of the group: delivered for the members who ``attended`` (each ``{plan_id,
        provision_id}``), missed (``absent_reason``, by default ``pupil_absent``) for the others, each on its
        pupil's plan, all in one transaction or none. The answer is ``POST /v1/deliveries``'s, each entry with
        its ``status``; a refused member is named ``members.N``."""
        access.require_staff_of(user, setting_urn)
        access.require_role_may(user, Action.RECORD_DELIVERY)
        if replay := self.commands.writes.replay(user, idempotency):  # the same answer, whatever changed since
            return _answer(replay, group_id, groups.attending(attended))
        group = self._live(setting_urn, group_id, None)
        members = group.group.members
        statuses, reason = groups.register(members, attended, absent_reason)
        session = {"date": date, "starts_at": starts_at, "minutes": minutes, "note": note,
                   "delivered_by": delivered_by, "status": "delivered", "missed_reason": None}
        per_entry = [{"status": "delivered"} if status == "delivered"
                     else {"status": "missed", "missed_reason": reason, "minutes": None} for status in statuses]
        result = self.commands.record_session(
            user, entries=[{"plan_id": str(p), "provision_id": v} for p, v in members], session=session,
            per_entry=per_entry, named="members", idempotency=idempotency)
        return _answer(result, group_id, groups.attending(attended))


def _answer(result: WriteResult, group_id: UUID, present: set[groups.Member]) -> WriteResult:
    """``record_session``'s answer, naming the group, each entry with what it recorded."""
    entries = [{**entry, "status": "delivered" if (UUID(entry["plan_id"]), entry["provision_id"]) in present
                else "missed"} for entry in result.body["entries"]]
    return WriteResult(result.status_code, {**result.body, "group_id": str(group_id), "entries": entries},
                       result.replayed)

def _version(stored: StoredGroup) -> dict[str, Any]:
    return {"group_id": str(stored.group_id), "setting_urn": stored.setting_urn, "version": stored.version,
            **stored.group.as_json(), "retired": stored.retired, "changed_at": stored.changed_at,
            "changed_by": stored.changed_by}


def _member(plan: Plan | None, plan_id: UUID, provision_id: str, today: str) -> dict[str, Any]:
    """A member as the caller is shown it: with the pupil's name and the provision, if they may see the plan."""
    shown: dict[str, Any] = {"plan_id": str(plan_id), "provision_id": provision_id, "visible": plan is not None,
                             "pupil": None, "provision": None, "in_force": False, "not_in_force_because": None}
    if plan is None:
        return shown
    pupil = plan.state["pupil"]
    erased = privacy.is_erased(plan)
    item = plan.items.get(provision_id)
    refusal = ("plan_closed", "") if not plan.is_open else delivery.provision_refusal(plan, provision_id, today)
    return {**shown,
            "pupil": {"given_name": None if erased else pupil.get("given_name"),
                      "family_name": None if erased else pupil.get("family_name")},
            "provision": None if item is None else {"description": None if erased else item.get("description")},
            "in_force": refusal is None, "not_in_force_because": None if refusal is None else refusal[0]}
