"""A json-server ``db.json`` served as json-server serves it, beside stubs that win."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from apidouble import MockServer
from apidouble.errors import ConfigError

DB = {
    "posts": [
        {"id": 1, "title": "json-server", "author": "typicode"},
        {"id": 2, "title": "apidouble", "author": "ada"},
    ],
    "comments": [{"id": 1, "body": "some comment", "postId": 1}],
    "profile": {"name": "typicode"},
}


def database(folder: Path, document: object = DB, name: str = "db.json") -> Path:
    path = folder / name
    path.write_text(json.dumps(document))
    return path


def test_a_db_json_is_served_as_json_server_serves_it(tmp_path: Path) -> None:
    with MockServer(database(tmp_path)) as mock:
        page = httpx.get(mock.url + "/posts", params={"_page": 1, "_limit": 1})
        found = httpx.get(mock.url + "/posts", params={"author_like": "^ty"})
        one = httpx.get(mock.url + "/posts/1", params={"_embed": "comments"})
        nested = httpx.get(mock.url + "/posts/1/comments")
        made = httpx.post(mock.url + "/posts", json={"title": "new"})
        patched = httpx.patch(mock.url + "/profile", json={"age": 3})
        head = httpx.head(mock.url + "/posts")
        listed = httpx.get(mock.url + "/posts")
        entry = mock.requests.all()[-1]
    assert page.json() == [DB["posts"][0]] and page.headers["x-total-count"] == "2"
    assert 'rel="next"' in page.headers["link"]
    assert found.json() == [DB["posts"][0]]
    assert one.json()["comments"] == DB["comments"]
    assert nested.json() == DB["comments"]
    assert made.status_code == 201 and made.json() == {"title": "new", "id": 3}
    assert made.headers["location"].endswith("/posts/3")
    assert patched.json() == {"name": "typicode", "age": 3}
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["content-length"]) == len(listed.content)
    assert page.headers["content-type"] == "application/json; charset=utf-8"
    assert entry["notes"] == ["json-server resource"]


def test_stubs_win_over_the_database(tmp_path: Path) -> None:
    database(tmp_path)
    stub = {"endpoints": [{"path": "/posts/1", "response": {"from": "stub"}}]}
    (tmp_path / "apidouble.json").write_text(json.dumps(stub))
    with MockServer(tmp_path) as mock:
        assert httpx.get(mock.url + "/posts/1").json() == {"from": "stub"}
        assert httpx.get(mock.url + "/posts/2").json() == DB["posts"][1]
        missing = httpx.get(mock.url + "/nothing")
    assert missing.status_code == 404 and "near_misses" in missing.json()


def test_writes_last_until_a_reset_or_a_reload(tmp_path: Path) -> None:
    path = database(tmp_path)
    with MockServer(path) as mock:
        httpx.delete(mock.url + "/posts/2")
        ping = {"id": "ping", "path": "/ping", "response": "pong"}
        assert httpx.post(mock.url + "/__admin/endpoints", json=ping).status_code == 201
        assert [p["id"] for p in httpx.get(mock.url + "/posts").json()] == [1]  # kept
        reset = httpx.post(mock.url + "/__admin/resources/reset")
        assert reset.json() == {"reset": True, "resources": ["posts", "comments", "profile"]}
        assert len(httpx.get(mock.url + "/posts").json()) == 2
        httpx.delete(mock.url + "/posts/2")
        mock.reset()  # the fixture's reset between tests restores it too
        assert len(httpx.get(mock.url + "/posts").json()) == 2
        httpx.delete(mock.url + "/posts/2")
        path.write_text(json.dumps({**DB, "posts": DB["posts"] + [{"id": 9, "title": "t"}]}))
        mock.reload()
        assert [p["id"] for p in httpx.get(mock.url + "/posts").json()] == [1, 2, 9]


def test_one_database_per_config(tmp_path: Path) -> None:
    database(tmp_path, name="a.json")
    database(tmp_path, {"users": []}, name="b.json")
    with pytest.raises(ConfigError, match="a second json-server database"):
        MockServer(tmp_path).start()


def test_the_reset_route_without_a_database() -> None:
    with MockServer(endpoints=[{"path": "/x", "response": "x"}]) as mock:
        answer = httpx.post(mock.url + "/__admin/resources/reset")
    assert answer.status_code == 404
    assert answer.json() == {"error": "no json-server database is served"}
