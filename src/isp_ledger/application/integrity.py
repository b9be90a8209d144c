"""Integrity (CONTRACT.md §7): verifying a plan's chain against the transparency log, signed receipts, and the
log's signed head.
"""

from __future__ import annotations

import hashlib
from typing import Any
from uuid import UUID

from isp_ledger.access import User
from isp_ledger.application.access_log import RECEIPT, RECEIPT_CHECKED, VERIFIED, AccessLog
from isp_ledger.application.base import Clock, RecordDamaged
from isp_ledger.application.plans import Plans
from isp_ledger.domain.errors import Forbidden, NotFound
from isp_ledger.domain.stamp import format_instant
from isp_ledger.storage import meta
from isp_ledger.storage.chain import GENESIS_HASH, Verification, canonical, unseal, verify_chain
from isp_ledger.storage.headlog import LogCheck
from isp_ledger.storage.signing import ReceiptCheck, Signer, check_signature, check_statement
from isp_ledger.storage.transparency import PlanAudit, check_plan, check_removed_plan, was_hash


class Integrity:
    def __init__(self, plans: Plans, signer: Signer, clock: Clock, access_log: AccessLog) -> None:
        self.plans = plans
        self.store = plans.store
        self.signer = signer
        self.clock = clock
        self.access_log = access_log

    def verify(self, user: User | None, plan_id: UUID) -> Verification:
        """Check the plan's hash chain, then the plan against the transparency log (which catches events removed
        from the end); ``user`` None is the operator at the command line."""
        if user is not None:
            try:
                self.plans.require_visible_record(user, plan_id)
            except NotFound:
                if user.role != "admin":  # an administrator may still learn that every event was removed
                    raise
        verification = self._verified(plan_id)[1]
        if user is not None:
            self.access_log.shown_record(user, plan_id, VERIFIED)
        return verification

    def _verified(self, plan_id: UUID) -> tuple[PlanAudit, Verification]:
        audit = self.store.head_log.audit(plan_id)
        if not audit.rows:
            removed = check_removed_plan(str(plan_id), audit)
            if removed is None:
                raise NotFound(f"No plan {plan_id}")
            return audit, removed
        chain = verify_chain(str(plan_id), audit.rows, audit.topics)
        return audit, check_plan(str(plan_id), chain, audit) if chain.ok else chain

    def receipt(self, user: User, plan_id: UUID) -> dict[str, Any]:
        """A signed receipt for the plan's head, once the plan verifies (the service never vouches for a damaged
        record), with the signed transparency log entry that records that head."""
        receipt = self.signed_head(user, plan_id)[0]
        self.access_log.shown_record(user, plan_id, RECEIPT)
        return receipt

    def signed_head(self, user: User, plan_id: UUID) -> tuple[dict[str, Any], list[bytes]]:
        """The receipt (as :meth:`receipt`) and the stored events it vouches for, exactly as verified."""
        self.plans.require_visible(user, plan_id)
        audit, verification = self._verified(plan_id)
        if verification.ok and verification.log_version != verification.head_version:
            self.store.number_pending()  # PostgreSQL: log the head now rather than at the next pass
            audit, verification = self._verified(plan_id)
        if not verification.ok:
            raise RecordDamaged(f"Plan {plan_id} does not verify ({verification.detail}); no receipt was signed")
        assert verification.head_version is not None and verification.head_hash is not None
        receipt = self.signer.receipt(plan_id=str(plan_id), version=verification.head_version,
                                      head_hash=verification.head_hash,
                                      recorded_at=unseal(audit.rows[-1][1])["recorded_at"])
        entry = next((e for e in audit.entries if e.position == verification.log_position), None)
        if entry is not None and entry.version == verification.head_version:
            receipt["log_entry"] = self.signer.statement("isp-ledger log entry", entry.as_dict())
        return receipt, [bytes(state) for _, state in audit.rows]

    def check_receipt(self, user: User, receipt: dict[str, Any]) -> ReceiptCheck:
        """Whether a receipt we signed still holds: the history up to it unchanged, nothing after it removed."""
        signature = check_signature(receipt, self.signer.public_key)
        if not signature.ok:
            return signature
        try:
            plan_id = UUID(str(receipt["plan_id"]))
        except ValueError:
            return ReceiptCheck(False, "the receipt names no plan")
        self.plans.require_visible_record(user, plan_id)
        self.access_log.shown_record(user, plan_id, RECEIPT_CHECKED)  # every answer from here speaks of the plan
        return self.history_holds(plan_id, receipt["version"], receipt["head_hash"])

    def history_holds(self, plan_id: UUID, version: int, head_hash: str) -> ReceiptCheck:
        """Whether the plan's history up to ``version`` still ends with ``head_hash`` (a receipt's, its signature
        checked), and nothing after it was removed. A receipt of before ``isp-ledger migrate`` names the hash the
        events had before they were re-sealed, and holds if the re-sealed events still say what they said."""
        rows = self.store.stored_rows(plan_id)
        if not rows or rows[-1][0] < version:  # a gap in the middle is for the chain check to name
            return ReceiptCheck(False, f"the plan now ends before version {version}, which this receipt vouches "
                                       "for: events were removed from the end of its history")
        verification = verify_chain(str(plan_id), [r for r in rows if r[0] <= version])
        if not verification.ok:
            return ReceiptCheck(False, f"the history up to the receipt was altered: {verification.detail}")
        if verification.head_hash != head_hash:
            if was_hash(rows, version) == head_hash:
                return self._migrated_receipt(rows, version, head_hash)
            return ReceiptCheck(False, f"version {version} no longer has the hash the receipt vouches for: the "
                                       "history up to it was rewritten")
        return ReceiptCheck(True, f"the history up to version {version} is unchanged, and the plan now has "
                                  f"{len(rows)} versions")

    def _migrated_receipt(self, rows: list[tuple[int, bytes]], version: int, head_hash: str) -> ReceiptCheck:
        """A receipt of before ``isp-ledger migrate`` re-sealed the plan: each re-sealed event, decrypted, must hash
        (chained as it was) to the hash it says it ``was``, up to the receipt's head (``migrate.py``)."""
        migrated_on = meta.read(self.store.datastore, meta.MIGRATED_ON) or "a date not recorded"
        prev, erased = GENESIS_HASH, False
        for stored_version, state in rows[:version]:
            envelope = unseal(state)
            opened = self.store.opened(envelope)
            if opened.get("erased"):
                erased = True
                prev = str(envelope.get("was"))
                continue
            former = {k: v for k, v in opened.items() if k not in ("hash", "prev_hash", "was", "erased")}
            digest = hashlib.sha256(canonical({**former, "prev_hash": prev})).hexdigest()
            if digest != envelope.get("was"):
                return ReceiptCheck(False, f"version {stored_version} does not say what it said before the migration "
                                           f"to per-pupil encryption on {migrated_on}: the history up to the "
                                           "receipt was rewritten")
            prev = digest
        if prev != head_hash:
            return ReceiptCheck(False, f"version {version} no longer has the hash the receipt vouches for: the "
                                       "history up to it was rewritten")
        if erased:
            return ReceiptCheck(True, f"the history up to version {version} was re-encrypted by the migration to "
                                      f"per-pupil encryption on {migrated_on}, and each entry still records the "
                                      "hash the receipt chains to; the pupil's data was erased since, so what the "
                                      f"entries said can no longer be compared; the plan now has {len(rows)} versions")
        return ReceiptCheck(True, f"the history up to version {version} was re-encrypted by the migration to "
                                  f"per-pupil encryption on {migrated_on} and is otherwise unchanged (each entry, "
                                  "decrypted, still hashes to what the receipt chains to); the plan now has "
                                  f"{len(rows)} versions")

    def log_head(self) -> dict[str, Any]:
        """The transparency log's latest position and entry hash, signed: held outside the service, it later
        shows whether the log (and with it the plans' heads) was cut back or rewritten before that position."""
        entry = self.store.head_log.head()
        return self.signer.statement("isp-ledger log head", {
            "position": entry.position if entry else 0,
            "entry_hash": entry.entry_hash if entry else GENESIS_HASH,
            "recorded_at": entry.recorded_at if entry else None,
            "signed_at": format_instant(self.clock.now()),
        })

    def check_log(self, user: User | None, held: dict[str, Any] | None = None) -> LogCheck:
        """Check the whole transparency log, and every plan's stored head against it; with ``held`` (a signed log
        head, or a receipt's log entry), also that the log still holds that entry. Administrators only (and the
        operator, ``user`` None): the answer names plans."""
        if user is not None and user.role != "admin":
            raise Forbidden("Only an administrator may check the whole transparency log")
        position, entry_hash = None, None
        if held is not None:
            signature = check_statement(held, self.signer.public_key)
            position, entry_hash = held.get("position"), held.get("entry_hash")
            if signature.ok and not (isinstance(position, int) and isinstance(entry_hash, str)):
                signature = ReceiptCheck(False, "the statement names no log position and entry hash")
            if not signature.ok:
                refused = LogCheck()
                refused.fail(signature.detail)
                return refused
        held_entry = (position, entry_hash) if isinstance(position, int) and isinstance(entry_hash, str) else None
        return self.store.head_log.check(held_entry if position else None)
