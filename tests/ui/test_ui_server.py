"""The UI's server side over real sockets: the files, their headers, the token, the stream."""

from __future__ import annotations

import contextlib
import json
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from apidouble import MockServer
from apidouble.ui.live import MAX_STREAMS
from apidouble.ui.route import CSP

TOKEN = "ui-s3cret"
ENDPOINTS = [{"id": "hello", "path": "/hello", "response": {"message": "hi"}}]
EVENTS = {"Accept": "text/event-stream"}
TIMEOUT = httpx.Timeout(5.0)


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    with MockServer(endpoints=ENDPOINTS) as server:
        yield server


@pytest.fixture(scope="module")
def guarded() -> Iterator[MockServer]:
    with MockServer(endpoints=ENDPOINTS, admin_token=TOKEN) as server:
        yield server


class Events:
    """(name, data) of one text/event-stream body as it arrives, each read bounded."""

    def __init__(self, answer: httpx.Response) -> None:
        self._chunks = answer.iter_text()
        self._buffer = ""

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        stop = time.monotonic() + 5.0
        while time.monotonic() < stop:
            while "\n\n" in self._buffer:
                block, self._buffer = self._buffer.split("\n\n", 1)
                name, data = "message", []
                for line in block.split("\n"):
                    if line.startswith("event: "):
                        name = line[7:]
                    elif line.startswith("data: "):
                        data.append(line[6:])
                if data:
                    yield name, json.loads("\n".join(data))
            self._buffer += next(self._chunks)
        raise AssertionError("no event wanted within 5 s")

    def first(self, name: str, test: Callable[[Any], bool] = lambda data: True) -> Any:
        for got, data in self:
            if got == name and test(data):
                return data
        raise AssertionError(f"the stream ended before a {name} event")


def first(
    answer: httpx.Response, name: str, test: Callable[[Any], bool] = lambda data: True
) -> Any:
    return Events(answer).first(name, test)


# --- the files ------------------------------------------------------------------------


def test_the_bare_path_redirects_to_the_slash(mock: MockServer) -> None:
    answer = httpx.get(mock.url + "/__admin/ui")
    assert answer.status_code == 308
    assert answer.headers["location"] == "/__admin/ui/"


def test_the_page_and_its_files_with_their_types_and_headers(mock: MockServer) -> None:
    page = httpx.get(mock.url + "/__admin/ui/")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert '<script type="module" src="app.js"></script>' in page.text
    for name, kind in [
        ("app.js", "text/javascript"),
        ("style.css", "text/css"),
        ("index.html", "text/html"),
    ]:
        answer = httpx.get(f"{mock.url}/__admin/ui/{name}")
        assert answer.status_code == 200, name
        assert answer.headers["content-type"].split(";")[0] == kind
        assert answer.headers["content-security-policy"] == CSP
        assert "script-src 'self'" in CSP and "frame-ancestors 'none'" in CSP
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["cache-control"] == "no-cache"
        assert answer.headers["etag"].startswith('"')
    assert httpx.get(mock.url + "/__admin/ui/index.html").text == page.text


def test_a_current_copy_gets_304_and_a_stale_one_the_file(mock: MockServer) -> None:
    url = mock.url + "/__admin/ui/app.js"
    tag = httpx.get(url).headers["etag"]
    again = httpx.get(url, headers={"If-None-Match": f'"other", W/{tag}'})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == tag
    stale = httpx.get(url, headers={"If-None-Match": '"not-it"'})
    assert stale.status_code == 200
    assert "export" in stale.text or "import" in stale.text
    head = httpx.head(url)
    assert head.status_code == 200 and head.content == b""


def test_an_unknown_file_is_404(mock: MockServer) -> None:
    answer = httpx.get(mock.url + "/__admin/ui/nothing.js")
    assert answer.status_code == 404
    assert answer.json() == {"error": "no such UI file"}


def _raw_get(mock: MockServer, target: str) -> tuple[int, bytes]:
    """A request line sent as typed (httpx would normalise the dots away)."""
    with socket.create_connection(("127.0.0.1", mock.port), timeout=5) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return int(data.split(b" ", 2)[1]), data


@pytest.mark.parametrize(
    "target",
    [
        "/__admin/ui/../routes.py",
        "/__admin/ui/..%2Froutes.py",
        "/__admin/ui/%2e%2e%2f%2e%2e%2fruntime.py",
        "/__admin/ui/..%5Croute.py",
        "/__admin/ui/assets%2Fapp.js",
        "/__admin/ui/route.py",
        "/__admin/ui/__init__.py",
    ],
)
def test_no_path_leaves_the_assets_folder(mock: MockServer, target: str) -> None:
    status, data = _raw_get(mock, target)
    assert status == 404, data[:200]
    assert b"import" not in data and b"__future__" not in data


# --- the token ------------------------------------------------------------------------


