"""Sharing a plan (CONTRACT.md §10): giving, listing and revoking access, and the plan's access log."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from isp_ledger.api.deps import CurrentUser, LedgerDep, PlanId, WriteOptions
from isp_ledger.api.sharing import AccessLog, GrantCreate, GrantRevoke, GrantWritten, PlanGrants
from isp_ledger.application import WriteResult

router = APIRouter(prefix="/v1/plans", tags=["sharing"])


def _written(result: WriteResult) -> JSONResponse:
    body = GrantWritten.model_validate(result.body).model_dump(exclude_none=True)
    headers = {"ETag": f'"{body["version"]}"'}
    if result.replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(body, status_code=result.status_code, headers=headers)


@router.post("/{plan_id}/grants", status_code=201, response_model=GrantWritten)
def give_access(plan_id: PlanId, body: GrantCreate, user: CurrentUser, ledger: LedgerDep,
                options: WriteOptions) -> JSONResponse:
    """Give a parent, a professional or a complaint handler access to the plan (its SENCO or an administrator).
    The grant is an entry in the plan's history; it holds until revoked or, with `expires_on`, to the end of that
    day (Europe/London). A complaint handler's access must end."""
    fields = body.model_dump(mode="json")
    return _written(ledger.grants.grant(user, plan_id, user_id=fields["user_id"], relationship=fields["relationship"],
                                        expires_on=fields["expires_on"], reason=fields["reason"], **options))


@router.get("/{plan_id}/grants", responses={200: {"model": PlanGrants}})
def list_access(plan_id: PlanId, user: CurrentUser, ledger: LedgerDep) -> JSONResponse:
    """Everyone given access to the plan (in force, expired or revoked), with who gave and revoked it, when and
    why (its SENCO and administrators)."""
    return JSONResponse(ledger.grants.plan_grants(user, plan_id))


@router.delete("/{plan_id}/grants/{grant_id}", response_model=GrantWritten)
def revoke_access(plan_id: PlanId, grant_id: str, user: CurrentUser, ledger: LedgerDep, options: WriteOptions,
                  body: GrantRevoke | None = None) -> JSONResponse:
    """End a grant at once (its SENCO or an administrator): the grantee is refused from their very next request.
    The revocation is an entry in the plan's history."""
    reason = body.reason if body is not None else None
    return _written(ledger.grants.revoke(user, plan_id, grant_id, reason=reason, **options))


@router.get("/{plan_id}/access-log", response_model=None, responses={200: {"model": AccessLog}})
def access_log(
    plan_id: PlanId,
    user: CurrentUser,
    ledger: LedgerDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(description="next_cursor from the previous page")] = None,
) -> dict[str, Any]:
    """Who has been shown the plan, newest first: each entry says who (name, role, and relationship if they see
    it through a grant), when, and what, in plain words. For the plan's SENCO, administrators and the plan's
    parents. Reading it is itself logged."""
    return ledger.access_log.entries(user, plan_id, limit=limit, cursor=cursor)
