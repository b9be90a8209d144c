"""Signing in and out (CONTRACT.md §13): an email address, then the 6-digit code mailed to it; then a session.

The rules (codes, limits, sessions) are the application's (``application/signin.py``); these routes show the
forms, and set or clear the session cookie.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from isp_ledger.application.signin import CODE_MINUTES, CODE_TRIES, TooManyTries
from isp_ledger.domain.errors import InvalidInput
from isp_ledger.web.deps import (
    SESSION_COOKIE,
    FormFields,
    LedgerDep,
    MaybeUser,
    clear_session_cookie,
    client_address,
    set_session_cookie,
)
from isp_ledger.web.errors import PageRoute
from isp_ledger.web.forms import FormErrors
from isp_ledger.web.paths import safe_next
from isp_ledger.web.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/sign-in")
def sign_in_form(request: Request, user: MaybeUser, next: str | None = None) -> Response:
    if user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "sign_in/email.html", title="Sign in", next=safe_next(next), email="",
                  errors=FormErrors())


@router.post("/sign-in")
def send_code(request: Request, ledger: LedgerDep, form: FormFields) -> Response:
    email = form.get("email", "")
    next_path = safe_next(form.get("next"))
    try:
        address = ledger.sign_in.send_code(email, client_address(request))
    except (InvalidInput, TooManyTries) as e:
        errors = FormErrors.of(e)
        return render(request, "sign_in/email.html", status_code=errors.status, title="Sign in", next=next_path,
                      email=email, errors=errors)
    return render(request, "sign_in/code.html", title="Check your email", email=address, next=next_path,
                  minutes=CODE_MINUTES, tries=CODE_TRIES, errors=FormErrors())


@router.get("/sign-in/code")
def code_without_address() -> Response:
    return RedirectResponse("/sign-in", status_code=303)  # the address comes from the form before


@router.post("/sign-in/code")
def check_code(request: Request, ledger: LedgerDep, form: FormFields) -> Response:
    email = form.get("email", "")
    next_path = safe_next(form.get("next"))
    try:
        _user, token = ledger.sign_in.check_code(email, form.get("code", ""), client_address(request))
    except (InvalidInput, TooManyTries) as e:
        errors = FormErrors.of(e)
        if "email" in errors.fields:  # the address itself was altered: start again
            return render(request, "sign_in/email.html", status_code=errors.status, title="Sign in",
                          next=next_path, email=email, errors=errors)
        return render(request, "sign_in/code.html", status_code=errors.status, title="Check your email",
                      email=email, next=next_path, minutes=CODE_MINUTES, tries=CODE_TRIES, errors=errors)
    response = RedirectResponse(next_path, status_code=303)
    set_session_cookie(response, request, token, int(ledger.sign_in.lifetime.total_seconds()))
    return response


@router.post("/sign-out")
def sign_out(request: Request, ledger: LedgerDep) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        ledger.sign_in.sign_out(token)
    response = RedirectResponse("/signed-out", status_code=303)
    clear_session_cookie(response, request)
    return response


@router.get("/signed-out")
def signed_out(request: Request) -> Response:
    return render(request, "sign_in/signed_out.html", title="You have signed out", user=None)