def test_with_a_token_the_files_are_open_and_the_data_is_not(guarded: MockServer) -> None:
    assert httpx.get(guarded.url + "/__admin/ui/").status_code == 200
    assert httpx.get(guarded.url + "/__admin/ui/app.js").status_code == 200
    refused = httpx.get(guarded.url + "/__admin/ui/live", headers=EVENTS)
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"].startswith("Bearer")
    assert httpx.get(guarded.url + "/__admin/endpoints").status_code == 401
    assert httpx.get(guarded.url + "/__admin/ui/other.js").status_code == 401
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert httpx.get(guarded.url + "/__admin/ui/other.js", headers=auth).status_code == 404
    with httpx.stream(
        "GET", guarded.url + "/__admin/ui/live", headers={**EVENTS, **auth}, timeout=TIMEOUT
    ) as live:
        assert live.status_code == 200
        assert first(live, "stats")["streams"] >= 1


# --- the live stream ------------------------------------------------------------------


def test_the_stream_wants_event_stream(mock: MockServer) -> None:
    answer = httpx.get(mock.url + "/__admin/ui/live")
    assert answer.status_code == 406


def test_the_stream_sends_a_request_made_after_it_opened_and_stats(mock: MockServer) -> None:
    httpx.get(mock.url + "/hello?before=1")  # already in the journal: not sent again
    with httpx.stream(
        "GET", mock.url + "/__admin/ui/live", headers=EVENTS, timeout=TIMEOUT
    ) as live:
        assert live.status_code == 200
        assert live.headers["content-type"] == "text/event-stream; charset=utf-8"
        assert live.headers["cache-control"] == "no-cache"
        stream = Events(live)
        opening = stream.first("stats")
        assert opening["journal"]["entries"] >= 1
        for _ in range(3):
            assert httpx.get(mock.url + "/hello?after=1").json() == {"message": "hi"}
        assert httpx.get(mock.url + "/missing").status_code == 404
        seen: list[dict[str, Any]] = []
        stats: dict[str, Any] | None = None
        for name, data in stream:
            if name == "request":
                seen.append(data)
            elif name == "stats" and data["requests"] > 0:
                stats = data
            if len(seen) == 4 and stats is not None:
                break
    assert [(e["path"], e["query"], e["status"]) for e in seen] == [
        ("/hello", "after=1", 200),
        ("/hello", "after=1", 200),
        ("/hello", "after=1", 200),
        ("/missing", "", 404),
    ]
    logged = httpx.get(mock.url + "/__admin/logs?limit=4").json()["logs"]
    assert list(reversed(logged)) == seen  # the shape of /__admin/logs entries
    assert seen[3]["stub_id"] is None and "near_misses" in seen[3]["response"]["body"]
    assert stats is not None
    assert stats["status"].get("2xx", 0) + stats["status"].get("4xx", 0) == stats["requests"]
    assert stats["hits"]["hello"] >= 4
    assert stats["journal"]["entries"] == opening["journal"]["entries"] + 4
    assert stats["journal"]["bytes"] > opening["journal"]["bytes"]
    assert opening["skipped"] == 0 and stats["skipped"] == 0  # a few requests: all sent


def test_the_hits_route_gives_the_exact_counts_the_ui_starts_from(guarded: MockServer) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    before = httpx.get(guarded.url + "/__admin/ui/hits", headers=auth).json()["hits"]
    for _ in range(2):
        httpx.get(guarded.url + "/hello")
    after = httpx.get(guarded.url + "/__admin/ui/hits", headers=auth).json()["hits"]
    assert after["hello"] == before.get("hello", 0) + 2
    assert httpx.get(guarded.url + "/__admin/ui/hits").status_code == 401  # behind the token


def test_the_seventeenth_stream_gets_503_and_a_closed_one_frees_its_slot() -> None:
    with (
        MockServer(endpoints=ENDPOINTS) as mock,
        httpx.Client(base_url=mock.url, timeout=TIMEOUT) as client,
        contextlib.ExitStack() as stack,
    ):
        opened = []
        for _ in range(MAX_STREAMS):
            live = stack.enter_context(client.stream("GET", "/__admin/ui/live", headers=EVENTS))
            assert live.status_code == 200
            opened.append(live)
        refused = client.get("/__admin/ui/live", headers=EVENTS)
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "5"
        opened[0].close()  # the client goes away: the server's stream ends and gives back its slot
        watcher = opened[1]
        assert first(watcher, "stats", lambda data: data["streams"] == MAX_STREAMS - 1)
        with client.stream("GET", "/__admin/ui/live", headers=EVENTS) as again:
            assert again.status_code == 200


def test_a_closed_client_ends_its_stream_and_the_server_stops_promptly() -> None:
    with MockServer(endpoints=ENDPOINTS) as server:
        url = server.url + "/__admin/ui/live"
        with httpx.stream("GET", url, headers=EVENTS, timeout=TIMEOUT) as watcher:
            with httpx.stream("GET", url, headers=EVENTS, timeout=TIMEOUT) as other:
                assert first(other, "stats")["streams"] == 2
            assert first(watcher, "stats", lambda data: data["streams"] == 1)
            started = time.monotonic()
            server.stop()  # a stream still open: it ends at its next poll, not after the grace
            stopped_in = time.monotonic() - started
    assert stopped_in < 3.0
