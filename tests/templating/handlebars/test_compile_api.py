"""``compile_handlebars`` as the loader uses it: errors with lines, the cache, the
context names it asks for, helper sets, the seeded random source, the clock, the sandbox."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from apidouble.matching.xmltree import XmlDocument
from apidouble.model import Request
from apidouble.templating import TemplateEnvironment
from apidouble.templating.handlebars import (
    WIREMOCK_HELPERS,
    Helper,
    compile_handlebars,
    handlebars_cache,
    helpers_xml,
    is_handlebars,
)

REQUEST = Request("GET", "/users/7", "q=1", (("Host", "localhost:8080"),), b"")


def render(source: str, env: TemplateEnvironment | None = None, **kwargs: Any) -> str:
    env = env or TemplateEnvironment(3)
    template = compile_handlebars(env, source, **kwargs)
    result = template.run(env.context_maker(template.names)(REQUEST, {"id": "7"}))
    assert isinstance(result, str)
    return result


def test_is_handlebars() -> None:
    assert is_handlebars("a {{b}}")
    assert not is_handlebars("a {b} {% c %}")


@pytest.mark.parametrize(
    ("source", "line", "words"),
    [
        ("a\nb\n{{nohelper 'x'}}", 3, "could not find helper: 'nohelper'"),
        ("{{#if true}}\nx", 2, "is not closed"),
        ("{{#if true}}x{{/each}}", 1, "'if' closed by 'each'"),
        ("x\n{{/if}}", 2, "closes nothing"),
        ("{{'literal'}}", 1, "expected an identifier"),
        ("{{> partial}}", 1, "partials are not supported"),
        ("\n\n{{upper (lower 'x'}}", 3, "unclosed '('"),
        ("{{else}}", 1, "'else' outside a block"),
    ],
)
def test_errors_name_the_line(source: str, line: int, words: str) -> None:
    with pytest.raises(ValueError) as caught:
        compile_handlebars(TemplateEnvironment(), source)
    message = str(caught.value)
    assert message.startswith(f"handlebars template error (line {line}): ")
    assert words in message


def test_compiled_once_per_source() -> None:
    env = TemplateEnvironment()
    source = "{{request.path.[1]}} cached"
    first = compile_handlebars(env, source)
    hits = handlebars_cache().hits
    assert compile_handlebars(TemplateEnvironment(5), source) is first
    assert handlebars_cache().hits == hits + 1


def test_a_static_lookup_asks_only_for_the_request() -> None:
    """Load-time choice: no clock, no random source for a template that uses neither."""
    env = TemplateEnvironment()
    assert compile_handlebars(env, "{{request.path}}").names == {"request"}
    assert compile_handlebars(env, "{{now}}").names == {"request", "now"}
    assert compile_handlebars(env, "{{randomInt}}").names == {"request", "random_int"}
    template = compile_handlebars(env, "{{request.path}}")
    assert template.typed is False and template.source == "{{request.path}}"


def test_named_path_parameters_and_segments() -> None:
    assert render("{{request.path.id}}|{{request.path.[1]}}|{{request.port}}") == "7|7|8080"


def test_the_seed_repeats_random_values() -> None:
    source = "{{randomValue length=16}} {{randomInt lower=0 upper=1000000}} {{pickRandom 1 2 3}}"
    one, two = render(source, TemplateEnvironment(11)), render(source, TemplateEnvironment(11))
    assert one == two
    assert one != render(source, TemplateEnvironment(12))


def test_now_reads_the_environment_clock() -> None:
    moment = datetime(2030, 5, 6, 7, 8, 9, tzinfo=UTC).timestamp()
    env = TemplateEnvironment(clock=lambda: moment)
    assert render("{{now}}", env) == "2030-05-06T07:08:09Z"
    assert render("{{now offset='1 days' format='yyyy-MM-dd'}}", env) == "2030-05-07"
    assert render("{{now format='epoch'}}", env) == str(int(moment * 1000))


def test_another_helper_set() -> None:
    """A dialect brings its own helpers; WireMock's are then unknown."""
    shout = Helper(lambda params, hash_, root: str(params[0]).upper() + "!")
    helpers = {"shout": shout}
    assert render("{{shout 'hi'}} {{request.path.id}}", helpers=helpers) == "HI! 7"
    with pytest.raises(ValueError, match="could not find helper: 'upper'"):
        compile_handlebars(TemplateEnvironment(), "{{upper 'x'}}", helpers=helpers)
    assert "upper" in WIREMOCK_HELPERS


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("[{{request.__class__}}]", "[]"),
        ("[{{request.path.__class__.__mro__}}]", "[]"),
        ("[{{request._request}}]", "[]"),
        ("[{{request.path._params}}]", "[]"),
        ("[{{#with request}}{{__class__}}{{_parts}}{{/with}}]", "[]"),
        # a missing key gives the object back, as WireMock's lookup does: still data
        ("[{{lookup request.query '__init__'}}]", "[{q=1}]"),
    ],
)
def test_nothing_but_data_is_reachable(source: str, expected: str) -> None:
    """Paths read only data (maps, lists, the request model's parts): never attributes."""
    assert render(source) == expected


