"""Serving WireMock roots as they are: the loader reads mappings by shape, and the
answers follow WireMock's rules (URL forms, selection order, scenarios, status
messages, no implied content types). Each case is checked against WireMock 3.13 by the
differential harness in ``tests/compat/wiremock``; these pin the loader's own rules."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from apidouble.config.load import load_config
from apidouble.testing import MockServer


def _root(tmp_path: Path, files: dict[str, Any]) -> Path:
    for name, content in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content if isinstance(content, str) else json.dumps(content, indent=2))
    return tmp_path


def _mapping(request: dict[str, Any], response: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"request": request, "response": response, **more}


@pytest.fixture
def client(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[httpx.Client]:
    root = _root(tmp_path, request.param)
    with MockServer(root) as mock, httpx.Client(base_url=mock.url) as http:
        yield http


URL_FORMS = {
    "mappings/urls.json": {
        "mappings": [
            _mapping({"method": "GET", "url": "/exact?a=1"}, {"body": "url"}),
            _mapping({"method": "GET", "url": "/bare"}, {"body": "bare"}),
            _mapping({"method": "GET", "urlPath": "/path"}, {"body": "urlPath"}),
            _mapping({"method": "GET", "urlPath": "/lit/*/end"}, {"body": "literal braces"}),
            _mapping({"method": "GET", "urlPattern": "/pat/[0-9]+\\?q=.*"}, {"body": "urlPattern"}),
            _mapping({"method": "GET", "urlPathPattern": "/pp/[a-z]+"}, {"body": "urlPathPattern"}),
            _mapping(
                {
                    "method": "GET",
                    "urlPathTemplate": "/users/{id}",
                    "pathParameters": {"id": {"matches": "[0-9]+"}},
                },
                {"body": "template"},
            ),
        ]
    }
}


@pytest.mark.parametrize("client", [URL_FORMS], indirect=True)
@pytest.mark.parametrize(
    ("url", "status", "body"),
    [
        ("/exact?a=1", 200, "url"),
        ("/exact?a=2", 404, None),
        ("/exact", 404, None),
        ("/bare", 200, "bare"),
        ("/bare?x=1", 404, None),  # url is the whole target: a query makes it differ
        ("/path?any=thing", 200, "urlPath"),
        ("/lit/*/end", 200, "literal braces"),
        ("/lit/y/end", 404, None),
        ("/pat/12?q=z", 200, "urlPattern"),
        ("/pat/12", 404, None),
        ("/pp/abc?z=1", 200, "urlPathPattern"),
        ("/pp/ABC", 404, None),
        ("/users/42", 200, "template"),
        ("/users/ada", 404, None),
    ],
)
def test_url_forms_match_as_wiremock_reads_them(
    client: httpx.Client, url: str, status: int, body: str | None
) -> None:
    response = client.get(url)
    assert response.status_code == status
    if body is not None:
        assert response.text == body


TIES = {
    "mappings/a.json": _mapping({"method": "GET", "url": "/tie"}, {"body": "a"}),
    "mappings/b.json": {
        "mappings": [
            _mapping({"method": "GET", "url": "/tie"}, {"body": "b0"}),
            _mapping({"method": "GET", "url": "/tie"}, {"body": "b1"}),
            _mapping({"method": "GET", "url": "/prio"}, {"body": "low"}, priority=7),
            _mapping({"method": "GET", "url": "/prio"}, {"body": "high"}, priority=1),
            _mapping({"method": "GET", "url": "/prio"}, {"body": "default"}),
        ]
    },
}


@pytest.mark.parametrize("client", [TIES], indirect=True)
def test_priority_wins_then_the_newest_mapping(client: httpx.Client) -> None:
    assert client.get("/prio").text == "high"
    assert client.get("/tie").text == "b1"


SCENARIO = {
    "mappings/todo.json": {
        "mappings": [
            _mapping(
                {"method": "GET", "url": "/todo"},
                {"body": "empty"},
                scenarioName="todo",
                requiredScenarioState="Started",
            ),
            _mapping(
                {"method": "POST", "url": "/todo"},
                {"status": 201, "statusMessage": "Added it"},
                scenarioName="todo",
                newScenarioState="added",
            ),
            _mapping(
                {"method": "GET", "url": "/todo"},
                {"jsonBody": {"items": ["milk"]}},
                scenarioName="todo",
                requiredScenarioState="added",
            ),
        ]
    }
}


@pytest.mark.parametrize("client", [SCENARIO], indirect=True)
def test_a_scenario_moves_on_when_its_stub_is_served(client: httpx.Client) -> None:
    assert client.get("/todo").text == "empty"
    added = client.post("/todo")
    assert (added.status_code, added.reason_phrase) == (201, "Added it")
    later = client.get("/todo")
    assert later.json() == {"items": ["milk"]}
    assert "content-type" not in later.headers  # WireMock implies none


MATCHERS = {
    "mappings/m.json": {
        "mappings": [
            _mapping(
                {
                    "method": "POST",
                    "url": "/b",
                    "bodyPatterns": [{"contains": "hello"}, {"doesNotContain": "bye"}],
                    "headers": {"X-Env": {"equalTo": "TEST", "caseInsensitive": True}},
                    "queryParameters": {"gone": {"absent": True}},
                },
                {"body": "body"},
            ),
            _mapping(
                {
                    "method": "GET",
                    "url": "/auth",
                    "basicAuthCredentials": {"username": "ada", "password": "secret"},
                },
                {"body": "in"},
            ),
        ]
    }
}


@pytest.mark.parametrize("client", [MATCHERS], indirect=True)
def test_value_patterns_apply_to_bodies_headers_and_queries(client: httpx.Client) -> None:
    assert client.post("/b", content="hello", headers={"X-Env": "test"}).text == "body"
    assert client.post("/b", content="hello bye", headers={"X-Env": "test"}).status_code == 404
    assert client.post("/b", content="hello", headers={"X-Env": "prod"}).status_code == 404
    assert client.post("/b?gone=1", content="hello", headers={"X-Env": "test"}).status_code == 404
    assert client.get("/auth", auth=("ada", "secret")).text == "in"
    assert client.get("/auth", auth=("ada", "wrong")).status_code == 404


def test_a_broken_mapping_file_is_skipped_and_named_while_the_rest_serve(tmp_path: Path) -> None:
    root = _root(
        tmp_path,
        {
            "mappings/good.json": _mapping({"method": "GET", "url": "/ok"}, {"body": "ok"}),
            "mappings/bad.json": {
                "mappings": [
                    _mapping({"method": "GET", "url": "/fine"}, {"body": "fine"}),
                    _mapping({"method": "GET", "url": "/x"}, {"status": "teapot"}),
                ]
            },
            "mappings/broken.json": '{"request": {"url": "/half"',
        },
    )
    config = load_config(root)
    # WireMock refuses a file with any bad mapping (and then the whole root: we serve the rest)
    assert sorted(s.pattern.path or "" for s in config.stubs) == ["/ok"]
    problems = {(Path(p.file).name, p.pointer): p for p in config.skipped}
    status = problems[("bad.json", "/mappings/1/response/status")]
    assert "status must be a number" in status.message
    assert status.line is not None and status.stub == "GET /x"
    assert ("broken.json", "") in problems
    with MockServer(root) as mock:
        assert httpx.get(mock.url + "/ok").text == "ok"
        assert httpx.get(mock.url + "/fine").status_code == 404


def test_a_newer_regex_stub_wins_only_where_it_matches_and_costs_the_rest_nothing(
    tmp_path: Path,
) -> None:
    from apidouble.model import Request
    from apidouble.watch import build

    root = _root(
        tmp_path,
        {
            "mappings/a-static.json": _mapping({"method": "GET", "url": "/static"}, {"body": "s"}),
            "mappings/b-static-too.json": _mapping(
                {"method": "GET", "url": "/static/x"}, {"body": "literal x"}
            ),
            "mappings/c-regex.json": _mapping(
                {"method": "GET", "urlPathPattern": "/static/[a-z]"}, {"body": "regex"}
            ),
        },
    )
    config = build([root])

    def found(path: str) -> str | None:
        match = config.router.find(Request("GET", path, "", (("host", "h"),), b""))
        return match.stub.responses[0].body if match.stub else None

    assert found("/static/x") == "regex"  # newest first: the regex outranks the literal
    assert found("/static") == "s"
    plain = Request("GET", "/static", "", (("host", "h"),), b"")
    # the regex cannot match /static: decided at load time, the literal's prepared match
    assert config.router.find(plain) is config.router.find(plain)
    with MockServer(root) as mock:
        assert httpx.get(mock.url + "/static/x").text == "regex"
        assert httpx.get(mock.url + "/static").text == "s"


def test_a_broken_handlebars_template_skips_its_file_not_the_server(tmp_path: Path) -> None:
    templated = {"body": "{{#if}}x", "transformers": ["response-template"]}
    root = _root(
        tmp_path,
        {
            "mappings/good.json": _mapping({"url": "/ok"}, {"body": "ok"}),
            "mappings/bad.json": _mapping({"url": "/bad"}, templated),
        },
    )
    config = load_config(root)
    (problem,) = config.skipped
    assert (Path(problem.file).name, problem.pointer) == ("bad.json", "/response/body")
    assert "is not closed" in problem.message
    with MockServer(root) as mock:
        assert httpx.get(mock.url + "/ok").text == "ok"


def test_a_reload_picks_up_an_edited_mapping_and_keeps_the_scenario_state(tmp_path: Path) -> None:
    root = _root(tmp_path, SCENARIO | {"mappings/hi.json": _mapping({"url": "/hi"}, {"body": "1"})})
    with MockServer(root) as mock, httpx.Client(base_url=mock.url) as http:
        assert http.post("/todo").status_code == 201  # the scenario moves to "added"
        (root / "mappings" / "hi.json").write_text(
            json.dumps(_mapping({"url": "/hi"}, {"body": "2"}))
        )
        assert http.post("/__admin/reload").json()["reloaded"] is True
        assert http.get("/hi").text == "2"
        assert http.get("/todo").json() == {"items": ["milk"]}  # state kept across reloads


def test_endpoints_added_at_runtime_keep_the_roots_document_root_and_404(tmp_path: Path) -> None:
    root = _root(
        tmp_path,
        {"mappings/a.json": _mapping({"url": "/a"}, {"body": "a"}), "__files/f.txt": "file"},
    )
    with MockServer(root) as mock, httpx.Client(base_url=mock.url) as http:
        mock.add_endpoints([{"path": "/added", "response": "added"}])
        assert http.get("/added").text == "added"
        assert http.get("/f.txt").text == "file"  # __files still answers
        assert http.get("/nope").text.lstrip().startswith("Request was not matched")
