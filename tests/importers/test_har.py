"""The HAR importer: recordings served over real sockets through ``MockServer(path)``.

Every corpus file (``data_har/mitmproxy``: Chrome, Firefox, Safari, Charles, Insomnia,
a POST and a BOM-prefixed file, mitmproxy's MIT-licensed fixtures) is replayed entry by
entry: each request rebuilt from the HAR gets its recorded status and body. The rest
are recordings written here, one behaviour each.
"""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import yaml

from apidouble import MockServer
from apidouble.cli import main
from apidouble.config.envsubst import substitute
from apidouble.importers import har

DATA = Path(__file__).resolve().parent / "data_har"
CORPUS = DATA / "mitmproxy"
CORPUS_FILES = sorted(CORPUS.glob("*.har"))
SKIPPED = {"chrome.har": 1}
"""Entries of each corpus file that cannot be served (Chrome's aborted ``status: 0``)."""


def _read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8-sig"))


def _write(tmp_path: Path, entries: list[dict[str, Any]], *, bom: bool = False) -> Path:
    path = tmp_path / "session.har"
    text = json.dumps({"log": {"version": "1.2", "creator": {"name": "t"}, "entries": entries}})
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
    return path


def _entry(
    url: str,
    status: int = 200,
    text: str | None = "",
    *,
    method: str = "GET",
    headers: list[dict[str, str]] | None = None,
    mime: str = "text/plain",
    encoding: str | None = None,
    post: dict[str, Any] | None = None,
    redirect: str = "",
    **extra: Any,
) -> dict[str, Any]:
    content: dict[str, Any] = {"size": len(text or ""), "mimeType": mime}
    if text is not None:
        content["text"] = text
    if encoding is not None:
        content["encoding"] = encoding
    request: dict[str, Any] = {"method": method, "url": url, "headers": []}
    if post is not None:
        request["postData"] = post
    response = {
        "status": status,
        "statusText": "",
        "headers": headers or [],
        "content": content,
        "redirectURL": redirect,
    }
    return {"request": request, "response": response, **extra}


def _expected_body(method: str, response: dict[str, Any]) -> bytes:
    content = response.get("content") or {}
    text = content.get("text")
    if not text or response["status"] in (204, 304) or method == "HEAD":
        return b""
    if content.get("encoding") == "base64":
        return base64.b64decode(text)
    return str(text).encode()


def _replay(client: httpx.Client, entry: dict[str, Any]) -> httpx.Response:
    """The entry's request, sent to the mock: method, path and query, body and type."""
    request = entry["request"]
    url = urlsplit(request["url"])
    target = (url.path or "/") + (f"?{url.query}" if url.query else "")
    post = request.get("postData") or {}
    headers = {"Content-Type": post["mimeType"]} if post.get("mimeType") else {}
    return client.request(
        request["method"], target, content=post.get("text") or None, headers=headers
    )


# --- the corpus ------------------------------------------------------------------------


def test_the_corpus_is_here_with_its_licence() -> None:
    assert [p.name for p in CORPUS_FILES] == [
        "charles.har", "chrome.har", "firefox.har", "insomnia.har", "postdata.har",
        "safari.har", "with-bom.har",
    ]  # fmt: skip
    assert "Aldo Cortesi" in (CORPUS / "LICENSE").read_text()
    assert (CORPUS / "with-bom.har").read_bytes().startswith(b"\xef\xbb\xbf")


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_each_corpus_file_imports_and_serves_every_entry_it_recorded(path: Path) -> None:
    data = _read(path)
    assert har.detect(data, path)
    read = har.read_har(data)
    assert len(read.notes) == SKIPPED.get(path.name, 0), read.notes
    served = [e for e in data["log"]["entries"] if e["response"]["status"] != 0]
    with MockServer(path) as mock, httpx.Client(base_url=mock.url) as client:
        for entry in served:
            answer = _replay(client, entry)
            where = f"{entry['request']['method']} {entry['request']['url']}"
            assert answer.status_code == entry["response"]["status"], where
            assert answer.content == _expected_body(entry["request"]["method"], entry["response"])
    assert len(mock.requests.all()) == len(served)
    assert not mock.requests.find(unmatched=True)


def test_chrome_aborted_request_is_skipped_with_a_note(caplog: pytest.LogCaptureFixture) -> None:
    path = CORPUS / "chrome.har"
    with caplog.at_level(logging.WARNING, logger="apidouble.importers.har"):
        document = har.convert(_read(path), path)
    assert [e["name"] for e in document["endpoints"]] == [
        "GET /",
        "GET /images/branding/googlelogo/2x/googlelogo_light_color_272x92dp.png",
    ]
    assert "entry 1 (GET https://www.google.com/): skipped, no response (status 0" in caplog.text
    # Chrome's 304 for the page keeps no body; mitmproxy.org's answer has no Content-Type
    # header: the recorded mime type stands in for it.
    page = document["endpoints"][0]
    assert (page["status"], page["content_type"]) == (304, "text/html")
    assert "response" not in page and "response_base64" not in page  # a 304 sends none


