"""Differential tests: json-server 0.17 and ``state.resources.Database`` answer alike.

Each scenario starts the real json-server on a copy of a database, sends its requests in
order, and asks a ``Database`` built from the same document for the same method, path,
query and body; status, body and the headers json-server's clients read (X-Total-Count,
Link, Location, Access-Control-Expose-Headers) must agree, and so must ``GET /db`` at the
end. Where json-server makes a random id (string-id collections), the core is handed the
id json-server chose, so the two states stay comparable. Skipped without node or
json-server (``APIDOUBLE_JSON_SERVER`` points at another json-server binary).
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import subprocess
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from apidouble.state.resources import TEXT_HTML, Database, Reply

DEFAULT_BINARY = Path.home() / ".cache/apidouble-bench/npm/node_modules/.bin/json-server"
HEADERS = ("x-total-count", "link", "location", "access-control-expose-headers")
READY = "Type s + enter"

Step = tuple[str, str, Any]

DB: dict[str, Any] = {
    "posts": [
        {
            "id": 1,
            "title": "Hello World",
            "views": 10,
            "active": True,
            "userId": 1,
            "tags": ["a", "b"],
            "author": {"name": "Ada"},
            "rating": 4,
        },
        {
            "id": 2,
            "title": "second post",
            "views": 5,
            "active": False,
            "userId": 2,
            "author": {"name": "Bob"},
        },
        {
            "id": 3,
            "title": "Third",
            "views": 100,
            "active": True,
            "userId": 1,
            "author": {"name": "ada"},
            "rating": None,
        },
        {"id": 4, "title": "fourth", "views": 7.5, "userId": 3, "score": "10"},
    ],
    "comments": [
        {"id": 1, "body": "c1", "postId": 1},
        {"id": 2, "body": "c2", "postId": 1},
        {"id": 3, "body": "c3", "postId": "2"},
        {"id": 4, "body": "orphan", "postId": 99},
    ],
    "users": [{"id": 1, "name": "Ada"}, {"id": 2, "name": "Bob"}, {"id": 3, "name": "Cy"}],
    "people": [{"id": 1, "name": "P"}],
    "tags": [{"id": "x1", "label": "a"}, {"id": "x2", "label": "b"}],
    "notes": [{"body": "no id", "postId": 1}],
    "empty": [],
    "profile": {"name": "typicode", "nested": {"a": 1}},
}

READS: list[Step] = [
    ("GET", "/posts", None),
    ("GET", "/posts?id=1", None),
    ("GET", "/posts?id=1&id=3", None),
    ("GET", "/posts?active=true", None),
    ("GET", "/posts?views=7.5", None),
    ("GET", "/posts?rating=null", None),
    ("GET", "/posts?tags=a", None),
    ("GET", "/posts?tags=a,b", None),
    ("GET", "/posts?author.name=Ada", None),
    ("GET", "/posts?author[name]=Ada", None),
    ("GET", "/posts?nope=1", None),
    ("GET", "/posts?nope_like=1", None),
    ("GET", "/posts?title_like=^h", None),
    ("GET", "/posts?title_like=WORLD", None),
    ("GET", "/posts?title_like=post&title_like=third", None),
    ("GET", "/posts?title_like=[", None),
    ("GET", "/posts?views_gte=10", None),
    ("GET", "/posts?views_lte=10", None),
    ("GET", "/posts?views_gte=6&views_lte=50", None),
    ("GET", "/posts?score_gte=5", None),
    ("GET", "/posts?title_gte=a", None),
    ("GET", "/posts?views_ne=10", None),
    ("GET", "/posts?id_ne=1&id_ne=2", None),
    ("GET", "/posts?q=ada", None),
    ("GET", "/posts?q=1", None),
    ("GET", "/posts?q=TRU", None),
    ("GET", "/posts?q=", None),
    ("GET", "/posts?q=a&q=zzz", None),
    ("GET", "/posts?_sort=views&_order=desc", None),
    ("GET", "/posts?_sort=userId,views&_order=asc,desc", None),
    ("GET", "/posts?_sort=userId,views&_order=DESC", None),
    ("GET", "/posts?_sort=title", None),
    ("GET", "/posts?_sort=rating", None),
    ("GET", "/posts?_sort=rating&_order=desc", None),
    ("GET", "/posts?_sort=author.name", None),
    ("GET", "/posts?_sort=views&_sort=id", None),
    ("GET", "/posts?_page=1&_limit=2", None),
    ("GET", "/posts?_page=2&_limit=2", None),
    ("GET", "/posts?_page=2&_limit=1", None),
    ("GET", "/posts?_page=1", None),
    ("GET", "/posts?_page=9&_limit=2", None),
    ("GET", "/posts?_page=1&_per_page=2", None),
    ("GET", "/posts?_page=0&_limit=1", None),
    ("GET", "/posts?_page=abc", None),
    ("GET", "/posts?_page=1&_limit=0", None),
    ("GET", "/posts?_page=2&_limit=-1", None),
    ("GET", "/posts?_limit=2&_page=2&q=o", None),
    ("GET", "/posts?_page=", None),
    ("GET", "/posts?_start=1&_end=3", None),
    ("GET", "/posts?_start=1", None),
    ("GET", "/posts?_end=2", None),
    ("GET", "/posts?_end=abc", None),
    ("GET", "/posts?_limit=2", None),
    ("GET", "/posts?_limit=abc", None),
    ("GET", "/posts?_start=1&_limit=2", None),
    ("GET", "/posts?_start=1&_end=3&_limit=1", None),
    ("GET", "/posts?_start=-1&_end=10", None),
    ("GET", "/posts?_limit=0", None),
    ("GET", "/posts?_embed=comments", None),
    ("GET", "/posts?_embed=comments&_embed=notes&_limit=2", None),
    ("GET", "/posts/1?_embed=comments", None),
    ("GET", "/posts/2?_embed=comments", None),
    ("GET", "/posts/1?_embed=nope", None),
    ("GET", "/comments?_expand=post", None),
    ("GET", "/comments/1?_expand=post", None),
    ("GET", "/posts?_expand=user", None),
    ("GET", "/posts?_expand=person", None),
    ("GET", "/posts/1/comments", None),
    ("GET", "/posts/2/comments", None),
    ("GET", "/posts/1/comments?_page=1&_limit=1", None),
    ("GET", "/foo/1/comments", None),
    ("GET", "/posts/1/nope", None),
    ("GET", "/posts/9", None),
    ("GET", "/posts/x", None),
    ("GET", "/posts/1/", None),
    ("GET", "/posts/", None),
    ("GET", "/Posts?id=2", None),
    ("GET", "/tags/x1", None),
    ("GET", "/profile", None),
    ("GET", "/profile/1", None),
    ("DELETE", "/profile", None),
    ("DELETE", "/posts", None),
    ("PUT", "/posts", {"a": 1}),
    ("POST", "/posts/1", {"a": 1}),
    ("GET", "/empty?x=1", None),
    ("GET", "/posts?_=1&callback=", None),
    ("GET", "/comments?_expand=user", None),
    ("GET", "/notes?_expand=post", None),
    ("GET", "/posts?_expand=profile", None),
    ("GET", "/posts?_embed=profile", None),
    ("GET", "/posts?_embed=", None),
    ("GET", "/posts?_sort=id&_order=desc&_order=asc", None),
    ("GET", "/posts?_sort=", None),
    ("GET", "/POSTS/1/comments", None),
    ("GET", "/people/1/comments", None),
    ("GET", "/posts?views_gte=abc", None),
    ("GET", "/posts?tags[]=a,b", None),
    ("GET", "/posts?id[]=1&id[]=2", None),
    ("GET", "/posts?author_like=obj", None),
    ("GET", "/posts?title_like=o&_sort=views&_page=1&_limit=1", None),
    ("GET", "/posts?_limit=1&_limit=2", None),
    ("HEAD", "/posts/1", None),
    ("GET", "/db/", None),
    ("GET", "/db", None),
]

WRITES: list[Step] = [
    ("POST", "/posts", {"title": "new"}),
    ("POST", "/posts", {"id": 10, "title": "ten"}),
    ("POST", "/posts", {"title": "after ten"}),
    ("POST", "/posts", {"id": 1, "title": "dup"}),
    ("POST", "/posts", {"id": "1", "title": "dup as text"}),
    ("POST", "/posts", {"id": 0, "title": "zero id"}),
    ("POST", "/posts?x=1", {"title": "query in Location"}),
    ("POST", "/posts", None),
    ("POST", "/tags", {"label": "c"}),
    ("POST", "/tags", {"id": "mine", "label": "d"}),
    ("POST", "/notes", {"body": "rows without ids"}),
    ("POST", "/empty", {}),
    ("POST", "/posts/1/comments", {"body": "nested"}),
    ("POST", "/posts/1/comments", {"body": "nested again", "postId": 5}),
    ("PUT", "/posts/1", {"title": "put", "id": 77}),
    ("PUT", "/posts/1", {"title": "put again"}),
    ("PATCH", "/posts/2", {"author": {"x": 1}, "id": 9, "extra": [1]}),
    ("PATCH", "/posts/99", {"a": 1}),
    ("PUT", "/posts/99", {"a": 1}),
    ("PATCH", "/tags/x2", {"label": "B"}),
    ("PATCH", "/profile", {"nested": {"b": 2}, "more": 1}),
    ("PUT", "/profile", {"only": 1}),
    ("POST", "/profile", {"posted": 1}),
    ("GET", "/profile", None),
    ("DELETE", "/posts/2", None),
    ("GET", "/comments", None),
    ("DELETE", "/users/3", None),
    ("DELETE", "/posts/99", None),
    ("DELETE", "/tags/x1", None),
    ("GET", "/posts?_sort=id&_order=desc", None),
    ("POST", "/comments", {"id": 100.5, "body": "fraction"}),
    ("POST", "/comments", {}),
    ("DELETE", "/comments/100.5", None),
    ("PUT", "/tags/x2", {"label": "z"}),
    ("POST", "/posts/1/profile", {"x": 1}),
    ("POST", "/tags", {"id": "a b/é", "label": "encoded"}),
    ("GET", "/tags/a%20b%2F%C3%A9", None),
    ("POST", "/foo/7/comments", {"body": "any parent name"}),
    ("GET", "/foo/7/comments", None),
    ("DELETE", "/posts/1", None),
    ("GET", "/db", None),
]

SCENARIOS = {"reads": READS, "writes": WRITES}


def _binary() -> Path:
    return Path(os.environ.get("APIDOUBLE_JSON_SERVER") or DEFAULT_BINARY)


def _missing() -> str | None:
    if shutil.which("node") is None:
        return "no node on PATH"
    if not _binary().is_file():
        return f"no json-server at {_binary()}"
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def json_server(document: dict[str, Any], directory: Path) -> Iterator[int]:
    """The real json-server on a copy of ``document``; its port once it reports ready."""
    path = directory / "db.json"
    path.write_text(json.dumps(document))
    port = _free_port()
    command = [str(_binary()), "--port", str(port), "--host", "127.0.0.1", str(path)]
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=directory,
    )
    assert process.stdout is not None
    drain = threading.Thread(target=process.stdout.read, daemon=True)  # its request log
    try:
        lines: list[str] = []
        for line in process.stdout:
            lines.append(line)
            if READY in line:
                break
        else:
            pytest.fail(f"json-server did not start: {''.join(lines)}")
        drain.start()
        _wait_listening(port)
        yield port
    finally:
        process.kill()
        process.wait()
        if drain.is_alive():
            drain.join()
        process.stdout.close()


def _wait_listening(port: int) -> None:
    """json-server prints its ready line a tick before ``listen`` binds: wait for the bind."""
    ready = threading.Event()
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except ConnectionRefusedError:
            ready.wait(0.01)
    pytest.fail(f"json-server never listened on {port}")


def _theirs(port: int, method: str, target: str, body: Any) -> tuple[int, Any, dict[str, str]]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        payload = None if body is None else json.dumps(body)
        headers = {} if body is None else {"Content-Type": "application/json"}
        connection.request(method, target, body=payload, headers=headers)
        response = connection.getresponse()
        raw = response.read().decode()
        picked = {k.lower(): v for k, v in response.getheaders() if k.lower() in HEADERS}
        if method == "HEAD":
            return response.status, raw or None, picked
        if response.getheader("Content-Type", "").startswith("text/html"):
            return response.status, _first_line(raw), picked
        return response.status, json.loads(raw), picked
    finally:
        connection.close()


def _ours(
    db: Database, method: str, target: str, body: Any, base_url: str
) -> tuple[int, Any, dict[str, str]]:
    parts = urlsplit(target)
    segments = [unquote(s) for s in parts.path[1:].split("/")]
    query = parse_qs(parts.query, keep_blank_values=True)
    reply = db.answer(method, segments, query, body, base_url=base_url, original_url=target)
    assert isinstance(reply, Reply), f"{method} {target}: the core declined the path"
    picked = {k.lower(): v for k, v in reply.headers if k.lower() in HEADERS}
    if method == "HEAD":  # the caller sends a GET's head without its body
        return reply.status, None, picked
    if TEXT_HTML in reply.headers:
        return reply.status, _first_line(reply.body), picked
    return reply.status, json.loads(json.dumps(reply.body)), picked


def _first_line(text: str) -> str:
    """A JavaScript error's first line; V8's reason for a bad RegExp is not ours to copy."""
    line = text.split("\n", 1)[0]
    if line.startswith("SyntaxError: Invalid regular expression"):
        return ": ".join(line.split(": ")[:3])
    return line


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_core_answers_as_json_server(scenario: str, tmp_path: Path) -> None:
    if (reason := _missing()) is not None:
        pytest.skip(reason)
    ids: deque[str] = deque()
    db = Database(DB, new_id=ids.popleft)
    mismatches: list[str] = []
    with json_server(DB, tmp_path) as port:
        base_url = f"http://127.0.0.1:{port}"
        for method, target, body in SCENARIOS[scenario]:
            theirs = _theirs(port, method, target, body)
            if method == "POST" and theirs[0] == 201 and isinstance(theirs[1], dict):
                made = theirs[1].get("id")
                if isinstance(made, str) and (body is None or "id" not in body):
                    ids.append(made)
            ours = _ours(db, method, target, body, base_url)
            if ours != theirs:
                mismatches.append(
                    f"{method} {target} {body}\n  json-server {theirs}\n  ours {ours}"
                )
    assert not mismatches, "\n".join(mismatches)
