"""Rows that must commit in the same transaction as the events they accompany, and the conflicts they raise.

* :class:`ClaimUpn` / :class:`ReleaseUpn` keep "one open plan per UPN" true under concurrent writers: the claim
  is a primary key, so the second of two simultaneous openings fails and records nothing.
* :class:`RememberResponse` stores an ``Idempotency-Key``'s response with the events it produced, so a retry
  after a lost reply can never record them twice, not even across a crash.
* :class:`DestroyDataKey` destroys a pupil's data key (CONTRACT.md §11) in the transaction that records the
  erasure: the erasure is in the history exactly when the key is gone.
* :class:`RecordGrant` / :class:`RecordRevocation` keep the index of access grants (``isp_grants``, see
  ``grants.py``) exactly in step with the ``AccessGranted`` and ``AccessRevoked`` events it indexes.
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


@dataclass(frozen=True)
class RecordGrant:
    grant_id: str
    plan_id: UUID
    setting_urn: str
    user_id: str
    relationship: str
    expires_on: str | None
    granted_at: str


@dataclass(frozen=True)
class RecordRevocation:
    grant_id: str
    revoked_at: str


@dataclass(frozen=True)
class DestroyDataKey:
    plan_id: UUID
    erased_at: str


Companion = ClaimUpn | ReleaseUpn | RememberResponse | RecordGrant | RecordRevocation | DestroyDataKey


class VersionConflict(IntegrityError):
    """Another writer stored this plan version first."""


class UpnTaken(IntegrityError):
    """The pupil already has an open plan."""


class IdempotencyKeyTaken(IntegrityError):
    """A concurrent request with the same ``Idempotency-Key`` committed first."""