def test_no_body_for_head_204_and_304_even_when_the_recording_has_text() -> None:
    entries = [
        _entry("https://a.test/h", 200, "kept by the browser", method="HEAD"),
        _entry("https://a.test/n", 204, "stale"),
        _entry("https://a.test/c", 304, "cached copy"),
        _entry("https://a.test/g", 200, "sent"),
    ]
    endpoints = har.read_har({"log": {"version": "1.2", "entries": entries}}).document["endpoints"]
    assert [e.get("response") for e in endpoints] == [None, None, None, "sent"]


def test_response_headers_drop_hop_by_hop_and_length_and_keep_the_rest() -> None:
    path = CORPUS / "insomnia.har"
    with MockServer(path) as mock:
        answer = httpx.get(mock.url + "/")
    assert answer.headers["content-type"] == "text/html"
    assert answer.headers["etag"] == '"b17c505e5c0969bb21b89e6116530dde"'
    assert answer.headers["x-cache"] == "Hit from cloudfront"
    endpoint = har.read_har(_read(path)).document["endpoints"][0]
    assert "Content-Length" not in endpoint["headers"]
    assert "Connection" not in endpoint["headers"]
    assert int(answer.headers["content-length"]) == len(answer.content) == 250


def test_the_post_data_of_the_corpus_is_matched_as_json(tmp_path: Path) -> None:
    path = CORPUS / "postdata.har"
    recorded = _read(path)["log"]["entries"][0]["request"]["postData"]["text"]
    body = json.loads(recorded)
    with MockServer(path) as mock:
        url = mock.url + "/metrics"
        assert httpx.post(url, content=recorded).status_code == 200
        other = {**body, "metadata": {**body["metadata"], "affiliateId": 1}}
        assert httpx.post(url, json=other).status_code == 404
        assert httpx.post(url).status_code == 404


def test_a_bom_prefixed_file_loads_through_run_and_import(tmp_path: Path) -> None:
    path = _write(tmp_path, [_entry("https://api.test/bom", text="fine")], bom=True)
    with MockServer(path) as mock:
        assert httpx.get(mock.url + "/bom").text == "fine"
    out = tmp_path / "out.yaml"
    assert main(["import", "har", str(path), "-o", str(out)]) == 0
    assert yaml.safe_load(out.read_text())["endpoints"][0]["path"] == "/bom"


# --- detection ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "claimed"),
    [
        ({"log": {"version": "1.2", "entries": []}}, True),
        ({"log": {"creator": {"name": "x"}, "entries": []}}, True),
        ({"log": {"entries": []}}, False),
        ({"log": {"version": "1.2"}}, False),
        ({"log": {"version": "1.2", "entries": {}}}, False),
        ({"endpoints": []}, False),
        ([{"log": {}}], False),
        ("log", False),
    ],
)
def test_detect_claims_a_har_by_its_shape(data: Any, claimed: bool) -> None:
    assert har.detect(data, Path("x.json")) is claimed


# --- one behaviour each ---------------------------------------------------------------


def test_a_base64_body_is_served_as_its_bytes(tmp_path: Path) -> None:
    raw = bytes(range(256))
    encoded = base64.b64encode(raw).decode()
    path = _write(
        tmp_path,
        [_entry("https://a.test/blob", text=encoded, encoding="base64", mime="image/png")],
    )
    with MockServer(path) as mock:
        answer = httpx.get(mock.url + "/blob")
    assert answer.content == raw
    assert answer.headers["content-type"] == "image/png"


def test_missing_text_is_an_empty_body(tmp_path: Path) -> None:
    path = _write(tmp_path, [_entry("https://a.test/img", text=None, mime="image/png")])
    with MockServer(path) as mock:
        answer = httpx.get(mock.url + "/img")
    assert (answer.status_code, answer.content) == (200, b"")


def test_query_strings_are_conditions_and_the_more_specific_answers_first(
    tmp_path: Path,
) -> None:
    path = _write(
        tmp_path,
        [
            _entry("https://a.test/search", text="no query"),
            _entry("https://a.test/search?q=a", text="a"),
            _entry("https://a.test/search?q=b", text="b"),
            _entry("https://a.test/search?q=a&page=2", text="a, page 2"),
            _entry("https://a.test/tags?t=x&t=y", text="x and y"),
            _entry("https://a.test/enc?name=J%C3%BCrgen+M", text="decoded"),
        ],
    )
    with MockServer(path) as mock, httpx.Client(base_url=mock.url) as client:
        assert client.get("/search?q=a").text == "a"
        assert client.get("/search?q=b").text == "b"
        assert client.get("/search?page=2&q=a").text == "a, page 2"
        assert client.get("/search").text == "no query"
        assert client.get("/search?q=a&_=1700000000").text == "a"  # extra ones allowed
        assert client.get("/tags?t=y&t=x").text == "x and y"
        assert client.get("/tags?t=x").status_code == 404
        assert client.get("/enc?name=J%C3%BCrgen%20M").text == "decoded"
        assert client.get("/enc?name=Jurgen").status_code == 404


