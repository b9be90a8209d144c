"""Reads across plans that the API and the web pages both answer, in one place, so both show the same plans to the
same people and log the same reads (CONTRACT.md §10): the list of plans, searched by name or UPN.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from isp_ledger import access
from isp_ledger.access import User
from isp_ledger.application import Ledger
from isp_ledger.application.access_log import listed_in
from isp_ledger.domain.errors import InvalidInput
from isp_ledger.domain.validation import Upn, Urn
from isp_ledger.read_side import Freshness, ReadSide
from projections import plan_index

MAX_NAME_SEARCH = 200  # as long as a name may be (domain/validation.py SHORT_TEXT)


@dataclass(frozen=True)
class PlanList:
    plans: list[dict[str, Any]]  # each with plan_id, pupil {given_name, family_name}, setting_urn, tier, status, ...
    next_cursor: str | None
    freshness: Freshness


def list_plans(ledger: Ledger, read_side: ReadSide, user: User, *, setting_urn: str | None = None,
               upn: str | None = None, name: str | None = None, tier: str | None = None, status: str | None = None,
               limit: int = 50, cursor: str | None = None) -> PlanList:
    """The plans ``user`` may see, by pupil name, a page at a time (from the plan index read model), each row logged
    as read before it is returned. ``name`` searches by name; the other arguments filter exactly."""
    settings = access.visible_settings(user)
    if setting_urn is not None:
        try:
            setting_urn = Urn().clean(setting_urn)
        except ValueError as e:
            raise InvalidInput.field("setting_urn", str(e)) from None
        settings = [setting_urn] if settings is None or setting_urn in settings else []
    upn_key = None
    if upn is not None:
        try:
            upn_key = ledger.upn_key(Upn().clean(upn))
        except ValueError as e:
            raise InvalidInput.field("upn", str(e)) from None
    if name is not None:
        if not plan_index.name_key(name):
            raise InvalidInput.field("name", "must name at least one letter or digit to search for")
        if len(name) > MAX_NAME_SEARCH:
            raise InvalidInput.field("name", f"must be at most {MAX_NAME_SEARCH} characters (got {len(name)})")
    view, freshness = read_side.for_user(plan_index.PlanIndex.name, user.user_id)
    try:
        plans, next_cursor = plan_index.search(view, setting_urns=settings, upn_key=upn_key, tier=tier,
                                               status=status, name=name, limit=limit, cursor=cursor)
    except ValueError as e:
        raise InvalidInput.field("cursor", str(e)) from None
    for plan in plans:
        plan["pupil"] = {"given_name": plan.pop("given_name"), "family_name": plan.pop("family_name")}
    ledger.access_log.listed(user, [(UUID(p["plan_id"]), None) for p in plans], listed_in(
        "the list of plans", setting_urn=setting_urn, tier=tier, status=status, upn="given" if upn else None))
    return PlanList(plans, next_cursor, freshness)
