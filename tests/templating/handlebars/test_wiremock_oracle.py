"""Our Handlebars rendering against WireMock 3.13.2's recorded answers.

``wiremock_answers.json`` holds, for each case, the template, the request and what the
real jar answered (recorded by ``record_wiremock.py``). Random and time-dependent cases
carry a ``shape`` regex, which both WireMock's answer and ours must match; cases we do
not match exactly carry a ``reason`` and a weaker ``weak`` check (see docs/handlebars.md).
"""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path
from typing import Any

import pytest

from apidouble.model import Request
from apidouble.templating import TemplateEnvironment
from apidouble.templating.handlebars import compile_handlebars

ANSWERS = json.loads((Path(__file__).parent / "wiremock_answers.json").read_text())
CASES: list[dict[str, Any]] = ANSWERS["cases"]
PORT: int = ANSWERS.get("port", 18100)
"""WireMock's port when recorded: ``request.port`` and ``request.baseUrl`` name it."""


def request_of(case: dict[str, Any]) -> tuple[Request, dict[str, str]]:
    sent = case["request"]
    path, _, query = sent["url"].partition("?")
    headers = {"Host": f"127.0.0.1:{PORT}", "X-Case": case["name"], **sent.get("headers", {})}
    body = sent.get("body", "").encode()
    request = Request(
        sent.get("method", "GET"), path, query, tuple(headers.items()), body, ("127.0.0.1", 50123)
    )
    params: dict[str, str] = {}
    template = case.get("path_template")
    if template:
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
        found = re.fullmatch(pattern, path)
        assert found is not None
        params = found.groupdict()
    return request, params


def render(case: dict[str, Any], env: TemplateEnvironment | None = None) -> str:
    env = env or TemplateEnvironment(7)
    template = compile_handlebars(env, case["template"])
    request, params = request_of(case)
    result = template.run(env.context_maker(template.names)(request, params))
    assert isinstance(result, str)
    return result


def outcome(case: dict[str, Any]) -> tuple[bool, str]:
    """(True, text) when we render; (False, error) when we refuse the template."""
    try:
        return True, render(case)
    except Exception as exc:  # a compile or render error: WireMock's 500
        return False, f"{type(exc).__name__}: {exc}"


def test_enough_cases_were_recorded() -> None:
    assert len(CASES) >= 150
    assert ANSWERS["wiremock"] == "3.13.2"


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_matches_wiremock(case: dict[str, Any]) -> None:
    ok, ours = outcome(case)
    if case["status"] != 200:
        assert not ok, f"WireMock refused this template (500) but we rendered {ours!r}"
        return
    assert ok, ours
    weak = case.get("weak")
    if "shape" in case:
        assert case["wiremock_matches_shape"], "the recorded answer lost its shape"
        assert re.fullmatch(case["shape"], ours), ours
    elif weak == "hostname":
        assert ours == socket.gethostname()
    elif weak is not None:
        assert re.fullmatch(weak, ours), f"{ours!r} does not match {weak!r}"
        assert re.fullmatch(weak, case["answer"]), "the weak check must hold for WireMock too"
    else:
        assert ours == case["answer"]
