"""Every browser test is also an accessibility test.

The `page` fixture here wraps Playwright's page: each HTML document the browser loads is checked
with axe-core (shipped inside the axe-playwright-python package, nothing downloaded at test time)
the next time the test touches the page, and once more when the test ends. A serious or critical
violation fails the test with axe's report. Content that appears without a page load (a dialog,
a list fetched by script) is checked by calling `assert_accessible(page)` after it appears.
See docs/architecture.md "Forms and accessibility".
"""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Error as PlaywrightError

# The impacts that fail a test; "moderate" and "minor" findings are reported by axe but tolerated.
FAILING_IMPACTS = {"serious", "critical"}
_axe = Axe()


def axe_violations(page) -> list[dict]:
    """axe-core's serious and critical violations on the page's current document."""
    raw = page.page if isinstance(page, AxeCheckedPage) else page
    raw.wait_for_load_state("load")
    if raw.evaluate("document.contentType") != "text/html":
        return []  # a PDF or an image shown by the browser: nothing for axe to check
    try:
        results = _axe.run(raw)
    except PlaywrightError as error:
        if "context was destroyed" not in str(error):
            raise
        # The page navigated while axe ran: check the document it landed on.
        raw.wait_for_load_state("load")
        results = _axe.run(raw)
    return [v for v in results.response["violations"] if v["impact"] in FAILING_IMPACTS]


def format_violations(url: str, violations: list[dict]) -> str:
    lines = [f"axe-core found {len(violations)} serious/critical accessibility violation(s) on {url}:"]
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']} [{violation['helpUrl']}]")
        for node in violation["nodes"][:5]:
            lines.append(f"    {', '.join(map(str, node['target']))}: {node.get('failureSummary', '')!s}".rstrip())
            lines.append(f"      {node['html'][:200]}")
    return "\n".join(lines)


def assert_accessible(page) -> None:
    """Fail if axe-core finds a serious or critical violation on the page as it is now."""
    violations = axe_violations(page)
    if violations:
        raw = page.page if isinstance(page, AxeCheckedPage) else page
        raise AssertionError(format_violations(raw.url, violations))


def tab_to(page, locator, max_tabs: int = 80) -> None:
    """Reach a control with the Tab key only, as a keyboard user does, and check that the focus is
    visible on it (an outline or Bootstrap's focus ring). Fails if Tab never reaches it."""
    target = locator.element_handle()
    for _ in range(max_tabs):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            break
    else:
        raise AssertionError(f"Tab never reached {locator}")
    ring = target.evaluate(
        """el => { const s = getComputedStyle(el);
                   return (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== "none"; }"""
    )
    assert ring, f"{locator} has no visible focus indicator"


class AxeCheckedPage:
    """A Playwright Page that runs axe on each newly loaded document before the test's next use.

    Anything the test reads from the page goes through __getattr__, so a document loaded by a click
    or a form submission is checked before the test asserts on it; locators obtained earlier keep
    working (they belong to the real page). Tests that need the real object use `.page`.
    """

    def __init__(self, page):
        self.page = page
        self._loads = 0
        self._checked = 0
        page.on("load", self._on_load)

    def _on_load(self, _page) -> None:
        # Only count here: calling back into Playwright from an event handler is not allowed.
        self._loads += 1

    def check_pending(self) -> None:
        if self._loads != self._checked:
            self._checked = self._loads
            assert_accessible(self.page)

    def __getattr__(self, name):
        self.check_pending()
        return getattr(self.page, name)


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15000)
    checked = AxeCheckedPage(context.new_page())
    yield checked
    try:
        if not checked.page.is_closed():
            checked.check_pending()
    finally:
        context.close()
