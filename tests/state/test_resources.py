"""The json-server core without a server: routing, writes, ids, snapshots and JS semantics.

``tests/compat/test_json_server.py`` holds the same core against the real json-server;
these pin what must hold without node (and what json-server cannot show: the injected
id source, all-or-nothing writes, snapshots, the paths the core declines).
"""

from __future__ import annotations

from typing import Any

import pytest

from apidouble.state.resource_naming import plural, singular
from apidouble.state.resource_query import MISSING, js_str, order_by, parse_int
from apidouble.state.resources import TEXT_HTML, Database, Reply

BASE = "http://127.0.0.1:3000"


def sample() -> dict[str, Any]:
    return {
        "posts": [
            {"id": 1, "title": "Hello", "views": 10, "userId": 1},
            {"id": 2, "title": "second", "views": 5, "userId": 2},
            {"id": 3, "title": "Third", "views": 100, "userId": 1},
        ],
        "comments": [
            {"id": 1, "body": "c1", "postId": 1},
            {"id": 2, "body": "c2", "postId": 2},
            {"id": 3, "body": "stale", "postId": 42},
        ],
        "users": [{"id": 1, "name": "Ada"}, {"id": 2, "name": "Bob"}],
        "tags": [{"id": "x1", "label": "a"}],
        "profile": {"name": "typicode"},
    }


def call(
    db: Database, method: str, target: str, body: Any = None, *, raw: bool = True
) -> Reply | None:
    """Split ``target`` as a transport would and ask the core."""
    path, _, query_string = target.partition("?")
    query: dict[str, list[str]] = {}
    for pair in filter(None, query_string.split("&")):
        key, _, value = pair.partition("=")
        query.setdefault(key, []).append(value)
    return db.answer(
        method,
        path[1:].split("/"),
        query,
        body,
        base_url=BASE,
        original_url=target if raw else None,
    )


def reply(db: Database, method: str, target: str, body: Any = None) -> Reply:
    answer = call(db, method, target, body)
    assert answer is not None, f"{method} {target} was declined"
    return answer


def ids(rows: Any) -> list[Any]:
    return [row["id"] for row in rows]


@pytest.mark.parametrize(
    ("method", "target"),
    [
        ("GET", "/"),
        ("GET", "/nope"),
        ("GET", "/nope/1"),
        ("GET", "/nope/1/nothing"),
        ("OPTIONS", "/posts"),
        ("TRACE", "/posts/1"),
        ("POST", "/db"),
    ],
)
def test_paths_that_are_not_resources_are_declined(method: str, target: str) -> None:
    assert call(Database(sample()), method, target) is None


@pytest.mark.parametrize(
    ("method", "target"),
    [
        ("GET", "/posts/9"),
        ("GET", "/posts/1/2/3"),
        ("DELETE", "/posts"),
        ("PUT", "/posts"),
        ("POST", "/posts/1"),
        ("GET", "/posts/1/nothing"),
        ("GET", "/profile/1"),
        ("DELETE", "/profile"),
    ],
)
def test_unknown_routes_on_a_resource_are_404_with_an_empty_object(
    method: str, target: str
) -> None:
    assert reply(Database(sample()), method, target) == Reply(404, {})


def test_lists_filter_sort_and_slice_like_json_server() -> None:
    db = Database(sample())
    assert ids(reply(db, "GET", "/posts?userId=1").body) == [1, 3]
    assert ids(reply(db, "GET", "/posts?title_like=^h|^t").body) == [1, 3]
    assert ids(reply(db, "GET", "/posts?views_gte=10&_sort=views&_order=desc").body) == [3, 1]
    assert ids(reply(db, "GET", "/posts?q=SEC").body) == [2]
    assert ids(reply(db, "GET", "/posts?unknown=1").body) == [1, 2, 3]
    sliced = reply(db, "GET", "/posts?_start=1&_limit=1")
    assert ids(sliced.body) == [2]
    assert sliced.headers == [
        ("X-Total-Count", "3"),
        ("Access-Control-Expose-Headers", "X-Total-Count"),
    ]


