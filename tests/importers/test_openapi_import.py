"""The OpenAPI importer: every corpus spec served through ``MockServer(path)`` over real
sockets. Each operation, asked at its path with its parameters filled, answers its
default status, and a JSON body fits the operation's response schema; ``Prefer`` and the
``__code``/``__example`` query select the other answers."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from openapi_schema_validator import OAS30ReadValidator, OAS31Validator

from apidouble import MockServer
from apidouble.cli import main
from apidouble.importers import openapi
from apidouble.openapi.model import NO_EXAMPLE, Operation, Parameter, ResponseSpec
from apidouble.openapi.refs import parse_file
from apidouble.openapi.spec import load_spec

DATA = Path(__file__).resolve().parents[1] / "openapi" / "data"
CORPUS = DATA / "corpus"
CORPUS_FILES = [
    # the big one (452 operations, megabytes of generated bodies) gets more time
    pytest.param(p, marks=pytest.mark.timeout(300)) if p.stat().st_size > 1_000_000 else p
    for p in sorted(CORPUS.rglob("*"))
    if p.suffix in (".yaml", ".json")
]
_PARAM = re.compile(r"\{([^{}]*)\}")
GENERATOR_GAPS = {
    # oneOf whose branches all accept {}: the generator gives a value valid under several
    ("readme-oas-examples/3.0/complex-nesting.yaml", "PUT /anything/top-level-array"),
    ("readme-oas-examples/3.0/complex-nesting.yaml", "POST /top-level-object/of-everything"),
    # 3.0's nullable in a 3.1 spec: the generator honours it, 3.1 validation does not
    ("readme-oas-examples/3.1/readme.yaml", "GET /v2/projects/me"),
}
"""Generated bodies that do not fit their schema yet (``openapi/generate.py``)."""


def _name(path: Path) -> str:
    return path.relative_to(CORPUS).as_posix()


def _id(path: Any) -> str:
    return _name(path) if isinstance(path, Path) else str(path)


def _value(param: Parameter | None) -> str:
    """A path segment that fits the parameter's schema."""
    schema = (param.schema if param is not None else None) or {}
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return str(schema["enum"][0])
    kind = schema.get("type")
    if kind in ("integer", "number") or (isinstance(kind, list) and "integer" in kind):
        return str(max(1, int(schema.get("minimum", 1))))
    if kind == "boolean":
        return "true"
    return "abc"


def _url(operation: Operation) -> str:
    path = operation.path.split("#", 1)[0].split("?", 1)[0]
    params = {p.name: p for p in operation.parameters if p.location == "path"}
    return _PARAM.sub(lambda m: _value(params.get(m.group(1))), path)


def _default(operation: Operation) -> tuple[int, ResponseSpec | None]:
    """Prism's choice: the lowest 2xx, a 2XX range, ``default``, else the first (1xx
    responses are no answer)."""
    responses = [r for r in operation.responses if r.status[0] != "1"]
    statuses = [r for r in responses if r.status.isdigit() and r.status[0] == "2"]
    if statuses:
        chosen = min(statuses, key=lambda r: int(r.status))
        return int(chosen.status), chosen
    for wanted in ("2XX", "default"):
        for response in responses:
            if response.status.upper() == wanted.upper():
                return 200, response
    if not responses:
        return 200, None
    first = responses[0]
    return (int(first.status) if first.status.isdigit() else int(first.status[0]) * 100), first


def _served(operations: tuple[Operation, ...]) -> Iterator[Operation]:
    """The operations a request to their own path reaches: the first of those whose
    paths read the same (``/a#one`` and ``/a#two``, ``/a/{x}`` and ``/a/{y}``)."""
    seen: set[tuple[str, str]] = set()
    for operation in operations:
        shape = (operation.method, _PARAM.sub("{}", operation.path.split("#")[0].split("?")[0]))
        if shape not in seen:
            seen.add(shape)
            yield operation


