"""Mockoon environments served over real sockets: paths, rules, modes, bodies, settings.

Each test writes a small environment (the shape ``@mockoon/commons`` 9.9 exports), serves
it with ``MockServer`` and asks with httpx what mockoon-cli 9.9 answers.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import count
from pathlib import Path
from typing import Any

import httpx
import pytest

from apidouble.config.load import load_config
from apidouble.testing import MockServer

_UUIDS = count(1)


def rule(
    target: str, modifier: str, value: str, operator: str = "equals", **more: Any
) -> dict[str, Any]:
    return {
        "target": target,
        "modifier": modifier,
        "value": value,
        "operator": operator,
        "invert": False,
        **more,
    }


def response(body: str = "", status: int = 200, **more: Any) -> dict[str, Any]:
    return {
        "uuid": f"resp-{next(_UUIDS)}",
        "body": body,
        "latency": 0,
        "statusCode": status,
        "label": "",
        "headers": [],
        "bodyType": "INLINE",
        "filePath": "",
        "databucketID": "",
        "sendFileAsBody": False,
        "rules": [],
        "rulesOperator": "OR",
        "disableTemplating": False,
        "fallbackTo404": False,
        "default": False,
        "crudKey": "id",
        "callbacks": [],
        **more,
    }


def route(
    endpoint: str, *responses: dict[str, Any], method: str = "get", **more: Any
) -> dict[str, Any]:
    return {
        "uuid": f"route-{next(_UUIDS)}",
        "type": "http",
        "documentation": "",
        "method": method,
        "endpoint": endpoint,
        "responses": list(responses) or [response("ok")],
        "responseMode": None,
        "streamingMode": None,
        "streamingInterval": 0,
        **more,
    }


def environment(*routes: dict[str, Any], **more: Any) -> dict[str, Any]:
    env: dict[str, Any] = {
        "uuid": "env-1",
        "lastMigration": 33,
        "name": "Test",
        "endpointPrefix": "",
        "latency": 0,
        "port": 3000,
        "hostname": "",
        "folders": [],
        "routes": list(routes),
        "rootChildren": [{"type": "route", "uuid": r["uuid"]} for r in routes],
        "proxyMode": False,
        "proxyHost": "",
        "proxyRemovePrefix": False,
        "tlsOptions": {"enabled": False},
        "cors": False,
        "headers": [],
        "proxyReqHeaders": [{"key": "", "value": ""}],
        "proxyResHeaders": [{"key": "", "value": ""}],
        "data": [],
        "callbacks": [],
    }
    env.update(more)
    return env


def write(folder: Path, env: dict[str, Any], name: str = "env.json") -> Path:
    path = folder / name
    path.write_text(json.dumps(env), encoding="utf-8")
    return path


@contextmanager
def serving(folder: Path, env: dict[str, Any]) -> Iterator[httpx.Client]:
    with MockServer(write(folder, env)) as mock, httpx.Client(base_url=mock.url) as client:
        yield client


# --- paths -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("endpoint", "hits", "misses"),
    [
        ("users", ["/users"], ["/users/1", "/user"]),
        ("users/:id", ["/users/7"], ["/users", "/users/7/x"]),
        ("files/*", ["/files/a", "/files/a/b/c"], ["/files", "/file/a"]),
        (
            "path/with/pattern(s)?/x",
            ["/path/with/pattern/x", "/path/with/patterns/x", "/PATH/with/patterns/x/"],
            ["/path/with/patternss/x"],
        ),
        ("users/:id?", ["/users", "/users/3"], ["/users/3/4"]),
        ("file/:name.:ext", ["/file/a.json"], ["/file/a"]),
        ("", ["/"], ["/x"]),
    ],
)
def test_paths_match_as_in_mockoon(
    tmp_path: Path, endpoint: str, hits: list[str], misses: list[str]
) -> None:
    with serving(tmp_path, environment(route(endpoint, response("hit")))) as client:
        for path in hits:
            assert client.get(path).text == "hit", path
        for path in misses:
            assert client.get(path).status_code == 404, path


def test_path_params_reach_templates(tmp_path: Path) -> None:
    env = environment(route("users/:id/:part", response("{{urlParam 'id'}}-{{urlParam 'part'}}")))
    with serving(tmp_path, env) as client:
        assert client.get("/users/42/name").text == "42-name"


def test_prefix_and_method_all(tmp_path: Path) -> None:
    env = environment(route("items", response("any"), method="all"), endpointPrefix="api/v2")
    with serving(tmp_path, env) as client:
        for method in ("GET", "POST", "DELETE", "PATCH"):
            assert client.request(method, "/api/v2/items").text == "any"
        assert client.get("/items").status_code == 404


def test_routes_answer_in_file_order_not_by_specificity(tmp_path: Path) -> None:
    env = environment(route(":anything", response("first")), route("fixed", response("second")))
    with serving(tmp_path, env) as client:
        assert client.get("/fixed").text == "first"


def test_folders_give_the_order_orphans_come_last_disabled_routes_are_skipped(
    tmp_path: Path,
) -> None:
    inner, outer = route("a", response("inner")), route("a", response("outer"))
    orphan, nameless = route("b", response("orphan")), route("b", response("nameless"), uuid="")
    early = route("c", response("early"), uuid="")
    off = route("off", enabled=False)
    env = environment(inner, outer, early, nameless, orphan, off)
    env["folders"] = [
        {"uuid": "f1", "name": "F", "children": [{"type": "route", "uuid": inner["uuid"]}]}
    ]
    env["rootChildren"] = [
        {"type": "folder", "uuid": "f1"},
        {"type": "route", "uuid": outer["uuid"]},
        {"type": "route", "uuid": off["uuid"]},
        {"type": "route", "uuid": "no-such-route"},
    ]
    with serving(tmp_path, env) as client:
        assert client.get("/a").text == "inner"
        assert client.get("/b").text == "nameless"  # orphans in file order (CLI's repairRefs)
        assert client.get("/c").text == "early"
        assert client.get("/off").status_code == 404


# --- rules -----------------------------------------------------------------------------


RULES = [
    # (rule, request kwargs that hold, request kwargs that do not)
    (rule("query", "kind", "a"), {"params": {"kind": "a"}}, {"params": {"kind": "b"}}),
    (
        rule("query", "kind", "^a+$", "regex"),
        {"params": {"kind": "aaa"}},
        {"params": {"kind": "ab"}},
    ),
    (
        rule("query", "kind", "B", "regex_i"),
        {"params": {"kind": "abc"}},
        {"params": {"kind": "xyz"}},
    ),
    (rule("query", "kind", "", "null"), {}, {"params": {"kind": "x"}}),
    (
        rule("query", "tag", "red", "array_includes"),
        {"params": [("tag", "blue"), ("tag", "red")]},
        {"params": {"tag": "blue"}},
    ),
    (rule("header", "X-Mode", "on"), {"headers": {"x-mode": "on"}}, {"headers": {"X-Mode": "off"}}),
    (rule("header", "Authorization", "", "null"), {}, {"headers": {"Authorization": "x"}}),
    (
        rule("cookie", "session", "s1"),
        {"cookies": {"session": "s1"}},
        {"cookies": {"session": "s2"}},
    ),
    (
        rule("body", "user.name", "Ada"),
        {"json": {"user": {"name": "Ada"}}},
        {"json": {"user": {"name": "Bob"}}},
    ),
    (
        rule("body", "$.user.age", "42"),
        {"json": {"user": {"age": 42}}},
        {"json": {"user": {"age": 41}}},
    ),
    (
        rule("body", "user.tags", "x", "array_includes"),
        {"json": {"user": {"tags": ["y", "x"]}}},
        {"json": {"user": {"tags": ["y"]}}},
    ),
    (rule("body", "items", "", "empty_array"), {"json": {"items": []}}, {"json": {"items": [1]}}),
    (rule("body", "gone", "", "null"), {"json": {"other": 1}}, {"json": {"gone": 1}}),
    (rule("body", "", "hello", "equals"), {"content": "hello"}, {"content": "hello!"}),
    (rule("body", "", "wor", "regex"), {"content": "hello\nworld"}, {"content": "hello"}),
    (rule("path", "", "/r?x=1"), {"params": {"x": "1"}}, {"params": {"x": "2"}}),
    (rule("path", "", "x=[0-9]", "regex"), {"params": {"x": "7"}}, {"params": {"x": "a"}}),
    (rule("method", "", "post"), {"method": "POST"}, {"method": "PUT"}),
    (rule("method", "", "^p", "regex"), {"method": "PATCH"}, {"method": "GET"}),
]


def _ask(client: httpx.Client, path: str, kwargs: dict[str, Any]) -> httpx.Response:
    given = dict(kwargs)
    method = given.pop("method", "POST")
    cookies = given.pop("cookies", None)
    if cookies:
        given.setdefault("headers", {})["Cookie"] = "; ".join(
            f"{k}={v}" for k, v in cookies.items()
        )
    return client.request(method, path, **given)


@pytest.mark.parametrize(
    ("given", "holds", "fails"),
    RULES,
    ids=lambda v: (
        v.get("target", "") + "-" + v.get("operator", "")
        if isinstance(v, dict) and "target" in v
        else ""
    ),
)
@pytest.mark.parametrize("invert", [False, True])
def test_each_rule_operator_and_invert(
    tmp_path: Path,
    given: dict[str, Any],
    holds: dict[str, Any],
    fails: dict[str, Any],
    invert: bool,
) -> None:
    ruled = response("ruled", 201, rules=[{**given, "invert": invert}])
    env = environment(route("r", response("default", default=True), ruled, method="all"))
    with serving(tmp_path, env) as client:
        first, second = ("default", "ruled") if invert else ("ruled", "default")
        assert _ask(client, "/r", holds).text == first
        assert _ask(client, "/r", fails).text == second


def test_params_rules(tmp_path: Path) -> None:
    env = environment(
        route(
            "content/:param1",
            response("default", default=True),
            response("xyz", rules=[rule("params", "param1", "xyz")]),
            response("not-found", 404, rules=[rule("params", "param1", "^(?!.*xyz).*$", "regex")]),
        )
    )
    with serving(tmp_path, env) as client:
        assert client.get("/content/xyz").text == "xyz"
        answer = client.get("/content/abc")
        assert (answer.status_code, answer.text) == (404, "not-found")


def test_and_or_operators(tmp_path: Path) -> None:
    both = [rule("query", "a", "1"), rule("header", "X-B", "2")]
    env = environment(
        route(
            "and",
            response("default", default=True),
            response("both", rules=both, rulesOperator="AND"),
        ),
        route(
            "or",
            response("default", default=True),
            response("either", rules=both, rulesOperator="OR"),
        ),
    )
    with serving(tmp_path, env) as client:
        assert client.get("/and", params={"a": "1"}, headers={"X-B": "2"}).text == "both"
        assert client.get("/and", params={"a": "1"}).text == "default"
        assert client.get("/or", params={"a": "1"}).text == "either"
        assert client.get("/or", headers={"X-B": "2"}).text == "either"
        assert client.get("/or").text == "default"


def test_first_response_whose_rules_hold_answers_else_the_default(tmp_path: Path) -> None:
    env = environment(
        route(
            "r",
            response("first-rule", rules=[rule("query", "a", "1")]),
            response("default", default=True),
            response("second-rule", rules=[rule("query", "b", "1")]),
        )
    )
    with serving(tmp_path, env) as client:
        assert client.get("/r", params={"a": "1", "b": "1"}).text == "first-rule"
        assert client.get("/r", params={"b": "1"}).text == "second-rule"
        assert client.get("/r").text == "default"


def test_valid_json_schema_reads_a_data_bucket(tmp_path: Path) -> None:
    schema = {"type": "object", "required": ["name"]}
    env = environment(
        route(
            "signup",
            response("invalid", 400, default=True),
            response("ok", 201, rules=[rule("body", "", "sign_up", "valid_json_schema")]),
            method="post",
        ),
        data=[
            {
                "uuid": "b1",
                "id": "jjsk",
                "name": "sign_up",
                "documentation": "",
                "value": json.dumps(schema),
            }
        ],
    )
    with serving(tmp_path, env) as client:
        assert client.post("/signup", json={"name": "a"}).status_code == 201
        assert client.post("/signup", json={"other": "a"}).status_code == 400


@pytest.mark.parametrize(
    ("given", "holds"),
    [
        (rule("data_bucket", "settings.mode", "on"), True),
        (rule("data_bucket", "settings.mode", "off"), False),
        (rule("data_bucket", "settings.list", "b", "array_includes"), True),
        (rule("cookie", "", "x"), False),
        (rule("params", "missing", "", "null"), True),
    ],
)
def test_rules_decided_at_load_time(tmp_path: Path, given: dict[str, Any], holds: bool) -> None:
    bucket = {
        "uuid": "b",
        "id": "s1",
        "name": "settings",
        "documentation": "",
        "value": '{"mode": "on", "list": ["a", "b"]}',
    }
    env = environment(
        route("r", response("default", default=True), response("ruled", rules=[given])),
        data=[bucket],
    )
    with serving(tmp_path, env) as client:
        assert client.get("/r").text == ("ruled" if holds else "default")


# --- response modes ----------------------------------------------------------------------


def test_sequential_cycles_and_ignores_rules(tmp_path: Path) -> None:
    env = environment(
        route(
            "s",
            response("one", rules=[rule("query", "x", "1")]),
            response("two"),
            response("three"),
            responseMode="SEQUENTIAL",
        )
    )
    with serving(tmp_path, env) as client:
        assert [client.get("/s").text for _ in range(4)] == ["one", "two", "three", "one"]


def test_random_picks_among_all(tmp_path: Path) -> None:
    env = environment(route("r", response("a"), response("b"), responseMode="RANDOM"))
    with serving(tmp_path, env) as client:
        assert {client.get("/r").text for _ in range(40)} == {"a", "b"}


def test_disable_rules_answers_the_default(tmp_path: Path) -> None:
    env = environment(
        route(
            "d",
            response("ruled", rules=[rule("query", "x", "1")]),
            response("default", default=True),
            responseMode="DISABLE_RULES",
        )
    )
    with serving(tmp_path, env) as client:
        assert client.get("/d", params={"x": "1"}).text == "default"


def test_fallback_goes_on_to_the_next_route(tmp_path: Path) -> None:
    env = environment(
        route(
            "protected/*",
            response("no", 401, rules=[rule("header", "Authorization", "", "null")]),
            method="all",
            responseMode="FALLBACK",
        ),
        route("protected/path", response("yes")),
    )
    with serving(tmp_path, env) as client:
        assert client.get("/protected/path").status_code == 401
        assert client.get("/protected/path", headers={"Authorization": "t"}).text == "yes"


# --- responses ---------------------------------------------------------------------------


def test_headers_content_type_and_environment_headers(tmp_path: Path) -> None:
    env = environment(
        route(
            "json",
            response(
                "{}", headers=[{"key": "X-Own", "value": "r"}, {"key": "X-Env", "value": "route"}]
            ),
        ),
        route("html", response("<p>")),
        headers=[
            {"key": "Content-Type", "value": "application/json"},
            {"key": "X-Env", "value": "env"},
            {"key": "", "value": ""},
        ],
    )
    with serving(tmp_path, env) as client:
        answer = client.get("/json")
        assert answer.headers["content-type"] == "application/json; charset=utf-8"
        assert (answer.headers["x-own"], answer.headers["x-env"]) == ("r", "route")
        assert client.get("/html").headers["x-env"] == "env"
    with serving(tmp_path, environment(route("html", response("<p>")))) as client:
        assert client.get("/html").headers["content-type"] == "text/html; charset=utf-8"


def test_templating_and_disable_templating(tmp_path: Path) -> None:
    env = environment(
        route("t", response("{{queryParam 'q'}}")),
        route("raw", response("{{queryParam 'q'}}", disableTemplating=True)),
    )
    with serving(tmp_path, env) as client:
        assert client.get("/t", params={"q": "x"}).text == "x"
        assert client.get("/raw", params={"q": "x"}).text == "{{queryParam 'q'}}"


def test_data_bucket_body(tmp_path: Path) -> None:
    bucket = {
        "uuid": "b",
        "id": "ab12",
        "name": "Users",
        "documentation": "",
        "value": '[\n {"id": 1}\n]',
    }
    env = environment(
        route("u", response("inline", bodyType="DATABUCKET", databucketID="ab12")), data=[bucket]
    )
    with serving(tmp_path, env) as client:
        assert client.get("/u").text == '[{"id":1}]'


def test_file_bodies(tmp_path: Path) -> None:
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "user.json").write_text('{"id": "{{urlParam \'id\'}}"}', encoding="utf-8")
    (tmp_path / "files" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n{{not a template}}")
    env = environment(
        route(
            "users/:id", response(bodyType="FILE", filePath="files/user.json", sendFileAsBody=True)
        ),
        route("logo", response(bodyType="FILE", filePath="./files/logo.png")),
        route(
            "gone",
            response("missing", bodyType="FILE", filePath="files/none.json", fallbackTo404=True),
        ),
    )
    with serving(tmp_path, env) as client:
        answer = client.get("/users/9")
        assert answer.json() == {"id": "9"}
        assert answer.headers["content-type"].startswith("application/json")
        assert "content-disposition" not in answer.headers
        logo = client.get("/logo")
        assert logo.content == b"\x89PNG\r\n\x1a\n{{not a template}}"
        assert logo.headers["content-type"] == "image/png"
        assert logo.headers["content-disposition"] == 'attachment; filename="logo.png"'
        gone = client.get("/gone")
        assert (gone.status_code, gone.text) == (404, "missing")


def test_a_file_path_outside_the_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("secret", encoding="utf-8")
    folder = tmp_path / "env"
    folder.mkdir()
    env = environment(
        route("leak", response(bodyType="FILE", filePath="../secret.txt")),
        route("abs", response(bodyType="FILE", filePath=str(tmp_path / "secret.txt"))),
        route("fine"),
    )
    path = write(folder, env)
    config = load_config(path)
    messages = [p.message for p in config.skipped]
    assert len(messages) == 2 and all(
        "leads outside the environment's folder" in m for m in messages
    )
    assert all("/routes/" in p.pointer and "route " in (p.stub or "") for p in config.skipped)
    with MockServer(path) as mock:
        assert httpx.get(mock.url + "/leak").status_code == 404
        assert "secret" not in httpx.get(mock.url + "/abs").text
        assert httpx.get(mock.url + "/fine").text == "ok"


def test_latency_of_the_environment_and_the_response(tmp_path: Path) -> None:
    env = environment(route("slow", response("z", latency=150)), latency=100)
    with serving(tmp_path, env) as client:
        started = time.perf_counter()
        assert client.get("/slow").text == "z"
        assert time.perf_counter() - started >= 0.25


def test_cors_preflight(tmp_path: Path) -> None:
    env = environment(
        route("x", method="post"), cors=True, headers=[{"key": "X-Env", "value": "e"}]
    )
    with serving(tmp_path, env) as client:
        answer = client.options("/x/")
        assert answer.status_code == 200
        assert answer.headers["access-control-allow-origin"] == "*"
        assert (
            answer.headers["access-control-allow-methods"]
            == "GET,POST,PUT,PATCH,DELETE,HEAD,OPTIONS"
        )
        assert answer.headers["x-env"] == "e"
        assert client.get("/unknown").status_code == 404  # not a 405 for OPTIONS
    with serving(tmp_path, environment(route("x", method="post"))) as client:
        assert client.options("/x").status_code != 200


def test_proxy_mode_forwards_what_no_route_takes(tmp_path: Path) -> None:
    upstream = [
        {
            "path": "/things",
            "method": "ANY",
            "response": {"seen": "{{ request.headers['x-added'] }}"},
        }
    ]
    with MockServer(endpoints=upstream) as real:
        env = environment(
            route("local", response("mine")),
            endpointPrefix="api",
            proxyMode=True,
            proxyHost=real.url,
            proxyRemovePrefix=True,
            proxyReqHeaders=[{"key": "X-Added", "value": "yes"}],
        )
        with serving(tmp_path, env) as client:
            assert client.get("/api/local").text == "mine"
            assert client.get("/api/things").json() == {"seen": "yes"}


def test_crud_route_on_a_plain_bucket(tmp_path: Path) -> None:
    bucket = {
        "uuid": "b",
        "id": "rr5b",
        "name": "Users",
        "documentation": "",
        "value": '[{"uid": 1, "name": "Ada"}]',
    }
    crud = route(
        "users",
        response("{}", bodyType="DATABUCKET", databucketID="rr5b", default=True, crudKey="uid"),
        method="",
    )
    crud["type"] = "crud"
    with serving(tmp_path, environment(crud, data=[bucket])) as client:
        assert client.get("/users/1").json() == {"uid": 1, "name": "Ada"}
        assert client.post("/users", json={"name": "Bob"}).status_code == 201
        assert len(client.get("/users").json()) == 2


def test_websocket_routes_answer_each_message(tmp_path: Path) -> None:
    socket = route(
        "ws/echo",
        response('{"pong": true}', rules=[rule("body", "type", "ping")]),
        response("bye", rules=[rule("body", "", "^bye", "regex")]),
        response("default", default=True),
    )
    socket["type"] = "ws"
    streaming = route("ws/stream", streamingMode="BROADCAST", responseMode="RANDOM")
    streaming["type"] = "ws"
    path = write(tmp_path, environment(socket, streaming))
    assert [p.message for p in load_config(path).skipped] == [
        "a WebSocket route not served: streamingMode BROADCAST with random responses: not yet"
    ]

    async def talk(url: str) -> list[str]:
        from websockets.asyncio.client import connect

        async with connect(url.replace("http", "ws", 1) + "/ws/echo") as ws:
            answers = []
            for message in ('{"type": "ping"}', "bye now", "other"):
                await ws.send(message)
                answers.append(str(await ws.recv()))
            return answers

    with MockServer(path) as mock:
        assert asyncio.run(talk(mock.url)) == ['{"pong": true}', "bye", "default"]


def test_static_callbacks_are_sent_and_templated_ones_listed(tmp_path: Path) -> None:
    with MockServer(endpoints=[{"method": "POST", "path": "/hook", "status": 204}]) as hooks:
        calls = [
            {"uuid": "c1", "id": "c1", "name": "notify", "documentation": "", "method": "post",
             "uri": hooks.url + "/hook", "headers": [{"key": "X-Kind", "value": "order"}],
             "body": '{"done": true}', "bodyType": "INLINE", "databucketID": "", "filePath": "",
             "sendFileAsBody": False},
            {"uuid": "c2", "id": "c2", "name": "templated", "documentation": "", "method": "post",
             "uri": hooks.url + "/hook/{{urlParam 'id'}}", "headers": [], "body": "",
             "bodyType": "INLINE", "databucketID": "", "filePath": "", "sendFileAsBody": False},
        ]  # fmt: skip
        made = response(
            "created", 201, callbacks=[{"uuid": "c1", "latency": 10}, {"uuid": "c2", "latency": 0}]
        )
        path = write(tmp_path, environment(route("orders", made, method="post"), callbacks=calls))
        (problem,) = load_config(path).skipped
        assert (
            problem.pointer.endswith("/callbacks/1")
            and "templated callbacks: not yet" in problem.message
        )
        with MockServer(path) as mock:
            assert httpx.post(mock.url + "/orders").status_code == 201
            (entry,) = hooks.requests.wait_for(method="POST", path="/hook", times=1)
            assert entry["body"] == '{"done": true}'
            assert ["X-Kind", "order"] in entry["headers"]


def test_an_old_migration_is_a_clear_problem(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, environment(route("x"), lastMigration=20)))
    assert not config.stubs
    (problem,) = config.skipped
    assert (
        "lastMigration 20 is older than 29" in problem.message and "migration 21" in problem.message
    )


def test_migration_29_routes_serve(tmp_path: Path) -> None:
    old = route("x", response("v29"), enabled=True)
    for key in ("streamingMode", "streamingInterval"):
        del old[key]
    env = environment(old, lastMigration=29)
    del env["callbacks"]
    with serving(tmp_path, env) as client:
        assert client.get("/x").text == "v29"
