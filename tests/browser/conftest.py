"""The browser test harness: the service on a real port, a real SMTP server, and Debian's Chromium.

Fixtures (reuse them for every page test; each runs on both stores, like ``ledger``):

* ``smtp`` — an aiosmtpd server on loopback collecting mail (``tests/mailbox.py``); the ledger sends to it
  (``ISP_LEDGER_SMTP_URL``).
* ``live_server`` — the base URL (``http://127.0.0.1:PORT``) of the whole app (API and pages) on the ``ledger``
  fixture (its FakeClock included), served by uvicorn in a thread.
* ``browser`` — one headless Chromium per test session (``/usr/bin/chromium``; ``./dev test`` installs it).
* ``page`` — a new browser context (no cookies) and page per test, 1280 px wide; ``new_page(javascript=False)``
  for more, or one without JavaScript.
* ``person(role, setting=...)`` — a user with an e-mail address, to sign in as.

Helpers are in ``helpers.py``: ``sign_in``, ``check_a11y``, ``screenshot``, ``check_both_widths``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from isp_ledger.access import User
from isp_ledger.api.app import create_app
from isp_ledger.application import Ledger
from tests.mailbox import Mailbox, free_port, smtp_server

CHROMIUM = "/usr/bin/chromium"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def smtp() -> Iterator[Mailbox]:
    with smtp_server() as mailbox:
        yield mailbox


@pytest.fixture
def env(env: dict[str, str], smtp: Mailbox) -> dict[str, str]:
    return {**env, "ISP_LEDGER_SMTP_URL": smtp.url}


@pytest.fixture
def live_server(ledger: Ledger) -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(create_app(ledger, close_ledger=False), host="127.0.0.1", port=port,
                            log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the live server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: ./dev test installs it (apt-get install -y chromium)", pytrace=False)
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
    yield chromium
    chromium.close()


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    contexts = []

    def make(*, javascript: bool = True, width: int = 1280) -> Page:
        context = browser.new_context(java_script_enabled=javascript, viewport={"width": width, "height": 900})
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    return new_page()


@pytest.fixture
def person(ledger: Ledger) -> Callable[..., User]:
    """``person("senco", setting="123456")``: a new user of that role, e-mail ``<role>@example.org`` (or ``email``)."""

    def make(role: str, *, setting: str | None = None, email: str | None = None, name: str | None = None) -> User:
        user, _token = ledger.accounts.add_user(name=name or f"{role.title()} Person", role=role, setting_urn=setting,
                                                email=email or f"{role}@example.org")
        return user

    return make
