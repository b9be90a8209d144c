"""Rows that must commit in the same transaction as the events they accompany, and the conflicts they raise.

* :class:`ClaimUpn` / :class:`ReleaseUpn` keep "one open plan per UPN" true under concurrent writers: the claim
  is a primary key, so the second of two simultaneous openings fails and records nothing.
* :class:`RememberResponse` stores an ``Idempotency-Key``'s response with the events it produced, so a retry
  after a lost reply can never record them twice, not even across a crash.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from eventsourcing.persistence import IntegrityError


@dataclass(frozen=True)
class ClaimUpn:
    upn_key: str
    plan_id: UUID


@dataclass(frozen=True)
class ReleaseUpn:
    upn_key: str
    plan_id: UUID


@dataclass(frozen=True)
class RememberResponse:
    user_id: str
    key: str
    fingerprint: str
    status_code: int
    body: bytes


Companion = ClaimUpn | ReleaseUpn | RememberResponse


class VersionConflict(IntegrityError):
    """Another writer stored this plan version first."""


class UpnTaken(IntegrityError):
    """The pupil already has an open plan."""


class IdempotencyKeyTaken(IntegrityError):
    """A concurrent request with the same ``Idempotency-Key`` committed first."""