def test_sandboxed_limits_hold() -> None:
    with pytest.raises(ValueError, match="range longer"):
        render("{{range 1 100000000}}")
    with pytest.raises(ValueError, match="randomValue length"):
        render("{{randomValue length=100000000}}")


def test_template_text_is_never_jinja() -> None:
    source = "{% raw %}{{request.path.id}}{# x #}{%- if %}{{'{{'}}"
    with pytest.raises(ValueError):
        compile_handlebars(TemplateEnvironment(), source)  # the lone literal
    text = "{% if x %}{{request.path.id}}{# c #}\r\n{% endif %}"
    assert render(text) == "{% if x %}7{# c #}\r\n{% endif %}"


def test_helpers_are_registered_for_blocks() -> None:
    kinds = {name: spec.block for name, spec in WIREMOCK_HELPERS.items()}
    assert kinds["assign"] == "capture" and kinds["contains"] == "body_if"
    assert kinds["eq"] == "cond"
    assert len(WIREMOCK_HELPERS) >= 60
    assert all(re.fullmatch(r"[a-z][A-Za-z0-9]*", name) for name in WIREMOCK_HELPERS)


def _xml_render(body: str, expression: str = "/l/text()") -> str:
    env = TemplateEnvironment()
    template = compile_handlebars(env, f"{{{{xPath request.body '{expression}'}}}}")
    request = Request("POST", "/x", "", (), body.encode())
    result = template.run(env.context_maker(template.names)(request, {}))
    assert isinstance(result, str)
    return result


def test_xpath_reads_no_external_entity_and_refuses_entity_bombs() -> None:
    """The matchers' safe parser: an external entity stays unread (``string()`` would
    show its text), and a document with internal entities (a bomb) is not XML, printed
    as WireMock prints that (both checked against the jar)."""
    assert _xml_render("<l>plain</l>") == "plain"
    outside = '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY x SYSTEM "file:///etc/hostname">]>'
    assert _xml_render(outside + "<l>[&x;]</l>", "string(/l)") == "[]"
    levels = ['<!ENTITY a "aaaaaaaaaa">'] + [
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(7)
    ]
    bomb = f'<?xml version="1.0"?><!DOCTYPE l [{"".join(levels)}]><l>&h;</l>'
    assert _xml_render(bomb, "string(/l)") == f"[ERROR: {bomb} is not valid XML]"
    small = '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "in">]><l>[&a;]</l>'
    assert _xml_render(small, "string(/l)") == f"[ERROR: {small} is not valid XML]"


def test_xpath_parses_each_text_once_per_response(monkeypatch: pytest.MonkeyPatch) -> None:
    env = TemplateEnvironment()
    source = "{{xPath request.body '/l/@a'}}{{xPath request.body 'count(/l)'}}"
    template = compile_handlebars(env, source)
    request = Request("POST", "/x", "", (), b'<l a="1"/>')
    calls: list[str | bytes] = []
    real = helpers_xml.parse_xml

    def spied(data: str | bytes) -> XmlDocument | None:
        calls.append(data)
        return real(data)

    monkeypatch.setattr(helpers_xml, "parse_xml", spied)
    assert template.run(env.context_maker(template.names)(request, {})) == "11"
    assert calls == ['<l a="1"/>']
