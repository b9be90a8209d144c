"""Who the caller is."""

from __future__ import annotations

from fastapi import APIRouter

from isp_ledger.api.deps import CurrentUser
from isp_ledger.api.schemas import Me

router = APIRouter(prefix="/v1", tags=["users"])


@router.get("/me", response_model=Me)
def me(user: CurrentUser) -> Me:
    """The user the bearer token belongs to."""
    return Me(user_id=user.user_id, name=user.name, role=user.role, setting_urn=user.setting_urn)
