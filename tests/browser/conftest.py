"""Browser fixtures: the system's Chromium driven by Playwright's Python package.

No browser is downloaded: Playwright launches `/usr/bin/chromium` (Debian's `chromium`
package; another path with `ALUMNI_CHROMIUM`). Without it the browser tests are skipped with
the reason — unless `ALUMNI_REQUIRE_BROWSER=1` (set by `.ci/run`), which turns the skip into
a failure so that CI cannot pass without having run them.

One Chromium per test module, a fresh context (profile: cookies, storage) per test, and the
session's single platform from `tests/conftest.py`, shared with the e2e tests.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from alumni_local.runner import Platform

# Flags measured to work in containers and sandboxes; Playwright adds --headless and a fresh
# temporary --user-data-dir itself (it refuses a user-data-dir in `args`).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

# Installed into every page before its own scripts: records CSP violations and uncaught errors
# where the test can read them (the page's own code cannot remove this listener before it runs).
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", e => window.__csp.push(
  {directive: e.effectiveDirective, blocked: e.blockedURI, source: e.sourceFile, line: e.lineNumber, sample: e.sample}));
"""


def _chromium() -> str | None:
    configured = os.environ.get("ALUMNI_CHROMIUM")
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is not installed (pip install -c constraints.txt playwright)"
    if _chromium() is None:
        return "no Chromium found (apt-get install chromium, or set ALUMNI_CHROMIUM to its path)"
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip (or fail, under ALUMNI_REQUIRE_BROWSER=1) before any fixture starts the platform."""
    if item.get_closest_marker("browser") is None:
        return
    reason = _missing()
    if reason is None:
        return
    if os.environ.get("ALUMNI_REQUIRE_BROWSER") == "1":
        pytest.fail(f"ALUMNI_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    executable = _chromium()
    assert executable is not None
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, timeout=30_000)
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class Console:
    """A console page opened as someone, with what went wrong in it collected."""

    page: Any
    url: str
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def csp_violations(self) -> list[dict[str, Any]]:
        return list(self.page.evaluate("window.__csp"))

    def assert_clean(self) -> None:
        assert self.page_errors == [], f"uncaught errors in the page: {self.page_errors}"
        assert self.console_errors == [], f"console errors: {self.console_errors}"
        assert self.csp_violations() == [], "the console's own code violated its CSP"


@pytest.fixture
def open_console(browser: Any, platform: Platform) -> Iterator[Any]:
    contexts: list[Any] = []

    def open_(roles: str = "manager", *, width: int = 1280, height: int = 900) -> Console:
        context = browser.new_context(viewport={"width": width, "height": height}, locale="fr-FR")
        context.set_default_timeout(15_000)
        contexts.append(context)
        context.add_init_script(WATCH)
        page = context.new_page()
        token = platform.issue_token(roles, subject=f"browser-{roles}")
        console = Console(page, f"{platform.gateway_url}/console#token={token}")
        page.on("console", lambda m: console.console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: console.page_errors.append(str(e)))
        page.goto(console.url)
        return console

    yield open_
    for context in contexts:
        context.close()
