"""Mockoon's ``{{faker 'module.method'}}`` on Python Faker: every name the corpus uses
maps, renders a value of the JSON type faker.js gives, and an unknown name is refused
at load time."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from apidouble.model import Request
from apidouble.templating import TemplateEnvironment
from apidouble.templating.handlebars import MOCKOON_HELPERS, check_faker_names, compile_handlebars
from apidouble.templating.handlebars.helpers_mockoon_faker import FAKER_NAMES
from apidouble.testing import MockServer

CORPUS = Path("/work/shared/corpus/mockoon")
NUMBERS = {"number.int", "number.float", "location.latitude", "location.longitude"}
BOOLEANS = {"datatype.boolean"}
REQUEST = Request("GET", "/", "", (("Host", "localhost"),), b"")


def corpus_names() -> set[str]:
    found: set[str] = set()
    for path in CORPUS.rglob("*.json") if CORPUS.is_dir() else ():
        found.update(re.findall(r"faker '([a-zA-Z.]*)'", path.read_text(errors="replace")))
    return found


def render(source: str, env: TemplateEnvironment | None = None) -> str:
    env = env or TemplateEnvironment(5)
    template = compile_handlebars(env, source, MOCKOON_HELPERS)
    result = template.run(env.context_maker(template.names)(REQUEST, {}))
    assert isinstance(result, str)
    return result


def value_of(name: str, args: str = "") -> Any:
    if name in NUMBERS or name in BOOLEANS:
        return json.loads(render(f"{{{{faker '{name}'{args}}}}}"))
    return json.loads(render(f"\"{{{{faker '{name}'{args}}}}}\""))


@pytest.mark.skipif(not CORPUS.is_dir(), reason="no corpus here")
def test_every_corpus_name_is_mapped() -> None:
    names = corpus_names()
    assert names, "the corpus uses faker"
    assert sorted(names - FAKER_NAMES.keys()) == []


@pytest.mark.parametrize("name", sorted(FAKER_NAMES))
def test_each_name_renders_its_json_type(name: str) -> None:
    value = value_of(name)
    if name in BOOLEANS:
        assert isinstance(value, bool)
    elif name == "number.int":
        assert isinstance(value, int) and not isinstance(value, bool)
    elif name in NUMBERS:
        assert isinstance(value, int | float) and not isinstance(value, bool)
    else:
        assert isinstance(value, str) and value != ""


@pytest.mark.parametrize(
    ("args", "low", "high"),
    [
        (" max=9", 0, 9),
        (" min=10000 max=100000", 10000, 100000),
        (' \'{"min":1,"max":3}\'', 1, 3),
        (" 5", 0, 5),
    ],
)
def test_number_int_bounds(args: str, low: int, high: int) -> None:
    for _ in range(10):
        assert low <= value_of("number.int", args) <= high


def test_shapes() -> None:
    assert re.fullmatch(r"[0-9a-f-]{36}", value_of("string.uuid"))
    assert re.fullmatch(r"\d{50}", value_of("string.numeric", " 50"))
    assert re.fullmatch(r"\d+\.\d\d", value_of("commerce.price"))
    assert re.fullmatch(r"\w{3} \w{3} \d\d \d{4} .*", value_of("date.recent", " 365"))
    assert "nature" in value_of("image.urlLoremFlickr", " category='nature'")


def test_seeded() -> None:
    source = "{{faker 'person.firstName'}} {{faker 'number.int' max=1000000}}"
    assert render(source, TemplateEnvironment(9)) == render(source, TemplateEnvironment(9))


def test_unknown_name_is_named() -> None:
    with pytest.raises(ValueError, match=r"line 2\).*'person\.nope'"):
        check_faker_names("ok\n{{faker 'person.nope'}}")
    check_faker_names("{{faker 'person.firstName'}} {{#each x}}{{/each}}")


def test_served_faker_types() -> None:
    source = (
        "{\"n\": {{faker 'number.int' max=99999}}, \"ok\": {{faker 'datatype.boolean'}},"
        ' "f": {{faker \'number.float\'}}, "id": "{{faker \'string.uuid\'}}",'
        ' "when": "{{faker \'date.recent\' 365}}"}'
    )
    endpoints = [{"path": "/f", "templating": "mockoon", "response": source}]
    with MockServer(endpoints=endpoints) as server:
        data = httpx.get(f"{server.url}/f", timeout=10).json()
    assert isinstance(data["n"], int) and 0 <= data["n"] <= 99999
    assert isinstance(data["ok"], bool)
    assert isinstance(data["f"], float | int)
    assert isinstance(data["id"], str) and isinstance(data["when"], str)


def test_values_keep_their_type_inside_helpers() -> None:
    """``eq`` is JavaScript's ``===``: a number from faker equals the number literal."""
    assert render("{{eq (faker 'number.int' max=0) 0}}") == "true"
    assert render("{{eq (faker 'datatype.boolean') (faker 'datatype.boolean')}}") in (
        "true",
        "false",
    )
    assert render("{{len (faker 'string.numeric' 7)}}") == "7"


SHORTHANDS = [
    "city",
    "color",
    "company",
    "country",
    "countryCode",
    "domain",
    "email",
    "firstName",
    "lastName",
    "hexColor",
    "ipv4",
    "ipv6",
    "phone",
    "postcode",
    "street",
    "tld",
    "zipcode",
    "title",
    "lorem",
]


@pytest.mark.parametrize("helper", SHORTHANDS)
def test_one_word_faker_helpers(helper: str) -> None:
    assert render(f"{{{{{helper}}}}}").strip() != ""


def test_lat_long_and_lorem_count() -> None:
    assert -90 <= json.loads(render("{{lat}}")) <= 90
    assert -180 <= json.loads(render("{{long}}")) <= 180
    assert len(render("{{lorem 4}}").split()) == 4
