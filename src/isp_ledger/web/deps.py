"""What page routes depend on: the ledger, the signed-in person (from the session cookie), the form's fields.

A session resolves to the same :class:`~isp_ledger.access.User` a bearer token does (``Ledger.sign_in``), so
every permission and every access-log entry of a page is the API's. Whether a form's POST is genuine is checked
before any route runs (``csrf.py``).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from starlette.datastructures import FormData
from starlette.responses import Response

from isp_ledger.access import User
from isp_ledger.application import Ledger
from isp_ledger.read_side import ReadSide
from isp_ledger.web.paths import LOCAL_HOSTS

SESSION_COOKIE = "isp_session"


class SignInNeeded(Exception):
    """No session, or it ended: the page redirects to sign in, and back to ``next`` afterwards."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path

    @property
    def location(self) -> str:
        return "/sign-in" if self.next_path == "/" else f"/sign-in?next={quote(self.next_path, safe='/')}"


def get_ledger(request: Request) -> Ledger:
    ledger: Ledger = request.app.state.ledger
    return ledger


def get_read_side(request: Request) -> ReadSide:
    read_side: ReadSide = request.app.state.read_side
    return read_side


LedgerDep = Annotated[Ledger, Depends(get_ledger)]
ReadSideDep = Annotated[ReadSide, Depends(get_read_side)]


def signed_in_user(request: Request, ledger: LedgerDep) -> User | None:
    """The person whose session cookie this request carries, if the session is still good."""
    token = request.cookies.get(SESSION_COOKIE)
    user = ledger.sign_in.user_for(token) if token else None
    request.state.user = user
    return user


def page_user(request: Request, user: Annotated[User | None, Depends(signed_in_user)]) -> User:
    if user is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInNeeded(target)
    return user


PageUser = Annotated[User, Depends(page_user)]
MaybeUser = Annotated[User | None, Depends(signed_in_user)]


async def form_fields(request: Request) -> dict[str, str]:
    """The fields of the posted form, each as text (a repeated field: its last value; a file: ignored)."""
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


FormFields = Annotated[dict[str, str], Depends(form_fields)]


async def posted_form(request: Request) -> FormData:
    """The posted form whole (repeated fields kept), read on the event loop so that the route that takes it can be
    a plain ``def``, run in the thread pool while it calls the (synchronous) ledger."""
    return await request.form()


PostedForm = Annotated[FormData, Depends(posted_form)]


def client_address(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


def is_local(request: Request) -> bool:
    return (request.url.hostname or "") in LOCAL_HOSTS


def set_session_cookie(response: Response, request: Request, token: str, max_age: int) -> None:
    """``HttpOnly`` (no script reads it), ``SameSite=Lax`` (not sent with another site's form), ``Secure`` except on
    this machine (plain http://localhost, for one person trying it)."""
    response.set_cookie(SESSION_COOKIE, token, max_age=max_age, path="/", httponly=True, samesite="lax",
                        secure=not is_local(request))


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=not is_local(request))
