"""The web UI in a real browser (Debian's Chromium, driven by Playwright), against a real
server: each test does what a person would and checks the result over HTTP too.

Every page must run under its own Content-Security-Policy with no console error and no
uncaught error, and pass axe-core with no serious or critical violation. Playwright never
downloads a browser here: without a chromium binary the tests skip.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from apidouble import MockServer
from tests.browser import WATCH_CSP, launched_chromium
from tests.ui.cable import cable_to

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


# --- endpoints: filters, whole documents, YAML, enable/disable, import --------------------

FILE_CONFIG = """\
endpoints:
  - id: from-file
    method: GET
    path: /from-file
    status: 201
    headers: {x-from: file}
    response: {message: from the file}
  - id: quiet
    path: /quiet
    response: never called
"""


@pytest.fixture
def file_ui(browser: Any, tmp_path: Path) -> Iterator[Ui]:
    (tmp_path / "apidouble.yaml").write_text(FILE_CONFIG)
    with MockServer(tmp_path) as mock:
        httpx.post(
            mock.url + "/__admin/endpoints", json={"id": "made", "path": "/made", "response": "m"}
        )
        yield from _ui(browser, mock)


def _rows(page: Any) -> list[str]:
    return sorted(
        page.eval_on_selector_all("#endpoint-table tbody tr", "rows => rows.map(r => r.dataset.id)")
    )


def test_the_endpoints_filter_by_source_file_hits_and_never_hit(file_ui: Ui) -> None:
    for _ in range(3):
        assert httpx.get(file_ui.mock.url + "/from-file", timeout=5).status_code == 201
    file_ui.open("endpoints")
    page = file_ui.page
    page.wait_for_selector("#endpoint-table tr[data-id='from-file'] .hits:text-is('3')")
    assert _rows(page) == ["from-file", "made", "quiet"]
    page.select_option("#endpoint-file", "admin API")
    assert _rows(page) == ["made"]
    config = str(file_ui.mock._paths[0] / "apidouble.yaml")
    page.select_option("#endpoint-file", config)
    assert _rows(page) == ["from-file", "quiet"]
    page.check("#endpoint-never-hit")
    page.wait_for_function(
        "() => document.querySelectorAll('#endpoint-table tbody tr').length === 1"
    )
    assert _rows(page) == ["quiet"]
    page.uncheck("#endpoint-never-hit")
    page.fill("#endpoint-min-hits", "2")
    assert _rows(page) == ["from-file"]
    page.fill("#endpoint-min-hits", "4")
    assert _rows(page) == []
    file_ui.check_accessibility()


def test_a_file_stub_is_edited_as_its_whole_document(file_ui: Ui) -> None:
    file_ui.open("endpoints")
    page = file_ui.page
    page.click("#endpoint-table tr[data-id='from-file'] button:text-is('Edit')")
    page.wait_for_selector("#editor:not([hidden])")
    document = json.loads(page.input_value("#editor-text"))
    assert document["headers"] == {"x-from": "file"} and document["status"] == 201
    assert "file is not written" in page.inner_text("#editor-note")
    document["response"] = {"message": "edited in the ui"}
    file_ui.editor_text(json.dumps(document))
    page.click("#editor-save")
    page.wait_for_selector("#editor", state="hidden")
    answer = httpx.get(file_ui.mock.url + "/from-file", timeout=5)
    assert (answer.status_code, answer.json()) == (201, {"message": "edited in the ui"})
    assert answer.headers["x-from"] == "file"
    assert "from the file" in (file_ui.mock._paths[0] / "apidouble.yaml").read_text()


def test_the_yaml_editor_round_trips_and_shows_the_line_of_a_problem(file_ui: Ui) -> None:
    file_ui.allowed.append("status of 422")
    file_ui.open("endpoints")
    page = file_ui.page
    page.click("#endpoint-table tr[data-id='from-file'] button:text-is('Edit')")
    page.wait_for_selector("#editor:not([hidden])")
    page.check("#editor-mode-yaml")
    text = page.input_value("#editor-text")
    assert "x-from: file" in text and "status: 201" in text
    assert yaml.safe_load(text)["response"] == {"message": "from the file"}
    file_ui.check_accessibility()
    file_ui.editor_text(text.replace("status: 201", "status: teapot"))
    page.click("#editor-save")
    problem = page.locator("#editor-problems li").first
    problem.wait_for()
    assert problem.inner_text().startswith("/endpoints/0/status (line ")
    line = text.splitlines().index("status: 201") + 1
    assert f"(line {line})" in problem.inner_text()
    file_ui.editor_text(text.replace("from the file", "saved as yaml"))
    page.click("#editor-save")
    page.wait_for_selector("#editor", state="hidden")
    assert httpx.get(file_ui.mock.url + "/from-file", timeout=5).json() == {
        "message": "saved as yaml"
    }
    page.click("#endpoint-table tr[data-id='from-file'] button:text-is('Edit')")
    page.wait_for_selector("#editor:not([hidden])")
    assert "saved as yaml" in page.input_value("#editor-text")  # still in YAML mode
    page.check("#editor-mode-json")  # unchanged text: back to JSON
    assert json.loads(page.input_value("#editor-text"))["response"]["message"] == "saved as yaml"


def test_a_disabled_stub_is_not_served_until_enabled(file_ui: Ui) -> None:
    file_ui.open("endpoints")
    page = file_ui.page
    page.click("#endpoint-table tr[data-id='from-file'] button.toggle")
    page.wait_for_selector("#endpoint-table tr.disabled[data-id='from-file']")
    assert httpx.get(file_ui.mock.url + "/from-file", timeout=5).status_code == 404
    file_ui.check_accessibility()
    page.click("#endpoint-table tr[data-id='from-file'] button:text-is('Enable')")
    page.wait_for_selector("#endpoint-table tr[data-id='from-file']:not(.disabled)")
    assert httpx.get(file_ui.mock.url + "/from-file", timeout=5).status_code == 201


IMPORT_WIREMOCK = {
    "mappings": [
        {
            "request": {"method": "GET", "urlPath": "/imported/wm"},
            "response": {"status": 200, "jsonBody": {"from": "wiremock"}},
        }
    ]
}
IMPORT_HAR = {
    "log": {
        "version": "1.2",
        "creator": {"name": "test", "version": "1"},
        "entries": [
            {
                "request": {"method": "GET", "url": "http://api.test/imported/har", "headers": []},
                "response": {
                    "status": 200,
                    "headers": [{"name": "content-type", "value": "application/json"}],
                    "content": {"mimeType": "application/json", "text": '{"from": "har"}'},
                },
            }
        ],
    }
}


def test_a_wiremock_file_and_a_har_are_imported_by_upload(ui: Ui, tmp_path: Path) -> None:
    ui.open("endpoints")
    page = ui.page
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps(IMPORT_WIREMOCK))
    page.set_input_files("#import-file", str(mapping))
    page.wait_for_selector("#import-result:has-text('Imported 1 stub from mapping.json')")
    assert httpx.get(ui.mock.url + "/imported/wm", timeout=5).json() == {"from": "wiremock"}
    har = tmp_path / "session.har"
    har.write_text(json.dumps(IMPORT_HAR))
    # dropped on the zone, as a person drags it from a file manager
    handle = page.evaluate_handle(
        """([name, text]) => {
            const data = new DataTransfer();
            data.items.add(new File([text], name, { type: "application/json" }));
            return data;
        }""",
        [har.name, har.read_text()],
    )
    page.dispatch_event("#import-drop", "drop", {"dataTransfer": handle})
    page.wait_for_selector("#import-result:has-text('from session.har')")
    assert httpx.get(ui.mock.url + "/imported/har", timeout=5).json() == {"from": "har"}
    page.wait_for_selector("#endpoint-table tbody tr:has-text('/imported/har')")
    ui.check_accessibility()


LOGO = bytes([0x89, 0x50, 0x4E, 0x47, 0x00, 0xFF, 0xFE, 0x01])
"""Not UTF-8: sent as base64Body, served byte for byte."""


def _wiremock_folder(root: Path) -> Path:
    """A WireMock root as WireMock itself reads it: mappings/ (a nested folder too) and
    __files/ (a sub-folder, a binary file, a file no mapping names)."""
    (root / "mappings" / "nested").mkdir(parents=True)
    (root / "__files" / "users").mkdir(parents=True)
    user = {
        "request": {"method": "GET", "urlPath": "/folder/user"},
        "response": {
            "status": 200,
            "headers": {"Content-Type": "application/json"},
            "bodyFileName": "users/ada.json",
        },
    }
    (root / "mappings" / "user.json").write_text(json.dumps(user))
    more = {
        "mappings": [
            {"request": {"urlPath": "/folder/logo"}, "response": {"bodyFileName": "logo.png"}},
            {"request": {"urlPath": "/folder/inline"}, "response": {"body": "inline"}},
        ]
    }
    (root / "mappings" / "nested" / "more.json").write_text(json.dumps(more))
    (root / "__files" / "users" / "ada.json").write_text('{"name": "Ada"}')
    (root / "__files" / "logo.png").write_bytes(LOGO)
    (root / "__files" / "unused.txt").write_text("never named")
    return root


def test_a_wiremock_folder_is_imported_with_its_files(ui: Ui, tmp_path: Path) -> None:
    folder = _wiremock_folder(tmp_path / "wm")
    ui.open("endpoints")
    page = ui.page
    page.set_input_files("#import-folder", str(folder))
    result = page.locator("#import-result")
    page.wait_for_selector("#import-result:has-text('Imported 3 stubs from the folder wm')")
    assert "2 bodies from __files" in result.inner_text()
    user = httpx.get(ui.mock.url + "/folder/user", timeout=5)
    assert (user.status_code, user.json()) == (200, {"name": "Ada"})
    assert user.headers["content-type"] == "application/json"
    assert httpx.get(ui.mock.url + "/folder/logo", timeout=5).content == LOGO
    assert httpx.get(ui.mock.url + "/folder/inline", timeout=5).text == "inline"
    page.wait_for_selector("#endpoint-table tbody tr:has-text('/folder/logo')")
    ui.check_accessibility()


def test_a_folder_naming_a_file_outside_its_files_imports_nothing(ui: Ui, tmp_path: Path) -> None:
    folder = _wiremock_folder(tmp_path / "wm")
    (tmp_path / "outside.txt").write_text("not in the upload")
    escape = {
        "request": {"urlPath": "/folder/escape"},
        "response": {"bodyFileName": "../../outside.txt"},
    }
    (folder / "mappings" / "escape.json").write_text(json.dumps(escape))
    missing = {"request": {"urlPath": "/folder/missing"}, "response": {"bodyFileName": "gone.json"}}
    (folder / "mappings" / "missing.json").write_text(json.dumps(missing))
    ui.open("endpoints")
    page = ui.page
    page.set_input_files("#import-folder", str(folder))
    page.wait_for_selector("#import-result:has-text('Not imported (wm)')")
    text = page.inner_text("#import-result")
    assert 'wm/mappings/escape.json: bodyFileName "../../outside.txt" leaves __files/' in text
    assert (
        'wm/mappings/missing.json: bodyFileName "gone.json" is not in the folder\'s __files/'
        in text
    )
    for path in ("/folder/user", "/folder/escape", "/folder/missing"):
        assert httpx.get(ui.mock.url + path, timeout=5).status_code == 404


def test_a_mapping_the_server_refuses_is_named_by_its_file(ui: Ui, tmp_path: Path) -> None:
    ui.allowed.append("status of 422")
    folder = _wiremock_folder(tmp_path / "wm")
    bad = {"request": {"urlPath": "/folder/bad"}, "response": {"status": "teapot"}}
    (folder / "mappings" / "zz-bad.json").write_text(json.dumps(bad))
    ui.open("endpoints")
    ui.page.set_input_files("#import-folder", str(folder))
    ui.page.wait_for_selector("#import-result:has-text('Not imported (wm)')")
    text = ui.page.inner_text("#import-result")
    assert "wm/mappings/zz-bad.json at /response/status: status must be" in text
    assert httpx.get(ui.mock.url + "/folder/user", timeout=5).status_code == 404  # none


def test_a_wiremock_folder_dropped_on_the_zone_is_imported(ui: Ui, tmp_path: Path) -> None:
    folder = _wiremock_folder(tmp_path / "dropped")
    ui.open("endpoints")
    page = ui.page
    box = page.locator("#import-drop").bounding_box()
    assert box is not None
    point = {"x": box["x"] + box["width"] / 2, "y": box["y"] + box["height"] / 2}
    # the browser's own drag and drop, as a file manager starts it: a real directory entry
    cdp = page.context.new_cdp_session(page)
    data = {"items": [], "files": [str(folder)], "dragOperationsMask": 1}
    for kind in ("dragEnter", "dragOver", "drop"):
        cdp.send("Input.dispatchDragEvent", {"type": kind, **point, "data": data})
    page.wait_for_selector("#import-result:has-text('Imported 3 stubs from the folder dropped')")
    assert httpx.get(ui.mock.url + "/folder/user", timeout=5).json() == {"name": "Ada"}
    assert httpx.get(ui.mock.url + "/folder/logo", timeout=5).content == LOGO


TROUBLE = [
    *ENDPOINTS,
    {"id": "broken", "path": "/broken", "fault": "connection_reset"},
    {"id": "limited", "path": "/limited", "rate_limit": {"requests": 1, "per": "1m"}},
]


@pytest.fixture
def trouble_ui(browser: Any) -> Iterator[Ui]:
    with MockServer(endpoints=TROUBLE) as mock:
        yield from _ui(browser, mock)


def test_the_dashboard_shows_percentiles_trouble_and_the_busiest_stubs(trouble_ui: Ui) -> None:
    trouble_ui.open("dashboard")
    trouble_ui.live()
    page = trouble_ui.page
    assert page.inner_text("#dash-p50") == "–" and page.inner_text("#dash-faults") == "0"
    for _ in range(5):
        httpx.get(trouble_ui.mock.url + "/hello", timeout=5)
    with pytest.raises(httpx.TransportError):
        httpx.get(trouble_ui.mock.url + "/broken", timeout=5)
    assert httpx.get(trouble_ui.mock.url + "/limited", timeout=5).status_code == 200
    assert httpx.get(trouble_ui.mock.url + "/limited", timeout=5).status_code == 429
    page.wait_for_selector("#dash-faults:text-is('1')")
    page.wait_for_selector("#dash-rejected:text-is('1')")
    assert page.inner_text("#dash-failures") == "0"
    page.wait_for_selector("#dash-latency-count:has-text('8 requests')")
    durations = sorted(
        e["duration_ms"] for e in httpx.get(trouble_ui.mock.url + "/__admin/logs").json()["logs"]
    )
    assert page.inner_text("#dash-p50") == f"{durations[3]:.1f} ms"  # nearest rank of 8
    assert page.inner_text("#dash-p99") == f"{durations[-1]:.1f} ms"
    # The counts arrive in once-a-second stats events, so the three stubs' hits may be
    # split over two of them: wait for each before reading the order.
    for stub in ("hello", "limited", "broken"):
        page.wait_for_selector(f"#stubs-legend li[data-stub='{stub}']")
    page.wait_for_selector("#stubs-legend li[data-stub='hello']:has-text('hello: 5')")
    assert page.locator("#dash-stubs polyline[data-stub='hello']").count() == 1
    legend = page.eval_on_selector_all(
        "#stubs-legend li", "items => items.map(i => i.dataset.stub)"
    )
    assert legend[0] == "hello" and set(legend) == {"hello", "limited", "broken"}
    trouble_ui.check_accessibility()


ERRORS = [*ENDPOINTS, {"id": "boom", "name": "boom", "path": "/boom", "status": 503}]


@pytest.fixture
def errors_ui(browser: Any) -> Iterator[Ui]:
    with MockServer(endpoints=ERRORS) as mock:
        yield from _ui(browser, mock)


def _cells(page: Any, row: str) -> list[str]:
    return list(page.eval_on_selector_all(f"{row} td", "cells => cells.map(c => c.innerText)"))


def test_the_dashboard_shows_each_endpoints_status_codes_and_errors(errors_ui: Ui) -> None:
    errors_ui.open("dashboard")
    errors_ui.live()
    page = errors_ui.page
    assert page.locator("#per-endpoint-empty").is_visible()
    for _ in range(4):
        assert httpx.get(errors_ui.mock.url + "/hello", timeout=5).status_code == 200
    for _ in range(3):
        assert httpx.get(errors_ui.mock.url + "/boom", timeout=5).status_code == 503
    boom = "#per-endpoint-table tr[data-stub='boom']"
    page.wait_for_selector(f"{boom} .errors:text-is('3')")
    hello = "#per-endpoint-table tr[data-stub='GET /hello']"  # a stub's label: name, or route
    page.wait_for_selector(f"{hello} .c2xx:text-is('4')")
    assert _cells(page, boom) == ["0", "0", "0", "0", "3", "0", "3"]  # 1xx..5xx, faults, errors
    assert _cells(page, hello) == ["0", "4", "0", "0", "0", "0", "0"]
    assert page.locator("#per-endpoint-empty").is_hidden()
    # the chart shows the endpoint with the most errors until one is picked
    assert page.inner_text("#endpoint-chart-name") == "boom"
    assert page.locator("#dash-endpoint-chart rect.bar.s5xx").count() >= 1
    assert page.locator("#dash-endpoint-chart rect.bar.s2xx").count() == 0
    assert "3 errors" in page.inner_text("#endpoint-chart-summary")
    page.select_option("#per-endpoint-pick", label="GET /hello")
    page.wait_for_selector("#endpoint-chart-name:text-is('GET /hello')")
    assert page.locator("#dash-endpoint-chart rect.bar.s2xx").count() >= 1
    assert page.locator("#dash-endpoint-chart rect.bar.s5xx").count() == 0
    errors_ui.check_accessibility()


# --- live traffic: history, filters, recording, skipped entries --------------------------


def test_the_live_log_starts_with_history_and_filters_by_status_and_stub(ui: Ui) -> None:
    url = ui.mock.url
    for path in ("/hello?early=1", "/pay", "/nothing"):
        httpx.get(url + path, timeout=5)
    ui.open("live")
    ui.live()
    page = ui.page
    page.wait_for_selector("#live-count:has-text('3 of 3')")  # journaled before it opened
    httpx.get(url + "/hello?late=1", timeout=5)
    page.wait_for_selector("#live-count:has-text('4 of 4')")
    paths = page.eval_on_selector_all(
        "#live-table tbody tr td:nth-child(3)", "cells => cells.map(c => c.innerText)"
    )
    assert paths == ["/hello?late=1", "/nothing", "/pay", "/hello?early=1"]  # no duplicate
    page.select_option("#live-status", "4xx")
    page.wait_for_selector("#live-count:has-text('1 of 4')")
    assert "/nothing" in page.inner_text("#live-table tbody")
    page.select_option("#live-status", "")
    page.select_option("#live-stub", "hello")
    page.wait_for_selector("#live-count:has-text('2 of 4')")
    assert "/pay" not in page.inner_text("#live-table tbody")
    ui.check_accessibility()


def _live_paths(page: Any) -> list[str]:
    return list(
        page.eval_on_selector_all(
            "#live-table tbody tr td:nth-child(3)", "cells => cells.map(c => c.innerText)"
        )
    )


def test_after_a_drop_the_live_log_shows_what_was_journaled_meanwhile(ui: Ui) -> None:
    # the browser logs the cut stream and each reconnect refused while the cable is cut
    # (which network error it names depends on the moment: reset, not connected...)
    ui.allowed.append("Failed to load resource: net::ERR_")
    url = ui.mock.url
    page = ui.page
    with cable_to(url) as cable:
        page.goto(f"{cable.url}/__admin/ui/#/live")
        ui.live()
        httpx.get(url + "/hello?before=1", timeout=5)
        page.wait_for_selector("#live-count:has-text('1 of 1')")
        cable.cut()
        page.wait_for_selector("#stream-status:text-is('reconnecting…')")
        httpx.get(url + "/hello?down=1", timeout=5)
        httpx.get(url + "/nothing?down=2", timeout=5)
        page.wait_for_timeout(2500)  # at least one reconnect refused while cut
        assert _live_paths(page) == ["/hello?before=1"]
        cable.mend()
        ui.live()
        page.wait_for_selector("#live-count:has-text('3 of 3')")
        assert _live_paths(page) == ["/nothing?down=2", "/hello?down=1", "/hello?before=1"]
        httpx.get(url + "/hello?after=1", timeout=5)  # the new stream goes on from there
        page.wait_for_selector("#live-count:has-text('4 of 4')")
        assert _live_paths(page)[0] == "/hello?after=1"
        ui.check_accessibility()


def test_after_a_drop_to_a_restarted_server_the_live_log_starts_again(ui: Ui) -> None:
    ui.allowed.append("Failed to load resource: net::ERR_")
    page = ui.page
    with cable_to(ui.mock.url) as cable, MockServer(endpoints=ENDPOINTS) as restarted:
        page.goto(f"{cable.url}/__admin/ui/#/live")
        ui.live()
        for number in range(3):
            httpx.get(f"{ui.mock.url}/hello?old={number}", timeout=5)
        page.wait_for_selector("#live-count:has-text('3 of 3')")
        cable.cut()
        page.wait_for_selector("#stream-status:text-is('reconnecting…')")
        host, port = restarted.url.removeprefix("http://").rsplit(":", 1)
        cable.target = (host, int(port))  # another server answers there now: ids start at 1
        httpx.get(restarted.url + "/hello?new=1", timeout=5)
        cable.mend()
        ui.live()
        page.wait_for_selector("#live-count:has-text('1 of 1')")
        assert _live_paths(page) == ["/hello?new=1"]
        httpx.get(restarted.url + "/hello?new=2", timeout=5)  # id 2: seen before, not the same
        page.wait_for_selector("#live-count:has-text('2 of 2')")
        assert _live_paths(page) == ["/hello?new=2", "/hello?new=1"]


def test_recording_against_a_second_server_makes_stubs(ui: Ui) -> None:
    target_endpoints = [{"id": "real", "path": "/real", "response": {"from": "the target"}}]
    with MockServer(endpoints=target_endpoints) as target:
        ui.open("live")
        page = ui.page
        page.fill("#record-target", target.url)
        page.click("#record-start")
        page.wait_for_selector("#record-status:has-text('Recording')")
        assert page.locator("#record-stop").is_enabled()
        proxied = httpx.get(ui.mock.url + "/real", timeout=5)
        assert proxied.json() == {"from": "the target"}
        page.click("#record-stop")
        page.wait_for_selector("#record-status:has-text('1 stub recorded')")
    answer = httpx.get(ui.mock.url + "/real", timeout=5)  # the target is gone: a recorded stub
    assert answer.json() == {"from": "the target"}
    ui.check_accessibility()


def test_a_burst_too_big_to_show_is_counted_as_not_shown(ui: Ui) -> None:
    ui.open("live")
    ui.live()
    host, port = ui.mock.url.removeprefix("http://").split(":")
    burst = b"".join(b"GET /hello?n=%d HTTP/1.1\r\nHost: x\r\n\r\n" % n for n in range(1000))
    with socket.create_connection((host, int(port)), timeout=5) as conn:
        conn.sendall(burst)  # pipelined: served within a poll or two, far more than 200 each
        received = b""
        while received.count(b"HTTP/1.1 200") < 1000:
            chunk = conn.recv(65536)
            assert chunk
            received += chunk
    note = ui.page.locator("#live-skipped")
    note.wait_for()
    assert note.inner_text().endswith("requests not shown: too many to display")
    # every request is either a row or counted as not shown (the list keeps 500 at most)
    ui.page.wait_for_function(
        """() => {
            const rows = document.querySelector('#live-table tbody').rows.length;
            const skipped = parseInt(document.querySelector('#live-skipped').textContent, 10);
            return rows + skipped === 1000;
        }"""
    )
    skipped = int(note.inner_text().split()[0])
    assert 500 <= skipped <= 800


# --- state: CRUD resources, WebSocket sessions -------------------------------------------

STATE_CONFIG = """\
endpoints:
  - {id: hello, path: /hello, response: {message: hi}}
