"""A missing value is false in a condition and an error when printed or computed with."""

from __future__ import annotations

from typing import Any

import pytest

from apidouble.compiled import compile_config
from apidouble.config.load import load_data
from apidouble.engine import Engine
from apidouble.errors import ApidoubleError
from apidouble.model import Request
from apidouble.outcome import Respond
from apidouble.templating import TemplateEnvironment, TemplateRenderError, compile_text


def status_engine() -> Engine:
    endpoint = {
        "name": "create",
        "method": "POST",
        "path": "/users",
        "status": "{{ 201 if request.json.id else 400 }}",
        "response": {"ok": "{{ request.json.id is defined }}"},
    }
    return Engine(compile_config(load_data({"endpoints": [endpoint]}).stubs))


@pytest.mark.parametrize(
    ("body", "status", "ok"),
    [
        (b'{"id": 7}', 201, True),
        (b'{"name": "Ada"}', 400, False),  # no id
        (b"", 400, False),  # no body: request.json is null
        (b"not json", 400, False),
        (b"[1, 2]", 400, False),  # JSON, but not an object
    ],
)
def test_a_condition_on_a_missing_field_takes_the_else_branch(
    body: bytes, status: int, ok: bool
) -> None:
    outcome = status_engine().handle(Request("POST", "/users", body=body))
    assert isinstance(outcome, Respond)
    assert outcome.response.status == status
    assert outcome.response.body == (b'{"ok":true}' if ok else b'{"ok":false}')


REQUEST = Request("POST", "/", "page=2", body=b'{"user": {"name": "Ada"}}')


def render(source: str, typed: bool = False) -> Any:
    return compile_text(TemplateEnvironment(), source, typed)(REQUEST, {})


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{% if request.json.nope %}yes{% else %}no{% endif %}", "no"),
        ("{{ 'yes' if request.json.user.id else 'no' }}", "no"),
        ("{{ 'yes' if request.json.nope.deeper.still else 'no' }}", "no"),  # chains
        ("{{ 'yes' if request.json['nope']['deeper'][0] else 'no' }}", "no"),
        ("{{ 'yes' if request.query.size else 'no' }}", "no"),
        ("{{ 'yes' if request.headers['x-nope'] else 'no' }}", "no"),
        ("{{ 'yes' if not request.json.nope else 'no' }}", "yes"),
        ("{{ request.json.nope or 'fallback' }}", "fallback"),
        ("{{ request.json.nope == 'x' }}", "False"),
        ("{{ request.json.nope != 'x' }}", "True"),
        ("{{ 'a' in request.json.nope }}", "False"),
        ("{{ request.json.nope is defined }}", "False"),
        ("{{ request.json.nope | default('') }}", ""),
        ("{{ request.json.nope.deeper | default('d') }}", "d"),
        ("{{ request.json.user.name if request.json.user else '' }}", "Ada"),
    ],
)
def test_missing_values_in_conditions(source: str, expected: str) -> None:
    assert render(source) == expected


@pytest.mark.parametrize(
    "source",
    [
        "{{ request.json.nope }}",
        "x-{{ request.json.user.nope }}",
        "{{ request.json.nope.deeper }}",
        "{{ request.json.nope + 1 }}",
        "{{ request.json.nope | length }}",
        "{% for x in request.json.nope %}{{ x }}{% endfor %}",
    ],
)
def test_printing_or_using_a_missing_value_is_still_an_error(source: str) -> None:
    with pytest.raises(TemplateRenderError, match="UndefinedError: 'dict object' has no attr"):
        render(source)


def test_a_typed_slot_of_a_missing_value_is_an_error_not_null() -> None:
    with pytest.raises(TemplateRenderError, match="UndefinedError"):
        render("{{ request.json.nope }}", typed=True)


def test_render_errors_are_apidouble_errors() -> None:
    assert issubclass(TemplateRenderError, ApidoubleError)
