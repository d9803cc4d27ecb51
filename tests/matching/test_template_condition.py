"""``match.template``: a template rendered for the request, its text compared, served
over real sockets; near misses say what the template gave.

``serving`` loads endpoints as the loader does and serves them with ``MockServer``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from apidouble.compiled import compile_config
from apidouble.config.load import load_data
from apidouble.config.matchers import Match
from apidouble.errors import ConfigError
from apidouble.model import Stub
from apidouble.runtime import Runtime
from apidouble.testing import MockServer, RequestLog


def loaded(document: Mapping[str, Any], base_dir: Path | None = None) -> list[Stub]:
    """The document's stubs, each with its endpoint's ``match.template`` conditions."""
    stubs = list(load_data(dict(document), base_dir=base_dir).stubs)
    endpoints: Sequence[Mapping[str, Any]] = document["endpoints"]
    assert len(stubs) == len(endpoints)
    found = []
    for stub, endpoint in zip(stubs, endpoints, strict=True):
        match = Match.model_validate(endpoint.get("match") or {})
        templates = tuple(matcher.spec() for matcher in match.template)
        found.append(replace(stub, pattern=replace(stub.pattern, templates=templates)))
    return found


@contextmanager
def serving(stubs: Sequence[Stub]) -> Iterator[httpx.Client]:
    mock = MockServer()
    mock._runtime = Runtime((), mock.options, stubs)
    mock.requests = RequestLog(mock._runtime.journal)
    with mock, httpx.Client(base_url=mock.url) as client:
        yield client


def endpoints(*items: dict[str, Any]) -> list[Stub]:
    return loaded({"endpoints": list(items)})


def test_a_jinja_template_on_a_path_parameter() -> None:
    stubs = endpoints(
        {
            "method": "GET",
            "path": "/orders/{id}",
            "match": {
                "template": {"source": "{{ request.params.id | int > 100 }}", "equals": "True"}
            },
            "response": "big",
        },
        {"method": "GET", "path": "/orders/{id}", "response": "small"},
    )
    with serving(stubs) as client:
        assert client.get("/orders/101").text == "big"
        assert client.get("/orders/7").text == "small"


def test_a_mockoon_template_with_a_regex_and_not() -> None:
    stubs = endpoints(
        {
            "method": "GET",
            "path": "/q",
            "match": {
                "template": [
                    {"source": "{{queryParam 'x'}}", "templating": "mockoon", "regex": "[0-9]+"},
                    {
                        "source": "{{queryParam 'x'}}",
                        "templating": "mockoon",
                        "equals": "0",
                        "not": True,
                    },
                ]
            },
            "response": "number",
        },
        {"method": "GET", "path": "/q", "response": "other"},
    )
    with serving(stubs) as client:
        assert client.get("/q", params={"x": "12"}).text == "number"
        assert client.get("/q", params={"x": "0"}).text == "other"
        assert client.get("/q", params={"x": "ab"}).text == "other"


def test_a_near_miss_says_what_the_template_gave() -> None:
    stubs = endpoints(
        {
            "method": "GET",
            "path": "/q",
            "match": {"template": {"source": "{{ request.query.x }}", "one_of": ["a", "b"]}},
            "response": "ok",
        }
    )
    with serving(stubs) as client:
        answer = client.get("/q", params={"x": "zz"})
    assert answer.status_code == 404
    checks = answer.json()["near_misses"][0]["checks"]
    template = [check for check in checks if check["condition"].startswith("template")]
    assert template == [
        {
            "condition": "template {{ request.query.x }} one of",
            "passed": False,
            "expected": template[0]["expected"],
            "actual": "zz",
        }
    ]
    assert "a" in template[0]["expected"] and "b" in template[0]["expected"]


def test_a_template_that_fails_to_render_never_holds() -> None:
    stubs = endpoints(
        {
            "method": "GET",
            "path": "/r",
            "match": {"template": {"source": "{{ 1 // 0 }}", "equals": "x", "not": True}},
            "response": "held",
        },
        {"method": "GET", "path": "/r", "response": "fallback"},
    )
    with serving(stubs) as client:
        assert client.get("/r").text == "fallback"


def test_a_stub_without_templates_has_no_extra_condition() -> None:
    plain, templated = endpoints(
        {"method": "GET", "path": "/a", "response": "a"},
        {
            "method": "GET",
            "path": "/b",
            "match": {"template": {"source": "{{ 1 }}", "equals": "1"}},
            "response": "b",
        },
    )
    compiled = compile_config([plain, templated])
    assert compiled.stubs[plain.id].pattern is not None
    assert compiled.stubs[plain.id].pattern.condition_count == 0
    assert compiled.stubs[templated.id].pattern is not None
    assert compiled.stubs[templated.id].pattern.condition_count == 1


def test_a_template_that_does_not_compile_is_a_problem() -> None:
    (stub,) = endpoints(
        {
            "method": "GET",
            "path": "/a",
            "match": {"template": {"source": "{{#if}}", "templating": "mockoon", "equals": "1"}},
            "response": "a",
        }
    )
    with pytest.raises(ConfigError):
        compile_config([stub])


@pytest.mark.parametrize(
    "given",
    [
        {"source": "{{ 1 }}"},
        {"source": "{{ 1 }}", "equals": "1", "regex": "1"},
        {"source": "", "equals": "1"},
        {"source": "{{ 1 }}", "equals": "1", "templating": "velocity"},
    ],
)
def test_the_match_key_wants_a_source_and_one_operator(given: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Match.model_validate({"template": given})


def test_the_loader_carries_the_condition() -> None:
    endpoint = {
        "method": "GET",
        "path": "/l",
        "match": {"template": {"source": "{{ request.query.x }}", "equals": "1"}},
        "response": "one",
    }
    with MockServer(endpoints=[endpoint]) as mock:
        assert httpx.get(mock.url + "/l", params={"x": "2"}).status_code == 404


def test_a_stub_with_a_template_condition_round_trips_through_its_config() -> None:
    """What the admin API lists (and a saved runtime stub holds) keeps the condition."""
    from apidouble.config.load import load_data
    from apidouble.stubconfig import stub_to_config

    endpoint = {
        "path": "/l",
        "match": {"template": {"source": "{{ request.query.x }}", "regex": "^[12]$", "not": True}},
        "response": "one",
    }
    (stub,) = load_data({"endpoints": [endpoint]}).stubs
    written = stub_to_config(stub)
    assert written["match"]["template"] == [
        {"source": "{{ request.query.x }}", "templating": "jinja", "regex": "^[12]$", "not": True}
    ]
    (again,) = load_data({"endpoints": [written]}).stubs
    assert again.pattern.templates == stub.pattern.templates
