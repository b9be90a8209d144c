"""Who had access to the plan during a bundle's period (CONTRACT.md §9, §10), computed from its chained events.

Every grant held at some time in the period is listed: given on or before its last day, and not revoked or expired
before its first. Each says who was given access, as what, by whom, when and why, until when, and whether and when
it was revoked; and how it stood at the end of the period. Only the events and the period decide it (never the day
the bundle is made), so the offline check recomputes exactly what the bundle shows.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from isp_ledger.domain.grants import Grant, grants_of
from isp_ledger.domain.plan import Plan
from isp_ledger.domain.stamp import london_day


def access_section(plan: Plan, start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    first, last = start.isoformat(), end.isoformat()
    shown = []
    for grant in grants_of(plan):
        given_on = london_day(grant.granted_at)
        if given_on > last or _ended_before(grant, first):
            continue
        shown.append({
            "grant_id": grant.grant_id,
            "user": {"user_id": grant.user_id, "name": grant.name, "role": grant.relationship},
            "relationship": grant.relationship,
            "granted_at": grant.granted_at,
            "granted_by": grant.granted_by,
            "reason": grant.reason,
            "expires_on": grant.expires_on,
            "revoked_at": grant.revoked_at,
            "revoked_by": grant.revoked_by,
            "revoked_reason": grant.revoked_reason,
            "version": grant.version,
            "revoked_version": grant.revoked_version,
            "status_at_end": _status_at_end(grant, last),
        })
    return shown


def _ended_before(grant: Grant, day: str) -> bool:
    if grant.revoked_at is not None and london_day(grant.revoked_at) < day:
        return True
    return grant.expires_on is not None and grant.expires_on < day


def _status_at_end(grant: Grant, last: str) -> str:
    """How the grant stood at the end of the period's last day: ``active``, ``revoked`` or ``expired``."""
    if grant.revoked_at is not None and london_day(grant.revoked_at) <= last:
        return "revoked"
    if grant.expires_on is not None and grant.expires_on < last:
        return "expired"
    return "active"
