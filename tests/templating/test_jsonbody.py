"""Typed JSON bodies: typed slots, escaping, the fast path and its fallback to Jinja."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest

from apidouble.model import Request
from apidouble.templating import (
    JsonBody,
    TemplateEnvironment,
    TemplateRenderError,
    compile_template,
    compile_value,
)

NASTY = 'quote " backslash \\ newline \n tab \t nul \x00 unicode é ✓ 😀 sep \u2028'
REQUEST = Request(
    "POST",
    "/u/7",
    "q=1",
    (("X-Name", "Ada"),),
    json.dumps({"text": NASTY, "n": 3, "items": [1, "two"], "items2": {"items": 1}}).encode(),
)


def body(value: Any, params: dict[str, str] | None = None, seed: int = 1) -> tuple[str, Any]:
    env = TemplateEnvironment(seed)
    compiled = JsonBody(env, value)
    ctx = env.context_maker(compiled.names)(REQUEST, params or {"id": "7"})
    text = compiled.render(ctx)
    return text, json.loads(text)


@pytest.mark.parametrize(
    ("leaf", "expected"),
    [
        ("{{ request.params.id }}", "7"),
        ("{{ request.params.id | int }}", 7),
        ("{{ request.json.n }}", 3),
        ("{{ request.json.n * 1.5 }}", 4.5),
        ("{{ request.json['items'] }}", [1, "two"]),
        ("{{ request.json }}", None),  # checked below: the whole document
        ("{{ request.json.missing is defined }}", False),
        ("{{ none }}", None),
        ("{{ true }}", True),
        ("{{ range(3) }}", [0, 1, 2]),
        ("{{ request.headers }}", {"x-name": "Ada"}),
        ("{{ request.query }}", {"q": "1"}),
        ("  {{ request.json.n }}  ", 3),
        ("n={{ request.json.n }}", "n=3"),
        ("{{ request.json.n }}{{ request.json.n }}", "33"),
        ("{% if request.json.n > 2 %}big{% else %}small{% endif %}", "big"),
        ("{% for i in request.json['items'] %}[{{ i }}]{% endfor %}", "[1][two]"),
        ("{# a comment #}", ""),
    ],
)
def test_typed_slots(leaf: str, expected: Any) -> None:
    _, out = body({"v": leaf, "static": [1, "a", None]})
    if leaf == "{{ request.json }}":
        expected = json.loads(REQUEST.body)
    assert out == {"v": expected, "static": [1, "a", None]}


@pytest.mark.parametrize(
    "leaf",
    [
        "{{ request.json.text }}",
        "said: {{ request.json.text }}!",
        "{{ request.json.text | upper }}",
        "{% for c in [request.json.text] %}{{ c }}{% endfor %}",
        "{{ [request.json.text] }}",
        "{{ {'k': request.json.text} }}",
    ],
)
def test_inserted_text_is_escaped_so_the_body_stays_json(leaf: str) -> None:
    text, out = body({"v": leaf, "after": "ok"})
    assert out["after"] == "ok"
    assert "\n" not in text  # newlines inside strings are escaped, not raw
    flat = json.dumps(out["v"], ensure_ascii=False).lower()
    assert "quote" in flat and "😀" in text  # unicode is written as UTF-8, not escaped


def test_quotes_newlines_and_unicode_round_trip_exactly() -> None:
    _, out = body({"a": "{{ request.json.text }}", "b": "<{{ request.json.text }}>"})
    assert out == {"a": NASTY, "b": f"<{NASTY}>"}


def test_static_parts_match_the_static_encoder() -> None:
    value = {"é": ["x", 1.5, True, None, {"nested": "✓"}], "t": "{{ 1 }}"}
    text, _ = body(value)
    assert text == '{"é":["x",1.5,true,null,{"nested":"✓"}],"t":1}'


def test_static_body_has_no_slots() -> None:
    compiled = JsonBody(TemplateEnvironment(), {"a": [1, {"b": "c"}]})
    assert compiled.static and compiled.render({}) == '{"a":[1,{"b":"c"}]}'
    assert compile_value(TemplateEnvironment(), {"a": "{not a template}"}) is None


@pytest.mark.parametrize(
    ("source", "typed"),
    [
        ("{{ request.params.id }}", True),
        ("{{ request.json['items'][1] }}", True),
        ("{{ request.json.items2['items'] }}", True),
        ("{{ request.json.items }}", True),  # .items is the dict method in Jinja: not fast
        ("{{ request.headers['X-NAME'] }}", True),
        ("{{ request.json['items'].1 }}", True),
        ("/u/{{ request.params.id }}/{{ request.json.n }}", False),
        ("{{ request.params.id }}", False),
        ("x{{ date }}", False),
        ("{{ request.params.id | int }}", True),
        ("{{ request.params.id | float }}", True),
        ("{{ request.params.id | int | string }}", True),
        ("{{ request.headers['X-NAME'] | int }}", True),  # not a number: Jinja's 0
        ("{{ request.headers['X-NAME'] | upper }}", True),
        ("{{ request.headers['X-NAME'] | lower | trim }}", False),
        ("{{ request.params.id | int(5) }}", True),  # arguments: Jinja only
    ],
)
def test_fast_path_agrees_with_jinja(source: str, typed: bool) -> None:
    env = TemplateEnvironment(1)
    template = compile_template(env, source, typed)
    ctx = env.context_maker(template.names)(REQUEST, {"id": "7"})
    if "int(" in source:
        assert template.fast is None
    elif "|" in source:
        assert template.fast is not None
    if template.fast is not None and template.slow is not None:
        try:
            fast = template.fast(ctx)
        except LookupError:
            fast = "<miss>"
        slow = template.slow(ctx)
        assert fast in (slow, "<miss>")
    assert template.run(ctx) == (template.slow or template.run)(ctx)


def test_a_missed_lookup_falls_back_to_jinja_and_its_error() -> None:
    _, out = body({"a": "{{ request.json.items2['items'] }}", "b": "{{ uuid }}"})
    assert out["a"] == 1
    with pytest.raises(TemplateRenderError, match="undefined|has no attribute"):
        renderer = compile_value(TemplateEnvironment(), {"a": "{{ request.json.nope }}"})
        assert renderer is not None
        renderer(REQUEST, {})


def test_compile_errors_name_the_json_pointer() -> None:
    with pytest.raises(ValueError, match=r"in /a/1/b: template error"):
        JsonBody(TemplateEnvironment(), {"a": [0, {"b": "{{ 1 + }}"}]})


def test_names_are_shared_across_slots_of_one_response() -> None:
    value = {"a": "{{ uuid }}", "b": "id-{{ uuid }}", "c": "{{ timestamp }}", "d": "{{ now }}"}
    _, out = body(value)
    assert out["b"] == f"id-{out['a']}"
    gap = datetime.fromisoformat(out["d"]) - datetime.fromisoformat(out["c"])
    assert abs(gap.total_seconds()) < 1


def test_nan_is_a_render_error_not_invalid_json() -> None:
    renderer = compile_value(TemplateEnvironment(), {"a": "{{ request.json.n * 1e308 }}"})
    assert renderer is not None
    with pytest.raises(TemplateRenderError, match="Out of range float"):
        renderer(REQUEST, {})
