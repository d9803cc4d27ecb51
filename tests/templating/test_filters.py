"""Every filter apidouble adds, with an example each."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any

import pytest

from apidouble.model import Request
from apidouble.templating import JsonBody, TemplateEnvironment, TemplateRenderError, compile_text
from apidouble.templating.filters import to_json

REQUEST = Request("GET", "/", "q=a%20b", (("X-Data", '{"a": [1, 2]}'),))


def render(source: str) -> Any:
    return compile_text(TemplateEnvironment(), source, typed=True)(REQUEST, {})


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ 'héllo' | b64encode }}", "aMOpbGxv"),
        ("{{ 'aMOpbGxv' | b64decode }}", "héllo"),
        ("{{ 'aMOpbGxv' | b64decode | b64encode }}", "aMOpbGxv"),
        ("{{ 'Pz8-' | b64decode }}", "??>"),  # URL-safe alphabet
        ("{{ 'YQ' | b64decode }}", "a"),  # padding optional
        ("{{ 'a b/c?d=é' | urlencode }}", "a%20b%2Fc%3Fd%3D%C3%A9"),
        ("{{ {'q': 'a b', 'n': 1} | urlencode }}", "q=a+b&n=1"),
        ("{{ 'a%20b+c%C3%A9' | urldecode }}", "a b cé"),
        ("{{ 'abc' | md5 }}", hashlib.md5(b"abc").hexdigest()),
        ("{{ 'abc' | sha1 }}", hashlib.sha1(b"abc").hexdigest()),
        ("{{ 'abc' | sha256 }}", hashlib.sha256(b"abc").hexdigest()),
        ("{{ 42 | sha256 }}", hashlib.sha256(b"42").hexdigest()),
        ("{{ {'a': '<b>&\\'', 'é': [1, None]} | tojson }}", '{"a":"<b>&\'","é":[1,null]}'),
        ("{{ [1, 2] | tojson(indent=2) }}", "[\n  1,\n  2\n]"),
        ("{{ now | tojson }}", None),  # checked below: an ISO string in quotes
        ("{{ request.headers['x-data'] | fromjson }}", {"a": [1, 2]}),
        ("{{ (request.headers['x-data'] | fromjson).a[1] }}", 2),
    ],
)
def test_filters(source: str, expected: Any) -> None:
    out = render(source)
    if expected is None:
        assert out.startswith('"') and out.endswith('+00:00"')
    else:
        assert out == expected


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ '***' | b64decode }}", "not valid base64"),
        ("{{ 'nope' | fromjson }}", "JSONDecodeError"),
        ("{{ (0.0 / 1) | tojson }}", None),  # fine: 0.0
        ("{{ [1e308 * 10] | tojson }}", "Out of range float"),
    ],
)
def test_filter_errors(source: str, message: str | None) -> None:
    if message is None:
        assert render(source) == "0.0"
        return
    with pytest.raises(TemplateRenderError, match=message):
        render(source)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(Decimal("55.50"), "55.5"), (Decimal("-3"), "-3.0"), (Decimal("0.1"), "0.1")],
)
def test_decimals_are_sent_as_json_numbers(value: Decimal, expected: str) -> None:
    assert to_json({"price": value}) == f'{{"price":{expected}}}'
    body = JsonBody(
        TemplateEnvironment(), {"price": "{{ data.price }}", "text": "p={{ data.price }}"}
    )
    context = {"data": {"price": value}}
    assert json.loads(body.render(context)) == {"price": float(value), "text": f"p={value}"}
