"""The FastAPI application factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from isp_ledger import __version__, web
from isp_ledger.api import problems
from isp_ledger.api.deps import current_user
from isp_ledger.api.middleware import AuthFailureLimit, BodyLimit, SecurityHeaders
from isp_ledger.api.params import known_parameters_only
from isp_ledger.api.read_side import ReadSide
from isp_ledger.api.routes import (
    bundle,
    deliveries,
    facts,
    grants,
    groups,
    history,
    integrity,
    me,
    plans,
    privacy,
    sections,
    settings,
    users,
)
from isp_ledger.application import Ledger
from isp_ledger.bootstrap import build_ledger
from isp_ledger.domain.errors import Forbidden, Unauthenticated
from isp_ledger.storage.keys import exposure
from projections.runner import Projector

log = logging.getLogger(__name__)

DESCRIPTION = """\
An event-sourced record of children's Individual Support Plans: every change is an immutable, hash-chained
event, so anyone entitled can see what was agreed, when, by whom and why, and what the record said at any
moment. Authenticate with `Authorization: Bearer TOKEN` (tokens come from `isp-ledger users add`).
Errors are `application/problem+json` (RFC 9457). Reads answered from read models carry `ISP-Ledger-*`
headers saying how fresh they are.
"""


HEALTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "a token was sent, and it is not known"},
    403: {"description": "the detail is for administrators"},
    503: {"description": "the store does not answer",
          "content": {problems.PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}},
}


def create_app(ledger: Ledger | None = None, *, close_ledger: bool | None = None) -> FastAPI:
    """The API over ``ledger`` (by default one configured from ``ISP_LEDGER_*`` variables).

    Unless ``ISP_LEDGER_PROJECTIONS=external``, the read models run in this process while the app runs.
    """
    owns_ledger = ledger is None if close_ledger is None else close_ledger
    if ledger is None:
        ledger = build_ledger()
        for warning in exposure(ledger.settings.key_dir):
            log.warning(warning)
    projector = Projector(ledger.store) if ledger.settings.projections == "in-process" else None
    read_side = ReadSide(ledger, projector, timeout=ledger.settings.read_your_writes_timeout)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if projector is not None:
            projector.start()
        try:
            yield
        finally:
            if projector is not None:
                projector.stop()
            if owns_ledger:
                ledger.close()

    app = FastAPI(title="isp-ledger", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    app.state.ledger = ledger
    app.state.read_side = read_side
    app.state.projector = projector
    problems.install(app)
    web.mount(app, ledger)  # the pages, and their forms' protection (innermost: after the body limit)
    # Outermost first: every response gets the security headers (even an error's, hence around the whole stack);
    # an oversized body is refused before anything else; then failed authentications are counted.
    failures = ledger.settings.auth_failures_per_minute
    app.add_middleware(AuthFailureLimit, authenticate=ledger.accounts.authenticate, burst=failures,
                       per_second=failures / 60)
    app.add_middleware(BodyLimit, max_bytes=ledger.settings.max_body_bytes)
    build_stack = app.build_middleware_stack
    app.build_middleware_stack = lambda: SecurityHeaders(  # type: ignore[method-assign]
        build_stack(), page_policy=web.PAGE_CSP)
    for module in (plans, sections, facts, history, integrity, settings, deliveries, bundle, me, users, grants,
                   privacy, groups):
        # Authenticate before anything else is looked at, so an unknown caller learns nothing (401 first); then
        # refuse a query parameter the route does not take, rather than answer as if it were not there.
        app.include_router(module.router, dependencies=[Depends(current_user), Depends(known_parameters_only)])

    @app.get("/healthz", tags=["operations"], responses=HEALTH_RESPONSES,
             dependencies=[Depends(known_parameters_only)])
    def healthz(request: Request) -> JSONResponse:
        """Whether the service is up and its store answers: needs no token, and says nothing more. With an
        administrator's token, also the version, the store, each read model's lag and any damaged plans."""
        try:
            ledger.store.max_position()  # a round trip to the store
        except Exception:
            log.exception("health check: the store did not answer")
            return problems.problem(503, "unavailable", "Service unavailable", "The store does not answer")
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if not token.strip() and not scheme.strip():
            return JSONResponse({"status": "ok"})
        user = ledger.accounts.authenticate(token.strip()) if scheme.lower() == "bearer" else None
        if user is None:
            raise Unauthenticated("That token is not known; /healthz without a token says whether the service is up")
        if user.role != "admin":
            raise Forbidden("Only an administrator may see the service's health in detail; /healthz without a "
                            "token says whether it is up")
        body: dict[str, Any] = {"status": "ok", "store": ledger.store.kind, "version": __version__,
                                "projections": read_side.health()}
        if projector is not None:
            body["projector"] = {"running": projector.last_error is None, "last_error": projector.last_error,
                                 "damaged_plans": projector.damaged}
        return JSONResponse(body)

    @app.get("/metrics", tags=["operations"], response_class=Response, dependencies=[Depends(known_parameters_only)])
    def metrics() -> Response:
        """Prometheus metrics: projection lag per read model."""
        registry = CollectorRegistry()
        registry.register(_LagCollector(read_side))
        return Response(generate_latest(registry), media_type="text/plain; version=0.0.4; charset=utf-8")

    return app


class _LagCollector(Collector):
    def __init__(self, read_side: ReadSide) -> None:
        self.read_side = read_side

    def collect(self) -> Iterator[GaugeMetricFamily]:
        health = self.read_side.health()
        events = GaugeMetricFamily("isp_ledger_projection_lag_events", "Events a read model has not yet processed",
                                   labels=["read_model"])
        seconds = GaugeMetricFamily("isp_ledger_projection_lag_seconds",
                                    "Seconds since the oldest event a read model has not yet processed was recorded",
                                    labels=["read_model"])
        position = GaugeMetricFamily("isp_ledger_projection_position",
                                     "The last position in the ledger's sequence a read model has processed",
                                     labels=["read_model"])
        head = GaugeMetricFamily("isp_ledger_sequence_head", "The last position in the ledger's sequence")
        for name, state in health.items():
            events.add_metric([name], state["events_behind"])
            seconds.add_metric([name], state["seconds_behind"])
            position.add_metric([name], state["position"])
        head.add_metric([], max((s["head"] for s in health.values()), default=0))
        yield from (events, seconds, position, head)
