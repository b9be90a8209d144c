"""Signed receipts (CONTRACT.md §7): the service's Ed25519 signature over a plan's head.

A receipt says "at ``recorded_at`` plan ``plan_id`` stood at ``version`` with head hash ``head_hash``". Whoever
holds it and the service's public key (``GET /v1/keys``) can later show that the history up to that version is
unchanged (the chain still ends in ``head_hash`` there) and that nothing after it was silently removed (the
plan still has at least that version).

The signing key is generated on first start from the key ring (a file outside the database it vouches for).
The signature covers the RFC 8785 canonical JSON of the receipt's four fields.

The same key signs the transparency log's statements (``transparency.py``): a log head (``GET /v1/log/head``)
and the log entry that recorded a plan's head (inside a receipt). A statement is a JSON object whose
``"statement"`` field names its kind; its signature covers the canonical JSON of every field except
``key_id``, ``algorithm`` and ``signature``.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from isp_ledger.storage.chain import canonical
from isp_ledger.storage.keys import KeyRing

ALGORITHM = "Ed25519"
RECEIPT_FIELDS = ("plan_id", "version", "head_hash", "recorded_at")
UNSIGNED_FIELDS = ("key_id", "algorithm", "signature")


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_key_document(public_key: Ed25519PublicKey) -> dict[str, str]:
    """The public key as ``GET /v1/keys`` and evidence bundles publish it."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    pem = public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return {"key_id": key_id(public_key), "algorithm": ALGORITHM,
            "public_key": base64.b64encode(raw).decode(), "public_key_pem": pem.decode()}


def load_public_key(document: dict[str, Any]) -> Ed25519PublicKey:
    """A public key from its published form; ``ValueError`` when it is not one."""
    if document.get("algorithm") != ALGORITHM:
        raise ValueError(f"only {ALGORITHM} keys are used (got {document.get('algorithm')!r})")
    try:
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(str(document["public_key"]), validate=True))
    except (KeyError, ValueError, TypeError) as e:
        raise ValueError(f"not an {ALGORITHM} public key ({e})") from None


class Signer:
    """Signs receipts with the service's key."""

    def __init__(self, keys: KeyRing) -> None:
        self._private = Ed25519PrivateKey.from_private_bytes(keys.secret("receipt-signing-ed25519"))
        self.public_key = self._private.public_key()
        self.key_id = key_id(self.public_key)

    def receipt(self, *, plan_id: str, version: int, head_hash: str, recorded_at: str) -> dict[str, Any]:
        signed = {"plan_id": plan_id, "version": version, "head_hash": head_hash, "recorded_at": recorded_at}
        signature = self._private.sign(canonical(signed))
        return {**signed, "key_id": self.key_id, "algorithm": ALGORITHM,
                "signature": base64.b64encode(signature).decode()}

    def statement(self, kind: str, fields: dict[str, Any]) -> dict[str, Any]:
        """A signed statement: ``fields`` and ``{"statement": kind}``, with the signature over all of them."""
        signed = {"statement": kind, **fields}
        signature = self._private.sign(canonical(signed))
        return {**signed, "key_id": self.key_id, "algorithm": ALGORITHM,
                "signature": base64.b64encode(signature).decode()}


@dataclass(frozen=True)
class ReceiptCheck:
    ok: bool
    detail: str


def check_signature(receipt: dict[str, Any], public_key: Ed25519PublicKey) -> ReceiptCheck:
    """Whether ``receipt`` was signed by ``public_key`` exactly as it reads (any edited field fails)."""
    missing = [f for f in (*RECEIPT_FIELDS, "signature") if f not in receipt]
    if missing:
        return ReceiptCheck(False, f"the receipt lacks {', '.join(missing)}")
    if receipt.get("key_id") not in (None, key_id(public_key)):
        return ReceiptCheck(False, f"the receipt was signed with key {receipt.get('key_id')}, not this one")
    try:
        signature = base64.b64decode(str(receipt["signature"]), validate=True)
        public_key.verify(signature, canonical({f: receipt[f] for f in RECEIPT_FIELDS}))
    except (InvalidSignature, ValueError, TypeError):
        return ReceiptCheck(False, "the signature does not match the receipt: it was altered, or not signed by us")
    return ReceiptCheck(True, "signature valid")


def check_statement(statement: dict[str, Any], public_key: Ed25519PublicKey) -> ReceiptCheck:
    """Whether a signed statement was signed by ``public_key`` exactly as it reads."""
    if "statement" not in statement or "signature" not in statement:
        return ReceiptCheck(False, "this is not a signed statement (it has no 'statement' or 'signature')")
    if statement.get("key_id") not in (None, key_id(public_key)):
        return ReceiptCheck(False, f"the statement was signed with key {statement.get('key_id')}, not this one")
    try:
        signature = base64.b64decode(str(statement["signature"]), validate=True)
        public_key.verify(signature, canonical({k: v for k, v in statement.items() if k not in UNSIGNED_FIELDS}))
    except (InvalidSignature, ValueError, TypeError):
        return ReceiptCheck(False, "the signature does not match the statement: it was altered, or not signed by us")
    return ReceiptCheck(True, "signature valid")
