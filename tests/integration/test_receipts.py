"""Signed receipts and the service's public key (CONTRACT.md §7), on both stores: a receipt can be checked
offline with only the public key, and later shows that the history up to it is unchanged and that nothing
after it was removed — including events deleted from the end of a plan directly in the database."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path
from typing import Any
from uuid import UUID

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi.testclient import TestClient

from isp_ledger.application import Ledger
from isp_ledger.bootstrap import build_ledger
from tests.conftest import FakeClock, People
from tests.integration.rawstore import RawStore
from tests.samples import edit_sealed, plan_body


def _plan(ledger: Ledger, people: People, contributions: int = 3) -> UUID:
    plan_id = UUID(ledger.commands.open_plan(people.senco, **plan_body()).body["plan_id"])
    for i in range(contributions):
        ledger.commands.record_contribution(people.senco, plan_id, {"kind": "parent_view", "text": f"View {i}"})
    return plan_id


def _receipt(client: TestClient, people: People, plan_id: UUID, who: str = "senco") -> dict[str, Any]:
    response = client.get(f"/v1/plans/{plan_id}/receipt", headers=people.headers(who))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _check(client: TestClient, people: People, receipt: dict[str, Any], who: str = "senco") -> dict[str, Any]:
    response = client.post("/v1/receipts/verify", json=receipt, headers=people.headers(who))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_the_public_key_is_ed25519_and_kept_in_a_private_file_outside_the_database(
    ledger: Ledger, client: TestClient, people: People, env: dict[str, str], clock: FakeClock
) -> None:
    response = client.get("/v1/keys", headers=people.headers("parent"))
    assert response.status_code == 200
    (key,) = response.json()["keys"]
    assert key["algorithm"] == "Ed25519"
    assert len(base64.b64decode(key["public_key"])) == 32
    assert key["public_key_pem"].startswith("-----BEGIN PUBLIC KEY-----")
    key_files = list(Path(env["ISP_LEDGER_KEY_DIR"]).glob("receipt-signing*"))
    assert len(key_files) == 1
    assert stat.S_IMODE(os.stat(key_files[0]).st_mode) == 0o600
    # The same key after a restart: receipts signed before it still check.
    again = build_ledger(env, clock=clock)
    try:
        assert again.signer.key_id == key["key_id"]
    finally:
        again.close()
    assert client.get("/v1/keys").status_code == 401


def test_a_receipt_checks_offline_with_only_the_public_key(
    ledger: Ledger, client: TestClient, people: People
) -> None:
    plan_id = _plan(ledger, people)
    receipt = _receipt(client, people, plan_id)
    events = client.get(f"/v1/plans/{plan_id}/events", headers=people.headers("senco")).json()["events"]
    assert receipt["plan_id"] == str(plan_id)
    assert receipt["version"] == 4
    assert receipt["head_hash"] == events[-1]["hash"]
    assert receipt["recorded_at"] == events[-1]["recorded_at"]

    key = client.get("/v1/keys", headers=people.headers("senco")).json()["keys"][0]
    assert receipt["key_id"] == key["key_id"]
    public_key = Ed25519PublicKey.from_public_bytes(base64.b64decode(key["public_key"]))
    signed = rfc8785.dumps({f: receipt[f] for f in ("plan_id", "version", "head_hash", "recorded_at")})
    public_key.verify(base64.b64decode(receipt["signature"]), signed)  # raises if it does not hold
    forged = rfc8785.dumps({**{f: receipt[f] for f in ("plan_id", "head_hash", "recorded_at")}, "version": 3})
    try:
        public_key.verify(base64.b64decode(receipt["signature"]), forged)
        raise AssertionError("an edited receipt verified")
    except InvalidSignature:
        pass


def test_a_receipt_still_holds_after_later_writes(ledger: Ledger, client: TestClient, people: People) -> None:
    plan_id = _plan(ledger, people)
    receipt = _receipt(client, people, plan_id)
    ledger.commands.record_contribution(people.senco, plan_id, {"kind": "parent_view", "text": "Later"})
    check = _check(client, people, receipt)
    assert check["ok"] is True, check
    assert "5 versions" in check["detail"]


def test_an_edited_receipt_is_refused(ledger: Ledger, client: TestClient, people: People) -> None:
    plan_id = _plan(ledger, people)
    receipt = _receipt(client, people, plan_id)
    for edit in ({"version": 2}, {"head_hash": "0" * 64}, {"recorded_at": "2026-01-01T00:00:00.000000+00:00"},
                 {"signature": base64.b64encode(b"x" * 64).decode()}):
        check = _check(client, people, {**receipt, **edit})
        assert check["ok"] is False, edit
        assert "signature" in check["detail"]


def test_events_removed_from_the_end_of_a_plan_are_caught_by_its_receipt(
    ledger: Ledger, client: TestClient, people: People, store_url: str
) -> None:
    plan_id = _plan(ledger, people)
    receipt = _receipt(client, people, plan_id)
    raw = RawStore(store_url)
    raw.delete(plan_id, 4)  # the last event: the chain that remains is intact, only the receipt can tell
    assert ledger.integrity.verify(None, plan_id).events_checked == 3
    check = _check(client, people, receipt)
    assert check["ok"] is False
    assert "removed from the end" in check["detail"]


def test_a_rewritten_history_is_caught_by_its_receipt(
    ledger: Ledger, client: TestClient, people: People, store_url: str
) -> None:
    plan_id = _plan(ledger, people)
    receipt = _receipt(client, people, plan_id)
    raw = RawStore(store_url)
    states = raw.states(plan_id)
    raw.set_state(plan_id, 2, edit_sealed(states[2]))
    check = _check(client, people, receipt)
    assert check["ok"] is False
    assert "version 2" in check["detail"]


def test_no_receipt_for_a_damaged_record_and_none_for_plans_one_may_not_see(
    ledger: Ledger, client: TestClient, people: People, store_url: str
) -> None:
    plan_id = _plan(ledger, people)
    assert client.get(f"/v1/plans/{plan_id}/receipt", headers=people.headers("other_senco")).status_code == 404
    assert client.get(f"/v1/plans/{plan_id}/receipt", headers=people.headers("parent")).status_code == 404
    receipt = _receipt(client, people, plan_id)
    assert client.post("/v1/receipts/verify", json=receipt,
                       headers=people.headers("other_senco")).status_code == 404
    raw = RawStore(store_url)
    raw.set_state(plan_id, 3, edit_sealed(raw.states(plan_id)[3]))
    response = client.get(f"/v1/plans/{plan_id}/receipt", headers=people.headers("admin"))
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "does not verify" in response.json()["detail"]
