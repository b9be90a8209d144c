"""Integrity (CONTRACT.md §7): a plan's hash chain, signed receipts for its head, and the service's public key."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from isp_ledger.api.deps import CurrentUser, LedgerDep, PlanId
from isp_ledger.api.schemas import Verification
from isp_ledger.storage.signing import public_key_document

router = APIRouter(prefix="/v1", tags=["integrity"])


class Receipt(BaseModel):
    """A receipt as the service signed it."""

    model_config = ConfigDict(extra="ignore")

    plan_id: str = Field(max_length=64)
    version: int = Field(ge=1)
    head_hash: str = Field(max_length=64)
    recorded_at: str = Field(max_length=64)
    key_id: str | None = Field(None, max_length=64)
    algorithm: str | None = Field(None, max_length=32)
    signature: str = Field(max_length=200)


class ReceiptCheck(BaseModel):
    ok: bool
    detail: str


@router.get("/plans/{plan_id}/verify", response_model=Verification, response_model_exclude_none=True)
def verify(plan_id: PlanId, user: CurrentUser, ledger: LedgerDep) -> Verification:
    """Recompute the plan's hash chain from the stored bytes: `ok: false` and the first bad version if altered."""
    return Verification.model_validate(ledger.verify(user, plan_id).as_dict())


@router.get("/plans/{plan_id}/receipt")
def receipt(plan_id: PlanId, user: CurrentUser, ledger: LedgerDep) -> dict[str, Any]:
    """A receipt for the plan's head — `{plan_id, version, head_hash, recorded_at}` signed with the service's
    Ed25519 key — to keep and check later with `POST /v1/receipts/verify` or offline with `GET /v1/keys`."""
    return ledger.receipt(user, plan_id)


@router.post("/receipts/verify", response_model=ReceiptCheck)
def verify_receipt(body: Receipt, user: CurrentUser, ledger: LedgerDep) -> ReceiptCheck:
    """Whether a receipt still holds: our signature, the history up to it unchanged, nothing after it removed."""
    check = ledger.check_receipt(user, body.model_dump())
    return ReceiptCheck(ok=check.ok, detail=check.detail)


@router.get("/keys")
def keys(ledger: LedgerDep) -> dict[str, Any]:
    """The public key(s) receipts are signed with (Ed25519; raw key in base64, and PEM)."""
    return {"keys": [public_key_document(ledger.signer.public_key)]}
