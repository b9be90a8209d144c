"""A setting's saved groups (CONTRACT.md §8): made, changed and retired by its SENCO or an administrator, read by
its staff, and a session logged from one (teachers too). The rules are the application's (``application/groups.py``).
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from isp_ledger.api.deps import CurrentUser, GroupVersion, LedgerDep, WriteOptions
from isp_ledger.api.reports import Group, GroupHistory, GroupListing
from isp_ledger.api.routes.settings import clean_urn
from isp_ledger.api.schemas import GroupSessionCreate, GroupSessionWritten, GroupWrite, GroupWritten
from isp_ledger.domain.errors import InvalidInput, NotFound

router = APIRouter(prefix="/v1/settings/{urn}/groups", tags=["groups"])


def group_uuid(group_id: str) -> UUID:
    try:
        return UUID(group_id)
    except ValueError:
        raise NotFound(f"No group {group_id}") from None


GroupId = Annotated[UUID, Depends(group_uuid)]


def _written(shown: dict[str, Any], status_code: int = 200) -> JSONResponse:
    return JSONResponse({"group_id": shown["group_id"], "version": shown["version"]}, status_code=status_code,
                        headers={"ETag": f'"{shown["version"]}"'})


@router.post("", status_code=201, response_model=GroupWritten)
def create_group(urn: str, body: GroupWrite, user: CurrentUser, ledger: LedgerDep) -> JSONResponse:
    """Make a group of the setting's pupils' provisions (its SENCO or an administrator)."""
    urn = clean_urn(urn)
    fields = body.model_dump(mode="json")
    return _written(ledger.groups.create(user, urn, name=fields["name"], members=fields["members"],
                                         led_by=fields["led_by"]), 201)


@router.get("", responses={200: {"model": GroupListing}})
def list_groups(urn: str, user: CurrentUser, ledger: LedgerDep) -> JSONResponse:
    """The setting's live groups, by name, each member with the pupil's name, the provision and whether it is in
    force today (each plan shown is logged in its access log)."""
    urn = clean_urn(urn)
    return JSONResponse({"setting_urn": urn, "groups": ledger.groups.list(user, urn)})


@router.get("/{group_id}", responses={200: {"model": Group}})
def get_group(urn: str, group_id: GroupId, user: CurrentUser, ledger: LedgerDep) -> JSONResponse:
    """One group as it stands (a retired one too), shown as in the listing."""
    shown = ledger.groups.get(user, clean_urn(urn), group_id)
    return JSONResponse(shown, headers={"ETag": f'"{shown["version"]}"'})


@router.get("/{group_id}/history", responses={200: {"model": GroupHistory}})
def group_history(urn: str, group_id: GroupId, user: CurrentUser, ledger: LedgerDep) -> JSONResponse:
    """Every version of the group, newest first, with who changed it and when (members by their ids)."""
    return JSONResponse({"group_id": str(group_id), "versions": ledger.groups.history(user, clean_urn(urn), group_id)})


@router.put("/{group_id}", response_model=GroupWritten)
def change_group(urn: str, group_id: GroupId, body: GroupWrite, user: CurrentUser, ledger: LedgerDep,
                 if_match: GroupVersion) -> JSONResponse:
    """Replace the group's name, members and leader (its SENCO or an administrator); `If-Match: "<version>"`
    refuses the change if someone else changed the group first."""
    urn = clean_urn(urn)
    fields = body.model_dump(mode="json")
    return _written(ledger.groups.change(user, urn, group_id, name=fields["name"], members=fields["members"],
                                         led_by=fields["led_by"], if_match=if_match))


@router.delete("/{group_id}", response_model=GroupWritten)
def retire_group(urn: str, group_id: GroupId, user: CurrentUser, ledger: LedgerDep, if_match: GroupVersion
                 ) -> JSONResponse:
    """Retire the group: no longer listed or used; it stays readable, with its history."""
    urn = clean_urn(urn)
    return _written(ledger.groups.retire(user, urn, group_id, if_match=if_match))


@router.post("/{group_id}/sessions", status_code=201, response_model=GroupSessionWritten)
def log_group_session(urn: str, group_id: GroupId, body: GroupSessionCreate, user: CurrentUser, ledger: LedgerDep,
                      options: WriteOptions) -> JSONResponse:
    """Log a session of the group: delivered for the members who attended, missed (`absent_reason`, by default
    pupil_absent) for the others, each on its pupil's plan exactly as `POST /v1/deliveries` records it, in one
    transaction or not at all; a refused member is named `members.N`."""
    urn = clean_urn(urn)
    if "if_match" in options:
        raise InvalidInput.field("If-Match", "names one version; a session is for several plans, so it is not taken "
                                             "here")
    fields = body.model_dump(mode="json")
    result = ledger.groups.log_session(
        user, urn, group_id, date=fields["date"], attended=fields["attended"], starts_at=fields["starts_at"],
        minutes=fields["minutes"], absent_reason=fields["absent_reason"], note=fields["note"],
        delivered_by=fields["delivered_by"], idempotency=options.get("idempotency"))
    headers = {"Idempotent-Replayed": "true"} if result.replayed else None
    return JSONResponse(result.body, status_code=result.status_code, headers=headers)
