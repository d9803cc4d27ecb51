"""Values printed as they are in a Mockoon template come out as Handlebars.js prints them
(``String(value)``): an array is its items joined with commas; and a ``}}`` inside a
string literal does not end the tag. Checked against mockoon-cli 9.9 when it is
installed."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.compat.mockoon.peer import available, mockoon
from tests.importers.test_mockoon_serving import environment, response, route, serving, write

TEMPLATES = {
    "array": "{{array 'a' 'b'}}",
    "json-path": "{{jsonPath (jsonParse '{\"a\":[1,2.5,null]}') '$.a'}}",
    "object-path": "{{objectPath (jsonParse '{\"a\":[\"x\"]}') 'a'}}",
    "nested": "{{jsonPath (jsonParse '{\"a\":[[1,2],[3],{\"k\":1}]}') '$.a'}}",
    "jmes": '{{jmesPath (jsonParse \'{"p":[{"n":"a"},{"n":"b"}]}\') \'p[].n\'}}',
    "braces-in-a-string": "{{jsonPath (jsonParse '{\"a\":{\"b\":[1,2]}}') '$.a.b'}}",
}
WANT = ["a,b", "1,2.5,", "x", "1,2,3,[object Object]", "a,b", "1,2"]


def printing_env() -> dict[str, object]:
    return environment(*[route(name, response(text)) for name, text in TEMPLATES.items()])


def asked(client: httpx.Client) -> list[str]:
    return [client.get(f"/{name}").text for name in TEMPLATES]


def test_arrays_print_as_javascript_prints_them(tmp_path: Path) -> None:
    with serving(tmp_path, printing_env()) as client:
        assert asked(client) == WANT


@pytest.mark.skipif(available() is not None, reason=str(available()))
def test_answers_as_mockoon_cli(tmp_path: Path) -> None:
    with serving(tmp_path, printing_env()) as client:
        ours = asked(client)
    with mockoon(write(tmp_path, printing_env(), "peer.json")) as url:
        with httpx.Client(base_url=url) as client:
            assert asked(client) == ours