def test_post_bodies_json_form_and_text_are_conditions(tmp_path: Path) -> None:
    form = "a=1&b=two+words"
    path = _write(
        tmp_path,
        [
            _entry(
                "https://a.test/items", 201, '{"id":1}', method="POST", mime="application/json",
                post={"mimeType": "application/json", "text": '{"name": "x", "tags": [1, 2]}'},
            ),
            _entry(
                "https://a.test/items", 201, '{"id":2}', method="POST", mime="application/json",
                post={"mimeType": "application/json", "text": '{"name": "y"}'},
            ),
            _entry(
                "https://a.test/login", 302, method="POST", headers=[
                    {"name": "Location", "value": "/home"}],
                post={"mimeType": "application/x-www-form-urlencoded", "params": [
                    {"name": "a", "value": "1"}, {"name": "b", "value": "two words"}]},
            ),
            _entry(
                "https://a.test/note", 200, "noted", method="PUT",
                post={"mimeType": "text/plain", "text": "hello"},
            ),
        ],
    )  # fmt: skip
    with MockServer(path) as mock, httpx.Client(base_url=mock.url) as client:
        assert client.post("/items", json={"name": "x", "tags": [1, 2]}).json() == {"id": 1}
        assert client.post("/items", json={"name": "y", "extra": True}).json() == {"id": 2}
        assert client.post("/items", json={"name": "z"}).status_code == 404
        login = client.post(
            "/login", content=form, headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
        assert (login.status_code, login.headers["location"]) == (302, "/home")
        assert client.post("/login", content="a=1").status_code == 404
        assert client.put("/note", content="hello").text == "noted"
        assert client.put("/note", content="bye").status_code == 404


def test_repeated_requests_with_different_answers_are_a_sequence(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        [
            _entry("https://a.test/job", 202, "queued"),
            _entry("https://a.test/other", 200, "other"),
            _entry("https://a.test/job", 202, "running"),
            _entry("https://a.test/job", 200, "done"),
            _entry("https://a.test/same", 200, "same"),
            _entry("https://a.test/same", 200, "same"),
        ],
    )
    endpoints = har.read_har(_read(path)).document["endpoints"]
    job = next(e for e in endpoints if e["path"] == "/job")
    assert job["mode"] == "sequence"
    assert [r["response"] for r in job["responses"]] == ["queued", "running", "done"]
    assert "responses" not in next(e for e in endpoints if e["path"] == "/same")
    with MockServer(path) as mock, httpx.Client(base_url=mock.url) as client:
        answers = [client.get("/job") for _ in range(4)]
        assert [(a.status_code, a.text) for a in answers] == [
            (202, "queued"), (202, "running"), (200, "done"), (200, "done"),
        ]  # fmt: skip


def test_redirect_chains_answer_each_step_with_its_location(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        [
            _entry(
                "https://a.test/old", 301, headers=[
                    {"name": "Location", "value": "https://a.test/new?from=old"}],
            ),
            _entry("https://a.test/new?from=old", 302, redirect="/final"),
            _entry("https://a.test/final", 200, "arrived"),
            _entry(
                "https://a.test/away", 307, headers=[
                    {"name": "location", "value": "https://elsewhere.test/x"}],
            ),
        ],
    )  # fmt: skip
    with MockServer(path) as mock, httpx.Client(base_url=mock.url) as client:
        first = client.get("/old")
        assert (first.status_code, first.headers["location"]) == (301, "/new?from=old")
        second = client.get("/new?from=old")
        assert (second.status_code, second.headers["location"]) == (302, "/final")
        followed = client.get("/old", follow_redirects=True)
        assert (followed.status_code, followed.text) == (200, "arrived")
        assert [r.status_code for r in followed.history] == [301, 302]
        assert client.get("/away").headers["location"] == "https://elsewhere.test/x"


def test_entries_that_cannot_be_served_are_skipped_and_the_rest_serve(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    entries: list[Any] = [
        _entry("https://a.test:443", 200, method="CONNECT"),
        _entry("wss://a.test/socket", 101),
        _entry("https://a.test/ws", 200, _resourceType="websocket"),
        _entry("https://a.test/chat", 200, _webSocketMessages=[]),
        _entry("https://a.test/aborted", 0),
        _entry("https://a.test/early", 103),
        _entry("https://a.test/odd", 200, method="BREW"),
        "not an entry",
        {"request": {"method": "GET"}},
        {"request": {"method": "GET", "url": "https://a.test/x"}, "response": {"status": "200"}},
        {"request": {"method": "GET", "url": "https://a.test/y"}, "response": {"status": 200,
                                                                               "headers": 5}},
        _entry("https://a.test/ok", 200, "ok"),
    ]  # fmt: skip
    path = _write(tmp_path, entries)
    read = har.read_har(_read(path))
    assert [e["path"] for e in read.document["endpoints"]] == ["/y", "/ok"]
    reasons = "\n".join(read.notes)
    assert len(read.notes) == 10
    for reason in ("tunnel", "WebSocket", "status 0", "status 103", "'BREW'", "not an object"):
        assert reason in reasons
    with (
        caplog.at_level(logging.WARNING, logger="apidouble.importers.har"),
        MockServer(path) as mock,
    ):
        assert httpx.get(mock.url + "/ok").text == "ok"
        assert httpx.get(mock.url + "/aborted").status_code == 404
    mine = [r for r in caplog.records if r.name == "apidouble.importers.har"]
    assert len(mine) == 10 and all("skipped" in r.getMessage() for r in mine)


def test_literal_text_stays_literal_templates_env_and_wildcards(tmp_path: Path) -> None:
    script = "const a = `${HOME}`; const b = '{{ request.path }}'; {% raw %} $${X}"
    path = _write(
        tmp_path,
        [
            _entry("https://a.test/app.js", 200, script, mime="text/javascript", headers=[
                {"name": "X-Tpl", "value": "{{ 1 + 1 }}"}]),
            _entry("https://a.test/files/{id}/*", 200, "braces"),
            _entry("https://a.test/q?v=${USER}", 200, "dollar"),
        ],
    )  # fmt: skip
    with MockServer(path) as mock, httpx.Client(base_url=mock.url) as client:
        answer = client.get("/app.js")
        assert answer.text == script
        assert answer.headers["x-tpl"] == "{{ 1 + 1 }}"
        assert answer.headers["content-type"] == "text/javascript"
        assert client.get("/files/%7Bid%7D/*").text == "braces"
        assert client.get("/files/7/x").status_code == 404
        assert client.get("/q?v=${USER}").text == "dollar"


def test_duplicate_header_names_are_sent_as_separate_lines(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        [
            _entry("https://a.test/c", 200, "c", headers=[
                {"name": "Set-Cookie", "value": "a=1"}, {"name": "set-cookie", "value": "b=2"},
                {"name": ":status", "value": "200"},
                {"name": "Transfer-Encoding", "value": "chunked"},
                {"name": "Content-Encoding", "value": "gzip"}]),
        ],
    )  # fmt: skip
    with MockServer(path) as mock:
        answer = httpx.get(mock.url + "/c")
    assert answer.headers.get_list("set-cookie") == ["a=1", "b=2"]
    assert "content-encoding" not in answer.headers
    assert answer.text == "c"


def test_a_non_standard_reason_phrase_is_kept(tmp_path: Path) -> None:
    entry = _entry("https://a.test/teapot", 418, "short and stout")
    entry["response"]["statusText"] = "Short And Stout"
    path = _write(tmp_path, [entry])
    endpoint = har.read_har(_read(path)).document["endpoints"][0]
    assert endpoint["status_message"] == "Short And Stout"
    assert (
        "status_message"
        not in har.read_har(
            {"log": {"version": "1.2", "entries": [_entry("https://a.test/", 404)]}}
        ).document["endpoints"][0]
    )


@pytest.mark.parametrize(
    "text", ["${A}", "$${A}", "x ${A:-d} y", "${A:-${B}}", "$$${A}", "no reference $ {A}"]
)
def test_the_escape_reads_back_as_the_text_through_env_substitution(text: str) -> None:
    data = {"log": {"version": "1.2", "entries": [_entry("https://a.test/", 200, text)]}}
    document = har.read_har(data).document
    expanded, unset = substitute(document, {"A": "set", "B": "set"})
    assert (expanded["endpoints"][0]["response"], unset) == (text, [])


def test_import_writes_yaml_that_serves_the_same_answers(tmp_path: Path) -> None:
    source = CORPUS / "firefox.har"
    out = tmp_path / "firefox.yaml"
    assert main(["import", "har", str(source), "-o", str(out)]) == 0
    entries = _read(source)["log"]["entries"]
    with MockServer(out) as mock, httpx.Client(base_url=mock.url) as client:
        for entry in entries:
            answer = _replay(client, entry)
            assert answer.status_code == entry["response"]["status"]
            assert answer.content == _expected_body("GET", entry["response"])
