"""The recipes of docs/addons.md, run from the page itself over real HTTP.

Each block under a ``<!-- recipe: NAME FILE -->`` marker is written as FILE into a
folder of its own; the test of NAME serves that folder's config and checks what the
recipe promises. Editing a recipe so that it no longer does what the page says turns
its test red. Packages (``pyproject.toml`` blocks) are "installed" as a ``*.dist-info``
folder with their entry points and modules on ``sys.path``, where ``importlib.metadata``
looks.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import re
import runpy
import subprocess
import sys
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from apidouble import ConfigError, MockServer
from apidouble.matching.values import unregister_value_operator, value_operators
from apidouble.plugins import unload_plugins
from apidouble.templating import unregister_template_filter, unregister_template_global
from apidouble.templating.helpers import template_filters, template_globals

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "addons.md"
APIDOUBLE = ROOT / ".venv" / "bin" / "apidouble"
MARKER = "<!-- recipe: "
BLOCK = re.compile(
    r"<!-- recipe: (?P<name>[\w-]+) (?P<file>[\w.-]+) -->\n```[\w-]*\n(?P<body>.*?)^```$",
    re.DOTALL | re.MULTILINE,
)
RECEIVER = "http://127.0.0.1:9000"
"""The receiver's address in the webhook recipe, replaced by a live mock's."""


def recipes(text: str) -> dict[str, dict[str, str]]:
    """{recipe: {file name: content}} from the page's marked blocks."""
    found: dict[str, dict[str, str]] = {}
    for block in BLOCK.finditer(text):
        files = found.setdefault(block["name"], {})
        assert block["file"] not in files, f"recipe {block['name']}: {block['file']} twice"
        files[block["file"]] = block["body"]
    return found


RECIPES = recipes(DOC.read_text())
TESTED = {"first", "middleware", "hmac", "matcher", "helper", "tenants", "chaos", "rewrite",
          "webhook", "importer", "moderator"}  # fmt: skip


def test_every_marked_block_is_read_and_every_recipe_is_tested() -> None:
    text = DOC.read_text()
    assert text.count(MARKER) == sum(len(files) for files in RECIPES.values())
    assert set(RECIPES) == TESTED


@pytest.fixture
def folder(tmp_path: Path) -> Iterator[Callable[[str], Path]]:
    """Writes a recipe's files into a folder on ``sys.path`` (its modules importable);
    afterwards the folder's modules are forgotten."""
    where = tmp_path / "recipe"
    where.mkdir()
    sys.path.insert(0, str(where))

    def write(name: str) -> Path:
        for file, content in RECIPES[name].items():
            (where / file).write_text(content)
        return where

    try:
        yield write
    finally:
        sys.path.remove(str(where))
        _forget_modules_in(where)


def _forget_modules_in(where: Path) -> None:
    for name, module in list(sys.modules.items()):
        if str(getattr(module, "__file__", None) or "").startswith(str(where)):
            del sys.modules[name]


