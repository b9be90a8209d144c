"""A setting's saved groups (CONTRACT.md §8): pupils' provisions that meet together ("Year 2 phonics, Tue/Thu"),
so that a session is logged from one list of names.

A group is the setting's own record, not an entry in any plan's history: it holds only ids (each member is a plan
and one of its provisions), its name and who leads it (the setting's words, not a pupil's data: CONTRACT.md §11
keeps a pupil's name out of anything stored in clear, so names are shown by reading the plans). What a member must
be when the group is made or changed (an open plan of the setting, a provision in force today) is checked here
against the plan as loaded; a session logged from a group is recorded on each plan by the rules of sessions
(``delivery.py``), which this module does not repeat: it only turns a register (who attended) into one session per
member, delivered or missed.
"""

from __future__ import annotations

import unicodedata
import uuid
from dataclasses import dataclass
from typing import Any

from isp_ledger.domain import delivery
from isp_ledger.domain.codes import MISSED_REASONS
from isp_ledger.domain.errors import InvalidInput, RuleViolation, StaleVersion
from isp_ledger.domain.state import PlanState
from isp_ledger.domain.validation import SHORT_TEXT, Checker, Choice, Text

MAX_MEMBERS = 30
NAME = Text(100)
LED_BY = Text(SHORT_TEXT, required=False)
ABSENT_REASON = Choice(MISSED_REASONS, required=False)
DEFAULT_ABSENT_REASON = "pupil_absent"

Member = tuple[uuid.UUID, str]  # a plan and one of its provisions


class GroupChanged(StaleVersion):
    """``If-Match`` named a version the group is no longer at (someone else changed it first)."""

    title = "The group has changed"

    def __init__(self, expected: int, actual: int) -> None:
        super().__init__(expected, actual)
        self.detail = (f"If-Match asked for version {expected} but the group is at version {actual}; reload the "
                       "group and try again")
        self.args = (self.detail,)


@dataclass(frozen=True)
class GroupDraft:
    """A group's fields as they will be kept."""

    name: str
    members: list[Member]
    led_by: str | None

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "led_by": self.led_by,
                "members": [{"plan_id": str(plan_id), "provision_id": provision_id}
                            for plan_id, provision_id in self.members]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GroupDraft:
        return cls(str(data["name"]), [(uuid.UUID(m["plan_id"]), str(m["provision_id"])) for m in data["members"]],
                   data.get("led_by"))


def name_key(name: str) -> str:
    """What two names must not share among a setting's live groups: the same words, whatever their case, accents
    compatibility forms or spacing ("Year 2  Phonics" is "year 2 phonics")."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def clean_group(name: Any, members: Any, led_by: Any) -> GroupDraft:
    """The group's fields as they will be kept, or :class:`InvalidInput` naming each bad field (``members.3``)."""
    check = Checker()
    cleaned_name = check.clean("name", NAME, name)
    if isinstance(cleaned_name, str):
        cleaned_name = cleaned_name.strip()
    cleaned_led_by = check.clean("led_by", LED_BY, led_by)
    cleaned_members = _clean_members(members, check)
    check.done()
    return GroupDraft(str(cleaned_name), cleaned_members, cleaned_led_by)


def _clean_members(members: Any, check: Checker) -> list[Member]:
    if not isinstance(members, list) or not members:
        check.fail("members", "must list at least one {plan_id, provision_id}")
        return []
    if len(members) > MAX_MEMBERS:
        check.fail("members", f"must list at most {MAX_MEMBERS} pupils' provisions (got {len(members)})")
        return []
    cleaned: list[Member] = []
    seen: dict[Member, int] = {}
    for index, member in enumerate(members):
        where = f"members.{index}"
        if not isinstance(member, dict) or set(member) != {"plan_id", "provision_id"}:
            check.fail(where, "must be an object with exactly a plan_id and a provision_id")
            continue
        try:
            plan_id = uuid.UUID(str(member["plan_id"]))
        except ValueError:
            check.fail(f"{where}.plan_id", "must be a plan id")
            continue
        provision_id = member["provision_id"]
        if not isinstance(provision_id, str) or not provision_id.strip() or len(provision_id) > SHORT_TEXT:
            check.fail(f"{where}.provision_id", "must be a provision id")
            continue
        key = (plan_id, provision_id)
        if key in seen:
            check.fail(where, f"names the same plan and provision as members.{seen[key]}; a pupil's provision is "
                              "in a group once")
            continue
        seen[key] = index
        cleaned.append(key)
    return cleaned


def require_member(index: int, plan: PlanState, provision_id: str, setting_urn: str, today: str) -> None:
    """Refuse ``members.N`` unless its plan is an open plan of the setting and the provision is in force today.

    The caller has already checked that the plan is one they may see (else it is named as no plan of theirs)."""
    where = f"members.{index}"
    if plan.setting_urn != setting_urn:
        raise InvalidInput.field(f"{where}.plan_id", f"is a plan of another setting, not of setting {setting_urn}: "
                                                     "a group is made of its own setting's plans")
    if not plan.is_open:
        raise RuleViolation("plan_closed", f"{where} (plan {plan.id}): the plan is closed; a group is made of open "
                                           "plans")
    refusal = delivery.provision_refusal(plan, provision_id, today)
    if refusal is None:
        return
    rule, detail = refusal
    if rule == "not_a_provision":
        raise InvalidInput.field(f"{where}.provision_id", detail)
    raise RuleViolation(rule, f"{where} (plan {plan.id}): {detail}; a group is made of provisions in force")


def no_plan(index: int, setting_urn: str) -> InvalidInput:
    """A member naming a plan the caller may not see, or none at all: the same words either way."""
    return InvalidInput.field(f"members.{index}.plan_id",
                              f"names no plan of setting {setting_urn} that you may see")


def register(members: list[Member], attended: Any, absent_reason: Any) -> tuple[list[str], str]:
    """Who attended a session of the group, as each member's status (``delivered`` or ``missed``, in the order of
    ``members``), and the reason the others missed it (``pupil_absent`` unless another is given). ``attended``
    lists members as ``{plan_id, provision_id}``; one that is not a member is refused as ``attended.N``."""
    check = Checker()
    reason = check.clean("absent_reason", ABSENT_REASON, absent_reason) or DEFAULT_ABSENT_REASON
    present: set[Member] = set()
    if not isinstance(attended, list):
        check.fail("attended", "must list the members who attended (an empty list if nobody did)")
        attended = []
    for index, entry in enumerate(attended):
        where = f"attended.{index}"
        if not isinstance(entry, dict) or set(entry) != {"plan_id", "provision_id"}:
            check.fail(where, "must be an object with exactly a plan_id and a provision_id")
            continue
        try:
            key = (uuid.UUID(str(entry["plan_id"])), str(entry["provision_id"]))
        except ValueError:
            check.fail(f"{where}.plan_id", "must be a plan id")
            continue
        if key not in members:
            check.fail(where, "is not a member of this group; change the group first, or log that pupil's session "
                              "on its own (POST /v1/deliveries)")
        elif key in present:
            check.fail(where, "names a member already listed as attending")
        present.add(key)
    check.done()
    return ["delivered" if member in present else "missed" for member in members], reason



def attending(attended: Any) -> set[Member]:
    """The members a register (as :func:`register` checked it, or as first sent) says attended."""
    present: set[Member] = set()
    for entry in attended if isinstance(attended, list) else []:
        try:
            present.add((uuid.UUID(str(entry["plan_id"])), str(entry["provision_id"])))
        except (ValueError, KeyError, TypeError):
            continue  # refused by register() before anything was recorded
    return present
