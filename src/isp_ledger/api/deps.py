"""Dependencies shared by the routes: the ledger, the caller, and the options of a write."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from isp_ledger.access import User
from isp_ledger.application import Idempotency, Ledger
from isp_ledger.domain.errors import InvalidInput, NotFound, Unauthenticated
from isp_ledger.storage.chain import canonical


def get_ledger(request: Request) -> Ledger:
    ledger: Ledger = request.app.state.ledger
    return ledger


LedgerDep = Annotated[Ledger, Depends(get_ledger)]

bearer = HTTPBearer(auto_error=False, description="the token printed by `isp-ledger users add`")


def current_user(
    ledger: LedgerDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> User:
    if credentials is None:
        raise Unauthenticated("Send your token as 'Authorization: Bearer TOKEN'")
    user = ledger.accounts.authenticate(credentials.credentials)
    if user is None:
        raise Unauthenticated("That token is not known; ask an administrator for a new one")
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def plan_uuid(plan_id: str) -> UUID:
    try:
        return UUID(plan_id)
    except ValueError:
        raise NotFound(f"No plan {plan_id}") from None


PlanId = Annotated[UUID, Depends(plan_uuid)]

_ETAG = re.compile(r'^\s*(?:W/)?"?(\d{1,12})"?\s*$')
_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")


async def write_options(
    request: Request,
    if_match: Annotated[str | None, Header(description='"<version>": refuse with 412 unless the plan is at it')] = None,
    idempotency_key: Annotated[
        str | None, Header(description="repeat a write safely: the same key and body return the first response")
    ] = None,
) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if (version := _version(if_match, "plan")) is not None:
        options["if_match"] = version
    if idempotency_key is not None:
        if not _KEY.match(idempotency_key):
            raise InvalidInput.field("Idempotency-Key", "must be 1 to 200 visible ASCII characters")
        options["idempotency"] = Idempotency(idempotency_key, await _fingerprint(request))
    return options


async def _fingerprint(request: Request) -> str:
    """What makes two requests "the same": method, path and body (compared as canonical JSON)."""
    raw = await request.body()
    try:
        body = canonical(json.loads(raw)) if raw else b""
    except (ValueError, TypeError, RecursionError):
        body = raw
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.url.path}\n".encode())
    digest.update(body)
    return digest.hexdigest()


WriteOptions = Annotated[dict[str, Any], Depends(write_options)]


def _version(if_match: str | None, of: str) -> int | None:
    """The version ``If-Match`` names (``None``: none, or ``*``)."""
    if if_match is None or if_match.strip() == "*":
        return None
    match = _ETAG.match(if_match)
    if match is None:
        raise InvalidInput.field("If-Match", f'must be a {of} version in quotes, e.g. "7"')
    return int(match.group(1))


def group_version(
    if_match: Annotated[str | None, Header(description='"<version>": refuse with 412 unless the group is at '
                                                       'it')] = None,
) -> int | None:
    """A change to a setting's group (not a plan): ``If-Match`` only, since it is no entry in a plan's history."""
    return _version(if_match, "group")


GroupVersion = Annotated[int | None, Depends(group_version)]
