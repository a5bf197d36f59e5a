"""Real Chromium (Debian's package) driven by Playwright against pytest-django's live server.

Playwright cannot download its own browser here, so it launches /usr/bin/chromium. Where
Chromium is missing the tests skip with the reason, unless MENTORING_REQUIRE_BROWSER=1
(set by .ci/run), where they fail.
"""

from __future__ import annotations

import os
import shutil

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# between page actions are ordinary synchronous ones.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
REQUIRED = os.environ.get("MENTORING_REQUIRE_BROWSER") == "1"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if CHROMIUM is None:
        if REQUIRED:
            pytest.fail("Chromium is required here (MENTORING_REQUIRE_BROWSER=1) but missing")
        pytest.skip("Chromium not installed: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


class PageProblems(list):
    """Console errors and page errors (a CSP violation is one) seen during a test."""


def new_page(browser, *, width: int = 1280, height: int = 900):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    problems = PageProblems()
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.problems = problems
    page.set_default_timeout(15_000)
    return page


@pytest.fixture
def make_page(browser, live_server):
    """`make_page(width=...)` opens a page in a fresh context; each must end clean."""
    pages = []

    def make(**size):
        page = new_page(browser, **size)
        page.base = live_server.url
        pages.append(page)
        return page

    yield make
    for page in pages:
        problems = list(page.problems)
        page.context.close()
        assert problems == [], f"console errors: {problems}"