def _body_problems(
    answer: httpx.Response, response: ResponseSpec | None, dialect: str
) -> list[str]:
    """Why the JSON body does not fit: not the example given, or (generated) not valid
    against the schema."""
    kind = answer.headers.get("content-type", "")
    if not answer.content or "json" not in kind or response is None:
        return []
    media = next((m for m in response.content.values() if "json" in m.name), None)
    if media is None:
        return []
    given = next(iter(media.examples.values()), media.example)
    if given is not NO_EXAMPLE:
        return (
            []
            if answer.json() == json.loads(json.dumps(given, default=str))
            else ["not the example"]
        )
    if media.schema is None:
        return []
    validator = OAS31Validator if dialect == "3.1" else OAS30ReadValidator
    return [e.message[:200] for e in validator(media.schema).iter_errors(answer.json())][:2]


def _imported(path: Path, folder: Path) -> Path:
    """The spec as ``apidouble import openapi`` writes it (``run SPEC`` serves the spec
    itself, the Prism way, which validates requests: these tests are about the import)."""
    out = folder / "imported.yaml"
    out.write_text(yaml.safe_dump(openapi.convert(parse_file(path), path), sort_keys=False))
    return out


@pytest.mark.parametrize("path", CORPUS_FILES, ids=_id)
def test_every_operation_of_every_corpus_spec_serves_its_default(
    path: Path, tmp_path: Path
) -> None:
    spec = load_spec(path)
    failures: list[str] = []
    with MockServer(_imported(path, tmp_path)) as mock, httpx.Client(base_url=mock.url) as client:
        for operation in _served(spec.operations):
            status, response = _default(operation)
            answer = client.request(operation.method, _url(operation))
            where = f"{operation.method} {operation.path}"
            if answer.status_code != status:
                failures.append(f"{where}: status {answer.status_code}, not {status}")
            elif (_name(path), where) not in GENERATOR_GAPS:
                failures.extend(
                    f"{where}: {m}" for m in _body_problems(answer, response, spec.dialect)
                )
    assert not failures
    assert not mock.requests.find(unmatched=True)


def test_detect_by_shape() -> None:
    here = Path("x.yaml")
    assert openapi.detect({"openapi": "3.1.0", "paths": {}}, here)
    assert openapi.detect({"swagger": "2.0", "paths": {}}, here)
    assert openapi.detect({"swagger": 2.0, "paths": {}}, here)
    assert not openapi.detect({"openapi": "3.0.0"}, here)
    assert not openapi.detect({"swagger": "1.2", "paths": {}}, here)
    assert not openapi.detect({"endpoints": [], "paths": {}}, here)
    assert not openapi.detect([{"openapi": "3.0.0"}], here)


def test_names_paths_and_the_base_path() -> None:
    document = openapi.convert(parse_file(DATA / "selecting.yaml"), DATA / "selecting.yaml")
    defaults = [e for e in document["endpoints"] if "match" not in e]
    assert [(e["name"], e["path"]) for e in defaults] == [
        ("getPet", "/api/v1/pets/{pet_id}"),
        ("GET /api/v1/stars*/{id}.json", "/api/v1/stars%2A/{id}.json"),
    ]
    assert len({e["name"] for e in document["endpoints"]}) == len(document["endpoints"])


