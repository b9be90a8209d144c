"""Erasure and legal holds (CONTRACT.md §11): an administrator erases a closed plan's personal data, or holds a plan
back from erasure while it may be wanted as evidence."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from isp_ledger.api import specs
from isp_ledger.api.deps import CurrentUser, LedgerDep, PlanId, WriteOptions
from isp_ledger.api.responses import written
from isp_ledger.api.schemas import Body, WriteResponse
from isp_ledger.domain import fields

router = APIRouter(prefix="/v1/plans", tags=["privacy"])


class Erase(Body):
    reason: str = specs.field(fields.REASON, "why the pupil's personal data is erased; kept readable after the "
                                             "erasure, outside the pupil's key, so it must name no one")


class LegalHold(Body):
    reason: str = specs.field(fields.REASON, "why (kept under the pupil's key, like any other reason)")


@router.post("/{plan_id}/erase", response_model=WriteResponse)
def erase(plan_id: PlanId, body: Erase, user: CurrentUser, ledger: LedgerDep, options: WriteOptions) -> JSONResponse:
    """Erase the pupil's personal data (an administrator): their data key is destroyed, so every name, date of
    birth, UPN and free text of the plan reads `null` from then on, everywhere; the plan's structure, staff actors
    and hash chain stay, and the erasure is an entry in its history. Refused (409) while the plan is open, under a
    legal hold, or once erased; nothing more can be recorded on an erased plan."""
    return written(ledger.privacy.erase(user, plan_id, reason=body.reason, **options))


@router.post("/{plan_id}/legal-hold", response_model=WriteResponse)
def set_legal_hold(plan_id: PlanId, body: LegalHold, user: CurrentUser, ledger: LedgerDep,
                   options: WriteOptions) -> JSONResponse:
    """Set a legal hold (an administrator): the plan is not erased, by the retention run or by anyone, until the
    hold is lifted. An entry in the plan's history."""
    return written(ledger.privacy.set_legal_hold(user, plan_id, reason=body.reason, **options))


@router.delete("/{plan_id}/legal-hold", response_model=WriteResponse)
def lift_legal_hold(plan_id: PlanId, body: LegalHold, user: CurrentUser, ledger: LedgerDep,
                    options: WriteOptions) -> JSONResponse:
    """Lift the plan's legal hold (an administrator): retention applies to it again. An entry in the plan's
    history."""
    return written(ledger.privacy.lift_legal_hold(user, plan_id, reason=body.reason, **options))
