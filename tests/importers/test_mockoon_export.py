"""``export_mockoon``: the environment it writes serves what the native config serves,
read back by the Mockoon import and by mockoon-cli 9.9 itself."""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from apidouble.config.load import load_config
from apidouble.importers.mockoon import convert_environment
from apidouble.importers.mockoon.export import export_mockoon
from apidouble.model import Stub
from apidouble.testing import MockServer
from tests.compat.mockoon.peer import available, find_cli, free_port
from tests.importers.test_mockoon_corpus import CORPUS

DEMO = CORPUS / "demo-environment.commons-9.9.0.json"

NATIVE: dict[str, Any] = {
    "endpoints": [
        {"name": "list users", "path": "/users", "response": [{"id": 1}, {"id": 2}]},
        {
            "name": "admins",
            "path": "/users",
            "match": {"query": {"role": "admin"}, "headers": {"X-Team": {"contains": "ops"}}},
            "status": 206,
            "headers": {"X-Kind": "admins"},
            "response": [{"id": 1, "admin": True}],
            "priority": 1,
        },
        {
            "name": "one user",
            "path": "/users/{id}",
            "match": {"wiremock": {"pathParameters": {"id": {"matches": "[0-9]+"}}}},
            "response": {"id": "numbered"},
        },
        {
            "name": "create",
            "method": "POST",
            "path": "/users",
            "match": {"body": {"json": {"user": {"name": "ada", "age": 36}}}},
            "status": 201,
            "response": "created",
        },
        {
            "name": "session",
            "method": ["GET", "DELETE"],
            "path": "/session",
            "match": {"cookies": {"sid": {"regex": "s-[a-z]+"}}},
            "headers": {"Set-Cookie": ["a=1", "b=2"]},
            "response": {"ok": True},
        },
        {
            "name": "anything",
            "method": "ANY",
            "path": "/echo",
            "latency_ms": 5,
            "response": "<html><body>hi</body></html>",
        },
        {
            "name": "flip",
            "path": "/flip",
            "mode": "cycle",
            "responses": [
                {"status": 200, "response": "heads"},
                {"status": 202, "response": "tails"},
            ],
        },
        {
            "name": "operators",
            "method": "POST",
            "path": "/ops",
            "match": {
                "query": {
                    "kind": {"one_of": ["a", "b.c"]},
                    "debug": {"present": False},
                    "f[size]": "xl",
                },
                "headers": {"X-Mode": {"equals": "FAST", "case_insensitive": True}},
                "cookies": {"tier": {"equals": "free", "not": True}},
                "body": [
                    {"jsonpath": "$.items[1].sku", "regex": "A-[0-9]+"},
                    {"regex": ".*line.*"},
                    {"contains": "sku"},
                ],
            },
            "response": "ops",
        },
        {
            "name": "by regex",
            "path_regex": r"/orders/(?P<order>[^/]+)",
            "response": {"order": True},
        },
    ]
}

_OPS_BODY = json.dumps({"items": [{"sku": "x"}, {"sku": "A-12"}], "note": "a line"}, indent=1)
"""Pretty-printed: the body regex must match across its newlines."""

_JSON = {"Content-Type": "application/json"}
"""Mockoon reads a body path only in a body sent as JSON."""