websockets:
  - name: room
    path: /ws/room
    on_message:
      - reply: "echo {{ message.text }}"
resources:
  users:
    data: [{id: 1, name: Ada}, {id: 2, name: Bob}]
  profile:
    data: {name: Ada}
"""


@pytest.fixture
def state_ui(browser: Any, tmp_path: Path) -> Iterator[Ui]:
    (tmp_path / "apidouble.yaml").write_text(STATE_CONFIG)
    with MockServer(tmp_path) as mock:
        yield from _ui(browser, mock)


def test_the_state_page_shows_a_resource_and_its_rows(state_ui: Ui) -> None:
    assert (
        httpx.post(state_ui.mock.url + "/users", json={"name": "Cy"}, timeout=5).status_code == 201
    )
    state_ui.open("state")
    page = state_ui.page
    row = page.locator("#resource-table tr[data-resource='users']")
    row.wait_for()
    assert row.locator(".rows").inner_text() == "3"
    assert (
        page.locator("#resource-table tr[data-resource='profile'] .rows").inner_text()
        == "one object"
    )
    row.locator("button").click()
    page.wait_for_selector("#resource-rows:not([hidden])")
    rows = json.loads(page.inner_text("#resource-rows-body"))
    assert [user["name"] for user in rows] == ["Ada", "Bob", "Cy"]
    state_ui.check_accessibility()


async def _ws_receive(url: str, opened: Any, got: list[str]) -> None:
    import websockets

    async with websockets.connect(url) as conn:
        opened.set()
        got.append(str(await asyncio.wait_for(conn.recv(), 10)))


def test_a_websocket_session_is_listed_and_gets_a_message_sent_from_the_ui(state_ui: Ui) -> None:
    opened = threading.Event()
    got: list[str] = []
    url = state_ui.mock.url.replace("http://", "ws://") + "/ws/room"
    client = threading.Thread(target=lambda: asyncio.run(_ws_receive(url, opened, got)))
    client.start()
    try:
        assert opened.wait(5)
        state_ui.open("state")
        page = state_ui.page
        page.wait_for_selector("#ws-table tbody tr:has-text('/ws/room')")
        assert page.locator("#ws-empty").is_hidden()
        state_ui.check_accessibility()
        page.select_option("#ws-path", "/ws/room")
        page.fill("#ws-text", "hello from the ui")
        page.click("#ws-send")
        page.wait_for_selector("#ws-message:has-text('Sent to 1 session on /ws/room')")
    finally:
        client.join(10)
    assert got == ["hello from the ui"]


SHOWCASE = """\
endpoints:
  - {id: hello, path: /hello, response: {message: hi}}
  - {id: pay-unpaid, path: /pay, scenario: {name: checkout, when: Started}, response: unpaid}
  - {id: pay-paid, path: /pay, scenario: {name: checkout, when: paid}, response: paid}
  - {id: broken, path: /broken, fault: connection_reset}
  - {id: limited, path: /limited, rate_limit: {requests: 1, per: 1m}}
  - {id: old, path: /old, response: retired}