@pytest.fixture
def install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Path], Path]]:
    """Installs a recipe folder's ``pyproject.toml`` (its entry points and py-modules)
    into a site folder on sys.path; afterwards every plugin registration is undone."""
    site = tmp_path / "site"
    site.mkdir()
    unload_plugins()
    monkeypatch.syspath_prepend(str(site))

    def run(recipe: Path) -> Path:
        project = tomllib.loads((recipe / "pyproject.toml").read_text())
        meta = project["project"]
        info = site / f"{meta['name'].replace('-', '_')}-{meta['version']}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {meta['name']}\nVersion: {meta['version']}\n"
        )
        lines = []
        for group, points in meta["entry-points"].items():
            lines.append(f"[{group}]")
            lines.extend(f"{point} = {target}" for point, target in points.items())
        (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
        for module in project["tool"]["setuptools"]["py-modules"]:
            (site / f"{module}.py").write_text((recipe / f"{module}.py").read_text())
        return site

    try:
        yield run
    finally:
        unload_plugins()
        _forget_modules_in(site)


# --- the first addon and the middleware -------------------------------------------------


def test_first_counts_requests_in_a_header(folder: Callable[[str], Path]) -> None:
    with MockServer(folder("first") / "apidouble.yaml") as mock:
        first = httpx.get(mock.url + "/hello")
        second = httpx.get(mock.url + "/hello")
    assert first.json() == {"hello": "world"}
    assert (first.headers["x-request-count"], second.headers["x-request-count"]) == ("1", "2")


def test_middleware_times_every_answer(folder: Callable[[str], Path]) -> None:
    recipe = folder("middleware")
    (recipe / "apidouble.yaml").write_text(
        "addons: [timing.py]\nendpoints:\n  - {path: /a, response: {ok: true}}\n"
    )
    with MockServer(recipe / "apidouble.yaml") as mock:
        found = httpx.get(mock.url + "/a")
        missing = httpx.get(mock.url + "/nothing")
    assert found.json() == {"ok": True}
    assert re.fullmatch(r"mock;dur=\d+\.\d\d", found.headers["server-timing"])
    assert missing.status_code == 404 and "server-timing" in missing.headers


# --- the cookbook ---------------------------------------------------------------------


def test_hmac_signs_every_body(folder: Callable[[str], Path]) -> None:
    with MockServer(folder("hmac") / "apidouble.yaml") as mock:
        order = httpx.get(mock.url + "/orders/7")
        missing = httpx.get(mock.url + "/nothing")
    assert order.json() == {"id": "7", "state": "shipped"}
    for answer in (order, missing):
        digest = hmac.new(b"s3cret", answer.content, hashlib.sha256).hexdigest()
        assert answer.headers["x-signature"] == f"sha256={digest}"


VALID_CARD, INVALID_CARD = "4111 1111 1111 1111", "4111 1111 1111 1112"


def _pays(mock: MockServer) -> None:
    paid = httpx.post(mock.url + "/payments", json={"card": VALID_CARD})
    refused = httpx.post(mock.url + "/payments", json={"card": INVALID_CARD})
    assert (paid.status_code, paid.json()) == (201, {"paid": True})
    assert refused.status_code == 404
    checks = refused.json()["near_misses"][0]["checks"]
    failed = [check["condition"] for check in checks if not check["passed"]]
    assert failed == ["body jsonpath $.card passes the Luhn check"]


def test_matcher_from_its_package(
    folder: Callable[[str], Path], install: Callable[[Path], Path]
) -> None:
    recipe = folder("matcher")
    install(recipe)
    sys.modules.pop("card_matchers", None)  # as installed, not as the recipe folder's
    with MockServer(recipe / "apidouble.yaml") as mock:
        _pays(mock)


def test_matcher_registered_from_python(folder: Callable[[str], Path]) -> None:
    recipe = folder("matcher")
    assert "luhn" not in value_operators()
    runpy.run_path(str(recipe / "register.py"))
    try:
        with MockServer(recipe / "apidouble.yaml") as mock:
            _pays(mock)
    finally:
        unregister_value_operator("luhn")


def _cards(mock: MockServer) -> None:
    made = httpx.post(
        mock.url + "/cards", json={"name": "ada lovelace", "number": "4111111111111111"}
    )
    assert made.status_code == 201
    assert made.json() == {"holder": "AL", "number": "************1111"}


def test_helper_from_its_package(
    folder: Callable[[str], Path], install: Callable[[Path], Path]
) -> None:
    recipe = folder("helper")
    install(recipe)
    with MockServer(recipe / "apidouble.yaml") as mock:
        _cards(mock)


def test_helper_registered_from_python(folder: Callable[[str], Path]) -> None:
    recipe = folder("helper")
    assert "initials" not in template_globals() and "mask" not in template_filters()
    runpy.run_path(str(recipe / "register.py"))
    try:
        with MockServer(recipe / "apidouble.yaml") as mock:
            _cards(mock)
    finally:
        unregister_template_global("initials")
        unregister_template_filter("mask")


def test_tenants_get_their_own_quota(folder: Callable[[str], Path]) -> None:
    def report(tenant: str) -> httpx.Response:
        return httpx.get(mock.url + "/reports", headers={"X-Tenant": tenant})

    with MockServer(folder("tenants") / "apidouble.yaml") as mock:
        routes = mock._runtime.engine.express.routes[b"GET"]
        assert b"/health" in routes and b"/reports" not in routes
        first, second, third = report("acme"), report("acme"), report("acme")
        other = report("globex")
        health = httpx.get(mock.url + "/health")
        mock.reload()
        after_reload = report("acme")
        mock.reset()
        after_reset = report("acme")
    assert [first.headers["x-quota-remaining"], second.headers["x-quota-remaining"]] == ["1", "0"]
    assert first.json() == {"reports": []}
    assert third.status_code == 429 and third.headers["retry-after"] == "60"
    assert third.json() == {"error": "quota exceeded", "tenant": "acme"}
    assert other.status_code == 200 and other.headers["x-quota-remaining"] == "1"
    assert health.status_code == 200 and "x-quota-remaining" not in health.headers
    assert after_reload.status_code == 429  # a reload keeps the counts
    assert after_reset.headers["x-quota-remaining"] == "1"


def test_chaos_by_header(folder: Callable[[str], Path]) -> None:
    with MockServer(folder("chaos") / "apidouble.yaml") as mock:
        url = mock.url + "/orders"
        for kind in ("reset", "empty"):
            with pytest.raises(httpx.TransportError):
                httpx.get(url, headers={"X-Chaos": kind})
        slow = httpx.get(url, headers={"X-Chaos": "slow=300"})
        failing = httpx.get(url, headers={"X-Chaos": "status=503"})
        calm = httpx.get(url)
        entries = mock.requests.all()
    assert slow.status_code == 200 and slow.elapsed.total_seconds() >= 0.3
    assert (failing.status_code, failing.json()) == (503, {"orders": []})
    assert (calm.status_code, calm.json()) == (200, {"orders": []})
    statuses = [entry["status"] for entry in reversed(entries)]
    assert statuses == [0, 0, 200, 503, 200]
    assert entries[2]["delay_ms"] == pytest.approx(300)


def test_rewrite_strips_the_version_before_routing(folder: Callable[[str], Path]) -> None:
    with MockServer(folder("rewrite") / "apidouble.yaml") as mock:
        versioned = httpx.get(mock.url + "/v2/users/7", params={"expand": "teams"})
        plain = httpx.get(mock.url + "/users/8")
        entry = mock.requests.all()[1]
    assert versioned.json() == {"id": "7", "expand": "teams"}
    assert versioned.headers["x-api-version"] == "v2"
    assert entry["path"] == "/users/7" and entry["stub"] is not None
    assert plain.json() == {"id": "8", "expand": "none"}
    assert "x-api-version" not in plain.headers


def test_webhook_calls_back_and_audits(folder: Callable[[str], Path]) -> None:
    recipe = folder("webhook")
    config = recipe / "apidouble.yaml"
    receiving = [
        {"name": "hook", "method": "ANY", "path": "/hooks/orders", "status": 204},
        {"name": "audit", "method": "ANY", "path": "/audit", "status": 204},
    ]
    with MockServer(endpoints=receiving) as receiver:
        assert RECEIVER in config.read_text()
        config.write_text(config.read_text().replace(RECEIVER, receiver.url))
        with MockServer(config) as mock:
            made = httpx.post(mock.url + "/orders", json={"total": 12.5})
            [hook] = receiver.wait_for(stub="hook", times=1)
            [audit] = receiver.wait_for(stub="audit", times=1)
            log = httpx.get(mock.url + "/__admin/callbacks").json()
    assert made.status_code == 201
    order_id = made.json()["id"]
    assert yaml.safe_load(hook["body"]) == {"id": order_id, "total": 12.5}
    headers = {name.lower(): value for name, value in hook["headers"]}
    assert headers["x-event"] == "order.created"
    assert headers["content-type"] == "application/json"
    assert yaml.safe_load(audit["body"]) == {
        "method": "POST",
        "path": "/orders",
        "stub": "create-order",
        "status": 201,
    }
    [attempt] = log["callbacks"]
    assert (attempt["stub"], attempt["status"], attempt["attempt"]) == ("create-order", 204, 1)


def test_importer_serves_and_converts_its_format(
    folder: Callable[[str], Path], install: Callable[[Path], Path], tmp_path: Path
) -> None:
    recipe = folder("importer")
    site = install(recipe)
    sys.modules.pop("tinymock_importer", None)
    with MockServer(recipe / "routes.yaml") as mock:
        assert httpx.get(mock.url + "/hello").json() == {"hello": "world"}
        made = httpx.post(mock.url + "/items")
    assert (made.status_code, made.text) == (201, "made")
    bad = tmp_path / "bad.yaml"
    bad.write_text("tinymock: 1\nroutes: [GET /a]\n")
    with pytest.raises(ConfigError, match="importer 'tinymock' .* routes must map"):
        MockServer(bad)
    out = tmp_path / "out.yaml"
    done = subprocess.run(
        [str(APIDOUBLE), "import", "tinymock", str(recipe / "routes.yaml"), "-o", str(out)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(site)},
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert yaml.safe_load(out.read_text())["endpoints"][1] == {
        "method": "POST",
        "path": "/items",
        "status": 201,
        "response": "made",
        "content_type": "text/plain",
    }


# --- the chat moderator -----------------------------------------------------------------


async def test_moderator_refuses_renames_and_closes(folder: Callable[[str], Path]) -> None:
    with MockServer(folder("moderator") / "apidouble.yaml") as mock:
        url = mock.url.replace("http://", "ws://") + "/ws/chat/lobby"
        async with connect(url) as ada, connect(url) as bob:

            async def said(ws: ClientConnection, text: str) -> Any:
                await ws.send(text)
                return await asyncio.wait_for(ws.recv(), 5)

            assert await said(ada, "hi") == "anon: hi"
            assert await asyncio.wait_for(bob.recv(), 5) == "anon: hi"  # the room hears it
            assert json.loads(await said(ada, "/nick ada")) == {"nick": "ada"}
            assert await said(ada, "hello") == "ada: hello"
            assert await asyncio.wait_for(bob.recv(), 5) == "ada: hello"
            assert json.loads(await said(bob, "cheap SPAM")) == {
                "refused": "cheap SPAM",
                "strikes": 1,
            }
            assert json.loads(await said(bob, "scam")) == {"refused": "scam", "strikes": 2}
            await bob.send("spam again")
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(bob.recv(), 5)
            assert (bob.close_code, bob.close_reason) == (4003, "too many strikes")
            assert await said(ada, "still here") == "ada: still here"