REQUESTS: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "/users", {}),
    ("GET", "/users", {"params": {"role": "admin"}, "headers": {"X-Team": "devops"}}),
    ("GET", "/users", {"params": {"role": "admin"}}),
    ("GET", "/users/42", {}),
    ("GET", "/users/ada", {}),
    ("POST", "/users", {"json": {"user": {"name": "ada", "age": 36}, "more": 1}}),
    ("POST", "/users", {"json": {"user": {"name": "bob", "age": 36}}}),
    ("GET", "/session", {"cookies": {"sid": "s-abc"}}),
    ("DELETE", "/session", {"cookies": {"sid": "s-abc"}}),
    ("GET", "/session", {"cookies": {"sid": "nope"}}),
    ("PATCH", "/echo", {}),
    ("GET", "/flip", {}),
    ("GET", "/flip", {}),
    ("GET", "/flip", {}),
    ("GET", "/orders/7", {}),
    *[
        (
            "POST",
            "/ops?" + query,
            {"headers": {**_JSON, "X-Mode": mode, "Cookie": cookie}, "content": body},
        )
        for query, mode, cookie, body in [
            ("kind=b.c&f[size]=xl", "fast", "tier=pro", _OPS_BODY),
            ("kind=a&f[size]=xl", "FAST", "tier=pro", _OPS_BODY),
            ("kind=bxc&f[size]=xl", "fast", "tier=pro", _OPS_BODY),
            ("kind=a&f[size]=xl&debug=1", "fast", "tier=pro", _OPS_BODY),
            ("kind=a&f[size]=xl", "slow", "tier=pro", _OPS_BODY),
            ("kind=a&f[size]=xl", "Fast", "tier=free", _OPS_BODY),
            ("kind=a&f[size]=s", "Fast", "tier=pro", _OPS_BODY),
            ("kind=a&f[size]=xl", "FAST", "tier=pro", _OPS_BODY.replace("A-1", "B-1")),
            ("kind=a&f[size]=xl", "FAST", "tier=pro", _OPS_BODY.replace("line", "word")),
        ]
    ],
]


def _stubs(tmp_path: Path, config: dict[str, Any]) -> tuple[Path, list[Stub]]:
    path = tmp_path / "apidouble.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path, list(load_config(path).stubs)


def _export(tmp_path: Path, config: dict[str, Any]) -> tuple[Path, dict[str, Any], list[str]]:
    native, stubs = _stubs(tmp_path, config)
    environment, notes = export_mockoon(stubs, name="users", port=3999, folder=tmp_path)
    out = tmp_path / "env.json"
    out.write_text(json.dumps(environment, indent=2))
    return native, environment, notes


def _media(value: str) -> str:
    return value.split(";")[0].strip()


def _answers(base_url: str, requests: list[tuple[str, str, dict[str, Any]]]) -> list[Any]:
    """Status, media type, the declared headers and the body (parsed JSON) of each."""
    found: list[Any] = []
    with httpx.Client(base_url=base_url) as client:
        for method, url, given in requests:
            kwargs = dict(given)
            cookies = kwargs.pop("cookies", None)
            headers = dict(kwargs.pop("headers", {}))
            if cookies:
                headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
            answer = client.request(method, url, headers=headers, **kwargs)
            if answer.status_code in (404, 405):  # no stub: each server has its own page
                found.append("unmatched")
                continue
            declared = {name: answer.headers.get_list(name) for name in ("x-kind", "set-cookie")}
            media = _media(answer.headers.get("content-type", ""))
            body = answer.json() if media == "application/json" else answer.text
            found.append((answer.status_code, media, declared, body))
    return found


def test_the_exported_environment_imports_back_and_serves_the_same(tmp_path: Path) -> None:
    native, environment, notes = _export(tmp_path, NATIVE)
    conversion = convert_environment(environment, tmp_path / "env.json")
    assert conversion.problems == []
    imported = tmp_path / "imported.yaml"
    imported.write_text(yaml.safe_dump(conversion.document, sort_keys=False))
    with MockServer(native) as mock:
        expected = _answers(mock.url, REQUESTS)
    with MockServer(imported) as mock:
        got = _answers(mock.url, REQUESTS)
    assert [answer[0] for answer in expected][:4] == [200, 206, 200, 200]
    assert got == expected
    assert notes == []


