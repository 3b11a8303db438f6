"""Browser fixtures: the system's Chromium driven by Playwright's Python package.

No browser is downloaded: Playwright launches `/usr/bin/chromium` (Debian's `chromium`
package; another path with `ALUMNI_CHROMIUM`). Without it the browser tests are skipped with
the reason — unless `ALUMNI_REQUIRE_BROWSER=1` (set by `.ci/run`), which turns the skip into
a failure so that CI cannot pass without having run them.

One Chromium per test module, a fresh context (profile: cookies, storage) per test, and the
session's single platform from `tests/conftest.py`, shared with the e2e tests.

A test that fails leaves a screenshot of each console it opened in its temporary directory
(`failure-<n>.png`); the paths are printed in the failure's report ("screenshots" section).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
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
    pytest.skip(f"browser test not run: {reason}")


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


# The consoles a test opened and its temporary directory, for a screenshot when it fails.
OPENED = pytest.StashKey[tuple[list["Console"], Path]]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A failed test (or its set-up) saves each page it opened, before the pages close."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if not report.failed or report.when == "teardown" or OPENED not in item.stash:
        return
    consoles, tmp_path = item.stash[OPENED]
    saved = []
    for n, console in enumerate(consoles):
        path = tmp_path / f"failure-{n}.png"
        try:
            console.page.screenshot(path=str(path), full_page=True)
        except Exception as exc:  # noqa: BLE001 - a closed or crashed page: say so, keep the report
            saved.append(f"{path}: not saved ({exc})")
            continue
        saved.append(str(path))
    if saved:
        report.sections.append(("screenshots", "\n".join(saved)))
        print("\nscreenshots of the failed test:", *saved, sep="\n  ")


@pytest.fixture
def open_console(browser: Any, platform: Platform, request: pytest.FixtureRequest,
                 tmp_path: Path) -> Iterator[Any]:
    contexts: list[Any] = []
    consoles: list[Console] = []
    request.node.stash[OPENED] = (consoles, tmp_path)

    def open_(roles: str = "manager", *, width: int = 1280, height: int = 900, member_id: str | None = None) -> Console:
        context = browser.new_context(viewport={"width": width, "height": height}, locale="fr-FR")
        context.set_default_timeout(15_000)
        contexts.append(context)
        context.add_init_script(WATCH)
        page = context.new_page()
        token = platform.issue_token(roles, subject=f"browser-{roles}{'-' + member_id if member_id else ''}",
                                     member_id=member_id)
        console = Console(page, f"{platform.gateway_url}/console#token={token}")
        page.on("console", lambda m: console.console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: console.page_errors.append(str(e)))
        consoles.append(console)
        page.goto(console.url)
        return console

    yield open_
    for context in contexts:
        context.close()


# -- helpers shared by the browser tests -------------------------------------------------------

def manager(platform: Platform) -> httpx.Client:
    token = platform.issue_token("manager", subject="browser-setup")
    return httpx.Client(base_url=platform.gateway_url, timeout=10, headers={"Authorization": f"Bearer {token}"})


def register(http: httpx.Client, first: str, last: str, email: str, program: str = "MSc Browser",
             year: int = 2001) -> str:
    r = http.post("/api/v1/members", json={"first_name": first, "last_name": last, "email": email,
                                           "cohort": {"program": program, "graduation_year": year}})
    assert r.status_code == 201, r.text
    return str(r.json()["member_id"])


def members_loaded(page: Any, action: Callable[[], object]) -> None:
    """Do what reloads the members panel, and wait until that load is shown."""
    with page.expect_response(lambda r: "/api/v1/members?" in r.url):
        action()
    page.locator("#members[aria-busy=false]").wait_for(state="attached")


def member_rows(console: Console) -> list[str]:
    return [str(t) for t in console.page.locator("#members tr td:first-child").all_inner_texts()]
