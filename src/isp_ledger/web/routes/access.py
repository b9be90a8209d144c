"""Who may see a plan (``/plans/{id}/access``, CONTRACT.md §10): the plan's grants, in force and ended; giving access
to someone who has an account; inviting a parent or a professional by email (their account and their grant in one
step, ``application/invitations.py``, then an email saying where to sign in); and taking access away, after a
confirm page.

Who may do each is the application's to decide (``ledger.grants``: the plan's SENCO and administrators); a refused
form comes back as itself with its errors and the values typed. After a write the page shows itself again with a
banner, from fixed words only (``?done=`` names one of :data:`NOTICES`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from isp_ledger.access import GRANTEE_ROLES, Action, User
from isp_ledger.application import Ledger
from isp_ledger.application.invitations import invite
from isp_ledger.domain.errors import FieldError, InvalidInput, LedgerError, NotFound, RuleViolation, StaleVersion
from isp_ledger.domain.stamp import london_day
from isp_ledger.web.deps import FormFields, LedgerDep, PageUser
from isp_ledger.web.errors import PageRoute
from isp_ledger.web.forms import FormErrors
from isp_ledger.web.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

RELATIONSHIPS = {"parent": "Parent or carer", "professional": "Professional",
                 "complaint_handler": "Complaint handler"}
NOTICES = {"access-granted": "Access given", "invitation-sent": "Invitation sent",
           "access-revoked": "Access taken away"}
STALE = ("The plan changed since you opened this page. Check who has access now, then try again.")
# The domain's field names -> the form's inputs.
GRANT_NAMES = {"user_id": "user_id", "expires_on": "expires-day", "relationship": "relationship"}
INVITE_NAMES = {"relationship": "invite-relationship", "name": "invite-name", "email": "invite-email",
                "reason": "invite-reason"}


def _version(form: dict[str, str]) -> int | None:
    try:
        return int(form.get("version", ""))
    except ValueError:
        return None


def _page(request: Request, ledger: Ledger, user: User, plan_id: UUID, *, status: int = 200,
          errors: FormErrors | None = None, which: str = "", form: dict[str, str] | None = None,
          done: str | None = None) -> Response:
    listing = ledger.grants.plan_grants(user, plan_id)  # who may manage access is decided here, and logged
    plan = ledger.plans.require_visible(user, plan_id, Action.MANAGE_ACCESS)
    pupil = plan.state["pupil"]
    people = sorted((a for a in ledger.accounts.visible_to(user) if a.role in GRANTEE_ROLES and a.active),
                    key=lambda a: a.name.casefold())
    grants = [{**g, "given_on": london_day(g["granted_at"]),
               "taken_on": london_day(g["revoked_at"]) if g["revoked_at"] else None} for g in listing["grants"]]
    return render(
        request, "access/plan_access.html", status_code=status, user=user,
        title="Who can see this plan", plan_id=str(plan_id), version=plan.version,
        pupil_name=f"{pupil.get('given_name') or ''} {pupil.get('family_name') or ''}".strip() or "Erased pupil",
        setting=ledger.setting_details.shown(plan.setting_urn)["shown_as"],
        in_force=[g for g in grants if g["status"] == "active"], ended=[g for g in grants if g["status"] != "active"],
        people=people, relationships=RELATIONSHIPS, errors=errors or FormErrors(), which=which, form=form or {},
        notice=NOTICES.get(done or ""))


@router.get("/plans/{plan_id}/access")
def access_page(request: Request, plan_id: UUID, user: PageUser, ledger: LedgerDep,
                done: str | None = None) -> Response:
    return _page(request, ledger, user, plan_id, done=done)


LABELS = {"expires_on": "Last day of access", "reason": "Reason", "relationship": "Relationship"}


def _refused(request: Request, ledger: Ledger, user: User, plan_id: UUID, which: str, form: dict[str, str],
             error: LedgerError, names: dict[str, str]) -> Response:
    if isinstance(error, InvalidInput):  # the domain's "is required ...", said with the form's label first
        error = InvalidInput([FieldError(p.field, f"{LABELS[p.field]} {p.message}")
                              if p.field in LABELS and not p.message[:1].isupper() else p for p in error.errors])
    errors = FormErrors.of(error, names)
    if isinstance(error, StaleVersion):
        errors.summary = [{"text": STALE}]
    return _page(request, ledger, user, plan_id, status=errors.status, errors=errors, which=which, form=form)


def _expiry(form: dict[str, str]) -> str | None:
    parts = [form.get(f"expires-{part}", "").strip() for part in ("day", "month", "year")]
    if not any(parts):
        return None
    try:
        return dt.date(int(parts[2]), int(parts[1]), int(parts[0])).isoformat()
    except ValueError:
        raise InvalidInput.field("expires_on", "Enter the last day of access as a real date, such as 31 7 2027") \
            from None


@router.post("/plans/{plan_id}/access/grant")
def give_access(request: Request, plan_id: UUID, user: PageUser, ledger: LedgerDep, form: FormFields) -> Response:
    try:
        ledger.grants.grant(user, plan_id, user_id=form.get("user_id") or None,
                            relationship=form.get("relationship") or None, expires_on=_expiry(form),
                            reason=form.get("reason") or None, if_match=_version(form))
    except (InvalidInput, RuleViolation, StaleVersion) as e:
        if isinstance(e, InvalidInput) and any(p.field == "user_id" for p in e.errors):
            e = InvalidInput.field("user_id", "Choose the person to give access to")
        return _refused(request, ledger, user, plan_id, "grant", form, e, GRANT_NAMES)
    return RedirectResponse(f"/plans/{plan_id}/access?done=access-granted", status_code=303)


@router.post("/plans/{plan_id}/access/invite")
def invite_by_email(request: Request, plan_id: UUID, user: PageUser, ledger: LedgerDep,
                    form: FormFields) -> Response:
    try:
        invited = invite(ledger.grants, ledger.accounts, user, plan_id, name=form.get("invite-name", ""),
                         email=form.get("invite-email", ""), relationship=form.get("invite-relationship", ""),
                         reason=form.get("invite-reason") or None, if_match=_version(form))
    except (InvalidInput, RuleViolation, StaleVersion) as e:
        return _refused(request, ledger, user, plan_id, "invite", form, e, INVITE_NAMES)
    sign_in = str(request.url_for("sign_in_form"))
    ledger.sign_in.mailer.send_invitation(invited.email, invited.name, sign_in)
    return RedirectResponse(f"/plans/{plan_id}/access?done=invitation-sent", status_code=303)


def _grant(ledger: Ledger, user: User, plan_id: UUID, grant_id: str, *, in_force: bool) -> dict[str, Any]:
    listing = ledger.grants.plan_grants(user, plan_id)
    grant: dict[str, Any] | None = next((g for g in listing["grants"] if g["grant_id"] == grant_id
                                         and (g["status"] == "active" or not in_force)), None)
    if grant is None:
        raise NotFound(f"No grant {grant_id} in force on plan {plan_id}")
    return grant


def _confirm(request: Request, ledger: Ledger, user: User, plan_id: UUID, grant_id: str, *, status: int = 200,
             errors: FormErrors | None = None, reason: str = "") -> Response:
    grant = _grant(ledger, user, plan_id, grant_id, in_force=errors is None)
    plan = ledger.plans.require_visible(user, plan_id, Action.MANAGE_ACCESS)
    return render(request, "access/revoke.html", status_code=status, user=user,
                  title=f"Take away {grant['user']['name']}'s access", plan_id=str(plan_id), grant=grant,
                  version=plan.version, relationships=RELATIONSHIPS, errors=errors or FormErrors(), reason=reason)


@router.get("/plans/{plan_id}/access/{grant_id}/revoke")
def revoke_confirm(request: Request, plan_id: UUID, grant_id: str, user: PageUser, ledger: LedgerDep) -> Response:
    return _confirm(request, ledger, user, plan_id, grant_id)


@router.post("/plans/{plan_id}/access/{grant_id}/revoke")
def revoke(request: Request, plan_id: UUID, grant_id: str, user: PageUser, ledger: LedgerDep,
           form: FormFields) -> Response:
    try:
        ledger.grants.revoke(user, plan_id, grant_id, reason=form.get("reason") or None, if_match=_version(form))
    except (InvalidInput, RuleViolation, StaleVersion) as e:
        errors = FormErrors.of(e)
        if isinstance(e, StaleVersion):
            errors.summary = [{"text": STALE}]
        return _confirm(request, ledger, user, plan_id, grant_id, status=errors.status, errors=errors,
                        reason=form.get("reason", ""))
    return RedirectResponse(f"/plans/{plan_id}/access?done=access-revoked", status_code=303)