def test_pages_carry_a_link_header_built_from_the_request_target() -> None:
    page = reply(Database(sample()), "GET", "/posts?_page=2&_limit=1")
    assert ids(page.body) == [2]
    url = f"{BASE}/posts?_page=%d&_limit=1"
    assert page.headers == [
        ("X-Total-Count", "3"),
        ("Access-Control-Expose-Headers", "X-Total-Count, Link"),
        (
            "Link",
            f'<{url % 1}>; rel="first", <{url % 1}>; rel="prev", '
            f'<{url % 3}>; rel="next", <{url % 3}>; rel="last"',
        ),
    ]
    whole = reply(Database(sample()), "GET", "/posts?_page=1")
    assert ("Link", "") in whole.headers  # one page: Express sends an empty Link


def test_without_the_original_target_the_link_is_rebuilt_from_the_parts() -> None:
    page = call(Database(sample()), "GET", "/posts?_page=1&_limit=2", raw=False)
    assert page is not None
    assert (
        "Link",
        f'<{BASE}/posts?_page=1&_limit=2>; rel="first", '
        f'<{BASE}/posts?_page=2&_limit=2>; rel="next", '
        f'<{BASE}/posts?_page=2&_limit=2>; rel="last"',
    ) in page.headers


def test_embed_expand_and_nested_paths() -> None:
    db = Database(sample())
    post = reply(db, "GET", "/posts/1?_embed=comments&_expand=user").body
    assert post["comments"] == [{"id": 1, "body": "c1", "postId": 1}]
    assert post["user"] == {"id": 1, "name": "Ada"}
    assert "comments" not in db.document()["posts"][0], "embedding must not touch the row"
    assert ids(reply(db, "GET", "/posts/2/comments").body) == [2]
    created = reply(db, "POST", "/posts/2/comments", {"body": "new"})
    assert created.body == {"body": "new", "postId": "2", "id": 4}
    assert created.headers[1] == ("Location", f"{BASE}/posts/2/comments/4")


def test_post_makes_the_next_number_id_and_a_location() -> None:
    db = Database(sample())
    made = reply(db, "POST", "/posts", {"title": "new", "id": 0})
    assert made == Reply(
        201,
        {"title": "new", "id": 4},
        [("Access-Control-Expose-Headers", "Location"), ("Location", f"{BASE}/posts/4")],
    )
    assert reply(db, "POST", "/posts", {"id": 10}).status == 201
    assert reply(db, "POST", "/posts", None).body == {"id": 11}
    assert reply(Database({"things": []}), "POST", "/things", {}).body == {"id": 1}


def test_post_to_string_ids_takes_the_injected_id() -> None:
    db = Database(sample(), new_id=lambda: "fixed01")
    assert reply(db, "POST", "/tags", {"label": "b"}).body == {"label": "b", "id": "fixed01"}


def test_post_with_a_taken_id_fails_and_changes_nothing() -> None:
    db = Database(sample())
    before = db.snapshot()
    failed = reply(db, "POST", "/posts", {"id": "2", "title": "dup"})
    assert failed == Reply(500, "Error: Insert failed, duplicate id", [TEXT_HTML])
    assert db.document() == before


def test_put_replaces_and_keeps_the_id_patch_merges_one_level() -> None:
    db = Database(sample())
    assert reply(db, "PUT", "/posts/1", {"title": "x", "id": 9}).body == {"title": "x", "id": 1}
    merged = reply(db, "PATCH", "/posts/2", {"views": {"a": 1}, "id": 7}).body
    assert merged == {"id": 2, "title": "second", "views": {"a": 1}, "userId": 2}
    assert reply(db, "PATCH", "/profile", {"more": 1}).body == {"name": "typicode", "more": 1}
    assert reply(db, "PUT", "/profile", {"only": 1}).body == {"only": 1}
    posted = reply(db, "POST", "/profile", {"new": True})
    assert posted.status == 201 and posted.headers[1] == ("Location", f"{BASE}/profile")


def test_delete_sweeps_every_row_whose_parent_is_missing() -> None:
    db = Database(sample())
    assert reply(db, "DELETE", "/posts/1") == Reply(200, {})
    assert ids(db.document()["comments"]) == [2], "its comment and the stale one both go"
    assert ids(db.document()["posts"]) == [2, 3]


def test_a_delete_that_throws_changes_nothing() -> None:
    db = Database({"posts": [{"id": 1}, {"id": None}], "comments": [{"id": 1, "postId": 1}]})
    before = db.snapshot()
    failed = reply(db, "DELETE", "/posts/1")
    assert failed.status == 500 and TEXT_HTML in failed.headers
    assert db.document() == before


