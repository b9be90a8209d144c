"""Page tests without a browser: the app through Starlette's TestClient, as ``http://localhost`` (the session cookie
is ``Secure`` anywhere else), with the mail the service sends kept in an ``Outbox`` (a fake mailer)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient

from isp_ledger.access import User
from isp_ledger.api.app import create_app
from isp_ledger.application import Ledger

TOKEN = re.compile(r'name="csrftoken" value="([^"]+)"')


@dataclass
class Outbox:
    sent: list[tuple[str, str]] = field(default_factory=list)  # (address, code)

    def send_code(self, to: str, code: str, minutes: int) -> None:
        self.sent.append((to, code))

    def close(self) -> None:
        pass

    def code_for(self, address: str) -> str:
        codes = [code for to, code in self.sent if to.casefold() == address.casefold()]
        assert codes, f"no code was sent to {address}"
        return codes[-1]


class Pages:
    """A browser's view of the pages: cookies kept, forms posted with their CSRF token."""

    def __init__(self, client: TestClient, outbox: Outbox) -> None:
        self.client = client
        self.outbox = outbox

    def token(self) -> str:
        found = TOKEN.search(self.client.get("/sign-in").text)
        assert found, "the sign-in form has no CSRF token"
        return found.group(1)

    def post(self, path: str, data: dict[str, str], **kwargs: object) -> httpx.Response:
        return self.client.post(path, data={"csrftoken": self.token(), **data}, follow_redirects=False,
                                **kwargs)  # type: ignore[arg-type]

    def ask_code(self, email: str) -> httpx.Response:
        return self.post("/sign-in", {"email": email})

    def enter_code(self, email: str, code: str, next_path: str = "/") -> httpx.Response:
        return self.post("/sign-in/code", {"email": email, "code": code, "next": next_path})

    def sign_in(self, email: str) -> httpx.Response:
        assert self.ask_code(email).status_code == 200
        response = self.enter_code(email, self.outbox.code_for(email))
        assert response.status_code == 303, response.text
        return response

    def signed_in(self) -> bool:
        response = self.client.get("/", follow_redirects=False)
        return response.status_code == 200


@pytest.fixture
def outbox(ledger: Ledger) -> Outbox:
    box = Outbox()
    ledger.sign_in.mailer = box
    return box


@pytest.fixture
def pages(ledger: Ledger, outbox: Outbox) -> Iterator[Pages]:
    app = create_app(ledger, close_ledger=False)
    with TestClient(app, base_url="http://localhost", raise_server_exceptions=False) as client:
        yield Pages(client, outbox)


@pytest.fixture
def senco(ledger: Ledger) -> User:
    user, _ = ledger.accounts.add_user(name="Sam Senco", role="senco", setting_urn="123456",
                                       email="sam.senco@example.org")
    return user
