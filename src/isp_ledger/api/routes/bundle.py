"""The evidence bundle of a plan (CONTRACT.md §9): JSON to check offline, HTML to read, PDF to print."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, JSONResponse, Response

from isp_ledger.api.deps import CurrentUser, LedgerDep, PlanId
from isp_ledger.application.access_log import bundle_read
from isp_ledger.bundle.build import build_bundle
from isp_ledger.bundle.render import render_html, render_pdf
from isp_ledger.domain import privacy
from isp_ledger.domain.errors import Gone, InvalidInput

router = APIRouter(prefix="/v1/plans", tags=["evidence"])

FORMATS = {"json": "application/json", "html": "text/html; charset=utf-8", "pdf": "application/pdf"}


@router.get(
    "/{plan_id}/bundle",
    responses={200: {"content": {media: {} for media in FORMATS.values()},
                     "description": "the bundle, as JSON (with the chained events), an HTML page or an A4 PDF"},
               404: {"description": "no such plan, or you may not see it"},
               410: {"description": "the pupil's personal data was erased: there is no bundle any more"},
               422: {"description": "bad dates (or 'from' after 'to', or 'to' after today) or an unknown format"}},
)
def evidence_bundle(
    plan_id: PlanId,
    *,
    user: CurrentUser,
    ledger: LedgerDep,
    from_: Annotated[dt.date | None, Query(alias="from", description="first day (YYYY-MM-DD); default: the day "
                                                                     "the plan was opened")] = None,
    to: Annotated[dt.date | None, Query(description="last day, inclusive (YYYY-MM-DD); default: today")] = None,
    format: Annotated[Literal["json", "html", "pdf"], Query(description="json, html or pdf")] = "json",
) -> Response:
    """Everything a complaint panel or a parent needs about the plan for a period: the plan as in force at the start
    and at the end, every change in between (both dates, who, why, corrections, back-dated entries), reviews and
    parents' responses, planned against delivered provision, and a signed receipt. The JSON form carries the
    chained events, so `isp-ledger verify BUNDLE.json` can check it offline."""
    if from_ is not None and to is not None and from_ > to:
        raise InvalidInput.field("from", "must not be after 'to'")
    erasure = privacy.erasure_of(ledger.plans.require_visible(user, plan_id))
    if erasure is not None:
        raise Gone(f"The pupil's personal data in plan {plan_id} was erased on {erasure['recorded_at'][:10]}: no "
                   "evidence bundle can be made of it any more (its history, with the erasure, is at GET "
                   f"/v1/plans/{plan_id}/timeline)")
    bundle = build_bundle(ledger, user, plan_id, from_, to)
    period = bundle["period"]
    name = f"isp-evidence-{plan_id}-{period['from']}-to-{period['to']}"
    response: Response
    if format == "html":
        response = HTMLResponse(render_html(bundle))
    elif format == "pdf":
        response = Response(render_pdf(bundle), media_type=FORMATS["pdf"],
                            headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'})
    else:
        response = JSONResponse(bundle, headers={"Content-Disposition": f'attachment; filename="{name}.json"'})
    plan = ledger.plans.require_visible(user, plan_id)
    ledger.access_log.shown(user, plan, bundle_read(format, period["from"], period["to"]))
    return response
