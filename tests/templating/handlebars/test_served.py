"""WireMock mappings with ``response-template``, served by apidouble over a real socket:
the recorded WireMock answers must come back through the whole pipeline (loader,
router, path parameters, rendering, encoding), not only from ``compile_handlebars``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from apidouble.templating import TemplateEnvironment
from apidouble.templating.handlebars import compile_handlebars
from apidouble.testing import MockServer

ANSWERS = json.loads((Path(__file__).parent / "wiremock_answers.json").read_text())
MACHINE_DEPENDENT = ("port", "base-url", "hostname", "hostname-machine")
"""Answers that name WireMock's port or machine (checked in the oracle test instead)."""
SERVED = [
    c
    for c in ANSWERS["cases"]
    if c["status"] == 200
    and "shape" not in c
    and "weak" not in c
    and c["name"] not in MACHINE_DEPENDENT
]


def _compiles(source: str) -> bool:
    try:
        compile_handlebars(TemplateEnvironment(), source)
    except ValueError:
        return False
    return True


FAILING = [c for c in ANSWERS["cases"] if c["status"] == 500 and _compiles(c["template"])]
"""Templates WireMock answers 500 for while rendering, and so do we (the rest we refuse
at load time, which the oracle test checks)."""


def mapping(case: dict[str, Any]) -> dict[str, Any]:
    request: dict[str, Any] = {"method": "ANY", "headers": {"X-Case": {"equalTo": case["name"]}}}
    if case.get("path_template"):
        request["urlPathTemplate"] = case["path_template"]
    response = {"status": 200, "body": case["template"], "transformers": ["response-template"]}
    return {"request": request, "response": response}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    root = tmp_path_factory.mktemp("wiremock-root")
    (root / "mappings").mkdir()
    mappings = {"mappings": [mapping(case) for case in SERVED + FAILING]}
    (root / "mappings" / "templates.json").write_text(json.dumps(mappings))
    with MockServer(root) as mock, httpx.Client(base_url=mock.url) as http:
        yield http


@pytest.mark.parametrize("case", SERVED, ids=[c["name"] for c in SERVED])
def test_served_like_wiremock(client: httpx.Client, case: dict[str, Any]) -> None:
    sent = case["request"]
    headers = {"X-Case": case["name"], **sent.get("headers", {})}
    answer = client.request(
        sent.get("method", "GET"), sent["url"], headers=headers, content=sent.get("body", "")
    )
    assert answer.status_code == 200, answer.text
    assert answer.text == case["answer"]


@pytest.mark.parametrize("case", FAILING, ids=[c["name"] for c in FAILING])
def test_render_errors_answer_500(client: httpx.Client, case: dict[str, Any]) -> None:
    sent = case["request"]
    headers = {"X-Case": case["name"], **sent.get("headers", {})}
    answer = client.request(
        sent.get("method", "GET"), sent["url"], headers=headers, content=sent.get("body", "")
    )
    assert answer.status_code == 500


def test_some_render_errors_are_served() -> None:
    assert len(FAILING) >= 3
