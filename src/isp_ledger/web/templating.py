"""The pages' Jinja environment: GOV.UK Frontend's macros (``govuk-frontend-jinja``) and our own templates.

Templates import the macros by their package path, as the package documents:
``{% from "govuk_frontend_jinja/components/button/macro.html" import govukButton %}``. Every page extends
``base.html`` (the layout: skip link, the Generic header, the signed-in person, the footer).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from isp_ledger.access import User

SERVICE_NAME = "Individual Support Plans"
TEMPLATES = Path(__file__).parent / "templates"
CSRF_FIELD = "csrftoken"  # the form field asgi-csrf reads

environment = Environment(
    loader=ChoiceLoader([
        FileSystemLoader(TEMPLATES),
        PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
    ]),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def london_date(value: str | dt.date) -> str:
    """A date as people in England write it: 14 May 2026."""
    day = dt.date.fromisoformat(value) if isinstance(value, str) else value
    return f"{day.day} {day:%B %Y}"


def short_date(value: str | dt.date) -> str:
    """A date in a table, where room is short: 14 May 2026, 12 Feb 2027."""
    day = dt.date.fromisoformat(value) if isinstance(value, str) else value
    return f"{day.day} {day:%b %Y}"


environment.filters["london_date"] = london_date
environment.filters["short_date"] = short_date


def _inline_script_hashes() -> tuple[str, ...]:
    """The CSP hashes of the inline scripts of GOV.UK Frontend's page template (the one that marks the body
    ``js-enabled govuk-frontend-supported``): read from the installed template, so an upgrade cannot leave the
    policy blocking a changed script."""
    source = resources.files("govuk_frontend_jinja").joinpath("templates/template.html").read_text()
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", source, flags=re.DOTALL)
    return tuple(
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
        for script in scripts if script.strip()
    )


INLINE_SCRIPTS = _inline_script_hashes()
# What a page may load: its own stylesheet and scripts, GOV.UK Frontend's inline script by its hash, forms posted
# only to this site, never framed.
PAGE_CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; "
            f"script-src 'self' {' '.join(INLINE_SCRIPTS)}; connect-src 'self'; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'")


def render(request: Request, name: str, *, status_code: int = 200, user: User | None = None,
           headers: Mapping[str, str] | None = None, **context: Any) -> HTMLResponse:
    """The page ``name`` for this request, with the signed-in ``user`` (if any) and the form's CSRF token."""
    make_token = request.scope.get("csrftoken")
    html = environment.get_template(name).render(
        request=request,
        user=user if user is not None else getattr(request.state, "user", None),
        csrf_field=CSRF_FIELD,
        csrf_token=make_token() if callable(make_token) else "",
        service_name=SERVICE_NAME,
        **context,
    )
    return HTMLResponse(html, status_code=status_code, headers=headers)
