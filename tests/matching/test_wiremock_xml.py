"""Hostile XML must neither hang nor read files."""

from apidouble.matching.body import compile_body
from apidouble.matching.xmltree import parse_xml
from apidouble.model import BodySpec, Request

BOMB = (
    '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "xxxxxxxxxx">'
    + "".join(f'<!ENTITY x{i} "{"&x;" * 10 if i == 0 else f"&x{i - 1};" * 10}">' for i in range(9))
    + "]><a>&x8;</a>"
)
EXTERNAL = '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/passwd">]><a>&e;</a>'


def test_an_entity_bomb_is_refused() -> None:
    assert parse_xml(BOMB) is None


def test_an_external_entity_is_never_read() -> None:
    document = parse_xml(EXTERNAL)
    assert document is not None
    matcher = compile_body(BodySpec("xpath", expression="/a", value=None))
    assert matcher.test(Request("POST", "/", body=EXTERNAL.encode()))

    assert "root:" not in "".join(c.value for c in document.children[0].children)  # type: ignore[attr-defined]
