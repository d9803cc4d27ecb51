"""The XML operators on lxml: hostile documents neither expand, read files, fetch nor
hang; XPath compiles at load time; what a sub-matcher sees (checked against WireMock)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from apidouble.matching.body import compile_body
from apidouble.matching.values import compile_value
from apidouble.matching.xml import number
from apidouble.matching.xmltree import MAX_XML_BYTES, parse_for_compare, parse_xml
from apidouble.model import BodySpec, Request, ValueSpec

BOUNDED = pytest.mark.timeout(20, method="thread")  # a hang ends the run, not the CI job


def bomb(levels: int) -> str:
    """Billion laughs: each entity ten of the one before."""
    entities = "".join(
        f'<!ENTITY x{i} "{"&x;" * 10 if i == 0 else f"&x{i - 1};" * 10}">' for i in range(levels)
    )
    head = f'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "xxxxxxxxxx">{entities}]>'
    return f"{head}<a>&x{levels - 1};</a>"


QUADRATIC = (
    '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "' + "x" * 100_000 + '">]><a>'
    + "&x;" * 20_000 + "</a>"
)  # fmt: skip
EXTERNAL = '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/passwd">]><a>&e;</a>'


def post(body: str | bytes) -> Request:
    return Request("POST", "/", body=body.encode() if isinstance(body, str) else body)


def xpath(expression: str, value: ValueSpec | None = None, **expected: Any) -> Any:
    return compile_body(BodySpec("xpath", expected or None, expression=expression, value=value))


def equals_xml(xml: str) -> Any:
    return compile_body(BodySpec("equals_xml", {"xml": xml}))


@BOUNDED
@pytest.mark.parametrize("levels", [3, 4, 9])
def test_an_entity_bomb_is_refused_and_never_expanded(levels: int) -> None:
    document = bomb(levels)
    assert parse_xml(document) is None
    assert parse_for_compare(document) is None
    assert not xpath("/a").test(post(document))
    # Even the bombs libxml2 lets through would expand in ``string()`` if accepted.
    assert not xpath("string(/a)", ValueSpec("contains", "xxxxxxxxxx")).test(post(document))
    assert not equals_xml("<a>" + "x" * 10 ** min(levels + 1, 5) + "</a>").test(post(document))


@BOUNDED
def test_a_quadratic_blowup_is_refused() -> None:
    assert parse_xml(QUADRATIC) is None
    assert not xpath("string-length(/a) > 0").test(post(QUADRATIC))


@BOUNDED
def test_an_external_entity_is_never_read() -> None:
    # WireMock parses such a document and reads the reference as nothing (recorded).
    assert xpath("/a").test(post(EXTERNAL))
    assert not xpath("string(/a)", ValueSpec("contains", "root:")).test(post(EXTERNAL))
    assert xpath("string(/a)", ValueSpec("equals", "")).test(post(EXTERNAL))
    assert equals_xml("<a/>").test(post(EXTERNAL))


@BOUNDED
def test_an_external_dtd_is_never_loaded(tmp_path: Path) -> None:
    dtd = tmp_path / "secret.dtd"
    dtd.write_text('<!ENTITY e "secret"><!ATTLIST a k CDATA "from-dtd">')
    document = f'<!DOCTYPE a SYSTEM "{dtd.as_uri()}"><a>&e;</a>'
    assert xpath("/a").test(post(document))  # WireMock accepts it too
    assert not xpath("string(/a)", ValueSpec("contains", "secret")).test(post(document))
    assert not xpath("/a/@k").test(post(document))


@pytest.fixture
def listener() -> Iterator[tuple[int, list[bytes]]]:
    """A TCP server on an ephemeral port that records what anyone sends it."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    seen: list[bytes] = []
    done = threading.Event()

    def serve() -> None:
        while not done.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            with connection:
                seen.append(connection.recv(4096))
                connection.sendall(b'HTTP/1.0 200 OK\r\n\r\n<!ENTITY e "fetched">')

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], seen
    done.set()
    thread.join()
    server.close()


@BOUNDED
def test_nothing_is_fetched_over_the_network(listener: tuple[int, list[bytes]]) -> None:
    port, seen = listener
    url = f"http://127.0.0.1:{port}/x.dtd"
    for document in (
        f'<!DOCTYPE a SYSTEM "{url}"><a>&e;</a>',
        f'<!DOCTYPE a [<!ENTITY e SYSTEM "{url}">]><a>&e;</a>',
    ):
        assert xpath("/a").test(post(document))
        assert not xpath("string(/a)", ValueSpec("contains", "fetched")).test(post(document))
    assert seen == []


