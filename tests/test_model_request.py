"""``Request``'s derived views agree with the slow, obvious ways of computing them."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apidouble.model import Request, parse_query

QUERIES = ["", "a=1", "a=1&a=2&b=", "a", "=x", "a=1&&b=2", "a=b=c", "x=%20y", "q=a+b", "&", "a=&"]


@pytest.mark.parametrize("query", QUERIES)
def test_parse_query_is_parse_qs(query: str) -> None:
    assert parse_query(query) == parse_qs(query, keep_blank_values=True)


@given(st.text(alphabet="ab=&%+2 0", max_size=20))
def test_parse_query_is_parse_qs_for_any_text(query: str) -> None:
    assert parse_query(query) == parse_qs(query, keep_blank_values=True)


def test_header_map_from_the_wire_form_equals_the_decoded_one() -> None:
    raw = [(b"Host", b"x"), (b"X-Key", b"a \t"), (b"x-key", b"b"), (b"Caf\xe9", b"\xff")]
    wire = Request("GET", "/", raw_headers=raw)
    decoded = Request("GET", "/", headers=Request("GET", "/", raw_headers=raw).headers)
    assert wire.header_map == decoded.header_map
    assert wire.header_map["x-key"] == ["a", "b"]
    assert wire.header("X-KEY") == "a"
