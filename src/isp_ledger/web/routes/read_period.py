"""A plan over a period (CONTRACT.md §13): what changed between two dates (``/plans/{id}/changes``), support
planned against delivered (``/plans/{id}/delivery``, a chart and its table), and the evidence bundle as a PDF
(``/plans/{id}/bundle.pdf``). Each read is made and access-logged by the same code as the API's
(``ledger.history.plan_diff``, ``queries.plan_delivery``, ``bundle.build``).
"""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from fastapi import APIRouter, Request
from starlette.responses import Response

from isp_ledger import queries
from isp_ledger.access import User
from isp_ledger.application import Ledger
from isp_ledger.application.access_log import bundle_read
from isp_ledger.bundle.build import build_bundle
from isp_ledger.bundle.render import render_pdf
from isp_ledger.domain import privacy, wording
from isp_ledger.domain.errors import Gone, InvalidInput
from isp_ledger.web import changes_view, chart
from isp_ledger.web.deps import LedgerDep, PageUser, ReadSideDep
from isp_ledger.web.errors import PageRoute
from isp_ledger.web.period import DateForm, read_dates
from isp_ledger.web.routes.read_plan import _read_pages, child_name
from isp_ledger.web.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)
PERIOD = {"from": "the first day", "to": "the last day"}


def _period(request: Request, ledger: Ledger) -> tuple[DateForm, dt.date, dt.date]:
    """The period asked for, or the school year so far (``queries.window``); a bad one is the form's error, and the
    page shows the default period meanwhile."""
    form = read_dates(request.query_params, PERIOD)
    start, end = form["from"].value, form["to"].value
    if not form.errors:
        try:
            return form, *queries.window(ledger, start, end)
        except InvalidInput as e:
            for problem in e.errors:
                message = f"{PERIOD['from'].capitalize()} {problem.message}".replace("'to'", "the last day")
                form.errors.add(f"{problem.field}-day", message)
                form[problem.field].error = message
    return form, *queries.window(ledger, None, None)


def _heading(ledger: Ledger, user: User, plan_id: UUID) -> tuple[str, dict[str, str]]:
    plan = ledger.plans.require_visible(user, plan_id)
    pupil = plan.state["pupil"]
    child = child_name({"pupil": pupil}) if not privacy.is_erased(plan) else "A child whose details were erased"
    return child, ledger.setting_details.shown(plan.setting_urn)


@router.get("/plans/{plan_id}/changes")
def changes_page(request: Request, plan_id: UUID, user: PageUser, ledger: LedgerDep) -> Response:
    child, setting = _heading(ledger, user, plan_id)  # 404 before the period is looked at
    form, start, end = _period(request, ledger)
    diff = ledger.history.plan_diff(user, plan_id, start, end)
    return render(request, "read/changes.html", status_code=form.errors.status if form.errors else 200,
                  title=f"What changed in {child}'s plan", child=child, setting=setting, form=form,
                  errors=form.errors, start=start, end=end, pages=_read_pages(plan_id),
                  sections=changes_view.sections(diff["changes"]), changed=diff["changed"],
                  bundle=f"/plans/{plan_id}/bundle.pdf?from={start.isoformat()}&to={end.isoformat()}")


@router.get("/plans/{plan_id}/delivery")
def delivery_page(request: Request, plan_id: UUID, user: PageUser, ledger: LedgerDep,
                  read_side: ReadSideDep) -> Response:
    child, setting = _heading(ledger, user, plan_id)
    form, start, end = _period(request, ledger)
    report, _freshness = queries.plan_delivery(ledger, read_side, user, plan_id, start=start, end=end)
    provisions = report["provisions"]
    bars = [chart.Bar(wording.shorten(p["description"], 200), p["planned_sessions"], p["delivered_sessions"])
            for p in provisions]
    title = f"Sessions planned and delivered, {wording.in_words(start)} to {wording.in_words(report['counted_to'])}"
    return render(request, "read/delivery.html", status_code=form.errors.status if form.errors else 200,
                  title=f"Support planned and delivered for {child}", child=child, setting=setting, form=form,
                  errors=form.errors, start=start, end=end, pages=_read_pages(plan_id), report=report,
                  chart=chart.bar_chart(bars, chart_id="delivery-chart", title=title), chart_title=title,
                  reasons=wording.MISSED_REASON_NAMES,
                  bundle=f"/plans/{plan_id}/bundle.pdf?from={start.isoformat()}&to={end.isoformat()}")


@router.get("/plans/{plan_id}/bundle.pdf")
def bundle_pdf(request: Request, plan_id: UUID, user: PageUser, ledger: LedgerDep) -> Response:
    """The evidence bundle as the API makes it (``GET /v1/plans/{id}/bundle?format=pdf``), logged the same way."""
    plan = ledger.plans.require_visible(user, plan_id)
    form = read_dates(request.query_params, PERIOD)
    if form.errors:
        raise InvalidInput.field("from", " ".join(item["text"] for item in form.errors.summary))
    start, end = form["from"].value, form["to"].value
    if start is not None and end is not None and start > end:
        raise InvalidInput.field("from", "The first day must not be after the last day")
    erasure = privacy.erasure_of(plan)
    if erasure is not None:
        raise Gone(f"This child's personal details were erased on {wording.in_words(erasure['recorded_at'][:10])}, "
                   "so no evidence bundle can be made of the plan any more. Its history is still kept.")
    bundle = build_bundle(ledger, user, plan_id, start, end)
    period = bundle["period"]
    name = f"isp-evidence-{plan_id}-{period['from']}-to-{period['to']}"
    response = Response(render_pdf(bundle), media_type="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'})
    ledger.access_log.shown(user, ledger.plans.require_visible(user, plan_id),
                            bundle_read("pdf", period["from"], period["to"]))
    return response