@BOUNDED
def test_a_very_deep_document_is_not_parsed() -> None:
    # libxml2's depth limit without ``huge_tree``; WireMock reads 2000 levels (checked).
    assert xpath("//x").test(post("<x>" * 250 + "</x>" * 250))
    assert not xpath("//x").test(post("<x>" * 300 + "</x>" * 300))


@BOUNDED
def test_a_body_over_the_cap_is_not_parsed() -> None:
    item = "<b>" + "x" * 1000 + "</b>"
    fits = "<a>" + item * (MAX_XML_BYTES // len(item) - 1) + "</a>"
    assert xpath("/a").test(post(fits))
    over = "<a>" + item * (MAX_XML_BYTES // len(item) + 1) + "</a>"
    assert not xpath("/a").test(post(over))
    assert not equals_xml("<a/>").test(post(over))


def test_an_invalid_xpath_is_refused_at_load() -> None:
    with pytest.raises(ValueError, match=r"body xpath: invalid XPath '/a\['"):
        xpath("/a[")
    with pytest.raises(ValueError, match="invalid XPath"):
        compile_value(ValueSpec("xpath", {"expression": "//"}), "header X")
    with pytest.raises(ValueError, match="non-empty prefixes"):
        xpath("/p:a", namespaces={"": "urn:x"})


def test_an_evaluation_error_is_no_match() -> None:
    for expression in ("unknown(/a)", "$nothing", "/p:a"):
        matcher = xpath(expression)
        assert not matcher.test(post("<a/>"))
        assert not matcher.explain(post("<a/>")).matched


@pytest.mark.parametrize(
    ("value", "shown"),
    [  # as WireMock 3.13 showed them (1000000 * 1000000, 1 div 3, -0, 1 div 0 ...)
        (2.0, "2"), (0.25, "0.25"), (1e12, "1,000,000,000,000"), (1 / 3, "0.333"),
        (-0.0, "-0"), (-0.0001, "-0"), (0.0015, "0.002"), (1234.5, "1,234.5"),
        (float("inf"), "∞"), (float("-inf"), "-∞"), (float("nan"), "NaN"),
    ],
)  # fmt: skip
def test_numbers_are_shown_as_wiremock_shows_them(value: float, shown: str) -> None:
    assert number(value) == shown


def test_a_number_result_reaches_the_sub_matcher_formatted() -> None:
    doc = post("<a/>")
    assert xpath("1000000 * 1000000", ValueSpec("equals", "1,000,000,000,000")).test(doc)
    assert xpath("1 div 0", ValueSpec("equals", "∞")).test(doc)


NS_DOC = '<s:env xmlns:s="urn:s"><s:body><m:op xmlns:m="urn:m" k="1">v</m:op></s:body></s:env>'


def test_without_namespaces_names_match_by_local_name_and_markup_keeps_prefixes() -> None:
    assert xpath("/env/body/op/@k", ValueSpec("equals", "1")).test(post(NS_DOC))
    assert xpath("namespace-uri(/*)", ValueSpec("equals", "")).test(post(NS_DOC))  # as WireMock
    selected = xpath("//op", ValueSpec("contains", '<m:op xmlns:m="urn:m"'))
    assert selected.test(post(NS_DOC))
    with_ns = xpath(
        "//b:op", ValueSpec("contains", '<m:op xmlns:m="urn:m"'), namespaces={"b": "urn:m"}
    )
    assert with_ns.test(post(NS_DOC))


@pytest.mark.parametrize(
    ("expected", "actual", "matched"),
    [  # each checked against WireMock 3.13
        ("<a><b><![CDATA[t]]></b></a>", "<a><b><![CDATA[t]]></b></a>", True),
        ("<a><b><![CDATA[t]]></b></a>", "<a><b>t</b></a>", False),
        ("<a><b>t</b></a>", "<a><!-- <![CDATA[ --><b>t</b></a>", True),
        ("<a><b>&lt;x&gt; &amp;</b></a>", "<a><b><![CDATA[<x> &]]></b></a>", False),
        ("<a><b><![CDATA[<x> &]]></b></a>", "<a><b><![CDATA[<x> &]]></b></a>", True),
        ("<a>xy</a>", "<a>x<!--c-->y</a>", True),
    ],
)
def test_cdata_is_its_own_kind_of_text(expected: str, actual: str, matched: bool) -> None:
    assert equals_xml(expected).test(post(actual)) is matched


def test_a_value_with_an_encoding_declaration_is_read_as_the_text_it_is() -> None:
    matcher = compile_value(ValueSpec("xpath", {"expression": "/a", "value": None}), "header X")
    assert matcher.test(['<?xml version="1.0" encoding="ISO-8859-1"?><a>é</a>'])
    assert not matcher.test(["<a>"])
