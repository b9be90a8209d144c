"""Helpers of the tests of sharing plans (grants, the access log, the permission matrix): giving and revoking access
over HTTP as the tests' people, and disabling an account."""

from __future__ import annotations

from typing import Any

from isp_ledger.application import Ledger
from isp_ledger.storage.sql import Sql
from tests.e2e.helpers import Api

GRANTEES = ("parent", "professional", "complaint_handler")


def give(api: Api, plan_id: str, who: str, by: str = "senco", **fields: Any) -> dict[str, Any]:
    """Grant ``who`` (one of the test's people) access to the plan as their own role; the answer."""
    user = api.people.users[who]
    body = {"user_id": user.user_id, "relationship": user.role, **fields}
    if user.role == "complaint_handler":
        body.setdefault("expires_on", "2027-03-31")
    response = api.post(f"/v1/plans/{plan_id}/grants", body, by)
    answer = assert_written_grant(response, 201)
    return answer


def assert_written_grant(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"plan_id", "version", "event_id", "recorded_at", "grant_id"}, body
    assert response.headers["etag"] == f'"{body["version"]}"'
    return body


def revoke(api: Api, plan_id: str, grant_id: str, reason: str | None = None, by: str = "senco") -> dict[str, Any]:
    response = api.client.request("DELETE", f"/v1/plans/{plan_id}/grants/{grant_id}", headers=api.headers(by),
                                  json={"reason": reason} if reason else None)
    return assert_written_grant(response, 200)


def shared_plan(api: Api) -> dict[str, str]:
    ids = api.full_plan()
    for who in GRANTEES:
        ids[f"{who}_grant"] = give(api, ids["plan"], who)["grant_id"]
    return ids


def disable(ledger: Ledger, user_id: str) -> None:
    """Disable an account as accounts over the API do (``Accounts.disable``), or, on a ledger without it, stop its
    token by the store's own means, so that its next request is refused alike."""
    accounts: Any = ledger.accounts
    if hasattr(accounts, "disable"):
        accounts.disable(None, user_id)
        return
    with Sql(ledger.store.datastore).write() as cursor:
        cursor.execute("UPDATE {isp_users} SET token_hash = ? WHERE user_id = ?", (f"disabled:{user_id}", user_id))
