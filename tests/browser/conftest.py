"""The browser test harness: the service on a real port, a real SMTP server, and Debian's Chromium.

Every test here is marked ``browser`` and runs after all the others (``tests/conftest.py``). Fixtures (reuse them
for every page test; each runs on both stores, like ``ledger``):

* ``smtp`` — an aiosmtpd server on loopback collecting mail (``tests/mailbox.py``); the ledger sends to it
  (``ISP_LEDGER_SMTP_URL``).
* ``live_server`` — the base URL (``http://127.0.0.1:PORT``) of the whole app (API and pages) on the ``ledger``
  fixture (its FakeClock included), served by uvicorn in a thread.
* ``browser`` — one headless Chromium per test session (``/usr/bin/chromium``; ``./dev test`` installs it).
* ``page`` — a new browser context (no cookies) and page per test, 1280 px wide; ``new_page(javascript=False)``
  for more, or one without JavaScript. A console error (a script error, something the Content-Security-Policy
  blocked; not a page answered with an error status on purpose) fails the test.
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
from tests.browser.helpers import NO_SCRIPT
from tests.mailbox import Mailbox, free_port, smtp_server

CHROMIUM = "/usr/bin/chromium"
# Chromium's console line for a page answered 4xx on purpose (a refused form is shown again with 422).
ANSWERED_WITH_STATUS = "Failed to load resource: the server responded with a status of"


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

    problems: list[str] = []

    def make(*, javascript: bool = True, width: int = 1280) -> Page:
        context = browser.new_context(java_script_enabled=javascript, viewport={"width": width, "height": 900})
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        if not javascript:
            NO_SCRIPT.add(page)
        # A script error, or anything the page's Content-Security-Policy blocked, fails the test.
        page.on("console", lambda m: problems.append(f"{m.type}: {m.text}")
                if m.type == "error" and not m.text.startswith(ANSWERED_WITH_STATUS) else None)
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        return page

    yield make
    for context in contexts:
        context.close()
    assert not problems, "the browser reported:\n" + "\n".join(problems)


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
