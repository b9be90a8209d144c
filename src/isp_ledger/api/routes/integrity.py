"""Integrity checks of a plan's stored history (CONTRACT.md §7)."""

from __future__ import annotations

from fastapi import APIRouter

from isp_ledger.api.deps import CurrentUser, LedgerDep, PlanId
from isp_ledger.api.schemas import Verification

router = APIRouter(prefix="/v1", tags=["integrity"])


@router.get("/plans/{plan_id}/verify", response_model=Verification, response_model_exclude_none=True)
def verify(plan_id: PlanId, user: CurrentUser, ledger: LedgerDep) -> Verification:
    """Recompute the plan's hash chain from the stored bytes: `ok: false` and the first bad version if altered."""
    return Verification.model_validate(ledger.verify(user, plan_id).as_dict())
