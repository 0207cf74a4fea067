"""Browser tests: Playwright driving Debian's Chromium (never a downloaded browser), axe-core on every
page, a screenshot of every page at phone and desktop size in `test-output/screenshots/`, and no
Content-Security-Policy violation anywhere: every context of the `browser` fixture collects what
Chromium reports (its console, and the pages' `securitypolicyviolation` events), `look` fails on the
first one and each browser test fails at its end on any seen since."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
HALL = {"width": 1920, "height": 1080}


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


# Chromium writes a refused script, style, frame or connection to the console ("… violates the following
# Content Security Policy directive …"), also from a sandboxed frame no script of ours runs in; the event
# names the directive and what was blocked.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
    + ` at ${event.sourceFile || document.URL}:${event.lineNumber} (${(event.sample || "").slice(0, 80)})`);
});
"""


class PolicyWatch:
    """The launched browser, whose every new context reports Content-Security-Policy violations into
    `violations` (the page's address and Chromium's words)."""

    def __init__(self, browser: Any) -> None:
        self.browser = browser
        self.violations: list[str] = []

    def new_context(self, **options: Any) -> Any:
        context = self.browser.new_context(**options)
        context.add_init_script(REPORT_VIOLATIONS)
        context.on("console", self.console)
        return context

    def console(self, message: Any) -> None:
        text = str(message.text)
        if message.type == "error" and (
            "Content Security Policy" in text or text.startswith("CSP violation")
        ):
            page = message.page.url if message.page is not None else "?"
            self.violations.append(f"{page}: {text}")

    def take(self) -> list[str]:
        found, self.violations[:] = list(self.violations), []
        return found

    def __getattr__(self, name: str) -> Any:
        return getattr(self.browser, name)


WATCHES: list[PolicyWatch] = []  # the browser of the module running now


def assert_no_policy_violation(where: str) -> None:
    for watch in WATCHES:
        found = watch.take()
        assert not found, f"{where}: Content-Security-Policy violations\n" + "\n".join(
            f"- {v}" for v in found
        )


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium under Playwright; skipped where it is not installed, except in CI. Module-scoped:
    Playwright's sync API keeps an event loop running in this thread until it is closed, which the
    asyncio tests of the next module could not start under."""
    executable = chromium_path()
    if executable is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is not installed: .ci/run installs Debian's chromium for the browser tests")
        pytest.skip("browser tests skipped: no Chromium here (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        watch = PolicyWatch(launched)
        WATCHES.append(watch)
        try:
            yield watch
        finally:
            WATCHES.remove(watch)
            launched.close()


@pytest.fixture(autouse=True)
def no_policy_violation(request: pytest.FixtureRequest) -> Iterator[None]:
    """A browser test fails on any violation reported after its last `look` too."""
    yield
    if "browser" in request.fixturenames:
        assert_no_policy_violation(request.node.name)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if SCREENSHOTS.exists() and any(SCREENSHOTS.iterdir()):
        terminalreporter.write_line(f"page screenshots (phone and desktop): {SCREENSHOTS}")


def look(page: Any, name: str) -> None:
    """What a person would see: no Content-Security-Policy violation so far, a full-page screenshot,
    and axe-core finding no serious or critical violation of WCAG 2.1 AA."""
    from axe_playwright_python.sync_playwright import Axe

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^a-z0-9_.-]+", "-", name.lower())
    page.screenshot(path=str(SCREENSHOTS / f"{safe}.png"), full_page=True)
    assert_no_policy_violation(name)  # after the screenshot: the page has been drawn with its styles
    results = Axe().run(
        page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
    )
    serious = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    assert not serious, f"{name}: accessibility violations\n" + "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:5]}" for v in serious
    )