def test_the_environment_has_the_field_set_mockoon_9_9_writes(tmp_path: Path) -> None:
    _, environment, _ = _export(tmp_path, NATIVE)
    if DEMO.is_file():
        demo = json.loads(DEMO.read_text())
        assert list(environment) == list(demo)
        assert list(environment["routes"][0]) == list(demo["routes"][0])
        assert list(environment["routes"][0]["responses"][0]) == list(
            demo["routes"][2]["responses"][0]
        )
    assert environment["lastMigration"] == 33 and environment["port"] == 3999
    routes = environment["routes"]
    assert [child["uuid"] for child in environment["rootChildren"]] == [r["uuid"] for r in routes]
    assert [(r["method"], r["endpoint"]) for r in routes][:3] == [
        ("get", "users"),
        ("get", "users"),
        ("post", "users"),
    ]
    assert routes[0]["responseMode"] == "FALLBACK"  # the admins stub: priority 1
    assert routes[0]["responses"][0]["rules"] == [
        {"target": "query", "modifier": "role", "value": "admin", "invert": False,
         "operator": "equals"},
        {"target": "header", "modifier": "X-Team", "value": "ops", "invert": False,
         "operator": "regex"},
    ]  # fmt: skip
    assert routes[0]["responses"][0]["headers"] == [
        {"key": "X-Kind", "value": "admins"},
        {"key": "Content-Type", "value": "application/json"},
    ]
    listed = routes[1]["responses"][0]
    assert listed["body"] == json.dumps([{"id": 1}, {"id": 2}], indent=2)
    assert listed["label"] == "list users" and listed["default"] is True
    assert listed["disableTemplating"] is True and listed["bodyType"] == "INLINE"
    by_name = {r["documentation"]: r for r in routes}
    assert by_name["anything"]["method"] == "all"
    assert by_name["anything"]["responses"][0]["latency"] == 5
    assert by_name["flip"]["responseMode"] == "SEQUENTIAL"
    assert by_name["by regex"]["endpoint"] == "orders/:order"
    assert by_name["create"]["responses"][0]["rules"][1]["modifier"] == "user.age"
    assert [r["method"] for r in routes if r["documentation"] == "session"] == ["delete", "get"]


def test_exporting_twice_writes_the_same_file(tmp_path: Path) -> None:
    _, first, _ = _export(tmp_path, NATIVE)
    _, second, _ = _export(tmp_path, NATIVE)
    assert first == second
    uuids = [r["uuid"] for r in first["routes"]]
    uuids += [x["uuid"] for r in first["routes"] for x in r["responses"]]
    assert len(set(uuids)) == len(uuids)


def test_what_mockoon_cannot_say_is_noted(tmp_path: Path) -> None:
    config = {
        "endpoints": [
            {
                "name": "deep",
                "method": "POST",
                "path": "/search",
                "match": {"body": {"jsonpath": "$.items[?(@.id > 2)]"}},
                "response": "x",
            },
            {"name": "star", "path": "/files/*", "response": "x"},
            {"name": "greet", "path": "/hi", "response": "hi {{ request.query.name }}"},
            {
                "name": "mock",
                "path": "/m",
                "templating": "mockoon",
                "response": "{{queryParam 'a'}}",
            },
            {"name": "stream", "path": "/events", "sse": {"events": [{"data": "x"}]}},
            {
                "name": "steps",
                "path": "/steps",
                "responses": [{"response": "one"}, {"response": "two"}],
            },
            {
                "name": "gated",
                "path": "/gate",
                "scenario": {"name": "s", "when": "Started"},
                "response": "x",
            },
            {"name": "loose", "path_regex": "/any/.*", "response": "x"},
        ]
    }
    _, environment, notes = _export(tmp_path, config)
    assert notes == [
        "endpoint 'deep': jsonpath body matcher $.items[?(@.id > 2)] has no Mockoon rule:"
        " not exported",
        "endpoint 'star': path /files/* has no Mockoon endpoint: left out",
        "endpoint 'greet': response: jinja template: sent as written (no templating)",
        "endpoint 'stream': response: sse has no Mockoon equivalent: left out",
        "endpoint 'stream': no response Mockoon can send: left out",
        "endpoint 'steps': sequence: Mockoon starts over after the last response",
        "endpoint 'gated': scenario has no Mockoon equivalent: not exported",
        "endpoint 'loose': path_regex /any/.* has no Mockoon endpoint: left out",
    ]
    by_name = {r["documentation"]: r["responses"][0] for r in environment["routes"]}
    assert set(by_name) == {"deep", "greet", "mock", "steps", "gated"}
    assert by_name["greet"]["disableTemplating"] is True
    assert by_name["mock"]["disableTemplating"] is False
    assert by_name["mock"]["body"] == "{{queryParam 'a'}}"


