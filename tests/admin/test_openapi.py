"""The admin API's OpenAPI document against a real ``MockServer``, by schemathesis.

Every operation is called with generated inputs (a few each) behind an admin token; an
answer must not be a 5xx, and its status, content type and body must be ones the
document gives for that operation. The document itself must be valid OpenAPI 3.1, its
examples must fit its schemas, and every route in the table must be in it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from apidouble import MockServer
from apidouble.admin.openapi_route import OPENAPI_PATH, load_document

from .conftest import MAPPINGS, traffic

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
HUNT = os.environ.get("OPENAPI_EXAMPLES")
EXAMPLES = int(HUNT or "15")
"""Cases per operation (and two thirds as many invalid ones), the same each run; to hunt,
``OPENAPI_EXAMPLES=200`` draws that many, at random."""
DOC = Path(__file__).resolve().parents[2] / "docs" / "admin-api.md"
METHODS = ("get", "head", "post", "put", "patch", "delete", "options")


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


OPERATIONS = [
    pytest.param(method, path, id=f"{method.upper()} {path}")
    for path, method, _ in _operations(load_document())
]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[MockServer]:
    """A WireMock root behind an admin token, with some traffic in the journal; a fresh
    one per test, so a failure is the operation's own, not left by another's."""
    root = tmp_path
    (root / "mappings").mkdir()
    (root / "mappings" / "all.json").write_text(json.dumps({"mappings": MAPPINGS}))
    with MockServer(root / "mappings", admin_token=TOKEN) as mock:
        with httpx.Client(base_url=mock.url) as client:
            traffic(client)
        yield mock


@pytest.fixture
def api_schema(server: MockServer) -> schemathesis.BaseSchema:
    """The document as the server serves it, aimed at the server."""
    answer = httpx.get(server.url + OPENAPI_PATH, headers=AUTH)
    assert answer.status_code == 200, answer.text
    document = answer.json()
    loaded = schemathesis.openapi.from_dict(document)
    loaded.config.update(base_url=server.url)
    return loaded


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_every_operation_answers_as_documented(
    api_schema: schemathesis.BaseSchema, method: str, path: str
) -> None:
    """Valid inputs and invalid ones, a few each (the whole module stays near a minute)."""
    operation = api_schema[path][method.upper()]
    called: list[int] = []
    modes = [(GenerationMode.POSITIVE, EXAMPLES)]
    if operation.path_parameters or operation.query or operation.body:
        modes.append((GenerationMode.NEGATIVE, EXAMPLES * 2 // 3))
    for mode, examples in modes:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=examples,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
            derandomize=HUNT is None,
            database=None,
        )
        def run(case: schemathesis.Case[Any]) -> None:
            response = case.call_and_validate(headers=AUTH, checks=CHECKS)
            called.append(response.status_code)

        run()
    assert any(status != 401 for status in called), "no case got past the token"


# --- the document itself --------------------------------------------------------------


def _resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        found: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            found = found[part.replace("~1", "/").replace("~0", "~")]
        node = found
    return node


def test_the_document_is_valid_openapi_3_1() -> None:
    """openapi-spec-validator when it is installed; else the OpenAPI 3.1 meta-schema
    schemathesis ships, and each component schema against JSON Schema 2020-12."""
    document = load_document()
    try:
        from openapi_spec_validator import validate
    except ImportError:
        from schemathesis.specs.openapi.definitions import OPENAPI_31

        jsonschema.Draft202012Validator(OPENAPI_31).validate(document)
        for schema_ in document["components"]["schemas"].values():
            jsonschema.Draft202012Validator.check_schema(schema_)
    else:
        validate(document)
    ids = [operation["operationId"] for _p, _m, operation in _operations(document)]
    assert len(ids) == len(set(ids))


def test_every_example_fits_its_schema() -> None:
    document = load_document()
    registry_root = {**document, "$id": "urn:admin-openapi"}
    checked = 0
    for _path, _method, operation in _operations(document):
        media = [operation.get("requestBody", {}).get("content", {})]
        for answer in operation["responses"].values():
            media.append(_resolve(document, answer).get("content", {}))
        for content in media:
            for kind, entry in content.items():
                if "example" not in entry or kind != "application/json":
                    continue
                schema_doc = {**registry_root, **entry["schema"]}
                jsonschema.Draft202012Validator(schema_doc).validate(entry["example"])
                checked += 1
    assert checked > 60


def test_the_endpoint_schemas_are_the_config_schemas() -> None:
    """``config-*`` components are docs/schema.json's ``$defs``: they must not drift."""
    config = json.loads((DOC.parent / "schema.json").read_text("utf-8"))
    text = json.dumps(config["$defs"]).replace('"#/$defs/', '"#/components/schemas/config-')
    schemas = load_document()["components"]["schemas"]
    assert {f"config-{k}": v for k, v in json.loads(text).items()} == {
        k: v for k, v in schemas.items() if k.startswith("config-")
    }
    endpoint = dict(
        schemas["endpoint-input"], properties=dict(schemas["endpoint-input"]["properties"])
    )
    del endpoint["properties"]["persistent"]
    assert {**endpoint, "description": ""} == {**schemas["config-Endpoint"], "description": ""}


