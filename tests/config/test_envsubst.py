"""``${VAR}`` substitution: forms, escapes, where it applies and what it reports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from apidouble.config.envsubst import Unset, substitute
from apidouble.config.load import load_config

ENV = {"HOST": "api.test", "PORT": "8080", "EMPTY": ""}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${HOST}", "api.test"),
        ("http://${HOST}:${PORT}/x", "http://api.test:8080/x"),
        ("${MISSING:-fallback}", "fallback"),
        ("${MISSING:-}", ""),
        ("${EMPTY:-used}", "used"),
        ("${HOST:-unused}", "api.test"),
        ("$${HOST}", "${HOST}"),
        ("$${MISSING:-x} and ${HOST}", "${MISSING:-x} and api.test"),
        ("$HOST {HOST} ${1X} ${", "$HOST {HOST} ${1X} ${"),
        ("{{ request.path }}", "{{ request.path }}"),
    ],
)
def test_expansion(text: str, expected: str) -> None:
    assert substitute(text, ENV) == (expected, [])


def test_values_not_keys_and_every_depth() -> None:
    data: Any = {"${HOST}": ["${PORT}", {"k": "${HOST}"}, 5, None, True]}
    assert substitute(data, ENV) == ({"${HOST}": ["8080", {"k": "api.test"}, 5, None, True]}, [])


def test_unset_is_reported_with_its_pointer() -> None:
    data, unset = substitute({"a": ["x", "${NOPE}-${NOPE2}"], "b": "${EMPTY}"}, ENV)
    assert data == {"a": ["x", "-"], "b": ""}
    assert unset == [Unset("/a/1", "NOPE"), Unset("/a/1", "NOPE2")]


def test_substituted_values_are_validated_as_config(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        "endpoints:\n"
        "  - path: /${PREFIX:-api}/users\n"
        "    status: ${STATUS}\n"
        "    latency_ms: ${DELAY:-25}\n"
        "    response: {url: 'http://${HOST}:${PORT}', literal: '$${HOST}'}\n"
    )
    stub = load_config(path, environ={**ENV, "STATUS": "201"}).stubs[0]
    assert stub.pattern.path == "/api/users"
    assert stub.responses[0].status == 201
    assert stub.latency is not None and stub.latency.params == {"ms": 25}
    assert stub.responses[0].body == {"url": "http://api.test:8080", "literal": "${HOST}"}


def test_process_environment_is_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APIDOUBLE_TEST_PATH", "/from-env")
    path = tmp_path / "c.json"
    path.write_text('{"endpoints": [{"path": "${APIDOUBLE_TEST_PATH}"}]}')
    assert load_config(path).stubs[0].pattern.path == "/from-env"
