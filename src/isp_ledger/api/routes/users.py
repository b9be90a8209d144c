"""Users over the API (CONTRACT.md §10): create them, list them, disable them."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from isp_ledger.api.deps import CurrentUser, LedgerDep
from isp_ledger.api.schemas import ACCOUNT_STATUSES, UserAccount, UserCreate, UserCreated, UserList
from isp_ledger.domain import codes
from isp_ledger.domain.errors import InvalidInput
from isp_ledger.storage.accounts import UserRecord

router = APIRouter(prefix="/v1/users", tags=["users"])

Responses = dict[int | str, dict[str, Any]]
NOT_FOUND: Responses = {404: {"description": "no such user, or not one you may manage"}}
REFUSED: Responses = {409: {"description": "a rule about accounts refuses it (rule says which: email_unique, "
                                           "not_yourself, last_active_admin)"}}
FORBIDDEN: Responses = {403: {"description": "your role may not manage users, or not this one"}}

Role = Literal[codes.ROLES]  # type: ignore[valid-type]  # the roles, from the domain's one list
Status = Literal[ACCOUNT_STATUSES]  # type: ignore[valid-type]


def account(record: UserRecord) -> dict[str, Any]:
    return UserAccount(
        user_id=record.user_id, name=record.name, role=record.role, setting_urn=record.setting_urn,
        email=record.email, status="active" if record.active else "disabled", created_at=record.created_at or "",
        created_by=record.created_by, disabled_at=record.disabled_at, disabled_by=record.disabled_by,
    ).model_dump()


@router.post("", status_code=201, response_model=UserCreated, responses={**FORBIDDEN, **REFUSED})
def create_user(body: UserCreate, user: CurrentUser, ledger: LedgerDep) -> JSONResponse:
    """Create a user and give them a token (shown only in this answer). An administrator creates anyone; a SENCO
    creates teachers of their own setting, and parents, professionals and complaint handlers."""
    record, token = ledger.accounts.create_user(user, name=body.name, role=body.role, setting_urn=body.setting_urn,
                                                email=body.email)
    return JSONResponse({**account(record), "token": token}, status_code=201)


@router.get("", response_model=UserList, responses=FORBIDDEN)
def list_users(
    user: CurrentUser,
    ledger: LedgerDep,
    role: Annotated[Role | None, Query(description="only users of this role")] = None,
    status: Annotated[Status | None, Query(description="only active, or only disabled, users")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(description="next_cursor from the previous page")] = None,
) -> dict[str, Any]:
    """The users you may manage, oldest first: an administrator sees everyone; a SENCO their setting's staff, the
    users they created, and the users granted access to their setting's plans."""
    after = _decode(cursor) if cursor is not None else None
    records = [r for r in ledger.accounts.visible_to(user)
               if (role is None or r.role == role) and (status is None or (status == "active") == r.active)
               and (after is None or _key(r) > after)]
    page = records[:limit]
    next_cursor = _encode(_key(page[-1])) if len(records) > limit else None
    return {"users": [account(r) for r in page], "next_cursor": next_cursor}


@router.post("/{user_id}/disable", response_model=UserAccount, responses={**FORBIDDEN, **NOT_FOUND, **REFUSED})
def disable_user(user_id: UUID, user: CurrentUser, ledger: LedgerDep) -> dict[str, Any]:
    """Disable a user: their token is refused from the very next request, by every process of the service;
    everything they recorded keeps their name. An administrator disables anyone but themselves and the last
    active administrator; a SENCO their setting's staff and the users they created who hold no grant on another
    setting's plan. Disabling a disabled user changes nothing."""
    return account(ledger.accounts.disable(user, str(user_id)))


def _key(record: UserRecord) -> tuple[str, str]:
    return (record.created_at or "", record.user_id)


def _encode(key: tuple[str, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[str, str]:
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not (isinstance(key, list) and len(key) == 2 and all(isinstance(part, str) for part in key)):
            raise ValueError(key)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput.field("cursor", "cursor is not one this service gave out") from None
    return (key[0], key[1])
