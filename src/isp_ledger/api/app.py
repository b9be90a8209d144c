"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI

from isp_ledger import __version__
from isp_ledger.api import problems
from isp_ledger.api.deps import LedgerDep, current_user
from isp_ledger.api.routes import facts, integrity, me, plans, sections
from isp_ledger.application import Ledger

DESCRIPTION = """\
An event-sourced record of children's Individual Support Plans: every change is an immutable, hash-chained
event, so anyone entitled can see what was agreed, when, by whom and why, and what the record said at any
moment. Authenticate with `Authorization: Bearer TOKEN` (tokens come from `isp-ledger users add`).
Errors are `application/problem+json` (RFC 9457).
"""


def create_app(ledger: Ledger | None = None, *, close_ledger: bool | None = None) -> FastAPI:
    """The API over ``ledger`` (by default one configured from ``ISP_LEDGER_*`` variables)."""
    owns_ledger = ledger is None if close_ledger is None else close_ledger

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        if owns_ledger:
            app.state.ledger.close()

    app = FastAPI(title="isp-ledger", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    app.state.ledger = ledger if ledger is not None else Ledger()
    problems.install(app)
    for module in (plans, sections, facts, integrity, me):
        # Authenticate before anything else is looked at, so an unknown caller learns nothing (401 first).
        app.include_router(module.router, dependencies=[Depends(current_user)])

    @app.get("/healthz", tags=["operations"])
    def healthz(ledger: LedgerDep) -> dict[str, Any]:
        """Liveness and store health; needs no token."""
        ledger.recorder.max_notification_id()  # a round trip to the store
        return {"status": "ok", "store": ledger.factory.kind, "version": __version__}

    return app
