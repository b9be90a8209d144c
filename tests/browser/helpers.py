"""What browser tests do again and again: sign in through the real forms, check a page with axe-core, and save
screenshots of it at a phone's width and a desktop's (``test-results/screenshots/``, not committed).
"""

from __future__ import annotations

import weakref
from pathlib import Path
from typing import Any

from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]
from playwright.sync_api import Page

from tests.mailbox import Mailbox

WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results" / "screenshots"
WIDTHS = (390, 1280)


def sign_in(page: Page, base_url: str, smtp: Mailbox, email: str) -> None:
    """Sign in through the real forms, with the code read from the mail the service sent."""
    before = len(smtp.to(email))
    page.goto(f"{base_url}/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Send me a code").click()
    page.get_by_role("heading", name="Check your email").wait_for()
    code = smtp.code_for(email, before + 1)
    page.get_by_label("Code from the email").fill(code)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Signed in as").wait_for()


NO_SCRIPT: weakref.WeakSet[Page] = weakref.WeakSet()  # pages opened with JavaScript off (conftest's new_page)


def check_a11y(page: Page) -> None:
    """No violation of WCAG 2.2 A and AA, as axe-core checks them, on the page as it is now. axe-core runs in the
    page: use a page with JavaScript (on one without, Playwright's evaluate never returns, so it is refused)."""
    assert page not in NO_SCRIPT, "axe-core runs in the page: check this page in a page with JavaScript on"
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_22_AA},
                                       "resultTypes": ["violations"]})
    violations: list[dict[str, Any]] = results.response["violations"]
    assert not violations, f"{page.url}: {len(violations)} accessibility violation(s):\n" + "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']} [{v['helpUrl']}]\n" + "\n".join(
            f"    {node['target']}: {node['failureSummary']}" for node in v["nodes"][:5])
        for v in violations
    )


def screenshot(page: Page, name: str) -> list[Path]:
    """Full-page PNGs of the page at a phone's width and a desktop's, for a person to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size or {"width": 1280, "height": 900}
    paths = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        path = SCREENSHOTS / f"{name}-{width}.png"
        page.screenshot(path=str(path), full_page=True)
        paths.append(path)
    page.set_viewport_size(size)
    return paths


def check_both_widths(page: Page, name: str) -> None:
    """axe at 390 and 1280 px, and the screenshots."""
    size = page.viewport_size or {"width": 1280, "height": 900}
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        check_a11y(page)
    page.set_viewport_size(size)
    screenshot(page, name)
