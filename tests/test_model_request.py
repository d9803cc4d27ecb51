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


NAMES = ["Host", "X-Key", "x-key", "X-KEY", "Accept", "X-Keys", "Key", "Caf\xe9"]
HEAD_CASES = [
    b"GET / HTTP/1.1\r\nHost: h\r\nX-Key: a \t\r\nx-key:b\r\nX-Keys: no\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: h\r\n\r\n",
    b"GET /x-key: HTTP/1.1\r\nHost: h\r\n\r\n",  # the name in the request line: not a header
    b"GET / HTTP/1.1\r\nX-Key:\r\nX-Key: \t\r\n\r\n",  # empty values
    b"GET / HTTP/1.1\r\nCaf\xe9: \xff\r\n\r\n",
    b"GET / HTTP/1.1\r\nX-Key: a\r\n folded\r\n\r\n",  # obs-fold: llhttp's reading
    b"GET / HTTP/1.1\nX-Key: a\n\n",  # bare LFs: llhttp's reading
]


@pytest.mark.parametrize("head", HEAD_CASES)
def test_header_values_from_the_head_are_the_header_map(head: bytes) -> None:
    for name in NAMES:
        key = name.lower()
        searched = Request("GET", "/", head=head).header_values(key)
        assert searched == Request("GET", "/", head=head).header_map.get(key), (head, name)


HEADER_LINES = st.lists(
    st.tuples(
        st.sampled_from(["X-Key", "x-key", "X-Other", "Host", "x-keyx"]),
        st.text(alphabet="ab \t:x-", max_size=6),
    ),
    max_size=6,
)
"""Header (name, value) lists, names that share prefixes with the searched ones."""


@given(HEADER_LINES)
def test_header_values_agree_for_any_headers(pairs: list[tuple[str, str]]) -> None:
    lines = "".join(f"{name}:{value}\r\n" for name, value in pairs)
    head = f"GET / HTTP/1.1\r\n{lines}\r\n".encode("latin-1")
    for key in ("x-key", "host", "x-other", "absent"):
        searched = Request("GET", "/", head=head).header_values(key)
        expected = Request("GET", "/", head=head).header_map.get(key)
        assert searched == expected, (head, key)


def test_header_values_for_names_no_header_can_have() -> None:
    head = b"GET / HTTP/1.1\r\nX-A:b: c\r\nHost: h\r\n\r\n"
    for key in ("x-\u043a\u043b\u044e\u0447", "x-a:b"):
        request = Request("GET", "/", head=head)
        assert request.header_values(key) is None is request.header_map.get(key)


@given(HEADER_LINES)
def test_a_strict_head_is_searched_without_the_looseness_checks(
    pairs: list[tuple[str, str]],
) -> None:
    """The transport vouches for heads its strict parser accepted (``strict_head``)."""
    lines = "".join(f"{name}:{value.strip()}\r\n" for name, value in pairs)
    head = f"GET / HTTP/1.1\r\n{lines}\r\n".encode("latin-1")
    for key in ("x-key", "host", "x-other", "absent", "x-a:b", "x-\u043a"):
        searched = Request("GET", "/", head=head, strict_head=True).header_values(key)
        assert searched == Request("GET", "/", head=head).header_map.get(key), (head, key)