def test_a_body_that_is_not_an_object_is_a_400() -> None:
    db = Database(sample())
    before = db.snapshot()
    assert reply(db, "POST", "/posts", [1, 2]).status == 400
    assert reply(db, "PATCH", "/posts/1", "text").body == {
        "error": "the request body must be a JSON object"
    }
    assert reply(db, "PATCH", "/posts/9", [1]).status == 404, "the row is looked up first"
    assert db.document() == before


def test_snapshot_and_restore() -> None:
    source = sample()
    db = Database(source)
    saved = db.snapshot()
    reply(db, "DELETE", "/users/2")
    reply(db, "PATCH", "/profile", {"name": "changed"})
    assert source == sample(), "the document it was built from is not touched"
    db.restore(saved)
    assert db.document() == sample()
    reply(db, "POST", "/users", {"name": "Cy"})
    assert saved == sample(), "a snapshot does not follow later changes"


@pytest.mark.parametrize(
    "document",
    [[], {"a/b": []}, {"count": 3}, {"name": "text"}],
)
def test_documents_json_server_refuses_are_refused(document: Any) -> None:
    with pytest.raises(ValueError):
        Database(document)


def test_schema_key_is_not_a_resource() -> None:
    db = Database({"$schema": "./schema.json", "posts": []})
    assert db.resources == ("posts",)
    assert call(db, "GET", "/$schema") is None


def test_express_routing_leniency() -> None:
    db = Database(sample())
    assert ids(reply(db, "GET", "/POSTS?id=2").body) == [2]
    assert reply(db, "GET", "/posts/1/").body["id"] == 1
    assert reply(db, "HEAD", "/posts/1").status == 200
    assert reply(db, "GET", "/db").body is db.document()


def test_query_brackets_are_shaped_as_qs_shapes_them() -> None:
    db = Database(sample())
    assert ids(reply(db, "GET", "/posts?id[]=1&id[]=3").body) == [1, 3]
    assert reply(db, "GET", "/posts?title[x]=Hello").body == []


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1, "1"),
        (1.0, "1"),
        (7.5, "7.5"),
        (1e21, "1e+21"),
        (1e-7, "1e-7"),
        (True, "true"),
        (None, "null"),
        (["a", None, 2], "a,,2"),
        ({"a": 1}, "[object Object]"),
    ],
)
def test_js_str(value: Any, text: str) -> None:
    assert js_str(value) == text


@pytest.mark.parametrize(
    ("values", "number"),
    [(["12abc"], 12), (["abc"], None), (["1", "2"], 1), ([" -3"], -3), ([""], None)],
)
def test_parse_int(values: list[str], number: int | None) -> None:
    assert parse_int(values) == number


def test_order_by_puts_null_then_missing_last_and_is_stable() -> None:
    rows = [{"k": None, "i": 0}, {"i": 1}, {"k": 2, "i": 2}, {"k": "10", "i": 3}, {"k": 2, "i": 4}]
    assert [r["i"] for r in order_by(rows, ["k"], [""])] == [2, 4, 3, 0, 1]
    assert [r["i"] for r in order_by(rows, ["k"], ["desc"])] == [1, 0, 3, 2, 4]
    assert [r["i"] for r in order_by([{"k": None, "i": 0}, {"k": 5, "i": 1}], ["k"], [])] == [1, 0]
    assert MISSING is not None


def test_a_page_holds_ten_rows_unless_limit_says_otherwise() -> None:
    db = Database({"rows": [{"id": n} for n in range(1, 13)]})
    assert ids(reply(db, "GET", "/rows?_page=1").body) == list(range(1, 11))
    assert ids(reply(db, "GET", "/rows?_page=2&_limit=0").body) == [11, 12]
    assert ids(reply(db, "GET", "/rows?_page=3&_limit=5").body) == [11, 12]


@pytest.mark.parametrize(
    ("word", "one", "many"),
    [
        ("posts", "post", "posts"),
        ("people", "person", "people"),
        ("categories", "category", "categories"),
        ("Users", "User", "Users"),
        ("news", "news", "news"),
        ("addresses", "address", "addresses"),
        ("status", "status", "statuses"),
        ("mice", "mouse", "mice"),
        ("wolves", "wolf", "wolves"),
        ("data", "datum", "data"),
    ],
)
def test_naming_follows_pluralize(word: str, one: str, many: str) -> None:
    assert (singular(word), plural(word)) == (one, many)
