"""The journal as HAR 1.2: valid against the HAR 1.2 JSON Schema (the ``har-schema`` npm
package's, in ``importers/data_har/har-schema``), and served back by the HAR importer
as stubs answering the same requests with the same status and body."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft6Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT6

from apidouble import MockServer
from apidouble._version import VERSION
from apidouble.har_export import har_document, har_entry, journal_entries
from apidouble.importers import har

SCHEMAS = Path(__file__).resolve().parent / "importers" / "data_har" / "har-schema"
PNG = bytes([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 255, 128])
CONFIG = f"""
endpoints:
  - name: create
    method: POST
    path: /api/items
    match: {{body: {{json: {{name: widget}}}}}}
    status: 201
    headers: {{Set-Cookie: "sid=abc; Path=/; HttpOnly", X-Trace: t-1}}
    response: {{id: 7, name: widget}}
  - name: search
    path: /api/items
    match: {{query: {{q: blue}}}}
    response: [{{id: 1}}]
  - name: logo
    path: /logo.png
    response_base64: {base64.b64encode(PNG).decode()}
  - name: moved
    path: /old
    status: 302
    headers: {{Location: /api/items?q=blue}}
  - name: broken
    path: /broken
    fault: connection_reset
"""


def _validator() -> Draft6Validator:
    resources = []
    for file in SCHEMAS.glob("*.json"):
        schema = json.loads(file.read_text())
        resources.append((schema["$id"], Resource.from_contents(schema, DRAFT6)))
    registry: Registry[Any] = Registry().with_resources(resources)
    root = json.loads((SCHEMAS / "har.json").read_text())
    return Draft6Validator(root, registry=registry, format_checker=FormatChecker())


def _errors(document: Any) -> list[str]:
    found = _validator().iter_errors(document)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in found]


REQUESTS: list[tuple[str, str, dict[str, Any]]] = [
    ("POST", "/api/items", {"json": {"name": "widget"}, "headers": {"Cookie": "a=1; b=2"}}),
    ("GET", "/api/items?q=blue&q=green", {}),
    ("GET", "/logo.png", {}),
    ("GET", "/old", {}),
    ("GET", "/nothing/here", {}),
]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[dict[str, Any]]]:
    """The journal (newest first) of REQUESTS and one faulted request, with the answers."""
    folder = tmp_path_factory.mktemp("har-export")
    config = folder / "api.yaml"
    config.write_text(CONFIG)
    with MockServer(config) as mock, httpx.Client(base_url=mock.url) as client:
        for method, target, options in REQUESTS:
            client.request(method, target, **options)
        with pytest.raises(httpx.TransportError):
            client.get("/broken")
        yield mock.requests.all()


def test_the_schema_oracle_refuses_what_har_forbids() -> None:
    assert _errors({"log": {"version": "1.2", "creator": {"name": "x", "version": "1"}}})
    entry = {"startedDateTime": "yesterday", "time": 1, "request": {}, "response": {},
             "cache": {}, "timings": {}}  # fmt: skip
    broken = {"log": {"version": "1.2", "creator": {"name": "x", "version": "1"},
                      "entries": [entry]}}  # fmt: skip
    messages = "\n".join(_errors(broken))
    for missing in ("'method'", "'status'", "'send'", "does not match"):
        assert missing in messages


def test_an_exported_journal_is_valid_har_1_2(recorded: list[dict[str, Any]]) -> None:
    document = har_document(recorded)
    assert _errors(document) == []
    log = document["log"]
    assert log["version"] == "1.2"
    assert log["creator"] == {"name": "apidouble", "version": VERSION}
    assert [e["request"]["method"] for e in log["entries"]] == ["POST", "GET", "GET", "GET", "GET",
                                                               "GET"]  # fmt: skip
    json.dumps(document)  # plain JSON all the way down


def test_entries_carry_the_request_and_the_response_as_sent(
    recorded: list[dict[str, Any]],
) -> None:
    create, search, logo, moved, missed, broken = har_document(recorded)["log"]["entries"]
    request = create["request"]
    assert request["url"].startswith("http://127.0.0.1:") and request["url"].endswith("/api/items")
    assert request["postData"] == {"mimeType": "application/json", "text": '{"name":"widget"}'}
    assert request["cookies"] == [{"name": "a", "value": "1"}, {"name": "b", "value": "2"}]
    assert request["bodySize"] == len('{"name":"widget"}')
    response = create["response"]
    assert (response["status"], response["statusText"]) == (201, "Created")
    assert response["content"]["mimeType"] == "application/json"
    assert json.loads(response["content"]["text"]) == {"id": 7, "name": "widget"}
    assert response["cookies"] == [{"name": "sid", "value": "abc", "path": "/", "httpOnly": True}]
    assert {"name": "X-Trace", "value": "t-1"} in response["headers"]
    assert create["comment"] == "stub: create"
    assert search["request"]["queryString"] == [
        {"name": "q", "value": "blue"}, {"name": "q", "value": "green"},
    ]  # fmt: skip
    assert search["request"]["url"].endswith("/api/items?q=blue&q=green")
    content = logo["response"]["content"]
    assert content["encoding"] == "base64" and base64.b64decode(content["text"]) == PNG
    assert content["size"] == len(PNG)
    assert moved["response"]["redirectURL"] == "/api/items?q=blue"
    assert (missed["response"]["status"], missed["comment"]) == (404, "no stub matched")
    assert broken["response"]["status"] == 0
    assert missed["startedDateTime"] <= broken["startedDateTime"]  # oldest first
    assert create["startedDateTime"].endswith("Z") and create["time"] >= 0


def test_an_exported_har_imports_back_to_stubs_giving_the_same_answers(
    recorded: list[dict[str, Any]], tmp_path: Path
) -> None:
    path = tmp_path / "journal.har"
    path.write_text(json.dumps(har_document(recorded)))
    read = har.read_har(json.loads(path.read_text()))
    assert len(read.notes) == 1 and "status 0" in read.notes[0]  # the fault sent nothing
    answered = {(e["method"], e["path"] + (f"?{e['query']}" if e["query"] else "")): e
                for e in recorded if e["response"] is not None}  # fmt: skip
    with MockServer(path) as mock, httpx.Client(base_url=mock.url) as client:
        for method, target, options in REQUESTS:
            again = client.request(method, target, **options)
            first = answered[(method, target)]["response"]
            assert again.status_code == first["status"], target
            body = first.get("body", "")
            sent = base64.b64decode(body) if first.get("body_encoding") else body.encode()
            assert again.content == sent, target
            if first["status"] == 302:
                assert again.headers["location"] == "/api/items?q=blue"
        assert client.post("/api/items", json={"name": "other"}).status_code == 404


def test_a_binary_request_body_and_a_truncated_body_are_described() -> None:
    entry = {
        "id": 1, "time": 0.5, "method": "PUT", "path": "/up", "query": "",
        "headers": [["Host", "h.test"], ["Content-Type", "application/octet-stream"]],
        "stub": None, "status": 200, "duration_ms": 1.5,
        "body_size": 4, "body": "AAEC/w==", "body_encoding": "base64",
        "response": {"status": 200, "headers": [["content-type", "text/plain"]],
                     "body_size": 100, "body": "abc", "body_truncated": True},
    }  # fmt: skip
    made = har_entry(entry)
    assert made["startedDateTime"] == "1970-01-01T00:00:00.500Z"
    assert made["request"]["url"] == "http://h.test/up"
    assert made["request"]["postData"]["_encoding"] == "base64"
    assert made["request"]["postData"]["comment"] == "the text is base64"
    assert "first part of 100 bytes" in made["response"]["content"]["comment"]
    document = har_document([entry])
    assert _errors(document) == []
    # an importer cannot match a base64 body: the stub answers the method and path
    assert "match" not in har.read_har(document).document["endpoints"][0]


@pytest.mark.parametrize(
    "saved",
    [
        [{"id": 1, "time": 1.0, "method": "GET", "path": "/", "response": None}],
        {"total": 1, "logs": [{"id": 1, "time": 1.0, "method": "GET", "path": "/"}]},
    ],
)
def test_a_saved_journal_is_a_list_of_entries_or_the_logs_document(saved: Any) -> None:
    document = har_document(journal_entries(saved))
    assert _errors(document) == []
    assert document["log"]["entries"][0]["request"]["url"] == "http://localhost/"


@pytest.mark.parametrize("saved", [{"logs": 3}, "text", [1, 2]])
def test_anything_else_is_not_a_journal(saved: Any) -> None:
    with pytest.raises(ValueError, match="journal entries"):
        journal_entries(saved)


SECRET = {
    "id": 1, "time": 1.0, "method": "GET", "path": "/me", "query": "api_key=k1&page=2",
    "headers": [["Authorization", "Bearer t0k3n"], ["Cookie", "sid=s3cret"],
                ["X-Api-Key", "k2"], ["Accept", "application/json"]],
    "response": {"status": 200, "headers": [["Set-Cookie", "sid=n3w; Path=/"],
                                            ["Content-Type", "text/plain"]], "body": "ok"},
}  # fmt: skip


def test_a_redacted_har_keeps_no_credential_and_stays_valid() -> None:
    kept = json.dumps(har_document([SECRET]))
    assert all(secret in kept for secret in ("t0k3n", "s3cret", "k1", "k2", "n3w"))
    document = har_document([SECRET], redact=True)
    assert _errors(document) == []
    shown = json.dumps(document)
    assert not any(secret in shown for secret in ("t0k3n", "s3cret", "k1", "k2", "n3w"))
    request = document["log"]["entries"][0]["request"]
    assert request["url"] == "http://localhost/me?api_key=REDACTED&page=2"
    assert {"name": "Accept", "value": "application/json"} in request["headers"]
    assert {"name": "page", "value": "2"} in request["queryString"]


def test_export_har_redacts_unless_asked_to_keep_secrets(tmp_path: Path) -> None:
    import subprocess
    import sys

    saved = tmp_path / "journal.json"
    saved.write_text(json.dumps([SECRET]))
    for extra, present in (([], False), (["--keep-secrets"], True)):
        out = tmp_path / "out.har"
        done = subprocess.run(
            [sys.executable, "-m", "apidouble", "export", "har", "--from", str(saved), "-o",
             str(out), *extra],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert ("t0k3n" in out.read_text()) is present
