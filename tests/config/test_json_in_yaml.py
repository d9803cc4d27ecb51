"""A .yaml file holding JSON is read by the JSON parser; YAML flow style still reads as YAML."""

from __future__ import annotations

import pytest

from apidouble.config.positions import SyntaxProblem, parse


def test_json_text_in_a_yaml_file_gives_the_same_data_and_lines() -> None:
    text = '{\n "endpoints": [\n  {"path": "/a",\n   "response": {"n": 1.5}}\n ]\n}\n'
    parsed = parse(text, as_json=False)
    assert parsed.data == {"endpoints": [{"path": "/a", "response": {"n": 1.5}}]}
    assert parsed.lines["/endpoints/0/response"] == 4


def test_yaml_flow_style_is_still_yaml() -> None:
    parsed = parse("{endpoints: [{path: /a, response: yes}]}", as_json=False)
    assert parsed.data == {"endpoints": [{"path": "/a", "response": True}]}


def test_a_yaml_syntax_error_is_reported_as_yaml() -> None:
    with pytest.raises(SyntaxProblem, match="YAML"):
        parse("{endpoints: [", as_json=False)