@pytest.mark.parametrize(
    ("endpoint", "note"),
    [
        ({"status": "{{ 201 }}"}, "response: templated status '{{ 201 }}': sent as 200"),
        ({"status_message": "Fine"}, "response: status_message has no Mockoon equivalent"),
        (
            {"latency": {"distribution": "uniform", "min_ms": 10, "max_ms": 30}},
            "response: uniform latency: a fixed 20 ms",
        ),
        ({"response_base64": "//79"}, "response: binary body cannot be inlined as text"),
        ({"match": {"body": {"schema": {"type": "object"}}}}, "schema body matcher has no"),
        ({"match": {"query": {"q": {"regex": "(?i)abc"}}}}, "query 'q': regex '(?i)abc' uses"),
        ({"match": {"query": {"a.b": "x"}}}, "query 'a.b': a name Mockoon cannot address"),
        ({"match": {"body": {"json": {"a": None}}}}, "JSON body matcher null at a has no"),
        ({"match": {"body": {"equals": {"a": 1}}}}, "JSON body equality: checked field by"),
        ({"match": {"wiremock": {"url": "/x?a=1"}}}, "url condition has no Mockoon equivalent"),
        ({"fault": "connection_reset"}, "behaviour 'fault' has no Mockoon equivalent"),
        ({"path": "/files/{name}.json"}, "path /files/{name}.json has no Mockoon endpoint"),
        (
            {"match": {"query": {"a": "1"}}, "responses": [{"status": 200}, {"status": 201}]},
            "conditions on several responses: not exported",
        ),
    ],
)
def test_each_feature_mockoon_lacks_has_its_note(
    tmp_path: Path, endpoint: dict[str, Any], note: str
) -> None:
    given = {"response_base64", "responses"} & set(endpoint)
    body = {} if given else {"response": "x"}
    config = {"endpoints": [{"name": "it", "path": "/x", **body, **endpoint}]}
    _, _, notes = _export(tmp_path, config)
    assert [found for found in notes if found.startswith(f"endpoint 'it': {note}")] != [], notes


def test_file_bodies_under_the_output_folder_stay_files(tmp_path: Path) -> None:
    (tmp_path / "bodies").mkdir()
    (tmp_path / "bodies" / "user.json").write_text('{"id": 1}')
    config = {"endpoints": [{"path": "/u", "response_file": "bodies/user.json"}]}
    native, stubs = _stubs(tmp_path, config)
    environment, notes = export_mockoon(stubs, folder=tmp_path)
    response = environment["routes"][0]["responses"][0]
    assert (response["bodyType"], response["filePath"]) == ("FILE", "bodies/user.json")
    elsewhere, _ = export_mockoon(stubs, folder=tmp_path / "out")
    inlined = elsewhere["routes"][0]["responses"][0]
    assert (inlined["bodyType"], inlined["body"], inlined["filePath"]) == (
        "INLINE",
        '{"id": 1}',
        "",
    )
    assert {"key": "Content-Type", "value": "application/json"} in inlined["headers"]
    out = tmp_path / "env.json"
    out.write_text(json.dumps(environment))
    imported = tmp_path / "imported.yaml"
    imported.write_text(yaml.safe_dump(convert_environment(environment, out).document))
    with MockServer(imported) as mock:
        answer = httpx.get(mock.url + "/u")
    assert (answer.status_code, answer.json()) == (200, {"id": 1})
    assert notes == []


@contextmanager
def _mockoon_cli(environment: Path) -> Iterator[str]:
    """mockoon-cli serving the file as written (no ``--repair``): it must load as is."""
    cli, port = find_cli(), free_port()
    command = [str(cli), "start", "-d", str(environment), "--port", str(port)]
    command += ["-l", "127.0.0.1", "--disable-admin-api", "--disable-log-to-file"]
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    output.seek(0)
                    raise AssertionError(f"mockoon-cli exited: {output.read().decode()}")
                try:
                    httpx.get(url + "/__ready", timeout=1)
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            yield url
        finally:
            process.kill()
            process.wait(timeout=30)


@pytest.mark.skipif(available() is not None, reason=str(available()))
def test_mockoon_cli_serves_the_export_as_apidouble_does(tmp_path: Path) -> None:
    native, _, _ = _export(tmp_path, NATIVE)
    with MockServer(native) as mock:
        expected = _answers(mock.url, REQUESTS)
    with _mockoon_cli(tmp_path / "env.json") as url:
        got = _answers(url, REQUESTS)
    assert got == expected
