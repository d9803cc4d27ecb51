"""The GraphiQL page at a ``graphql:`` path: what a browser gets, what its files are, and
that every other request still gets GraphQL (real sockets, httpx); then the page in a
real Chromium (Playwright), running a query against the endpoint with no console error,
no uncaught error and no breach of its own Content-Security-Policy."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from apidouble.graphql.graphiql import VERSION
from apidouble.testing import MockServer
from tests.browser import WATCH_CSP, launched_chromium

SDL = """
type Query { hello: String, user(id: ID!): User }
type User { id: ID!, name: String! }
type Subscription { ticks: Int! }
"""

CONFIG = """
seed: 3
graphql:
  - path: /graphql
    schema: schema.graphql
    subscriptions: {count: 2, every_ms: 20}
    operations:
      - id: hello
        operation_name: Hello
        data: {hello: from the stub}
      - id: ticks
        operation_name: Ticks
        events: [{data: {ticks: 41}}, {data: {ticks: 42}}]
  - path: /closed
    schema: schema.graphql
    introspection: false
  - path: /plain
    schema: schema.graphql
    graphiql: false
"""

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
ASSETS = Path(__file__).resolve().parents[2] / "src" / "apidouble" / "graphql" / "assets"


@pytest.fixture(scope="module")
def mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockServer]:
    folder: Path = tmp_path_factory.mktemp("graphiql")
    (folder / "schema.graphql").write_text(SDL)
    (folder / "api.yaml").write_text(CONFIG)
    with MockServer(folder / "api.yaml") as server:
        yield server


def _get(mock: MockServer, target: str, **headers: str) -> httpx.Response:
    return httpx.get(mock.url + target, headers=headers, timeout=10)


def test_a_browser_gets_the_page(mock: MockServer) -> None:
    answer = _get(mock, "/graphql", accept=BROWSER)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    assert answer.headers["cache-control"] == "no-cache"
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    text = answer.text
    assert "<title>GraphiQL · /graphql</title>" in text
    assert f'src="?__graphiql=graphiql.min.js&amp;v={VERSION}"' in text
    assert "https://" not in text  # nothing from the network: it works offline


@pytest.mark.parametrize(
    "name", ["graphiql.min.js", "graphiql.min.css", "react.production.min.js", "boot.js"]
)
def test_the_page_files_come_from_the_endpoint_with_a_long_cache(
    mock: MockServer, name: str
) -> None:
    plain = _get(mock, f"/graphql?__graphiql={name}&v={VERSION}", **{"accept-encoding": "br"})
    assert plain.status_code == 200
    assert plain.content == (ASSETS / name).read_bytes()
    assert plain.headers["cache-control"] == "public, max-age=31536000, immutable"
    kind = "text/css" if name.endswith(".css") else "text/javascript"
    assert plain.headers["content-type"] == f"{kind}; charset=utf-8"
    assert "content-encoding" not in plain.headers
    with httpx.stream(
        "GET", f"{mock.url}/graphql?__graphiql={name}", headers={"accept-encoding": "gzip"}
    ) as zipped:
        assert zipped.headers["content-encoding"] == "gzip"
        assert gzip.decompress(b"".join(zipped.iter_raw())) == plain.content


def test_every_file_ships_in_the_package_with_its_licence() -> None:
    from apidouble.graphql.graphiql import _TYPES

    assert {p.name for p in ASSETS.iterdir()} >= {
        *_TYPES,
        "LICENSE.graphiql",
        "LICENSE.react",
        "LICENSE.react-dom",
        "README.md",
    }
    readme = (ASSETS / "README.md").read_text()
    assert f"`graphiql` {VERSION}" in readme


def test_an_unknown_file_is_a_404_and_reads_no_path(mock: MockServer) -> None:
    for name in ("nothing.js", "../serving.py", "README.md"):
        answer = _get(mock, f"/graphql?__graphiql={name}")
        assert answer.status_code == 404, name
        assert answer.json() == {"errors": [{"message": "no such GraphiQL file"}]}


def test_clients_that_are_not_browsers_still_get_graphql(mock: MockServer) -> None:
    query = "query Hello { hello }"
    posted = httpx.post(mock.url + "/graphql", json={"query": query}, timeout=5)
    assert posted.status_code == 200
    assert posted.json() == {"data": {"hello": "from the stub"}}
    got = httpx.get(mock.url + "/graphql", params={"query": query}, timeout=5)
    assert got.json() == {"data": {"hello": "from the stub"}}
    # A browser's Accept with a query in the URL is a GraphQL GET, not the page.
    asked = _get(mock, "/graphql?query=%7Bhello%7D", accept="text/html, application/json")
    assert asked.headers["content-type"].startswith("application/json")
    assert set(asked.json()["data"]) == {"hello"}
    # Without a query and without HTML in Accept: the spec's refusal, as before.
    bare = _get(mock, "/graphql", accept="application/json")
    assert bare.status_code == 400
    assert bare.json() == {"errors": [{"message": "a query is required"}]}


@pytest.mark.parametrize("path", ["/closed", "/plain"])
def test_no_page_without_introspection_or_when_turned_off(mock: MockServer, path: str) -> None:
    answer = _get(mock, path, accept="text/html")
    assert answer.status_code == 406
    assert not answer.headers["content-type"].startswith("text/html")
    assert _get(mock, f"{path}?__graphiql=boot.js").status_code == 400


# --- in a browser -------------------------------------------------------------------------

TIMEOUT_MS = 15_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launched_chromium()


def _run(page: Any, query: str, name: str) -> None:
    """Put ``query`` in the editor, wait for GraphiQL to have read it (it parses what is
    typed after a pause, and runs what it parsed), and press the run button."""
    editor = "document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror"
    page.evaluate(f"(q) => {editor}.setValue(q)", query)
    page.wait_for_function(f"(name) => {editor}.operationName === name", arg=name)
    page.click(".graphiql-execute-button")


def test_the_page_runs_a_query_in_a_browser(browser: Any, mock: MockServer) -> None:
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda message: (
            problems.append(f"console {message.type}: {message.text}")
            if message.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    outside: list[str] = []
    page.on(
        "request",
        lambda request: None if request.url.startswith(mock.url) else outside.append(request.url),
    )
    page.on(
        "response",
        lambda response: (
            problems.append(f"{response.status} {response.url}") if response.status >= 400 else None
        ),
    )
    page.add_init_script(WATCH_CSP)
    try:
        page.goto(mock.url + "/graphql")
        editor = page.locator(".graphiql-query-editor .CodeMirror")
        editor.wait_for()
        # The schema came by introspection: the docs explorer lists the root type.
        page.click("button[aria-label='Show Documentation Explorer']")
        page.wait_for_selector(".graphiql-doc-explorer :text('Query')")
        result = page.locator(".result-window")
        _run(page, "query Hello { hello }", "Hello")
        result.locator(":text('from the stub')").wait_for()
        assert '"hello": "from the stub"' in result.inner_text()
        # A subscription goes over graphql-transport-ws on the same path.
        _run(page, "subscription Ticks { ticks }", "Ticks")
        result.locator(":text('42')").wait_for()
        assert '"ticks": 42' in result.inner_text()
        assert page.evaluate("window.__violations") == []
        assert problems == []
        assert outside == []
    finally:
        context.close()
    posted = [e for e in mock.requests.find(path="/graphql") if e.get("method") == "POST"]
    assert any(
        fact.get("stub") == "hello"
        for entry in posted
        for fact in (entry.get("decision") or {}).get("graphql") or ()
    )
    upgrades = [e for e in mock.requests.find(path="/graphql") if e.get("status") == 101]
    assert upgrades, "the subscription came over a WebSocket"
