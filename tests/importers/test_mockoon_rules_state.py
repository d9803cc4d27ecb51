"""Mockoon rules on ``templating`` and ``global_var`` served over real sockets: each
becomes a ``match.template`` condition rendered per request (``global_var`` through
``getGlobalVar``), and the same requests get what mockoon-cli 9.9 answers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from apidouble.importers.mockoon import convert_environment
from tests.compat.mockoon.peer import available, mockoon
from tests.importers.test_mockoon_serving import environment, response, route, rule, write
from tests.matching.test_template_condition import loaded, serving


def converted(folder: Path, env: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    path = write(folder, env)
    conversion = convert_environment(env, path)
    return conversion.document, [problem.message for problem in conversion.problems]


@contextmanager
def served(folder: Path, env: dict[str, Any]) -> Iterator[httpx.Client]:
    document, problems = converted(folder, env)
    assert problems == []
    with serving(loaded(document, base_dir=folder)) as client:
        yield client


def templating_route() -> dict[str, Any]:
    return route(
        "t",
        response("yes", rules=[rule("templating", "{{queryParam 'x'}}", "yes")]),
        response("digits", rules=[rule("templating", "{{queryParam 'x'}}", "^[0-9]+$", "regex")]),
        response("empty", rules=[rule("templating", "{{queryParam 'x'}}", "", "null")]),
        response("upper", rules=[rule("templating", "{{queryParam 'x'}}", "^ab", "regex_i")]),
        response(
            "not-zz",
            rules=[rule("templating", "{{queryParam 'x'}}", "zz", invert=True)],
            rulesOperator="AND",
        ),
        response("other", default=True),
    )


def state_routes() -> list[dict[str, Any]]:
    return [
        route("set", response("{{setGlobalVar 'mode' (queryParam 'm')}}set"), method="post"),
        route(
            "mode",
            response("on", rules=[rule("global_var", "mode", "on")]),
            response("unset", rules=[rule("global_var", "mode", "", "null")]),
            response("off", default=True),
        ),
        route(
            "user",
            response("{{setGlobalVar 'user' (object name=(queryParam 'n'))}}ok"),
            method="post",
        ),
        route(
            "user",
            response("ann", rules=[rule("global_var", "user.name", "^an", "regex")]),
            response("someone", default=True),
        ),
    ]


TEMPLATING_ASKS = [("GET", "/t?x=yes"), ("GET", "/t?x=12"), ("GET", "/t"), ("GET", "/t?x=Abc")]
TEMPLATING_ASKS += [("GET", "/t?x=no"), ("GET", "/t?x=zz")]
STATE_ASKS = [("GET", "/mode"), ("POST", "/set?m=on"), ("GET", "/mode"), ("POST", "/set?m=no")]
STATE_ASKS += [("GET", "/mode"), ("GET", "/user"), ("POST", "/user?n=ann"), ("GET", "/user")]
STATE_ASKS += [("POST", "/user?n=bob"), ("GET", "/user")]


def answers(client: httpx.Client, asks: list[tuple[str, str]]) -> list[tuple[int, str]]:
    found = []
    for method, url in asks:
        answer = client.request(method, url)
        found.append((answer.status_code, answer.text))
    return found


def test_templating_rules_render_the_modifier_per_request(tmp_path: Path) -> None:
    with served(tmp_path, environment(templating_route())) as client:
        got = [text for _, text in answers(client, TEMPLATING_ASKS)]
    assert got == ["yes", "digits", "empty", "upper", "not-zz", "other"]


def test_global_var_rules_read_what_set_global_var_wrote(tmp_path: Path) -> None:
    with served(tmp_path, environment(*state_routes())) as client:
        got = [text for _, text in answers(client, STATE_ASKS)]
    assert got == ["unset", "set", "on", "set", "off", "someone", "ok", "ann", "ok", "someone"]


def test_the_rules_become_template_matchers(tmp_path: Path) -> None:
    document, _ = converted(tmp_path, environment(*state_routes()))
    (on,) = [e for e in document["endpoints"] if e["name"].startswith("GET /mode")][:1]
    assert on["match"] == {
        "template": [{"source": '{{getGlobalVar "mode"}}', "templating": "mockoon", "equals": "on"}]
    }
    user = next(e for e in document["endpoints"] if e["name"].startswith("GET /user"))
    assert user["match"]["template"][0]["source"] == '{{getGlobalVar "user" "name"}}'


def test_a_templating_rule_with_no_template_is_decided_at_load_time(tmp_path: Path) -> None:
    env = environment(
        route(
            "c",
            response("never", rules=[rule("templating", "plain", "other")]),
            response("always", rules=[rule("templating", "plain", "plain")]),
            response("default", default=True),
        )
    )
    document, problems = converted(tmp_path, env)
    assert problems == []
    assert [e["name"].rsplit(" ", 3)[-2:] for e in document["endpoints"]] == [
        ["2,", "rules)"],
        ["response", "3)"],
    ]
    with served(tmp_path, env) as client:
        assert client.get("/c").text == "always"


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        (rule("request_number", "", "s", "valid_json_schema"), "on target 'request_number'"),
        (rule("global_var", "$.mode", "on"), "a global_var rule with a JSONPath modifier"),
        (rule("global_var", "a\\.b", "on"), "a dot or quote in a key"),
        (rule("global_var", "list", "x", "array_includes"), "operator 'array_includes'"),
        (rule("templating", "{{body}}", "{{queryParam 'x'}}"), "value is a template"),
    ],
)
def test_what_is_still_left_out_names_the_route(
    tmp_path: Path, given: dict[str, Any], reason: str
) -> None:
    env = environment(route("r", response("ruled", rules=[given]), response("d", default=True)))
    _, problems = converted(tmp_path, env)
    assert len(problems) == 1
    assert reason in problems[0]


@pytest.mark.skipif(available() is not None, reason=str(available()))
@pytest.mark.parametrize(
    ("routes", "asks"),
    [([templating_route()], TEMPLATING_ASKS), (state_routes(), STATE_ASKS)],
    ids=["templating", "global_var"],
)
def test_answers_as_mockoon_cli(
    tmp_path: Path, routes: list[dict[str, Any]], asks: list[tuple[str, str]]
) -> None:
    env = environment(*routes)
    with served(tmp_path, env) as client:
        ours = answers(client, asks)
    with mockoon(write(tmp_path, env, "peer.json")) as url, httpx.Client(base_url=url) as client:
        theirs = answers(client, asks)
    assert ours == theirs
