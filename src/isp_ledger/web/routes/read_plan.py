"""One plan as people read it (CONTRACT.md §13): the plan now or "as it was on" a date (``/plans/{id}``), and its
history (``/plans/{id}/history``). The same page for everyone who may read the plan; the links offered differ by
what ``access.py`` allows (``web/actions.py``). Each read is made, and access-logged, by the application
(``ledger.history.plan_document``) or ``queries.plan_timeline``, exactly as the API makes it.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from isp_ledger import queries
from isp_ledger.domain import privacy, wording
from isp_ledger.domain.errors import NotFound
from isp_ledger.domain.records import VOID_EVENT
from isp_ledger.domain.stamp import LONDON
from isp_ledger.web import actions, plan_view
from isp_ledger.web.deps import LedgerDep, PageUser, ReadSideDep
from isp_ledger.web.errors import PageRoute
from isp_ledger.web.period import read_dates
from isp_ledger.web.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

HISTORY_PAGE = 25
NOT_CORRECTABLE = frozenset({VOID_EVENT, "PlanErased", "CorrectionRecorded"})


def erased_on(plan: Any) -> str | None:
    erasure = privacy.erasure_of(plan)
    return str(erasure["recorded_at"])[:10] if erasure is not None else None


def child_name(document: dict[str, Any]) -> str:
    pupil = document["pupil"]
    if pupil.get("given_name") is None:
        return "A child whose details were erased"
    return f"{pupil['given_name']} {pupil['family_name']}"


@router.get("/plans/{plan_id}")
def plan_page(request: Request, plan_id: UUID, user: PageUser, ledger: LedgerDep) -> Response:
    plan = ledger.plans.require_visible(user, plan_id)  # 404 before anything else is said about the plan
    form = read_dates(request.query_params, {"as_of": "the date"})
    as_of = form["as_of"].value
    document = None
    if as_of is not None:
        try:
            document = ledger.history.plan_document(user, plan_id, as_of=as_of)
        except NotFound:
            form.errors.add("as_of-day", f"The plan was opened on {wording.in_words(plan.state['opened_on'])}: "
                                         "enter that date or a later one")
            form["as_of"].error = form.errors.fields["as_of-day"]
            as_of = None
    if document is None:
        document = ledger.history.plan_document(user, plan_id)
    allowed = actions.allowed_actions(ledger, user, plan)
    setting = ledger.setting_details.shown(document["setting_urn"])
    return render(
        request, "read/plan.html", status_code=form.errors.status if form.errors else 200,
        title=f"{child_name(document)}'s plan" + (f" as it was on {wording.in_words(as_of)}" if as_of else ""),
        child=child_name(document), document=document, as_of=as_of, form=form, errors=form.errors,
        pupil_rows=plan_view.pupil_rows(document, setting), setting=setting,
        sections=plan_view.sections(document, None if as_of else plan, allowed),
        links=actions.available(ledger, user, plan) if not as_of else [],
        pages=_read_pages(plan_id), erased_on=erased_on(plan))


def _read_pages(plan_id: UUID) -> list[actions.Link]:
    """The read pages of the plan, for the navigation every one of them shows (all need only READ)."""
    return [actions.Link(actions.PLAN_PAGES[name].url(plan_id), actions.PLAN_PAGES[name].text)
            for name in ("plan", "history", "changes", "delivery")]


@router.get("/plans/{plan_id}/history")
def history_page(request: Request, plan_id: UUID, user: PageUser, ledger: LedgerDep, read_side: ReadSideDep,
                 before: Annotated[int | None, Query(ge=2, le=2**62)] = None) -> Response:
    answer, _freshness = queries.plan_timeline(ledger, read_side, user, plan_id, limit=HISTORY_PAGE,
                                               before_version=before)
    plan = ledger.plans.require_visible(user, plan_id)
    allowed = actions.allowed_actions(ledger, user, plan)
    entries = [_entry(entry, plan_id, allowed, plan.is_open) for entry in answer["entries"]]
    document_pupil = plan.state["pupil"]
    child = ("A child whose details were erased" if erased_on(plan) or document_pupil.get("given_name") is None
             else f"{document_pupil['given_name']} {document_pupil['family_name']}")
    return render(request, "read/history.html", title=f"History of {child}'s plan", child=child,
                  plan_id=plan_id, setting=answer["setting"], entries=entries, pages=_read_pages(plan_id),
                  newer=before is not None, next_before=answer["next_version"])


def _entry(entry: dict[str, Any], plan_id: UUID, allowed: frozenset[Any], is_open: bool) -> dict[str, Any]:
    """An entry of the timeline as the history page shows it: its sentence, both dates, who, and its marks."""
    actor = entry.get("actor") or {}
    role = wording.ROLE_NAMES.get(actor.get("role", ""), actor.get("role", ""))
    tags = []
    if entry.get("backdated"):
        tags.append(("Back-dated", "govuk-tag--yellow"))
    if entry.get("late"):
        tags.append(("Late entry", "govuk-tag--orange"))
    if entry.get("corrected_by"):
        tags.append(("Corrected", "govuk-tag--blue"))
    voided = entry.get("voided")
    if voided:
        tags.append(("Recorded in error", "govuk-tag--red"))
    notes = []
    for correction in entry.get("corrected_by") or []:
        notes.append((f"Corrected by entry {correction['version']}", f"#entry-{correction['version']}"))
    if entry.get("corrects"):
        notes.append((f"This corrects entry {entry['corrects']['version']}", f"#entry-{entry['corrects']['version']}"))
    if entry.get("voids"):
        notes.append((f"This marks entry {entry['voids']['version']} as recorded in error",
                      f"#entry-{entry['voids']['version']}"))
    void_note = None
    if voided:
        who = voided.get("actor") or {}
        reason = f" Reason: {voided['reason']}" if voided.get("reason") else ""
        void_note = wording.sentence(
            f"Marked as recorded in error by {who.get('name') or wording.ERASED_WORDS} at "
            f"{wording.instant_in_words(voided['recorded_at'])}") + reason
    links = []
    if is_open and not voided and entry["type"] not in NOT_CORRECTABLE and entry.get("kind") != "access":
        links = actions.entry_links(allowed, plan_id, entry["event_id"])
    return {
        "version": entry["version"], "summary": entry["summary"] or "(erased)",
        "agreed_on": wording.in_words(entry["agreed_on"]),
        "recorded_at": wording.instant_in_words(entry["recorded_at"]),
        "same_day": entry["agreed_on"] == _london_day(entry["recorded_at"]),
        "who": f"{actor.get('name') or wording.ERASED_WORDS} ({role})" if role else actor.get("name"),
        "tags": tags, "notes": notes, "void_note": void_note, "links": links, "voided": bool(voided),
    }


def _london_day(instant: str) -> str:
    return dt.datetime.fromisoformat(instant).astimezone(LONDON).date().isoformat()
