"""Integrity (CONTRACT.md §7): a plan's hash chain, signed receipts for its head, the transparency log of plan
heads, and the service's public key."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from isp_ledger.api.deps import CurrentUser, LedgerDep, PlanId
from isp_ledger.api.reads import Keys, LogHead, SignedReceipt
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


class LogStatement(BaseModel):
    """A signed statement about the transparency log: a log head (`GET /v1/log/head`) or the log entry in a
    receipt. Every field but `key_id`, `algorithm` and `signature` is signed, so all are kept."""

    model_config = ConfigDict(extra="allow")

    statement: str = Field(max_length=64)
    position: int = Field(ge=0)
    entry_hash: str = Field(max_length=64)
    key_id: str | None = Field(None, max_length=64)
    algorithm: str | None = Field(None, max_length=32)
    signature: str = Field(max_length=200)


class LogCheck(BaseModel):
    ok: bool
    entries_checked: int
    head_position: int
    head_entry_hash: str | None = None
    plans_checked: int
    first_bad_position: int | None = None
    detail: str | None = None
    problems: list[dict[str, str]] | None = None


@router.get("/plans/{plan_id}/verify", response_model=Verification, response_model_exclude_none=True)
def verify(plan_id: PlanId, user: CurrentUser, ledger: LedgerDep) -> Verification:
    """Recompute the plan's hash chain from the stored bytes and compare its head with the transparency log:
    `ok: false` and the first bad version if altered, or if events were removed from the end."""
    return Verification.model_validate(ledger.integrity.verify(user, plan_id).as_dict())


@router.get("/plans/{plan_id}/receipt", response_model=None, responses={200: {"model": SignedReceipt}})
def receipt(plan_id: PlanId, user: CurrentUser, ledger: LedgerDep) -> dict[str, Any]:
    """A receipt for the plan's head — `{plan_id, version, head_hash, recorded_at}` signed with the service's
    Ed25519 key — to keep and check later with `POST /v1/receipts/verify` or offline with `GET /v1/keys`."""
    return ledger.integrity.receipt(user, plan_id)


@router.post("/receipts/verify", response_model=ReceiptCheck)
def verify_receipt(body: Receipt, user: CurrentUser, ledger: LedgerDep) -> ReceiptCheck:
    """Whether a receipt still holds: our signature, the history up to it unchanged, nothing after it removed."""
    check = ledger.integrity.check_receipt(user, body.model_dump())
    return ReceiptCheck(ok=check.ok, detail=check.detail)


@router.get("/log/head", response_model=None, responses={200: {"model": LogHead}})
def log_head(ledger: LedgerDep) -> dict[str, Any]:
    """The transparency log's latest position and entry hash, signed with the receipt key: keep it (or publish
    it) outside the service, and check it later with `POST /v1/log/verify`."""
    return ledger.integrity.log_head()


@router.post("/log/verify", response_model=LogCheck, response_model_exclude_none=True)
def verify_log(user: CurrentUser, ledger: LedgerDep, body: LogStatement | None = None) -> LogCheck:
    """Check the whole transparency log (positions without a gap, every entry's hash and link) and every plan's
    stored head against it; with a signed log head or log entry as the body, also that the log still holds it.
    Administrators only."""
    return LogCheck.model_validate(ledger.integrity.check_log(user, body.model_dump() if body else None).as_dict())


@router.get("/keys", response_model=Keys)
def keys(ledger: LedgerDep) -> dict[str, Any]:
    """The public key(s) receipts are signed with (Ed25519; raw key in base64, and PEM)."""
    return {"keys": [public_key_document(ledger.signer.public_key)]}
