"""The web pages (CONTRACT.md §13): server-rendered HTML for people, on the same application, permissions and
access log as the API. An entry point like ``api/``: it imports the application, ``access`` and the read side;
nothing imports it but the app factory, which calls :func:`mount`.

Layout: ``templating.py`` (Jinja with GOV.UK Frontend's macros), ``deps.py`` (the signed-in person, form fields),
``csrf.py`` (every form's protection), ``errors.py`` (plain error pages, ``PageRoute``), ``forms.py`` (a refused form
shown again with its errors), ``routes/`` (one module per part of the site), ``templates/`` and ``static/`` (GOV.UK
Frontend compiled by ``./dev`` from ``web-assets/``; not committed).
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from isp_ledger.application import Ledger
from isp_ledger.web import errors
from isp_ledger.web.csrf import PageForms
from isp_ledger.web.routes import (
    access,
    family,
    family_reads,
    forms_corrections,
    forms_entries,
    forms_items,
    forms_open,
    group_forms,
    groups,
    home,
    read_period,
    read_plan,
    read_reports,
    signin,
)
from isp_ledger.web.templating import PAGE_CSP

__all__ = ["PAGE_CSP", "mount"]

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"


def mount(app: FastAPI, ledger: Ledger) -> None:
    """Add the pages to ``app``: their routes, their assets under ``/assets``, their error pages and the forms'
    protection. Call it before the app's own middleware is added, so that the body limit runs first."""
    if not (STATIC / "app.css").is_file():
        log.warning("The pages' stylesheet is not built (%s): run ./dev (npm ci and sass in web-assets/)", STATIC)
    app.mount("/assets", StaticFiles(directory=STATIC, check_dir=False), name="assets")
    # The plan forms before any /plans/{plan_id} page, so that /plans/new is the form and no plan id; the fixed
    # paths (/plans/{plan_id}/views/new, /plans/{plan_id}/access/...) before the items' /plans/{plan_id}/{kind}/new.
    for module in (signin, home, forms_open, read_plan, read_period, read_reports, family, family_reads, access,
                   group_forms, groups, forms_entries, forms_corrections, forms_items):
        app.include_router(module.router)
    errors.install(app)
    app.add_middleware(PageForms, secret=ledger.store.keys.secret("csrf"))
