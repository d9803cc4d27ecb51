"""The web UI in a real browser (Debian's Chromium, driven by Playwright), against a real
server: each test does what a person would and checks the result over HTTP too.

Every page must run under its own Content-Security-Policy with no console error and no
uncaught error, and pass axe-core with no serious or critical violation. Playwright never
downloads a browser here: without a chromium binary the tests skip.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from apidouble import MockServer
from tests.browser import WATCH_CSP, launched_chromium

playwright_api = pytest.importorskip("playwright.sync_api")

TIMEOUT_MS = 5_000
DOCS = Path(__file__).resolve().parents[2] / "docs"
TOKEN = "ui-s3cret"
ENDPOINTS: list[dict[str, Any]] = [
    {"id": "hello", "path": "/hello", "response": {"message": "hi"}},
    {
        "id": "pay-unpaid",
        "path": "/pay",
        "scenario": {"name": "checkout", "when": "Started"},
        "response": "unpaid",
    },
    {
        "id": "pay-paid",
        "path": "/pay",
        "scenario": {"name": "checkout", "when": "paid"},
        "response": "paid",
    },
]


@dataclass
class Ui:
    """A page on the UI of one server, and what the page reported."""

    page: Any
    mock: MockServer
    problems: list[str] = field(default_factory=list)
    allowed: list[str] = field(default_factory=list)
    """Console messages a test expects (the browser logs every 4xx answer to a fetch)."""

    def open(self, view: str) -> None:
        self.page.goto(f"{self.mock.url}/__admin/ui/#/{view}")
        self.page.wait_for_selector(f"#view-{view}:not([hidden])", timeout=TIMEOUT_MS)

    def go(self, view: str) -> None:
        self.page.click(f"nav a[href='#/{view}']")
        self.page.wait_for_selector(f"#view-{view}:not([hidden])", timeout=TIMEOUT_MS)

    def live(self) -> None:
        """Wait for the live stream to be connected."""
        self.page.wait_for_selector("#stream-status:text-is('live')", timeout=TIMEOUT_MS)

    def check_accessibility(self) -> None:
        from axe_playwright_python.sync_playwright import Axe

        results = Axe().run(self.page)
        bad = [
            f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}"
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert bad == [], bad

    def editor_text(self, document: str) -> None:
        self.page.fill("#editor-text", document)

    def finish(self) -> None:
        violations = self.page.evaluate("window.__violations")
        unexpected = [p for p in self.problems if not any(a in p for a in self.allowed)]
        assert unexpected == [], unexpected
        assert violations == [], violations


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launched_chromium()


def _ui(browser: Any, mock: MockServer) -> Iterator[Ui]:
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    ui = Ui(page, mock)
    page.on(
        "console",
        lambda message: (
            ui.problems.append(f"console {message.type}: {message.text}")
            if message.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda error: ui.problems.append(f"page error: {error}"))
    page.on("dialog", lambda dialog: dialog.accept())
    page.add_init_script(WATCH_CSP)
    try:
        yield ui
        ui.finish()
    finally:
        context.close()


@pytest.fixture
def ui(browser: Any) -> Iterator[Ui]:
    with MockServer(endpoints=ENDPOINTS) as mock:
        yield from _ui(browser, mock)


@pytest.fixture
def guarded_ui(browser: Any) -> Iterator[Ui]:
    with MockServer(endpoints=ENDPOINTS, admin_token=TOKEN) as mock:
        yield from _ui(browser, mock)


def test_an_endpoint_made_in_the_editor_is_served(ui: Ui) -> None:
    ui.open("endpoints")
    page = ui.page
    page.wait_for_selector("#endpoint-table tr[data-id='hello']")
    ui.check_accessibility()
    page.click("#endpoint-new")
    ui.editor_text('{"id": "made", "path": "/made", "response": {"made": "in the ui"}}')
    page.click("#editor-save")
    page.wait_for_selector("#endpoint-table tr[data-id='made']")
    assert page.locator("#editor").is_hidden()
    answer = httpx.get(ui.mock.url + "/made", timeout=5)
    assert answer.status_code == 200
    assert answer.json() == {"made": "in the ui"}
    page.fill("#endpoint-search", "made")
    assert page.locator("#endpoint-table tbody tr").count() == 1


def test_a_validation_error_is_shown_with_its_pointer(ui: Ui) -> None:
    ui.allowed.append("status of 422")
    ui.open("endpoints")
    page = ui.page
    page.click("#endpoint-new")
    ui.editor_text('{"id": "bad", "path": "/bad", "status": "teapot"}')
    page.click("#editor-save")
    problems = page.locator("#editor-problems li")
    problems.first.wait_for()
    text = problems.first.inner_text()
    assert text.startswith("/endpoints/0/status: ")
    assert "teapot" in text
    assert page.locator("#editor").is_visible()
    assert httpx.get(ui.mock.url + "/__admin/endpoints/bad", timeout=5).status_code == 404
    ui.editor_text("{not json")
    page.click("#editor-save")
    page.wait_for_selector("#editor-problems li:has-text('not JSON')")


def test_a_request_appears_in_the_live_log_without_a_reload(ui: Ui) -> None:
    ui.open("live")
    ui.live()
    page = ui.page
    assert httpx.get(ui.mock.url + "/hello?from=test", timeout=5).status_code == 200
    row = page.locator("#live-table tbody tr", has_text="/hello?from=test")
    row.wait_for()
    assert "200" in row.inner_text()
    page.wait_for_selector("#live-count:has-text('1 of 1')")
    row.locator("button").click()
    detail = page.locator("#live-detail")
    detail.wait_for()
    assert "answered by GET /hello" in detail.inner_text()
    assert '"message": "hi"' in page.locator("#detail-body pre").last.inner_text()
    ui.check_accessibility()


def test_an_unmatched_request_becomes_a_stub_from_its_near_misses(ui: Ui) -> None:
    ui.open("live")
    ui.live()
    page = ui.page
    missed = httpx.get(ui.mock.url + "/helo?lang=en", timeout=5)
    assert missed.status_code == 404
    page.check("#live-unmatched")
    page.locator("#live-table tbody tr", has_text="/helo").locator("button").click()
    page.wait_for_selector("#detail-body .near-misses li:has-text('GET /hello')")
    page.click("#create-stub")
    page.wait_for_selector("#view-endpoints:not([hidden]) #editor:not([hidden])")
    text = page.input_value("#editor-text")
    assert '"path": "/helo"' in text and '"lang": "en"' in text
    page.click("#editor-save")
    page.wait_for_selector("#editor", state="hidden")
    again = httpx.get(ui.mock.url + "/helo?lang=en", timeout=5)
    assert again.status_code == 200
    assert again.json() == {"ok": True}


def test_a_scenario_state_set_on_the_state_page_changes_the_answer(ui: Ui) -> None:
    assert httpx.get(ui.mock.url + "/pay", timeout=5).text == "unpaid"
    ui.open("state")
    page = ui.page
    row = page.locator("#scenario-table tr[data-scenario='checkout']")
    row.wait_for()
    assert row.locator(".current").inner_text() == "Started"
    ui.check_accessibility()
    row.locator("select").select_option("paid")
    row.locator("button").click()
    page.wait_for_selector("#scenario-table tr[data-scenario='checkout'] .current:text-is('paid')")
    assert httpx.get(ui.mock.url + "/pay", timeout=5).text == "paid"
    page.click("#scenario-reset")
    page.wait_for_selector(
        "#scenario-table tr[data-scenario='checkout'] .current:text-is('Started')"
    )
    assert httpx.get(ui.mock.url + "/pay", timeout=5).text == "unpaid"


def test_the_dashboard_counts_requests(ui: Ui) -> None:
    ui.open("dashboard")
    ui.live()
    page = ui.page
    assert page.inner_text("#dash-total") == "0"
    for _ in range(5):
        httpx.get(ui.mock.url + "/hello", timeout=5)
    page.wait_for_selector("#dash-total:text-is('5')")
    page.wait_for_selector("#dash-chart rect.bar.s2xx")
    assert page.inner_text("#dash-entries") == "5"
    ui.check_accessibility()


def test_with_a_token_the_ui_asks_for_it_then_works(guarded_ui: Ui) -> None:
    page = guarded_ui.page
    page.goto(f"{guarded_ui.mock.url}/__admin/ui/#/endpoints")
    page.wait_for_selector("#login:not([hidden])")
    assert page.locator("#view-endpoints").is_hidden()
    guarded_ui.check_accessibility()
    page.fill("#login-token", "wrong")
    page.click("#login-form button")
    page.wait_for_selector("#login-error:has-text('not accepted')")
    page.fill("#login-token", TOKEN)
    page.click("#login-form button")
    page.wait_for_selector("#endpoint-table tr[data-id='hello']")
    guarded_ui.live()
    assert page.evaluate("sessionStorage.getItem('apidouble.admin-token')") == TOKEN
    page.reload()  # the token is kept for this tab
    page.wait_for_selector("#endpoint-table tr[data-id='hello']")
    httpx.get(guarded_ui.mock.url + "/hello", timeout=5)
    guarded_ui.go("live")
    page.locator("#live-table tbody tr", has_text="/hello").wait_for()


def test_a_narrow_window_keeps_every_view_usable(ui: Ui) -> None:
    ui.page.set_viewport_size({"width": 380, "height": 700})
    ui.open("endpoints")
    for view in ("live", "state", "dashboard", "endpoints"):
        ui.go(view)
        width = ui.page.evaluate("document.documentElement.scrollWidth")
        assert width <= 380, (view, width)
    assert re.search("Endpoints", ui.page.title())


@pytest.mark.skipif(
    os.environ.get("APIDOUBLE_SCREENSHOTS") != "1",
    reason="APIDOUBLE_SCREENSHOTS=1 writes docs/ui-*.png",
)
def test_screenshots(ui: Ui) -> None:
    page = ui.page
    ui.open("endpoints")
    ui.live()
    for path in ("/hello", "/hello?page=2", "/pay", "/helo", "/hello"):
        httpx.get(ui.mock.url + path, timeout=5)
    page.wait_for_selector("#endpoint-table tr[data-id='hello'] .hits:text-is('3')")
    page.screenshot(path=str(DOCS / "ui-endpoints.png"), full_page=True)
    ui.go("live")
    page.locator("#live-table tbody tr", has_text="/helo").locator("button").click()
    page.wait_for_selector("#detail-body .near-misses")
    page.screenshot(path=str(DOCS / "ui-live.png"), full_page=True)
    ui.go("state")
    page.wait_for_selector("#scenario-table tr[data-scenario='checkout']")
    page.screenshot(path=str(DOCS / "ui-state.png"), full_page=True)
    ui.go("dashboard")
    page.wait_for_selector("#dash-chart rect.bar")
    page.screenshot(path=str(DOCS / "ui-dashboard.png"), full_page=True)


def test_the_dark_theme_passes_the_same_checks(ui: Ui) -> None:
    ui.page.emulate_media(color_scheme="dark")
    ui.open("live")
    ui.live()
    httpx.get(ui.mock.url + "/hello", timeout=5)
    httpx.get(ui.mock.url + "/nothing", timeout=5)
    ui.page.locator("#live-table tbody tr", has_text="/nothing").wait_for()
    background = ui.page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(15, 20, 25)"
    for view in ("live", "endpoints", "state", "dashboard"):
        ui.go(view)
        ui.check_accessibility()