def test_every_route_in_the_table_is_documented(server: MockServer) -> None:
    document = load_document()
    documented = {(m.upper(), p) for p, m, _ in _operations(document)}
    routes = server._runtime.routes
    served = {key for key in (*routes._open, *routes._guarded)}
    served |= {
        (method, "/".join(template))
        for (method, _count), rows in routes._templates.items()
        for template, _route in rows
    }
    assert served - documented == set()
    assert documented - served == set()


def _open(path: str) -> bool:
    """The operations served without the token: health (for probes) and the web UI's
    page files (they hold no data; the page asks for the token). Its live stream, its
    hit counts and unknown file names stay guarded."""
    if path == "/__admin/health" or path in ("/__admin/ui", "/__admin/ui/"):
        return True
    return path.startswith("/__admin/ui/") and path not in (
        "/__admin/ui/{file}",
        "/__admin/ui/live",
        "/__admin/ui/hits",
    )


def test_every_guarded_operation_documents_the_token() -> None:
    document = load_document()
    for path, method, operation in _operations(document):
        if _open(path):
            assert operation["security"] == [], (method, path)
            continue
        assert "security" not in operation, (method, path)
        assert "401" in operation["responses"], (method, path)


def test_the_route_needs_the_token_and_serves_the_shipped_document(server: MockServer) -> None:
    refused = httpx.get(server.url + OPENAPI_PATH)
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"].startswith("Bearer")
    served = httpx.get(server.url + OPENAPI_PATH, headers={"X-Admin-Token": TOKEN})
    assert served.headers["content-type"] == "application/json"
    assert served.json() == load_document()


def test_health_without_the_token_is_its_status_alone(server: MockServer) -> None:
    answer = httpx.get(server.url + "/__admin/health")
    assert answer.status_code == 200
    assert answer.json() == {"status": "healthy"}
    document = load_document()
    health = document["components"]["schemas"]["health"]
    jsonschema.Draft202012Validator(health).validate(answer.json())


def test_the_document_ships_in_the_package() -> None:
    from importlib.resources import files

    shipped = files("apidouble.admin").joinpath("openapi.json")
    assert json.loads(shipped.read_text("utf-8"))["openapi"] == "3.1.0"


# --- what the fuzzing found, each as its smallest case ----------------------------------
# Each answered 500 (or a shape the document does not give) until its route was fixed;
# kept as regression cases, each answering as the document says.

_BIG = "18446744073709551616"  # 2**64: past sys.maxsize
_NEAR, _MAPPINGS, _SETTINGS = (
    "/__admin/near-misses/request",
    "/__admin/mappings",
    "/__admin/settings",
)
_COOKIE_JSON = {"cookies": {"k": {"equalToJson": "{"}}}
_COOKIE_DATE = {"cookies": {"k": {"equalToDateTime": "x"}}}
_CASES: list[tuple[str, str, str, Any, int]] = [
    ("logs-limit-past-maxsize", "GET", f"/__admin/logs?limit={_BIG}", None, 400),
    ("logs-limit-superscript", "GET", "/__admin/logs?limit=%C2%B2", None, 400),
    ("requests-limit-past-maxsize", "GET", f"/__admin/requests?limit={_BIG}", None, 400),
    ("mappings-limit-superscript", "GET", "/__admin/mappings?limit=%C2%B2", None, 400),
    ("near-miss-loggedDate-out-of-range", "POST", _NEAR, {"url": "/x", "loggedDate": 1e16}, 422),
    ("near-miss-bodyAsBase64-not-ascii", "POST", _NEAR, {"url": "/x", "bodyAsBase64": "é"}, 422),
    ("near-miss-absoluteUrl-bad-port", "POST", _NEAR, {"absoluteUrl": "http://h:99999/x"}, 200),
    ("near-miss-pattern-bad-date-time", "POST", _NEAR + "-pattern", _COOKIE_DATE, 422),
    ("mapping-unparsable-equalToJson", "POST", _MAPPINGS, {"request": _COOKIE_JSON}, 422),
    ("mapping-bad-date-time", "POST", _MAPPINGS, {"request": _COOKIE_DATE}, 422),
    ("mapping-null-echoed", "POST", _MAPPINGS, {"response": {"jsonBody": None}}, 201),
    ("import-unparsable-equalToJson", "POST", _MAPPINGS + "/import",
     {"mappings": [{"request": _COOKIE_JSON}]}, 422),
    ("settings-sigma-not-a-number", "PUT", _SETTINGS,
     {"delayDistribution": {"type": "lognormal", "median": 10, "sigma": [1]}}, 422),
    ("settings-sigma-boolean", "PUT", _SETTINGS,
     {"delayDistribution": {"type": "lognormal", "median": 10, "sigma": True}}, 422),
    ("settings-negative-uniform-delay", "PUT", _SETTINGS,
     {"delayDistribution": {"type": "uniform", "lower": -5, "upper": 5}}, 422),
    ("settings-proxyPassThrough-number", "PUT", _SETTINGS, {"proxyPassThrough": 5}, 200),
]  # fmt: skip
FOUND = [pytest.param(*case[1:], id=case[0]) for case in _CASES]


