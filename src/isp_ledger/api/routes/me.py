"""Who the caller is, and the plans shared with them."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from isp_ledger.api.deps import CurrentUser, LedgerDep
from isp_ledger.api.schemas import Me
from isp_ledger.api.sharing import GrantedPlans

router = APIRouter(prefix="/v1", tags=["users"])


@router.get("/me", response_model=Me)
def me(user: CurrentUser) -> Me:
    """The user the bearer token belongs to."""
    return Me(user_id=user.user_id, name=user.name, role=user.role, setting_urn=user.setting_urn)


@router.get("/me/plans", responses={200: {"model": GrantedPlans}})
def my_plans(user: CurrentUser, ledger: LedgerDep) -> JSONResponse:
    """The plans shared with the caller (a parent, professional or complaint handler) through a grant in force
    today, by pupil name, each with the grant. Staff see their setting's plans with `GET /v1/plans` instead."""
    return JSONResponse({"plans": ledger.grants.granted_to(user)})