def test_prefer_and_the_query_select_status_and_example(tmp_path: Path) -> None:
    served = _imported(DATA / "selecting.yaml", tmp_path)
    with MockServer(served) as mock, httpx.Client(base_url=mock.url) as client:
        url = "/api/v1/pets/3"
        plain = client.get(url)
        assert plain.status_code == 200
        assert plain.json() == {"name": "Tom", "note": "{{ not a template }} ${HOME}"}
        assert plain.headers["content-type"] == "application/json"
        assert plain.headers["x-rate"] == "7" and plain.headers["x-tags"] == "a,b"
        for headers, params, status, body in [
            ({"Prefer": "example=dog"}, {}, 200, {"name": "Rex"}),
            ({}, {"__example": "dog"}, 200, {"name": "Rex"}),
            ({"Prefer": "code=404"}, {}, 404, {"title": "gone"}),
            ({}, {"__code": "404"}, 404, {"title": "gone"}),
            ({"Prefer": "code=404, example=never"}, {}, 404, {"title": "never there"}),
            ({"Prefer": "example=never; code=404"}, {}, 404, {"title": "never there"}),
            ({}, {"__code": "404", "__example": "never"}, 404, {"title": "never there"}),
            ({"Prefer": "code=201"}, {}, 201, None),
            ({}, {"__code": "500"}, 500, None),
            (
                {"Prefer": "code=4044"},
                {},
                200,
                {"name": "Tom", "note": "{{ not a template }} ${HOME}"},
            ),
        ]:
            answer = client.get(url, headers=headers, params=params)
            assert answer.status_code == status, (headers, params)
            if body is None:
                assert answer.content == b""
            else:
                assert answer.json() == body, (headers, params)
        gone = client.get(url, headers={"Prefer": "code=404"})
        assert gone.headers["content-type"] == "application/problem+json"
        stars = client.get("/api/v1/stars*/7.json")
        assert stars.status_code == 200 and "id" in stars.json()
        assert client.get("/api/v1/starsX/7.json").status_code == 404


def test_generated_bodies_are_deterministic() -> None:
    path = CORPUS / "prism/examples/petstore.oas3.yaml"
    first = openapi.convert(parse_file(path), path)
    again = openapi.convert(parse_file(path), path)
    assert first == again
    bodies = [e.get("response") for e in first["endpoints"] if e.get("response") is not None]
    assert bodies


def test_cli_writes_yaml_that_loads_back(tmp_path: Path) -> None:
    source = DATA / "selecting.yaml"
    out = tmp_path / "apidouble.yaml"
    assert main(["import", "openapi", str(source), "-o", str(out)]) == 0
    text = out.read_text()
    assert "&id" not in text and "*id" not in text  # no YAML aliases: readable
    document = yaml.safe_load(text)
    assert document["endpoints"][0]["name"] == "getPet [code=404 example=gone]"
    with MockServer(out) as mock, httpx.Client(base_url=mock.url) as client:
        answer = client.get("/api/v1/pets/3", headers={"Prefer": "example=dog"})
        assert answer.json() == {"name": "Rex"}
        plain = client.get("/api/v1/pets/3")
        assert plain.json()["note"] == "{{ not a template }} ${HOME}"


def test_cli_on_the_petstore_corpus_loads_back(tmp_path: Path) -> None:
    for name in ("prism/examples/petstore.oas2.yaml", "readme-oas-examples/3.1/train-travel.yaml"):
        out = tmp_path / "out.yaml"
        assert main(["import", "openapi", str(CORPUS / name), "-o", str(out)]) == 0
        spec = load_spec(CORPUS / name)
        with MockServer(out) as mock, httpx.Client(base_url=mock.url) as client:
            for operation in _served(spec.operations):
                answer = client.request(operation.method, _url(operation))
                assert answer.status_code == _default(operation)[0]


def test_problems_are_logged_and_good_operations_serve(
    caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    with MockServer(_imported(DATA / "broken.yaml", tmp_path)) as mock:
        assert httpx.get(mock.url + "/good").status_code == 200
        assert httpx.get(mock.url + "/dangling").status_code == 404
    messages = [r.getMessage() for r in caplog.records if r.name == "apidouble.importers.openapi"]
    assert any("/paths/~1bad-param/get/parameters/0" in m for m in messages)


def test_informational_statuses_are_never_answers() -> None:
    path = CORPUS / "readme-oas-examples/3.0/http-status-codes.yaml"
    document = openapi.convert(parse_file(path), path)
    assert document["endpoints"]
    assert all(endpoint["status"] >= 200 for endpoint in document["endpoints"])
