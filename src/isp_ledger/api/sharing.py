"""What sharing a plan takes and answers (CONTRACT.md §10): a grant given or revoked, a plan's grants, the plans
granted to the caller, and a plan's access log. Bodies are made from the domain's field specifications, like the
plan's own (``schemas.py``); answers are documented like the plan's reads (``reads.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from isp_ledger.api import specs
from isp_ledger.api.reads import Actor, Day, Instant, PupilName, Read, one_of
from isp_ledger.api.schemas import Body, WriteResponse
from isp_ledger.domain import codes, fields
from isp_ledger.domain.grants import GRANT_FIELDS, RELATIONSHIPS

GRANT_HELP = {
    "user_id": "the account given access (its role must be the relationship)",
    "relationship": "parent, professional or complaint_handler",
    "expires_on": "the last day of access (Europe/London; it ends at the end of that day), not before today; "
                  "required for a complaint handler",
}

if TYPE_CHECKING:
    GrantCreate = Body
else:
    GrantCreate = specs.model(
        "GrantCreate", {**GRANT_FIELDS, "reason": fields.OPTIONAL_REASON}, base=Body,
        descriptions={**GRANT_HELP, "reason": "why access is given (shown in the plan's history)"},
        doc="Access to the plan for a parent, a professional or a complaint handler.")


class GrantRevoke(Body):
    reason: str | None = specs.field(fields.OPTIONAL_REASON, "why access ends (shown in the plan's history)")


class GrantWritten(WriteResponse):
    """The answer to a grant or a revocation: the write answer of CONTRACT.md §2, and the grant."""

    grant_id: str


class GrantStatus(Read):
    """A grant of access as the plan's history records it."""

    grant_id: str
    user: Actor = Field(description="the grantee, named as when access was given")
    relationship: str = one_of(RELATIONSHIPS)
    expires_on: Day | None = Field(description="the last day of access, if it ends")
    status: str = one_of(("active", "expired", "revoked"), "on the day asked (as_of)")
    granted_at: Instant
    granted_by: Actor
    reason: str | None
    version: int = Field(description="the plan version that recorded the grant")
    event_id: str
    revoked_at: Instant | None
    revoked_by: Actor | None
    revoked_reason: str | None
    revoked_version: int | None


class PlanGrants(Read):
    plan_id: str
    as_of: Day = Field(description="today (Europe/London): the day each status is for")
    grants: list[GrantStatus] = Field(description="in the order given")


class GrantHeld(Read):
    grant_id: str
    relationship: str = one_of(RELATIONSHIPS)
    expires_on: Day | None
    granted_at: Instant
    granted_by: Actor


class GrantedPlan(Read):
    plan_id: str
    pupil: PupilName
    setting_urn: str
    tier: str = one_of(codes.TIERS)
    status: str = Field(description="open or closed")
    opened_on: Day
    next_review_due: Day | None
    version: int
    grant: GrantHeld = Field(description="the caller's grant on the plan")


class GrantedPlans(Read):
    plans: list[GrantedPlan] = Field(description="the plans granted to the caller and in force today, by pupil name")


class AccessLogEntry(Read):
    at: Instant
    user: Actor
    relationship: str | None = Field(None, description="when the plan was shown through a grant",
                                     json_schema_extra={"enum": list(RELATIONSHIPS)})
    what: str = Field(description="what was shown, in plain words")
    detail: str = Field(description="the whole entry as a sentence: \"Read the plan as it stood on 1 March 2026\"")
    asked: dict[str, str] = Field(description="what was asked for: as_of, as_at, from, to, format, kind")


class AccessLog(Read):
    plan_id: str
    entries: list[AccessLogEntry] = Field(description="newest first")
    next_cursor: str | None
