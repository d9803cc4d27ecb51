"""``--validate-responses``: proxied answers checked against the spec (a validation proxy).

A real upstream (a second ``MockServer`` with native stubs) answers; the spec sits in
front of it, as Prism's validation proxy does. Drift shows in ``sl-violations``, in the
journal entry's ``decision.drift`` and in ``apidouble_openapi_drift_total``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from apidouble import MockServer

SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "drift", "version": "1"},
    "paths": {
        "/pets/{id}": {
            "get": {
                "operationId": "getPet",
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
                ],
                "responses": {
                    "200": {
                        "description": "a pet",
                        "headers": {"X-Rate": {"required": True, "schema": {"type": "integer"}}},
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["id", "name"],
                                    "properties": {
                                        "id": {"type": "integer"},
                                        "name": {"type": "string"},
                                    },
                                },
                                "example": {"id": 1, "name": "mock"},
                            }
                        },
                    },
                    "404": {"description": "gone"},
                },
            }
        }
    },
}
GOOD = {"id": 1, "name": "Rex"}
UPSTREAM = [
    {"path": "/pets/1", "headers": {"X-Rate": "5"}, "response": GOOD},
    {"path": "/pets/2", "headers": {"X-Rate": "5"}, "response": {"id": "two"}},
    {"path": "/pets/3", "status": 418, "response": {"teapot": True}},
    {"path": "/pets/4", "response": GOOD},
    {"path": "/pets/5", "headers": {"X-Rate": "5", "Content-Type": "text/plain"},
     "response": "Rex"},
    {"path": "/pets/6", "status": 404},
    {"path": "/elsewhere", "response": {"any": "thing"}},
    {"path": "/pets/x", "headers": {"X-Rate": "5"}, "response": GOOD},
]  # fmt: skip


@pytest.fixture(scope="module")
def upstream() -> Iterator[MockServer]:
    with MockServer(endpoints=UPSTREAM) as up:
        yield up


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(SPEC))
    return path


def violations(answer: httpx.Response) -> list[dict[str, Any]]:
    header = answer.headers.get("sl-violations")
    return [] if header is None else list(json.loads(header))


def drift_total(mock: MockServer, operation: str) -> float:
    text = httpx.get(mock.url + "/__admin/metrics").text
    for line in text.splitlines():
        if line.startswith("apidouble_openapi_drift_total{") and f'"{operation}"' in line:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_a_validation_proxy_forwards_the_spec_own_requests(
    upstream: MockServer, spec: Path
) -> None:
    with MockServer(spec, proxy_to=upstream.url, validate_responses=True) as mock:
        answer = httpx.get(mock.url + "/pets/1")
        assert answer.status_code == 200 and answer.json() == GOOD  # upstream's, not the mock's
        assert "sl-violations" not in answer.headers
        entry = mock.requests.all()[0]
        assert "drift" not in (entry.get("decision") or {})
        assert drift_total(mock, "GET /pets/{id}") == 0


@pytest.mark.parametrize(
    ("path", "code", "where"),
    [
        ("/pets/2", "type", ["response", "body", "id"]),
        ("/pets/2", "required", ["response", "body"]),
        ("/pets/3", "status", ["response"]),
        ("/pets/4", "header", ["response", "headers", "x-rate"]),
        ("/pets/5", "content-type", ["response", "headers", "content-type"]),
    ],
)
def test_drift_is_told_journaled_and_counted(
    upstream: MockServer, spec: Path, path: str, code: str, where: list[str]
) -> None:
    with MockServer(spec, proxy_to=upstream.url, validate_responses=True) as mock:
        answer = httpx.get(mock.url + path)
        assert answer.status_code != 500  # reported, the upstream's answer still relayed
        found = violations(answer)
        assert {"location": where, "severity": "Error", "code": code} in [
            {k: v for k, v in item.items() if k != "message"} for item in found
        ]
        drift = mock.requests.all()[0]["decision"]["drift"]
        assert drift["operation"] == "GET /pets/{id}"
        assert [v["code"] for v in drift["violations"]] == [v["code"] for v in found]
        assert drift_total(mock, "GET /pets/{id}") == 1


def test_a_documented_bodyless_answer_is_no_drift(upstream: MockServer, spec: Path) -> None:
    with MockServer(spec, proxy_to=upstream.url, validate_responses=True) as mock:
        answer = httpx.get(mock.url + "/pets/6")
        assert answer.status_code == 404 and violations(answer) == []


def test_an_invalid_request_is_forwarded_with_its_violations(
    upstream: MockServer, spec: Path
) -> None:
    with MockServer(spec, proxy_to=upstream.url, validate_responses=True) as mock:
        answer = httpx.get(mock.url + "/pets/x")
        assert answer.status_code == 200 and answer.json() == GOOD
        found = violations(answer)
        assert found and found[0]["location"][:2] == ["request", "path"]
        assert drift_total(mock, "GET /pets/{id}") == 0  # the answer itself fits


def test_errors_mode_refuses_invalid_requests_and_drifted_answers(
    upstream: MockServer, spec: Path
) -> None:
    upstream.requests.clear()
    with MockServer(
        spec, proxy_to=upstream.url, validate_responses=True, openapi_errors=True
    ) as mock:
        assert httpx.get(mock.url + "/pets/x").status_code == 422  # never reached upstream
        assert httpx.get(mock.url + "/pets/1").json() == GOOD
        drifted = httpx.get(mock.url + "/pets/2")
        assert drifted.status_code == 500
        problem = drifted.json()
        assert problem["type"].endswith("VIOLATIONS")
        assert {v["code"] for v in problem["validation"]} >= {"type", "required"}
    assert not upstream.requests.find(path="/pets/x")


def test_requests_outside_the_spec_are_forwarded_unchecked(
    upstream: MockServer, spec: Path
) -> None:
    with MockServer(spec, proxy_to=upstream.url, validate_responses=True) as mock:
        answer = httpx.get(mock.url + "/elsewhere")
        assert answer.json() == {"any": "thing"} and "sl-violations" not in answer.headers


def test_without_the_flag_the_spec_mocks_its_own_requests(upstream: MockServer, spec: Path) -> None:
    with MockServer(spec, proxy_to=upstream.url) as mock:
        assert httpx.get(mock.url + "/pets/2").json() == {"id": 1, "name": "mock"}


def test_a_stub_proxy_answer_is_checked_too(upstream: MockServer, tmp_path: Path) -> None:
    (tmp_path / "spec.json").write_text(json.dumps(SPEC))
    stubs = {"openapi": [{"spec": "spec.json"}],
             "endpoints": [{"path": "/pets/{id}", "proxy": {"to": upstream.url}}]}  # fmt: skip
    (tmp_path / "apidouble.yaml").write_text(json.dumps(stubs))
    with MockServer(tmp_path / "apidouble.yaml", validate_responses=True) as mock:
        answer = httpx.get(mock.url + "/pets/2")
        assert answer.json() == {"id": "two"}
        assert {v["code"] for v in violations(answer)} == {"type", "required"}
        assert drift_total(mock, "GET /pets/{id}") == 1
