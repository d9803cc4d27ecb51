"""Mockoon's ``repeat`` block, rendered as ``mockoon-cli`` 9.9.0 renders the same
templates, and served from a Mockoon environment over HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from apidouble.templating import TemplateEnvironment
from apidouble.testing import MockServer

from .test_mockoon_helpers import render
from .test_mockoon_state import environment

CASES = [
    ('{{#repeat 3}}{"i": {{@index}} }{{/repeat}}', '{"i": 0 },\n{"i": 1 },\n{"i": 2 }\n'),
    ("{{#repeat 2 comma=false}}x{{@index}} {{/repeat}}|", "x0 x1 |"),
    ("[{{#repeat 3}}  {{@index}},  \n{{/repeat}}]", "[  0,\n  1,\n  2\n]"),
    (
        "{{#repeat 0}}x{{/repeat}}|{{#repeat 2}}{{@first}}{{@last}}{{@total}}{{/repeat}}",
        "|truefalse2,\nfalsetrue2\n",
    ),
    (
        "{{#each (array 'a' 'b')}}{{#repeat 2 comma=false}}{{this}}{{@index}}{{/repeat}}{{/each}}",
        "a0a1b0b1",
    ),
]


@pytest.mark.parametrize(("source", "expected"), CASES)
def test_repeat_as_mockoon(source: str, expected: str) -> None:
    assert render(source) == expected


def test_repeat_between_two_counts_draws_one() -> None:
    env = TemplateEnvironment(3)
    source = "{{#repeat 1 3 comma=false}}x{{/repeat}}"
    counts = {render(source, env).count("x") for _ in range(40)}
    assert counts <= {1, 2, 3} and len(counts) > 1


def test_repeat_served(tmp_path: Path) -> None:
    env = environment({"list": '[{{#repeat 2}}{"n": {{@index}} }{{/repeat}}]'})
    path = tmp_path / "env.json"
    path.write_text(json.dumps(env), encoding="utf-8")
    with MockServer(path) as server:
        answer = httpx.get(f"{server.url}/list", timeout=10)
    assert answer.json() == [{"n": 0}, {"n": 1}]