websockets:
  - {name: room, path: /ws/room}
resources:
  users:
    data: [{id: 1, name: Ada}, {id: 2, name: Bob}]
"""


@pytest.mark.skipif(
    os.environ.get("APIDOUBLE_SCREENSHOTS") != "1",
    reason="APIDOUBLE_SCREENSHOTS=1 writes docs/ui-*.png",
)
def test_screenshots(browser: Any, tmp_path: Path) -> None:
    (tmp_path / "apidouble.yaml").write_text(SHOWCASE)
    with MockServer(tmp_path) as mock:
        for ui in _ui(browser, mock):
            _shoot(ui)


def _shoot(ui: Ui) -> None:
    page = ui.page
    url = ui.mock.url
    httpx.get(url + "/hello?before=1", timeout=5)  # history from before the page opened
    ui.open("endpoints")
    ui.live()
    for path in ("/hello", "/hello?page=2", "/pay", "/helo", "/hello", "/limited", "/limited"):
        httpx.get(url + path, timeout=5)
    with pytest.raises(httpx.TransportError):
        httpx.get(url + "/broken", timeout=5)
    httpx.post(url + "/__admin/endpoints/old/disable", timeout=5)
    ui.go("state")
    ui.go("endpoints")
    page.wait_for_selector("#endpoint-table tr.disabled[data-id='old']")
    page.wait_for_selector("#endpoint-table tr[data-id='hello'] .hits:text-is('4')")
    page.click("#endpoint-table tr[data-id='hello'] button:text-is('Edit')")
    page.check("#editor-mode-yaml")
    page.screenshot(path=str(DOCS / "ui-endpoints.png"), full_page=True)
    ui.go("live")
    page.locator("#live-table tbody tr", has_text="/helo").locator("button").click()
    page.wait_for_selector("#detail-body .near-misses")
    page.screenshot(path=str(DOCS / "ui-live.png"), full_page=True)
    opened = threading.Event()
    got: list[str] = []
    socket_url = url.replace("http://", "ws://") + "/ws/room"
    client = threading.Thread(target=lambda: asyncio.run(_ws_receive(socket_url, opened, got)))
    client.start()
    try:
        assert opened.wait(5)
        ui.go("state")
        page.wait_for_selector("#scenario-table tr[data-scenario='checkout']")
        page.wait_for_selector("#ws-table tbody tr")
        page.locator("#resource-table tr[data-resource='users'] button").click()
        page.wait_for_selector("#resource-rows:not([hidden])")
        page.fill("#ws-text", "hello from the ui")
        page.screenshot(path=str(DOCS / "ui-state.png"), full_page=True)
        page.click("#ws-send")
        page.wait_for_selector("#ws-message:has-text('Sent to 1')")
    finally:
        client.join(10)
    ui.go("dashboard")
    page.wait_for_selector("#dash-chart rect.bar")
    page.wait_for_selector("#dash-faults:text-is('1')")
    page.wait_for_selector("#dash-stubs polyline")
    page.wait_for_selector("#per-endpoint-table tr[data-stub='GET /broken'] .errors:text-is('1')")
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