@pytest.mark.parametrize(("method", "target", "body", "status"), FOUND)
def test_cases_fuzzing_found_answer_as_documented(
    api_schema: schemathesis.BaseSchema,
    server: MockServer,
    method: str,
    target: str,
    body: Any,
    status: int,
) -> None:
    content = None if body is None else json.dumps(body).encode()
    answer = httpx.request(method, server.url + target, content=content, headers=AUTH)
    assert answer.status_code == status, answer.text
    path = target.split("?")[0]
    operation = api_schema[path][method]
    operation.validate_response(answer)


# --- docs/admin-api.md: every example runs, in order, against the real command ----------

_STATUS = re.compile(r"^(.*?) ?(\d{3})\s*$", re.S)
ANY = "…"
"""A shown value that changes from run to run."""


def _examples() -> tuple[str, list[tuple[str, str]]]:
    """The doc's ``api`` function, and each ``$ command`` with the answer shown after it."""
    prelude, steps = "", []
    for block in re.findall(r"```sh\n(.*?)```", DOC.read_text("utf-8"), re.S):
        for chunk in re.split(r"^\$ ", block, flags=re.M)[1:]:
            command, _, shown = chunk.partition("\n")
            if command.startswith("api() {"):
                prelude = command
            elif not command.startswith("apidouble run"):
                steps.append((command, shown))
    return prelude, steps


def _fits(shown: Any, got: Any) -> bool:
    """``got`` has everything ``shown`` has (objects may have more keys; ``…``: any)."""
    if shown == ANY:
        return True
    if isinstance(shown, dict):
        return isinstance(got, dict) and all(
            k in got and _fits(v, got[k]) for k, v in shown.items()
        )
    if isinstance(shown, list):
        return isinstance(got, list) and len(shown) == len(got) and all(map(_fits, shown, got))
    return bool(shown == got)


def test_the_admin_api_doc_examples_answer_as_shown(tmp_path: Path) -> None:
    config = re.search(r"```yaml\n(.*?)```", DOC.read_text("utf-8"), re.S)
    assert config is not None
    (tmp_path / "mock.yaml").write_text(config.group(1))
    prelude, steps = _examples()
    assert prelude and len(steps) > 40
    command = [sys.executable, "-m", "apidouble", "run", "mock.yaml", "--port", "0"]
    command += ["--admin-token", "s3cret", "--no-watch"]
    with subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, text=True) as server:
        try:
            assert server.stdout is not None
            where = server.stdout.readline().strip().rsplit("//", 1)[1]
            for step, shown in steps:
                run = step.replace("localhost:8080", where)
                got = subprocess.run(
                    ["bash", "-c", f"{prelude}\n{run}"],
                    cwd=tmp_path,
                    capture_output=True,
                    text=True,
                    timeout=30,
                ).stdout.replace(where, "localhost:8080")
                _check(step, shown, got)
            assert server.wait(timeout=30) == 0  # the last example shuts it down
        finally:
            server.kill()


def _check(step: str, shown: str, got: str) -> None:
    want, have = _STATUS.match(shown), _STATUS.match(got)
    if want is None or have is None:  # not an api call: the text as shown
        assert got.strip() == shown.strip(), step
        return
    assert have.group(2) == want.group(2), f"{step}\n{got}"
    if want.group(1).strip():
        assert _fits(json.loads(want.group(1)), json.loads(have.group(1))), f"{step}\n{got}"
    else:
        assert not have.group(1).strip(), f"{step}\n{got}"


def test_every_guarded_operation_refuses_without_the_token_as_documented(
    api_schema: schemathesis.BaseSchema, server: MockServer
) -> None:
    document = load_document()
    examples = {p["name"]: p["example"] for p in document["components"]["parameters"].values()}
    for path, method, _ in _operations(document):
        if _open(path):
            assert httpx.request(method.upper(), server.url + path).status_code != 401, path
            continue
        target = re.sub(r"\{(\w+)\}", lambda m: str(examples[m.group(1)]), path)
        answer = httpx.request(method.upper(), server.url + target)
        assert answer.status_code == 401, (method, path)
        api_schema[path][method.upper()].validate_response(answer)
