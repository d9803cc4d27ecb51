"""Fuzzing the importers: WireMock mappings, Mockoon environments, HAR logs, Postman
collections and OpenAPI documents, drawn from small grammars of each format
(``importer_documents.py``), written as a file and loaded as ``apidouble run`` and
``validate`` load it.

Property: each document converts (and its stubs answer a request without raising), or
is refused with a ``ConfigError`` whose every problem names the file; never another
exception, and never more than a few seconds. Every crash found becomes a plain
regression test with its input below.
"""

from __future__ import annotations

import json
import re
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from apidouble import MockServer
from apidouble.engine import Engine
from apidouble.errors import ConfigError
from apidouble.model import Request
from apidouble.watch import build

from .budget import budget
from .importer_documents import FORMATS
from .known import tolerated

pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")

LOAD_BOUND_S = 5.0
"""Generous for the shared machine: these documents are small."""
ASKED = ("/", "/a", "/a/b", "/users/1")
CRASHED = re.compile(r"cannot convert [^:]*: (?!ValueError: )\w+: ")
"""An importer behind the plugin interface (HAR, Postman, ...) that raised anything but
its clear ``ValueError``: the loader reports it, but it is a crash of the importer."""


def load_or_refuse(document: dict[str, Any], suffix: str = ".json") -> Engine | None:
    """The engine serving ``document`` from a file; None when it is refused as it should
    be (a ConfigError whose problems name the file)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"imported{suffix}"
        path.write_text(json.dumps(document), encoding="utf-8", errors="surrogatepass")
        started = time.monotonic()
        try:
            config = build([path])
        except ConfigError as error:
            assert error.problems, "a ConfigError with no problems"
            for problem in error.problems:
                assert problem.file == str(path) and problem.message, problem
                assert not CRASHED.search(problem.message), problem
            return None
        finally:
            assert time.monotonic() - started < LOAD_BOUND_S
        for problem in config.skipped:  # a stub left out: the rest serve
            assert problem.file == str(path) and problem.message, problem
        return Engine(config)


def check(document: dict[str, Any]) -> None:
    with tolerated():
        engine = load_or_refuse(document)
        event("refused" if engine is None else f"{min(len(engine.config.stubs), 3)}+ stubs")
        if engine is not None:
            for path in ASKED:
                engine.handle(Request("GET", path, "", (("Accept", "*/*"),), b""))


@budget(100)
@given(document=FORMATS["wiremock"])
def test_wiremock_mappings(document: dict[str, Any]) -> None:
    check(document)


@budget(100)
@given(document=FORMATS["mockoon"])
def test_mockoon_environments(document: dict[str, Any]) -> None:
    check(document)


@budget(100)
@given(document=FORMATS["har"])
def test_har_logs(document: dict[str, Any]) -> None:
    check(document)


@budget(100)
@given(document=FORMATS["postman"])
def test_postman_collections(document: dict[str, Any]) -> None:
    check(document)


@budget(100)
@given(document=FORMATS["openapi"])
def test_openapi_documents(document: dict[str, Any]) -> None:
    check(document)


@budget(50)
@given(name=st.sampled_from(sorted(FORMATS)), data=st.data())
def test_any_format_as_yaml(name: str, data: st.DataObject) -> None:
    """JSON is YAML: the same documents from a ``.yaml`` file take the YAML reader."""
    document = data.draw(FORMATS[name])
    with tolerated():
        load_or_refuse(document, ".yaml")


# --- findings: crashes with their inputs, kept as regression tests ------------------------


@pytest.mark.parametrize("responses", [7, True], ids=["number", "boolean"])
def test_mockoon_route_whose_responses_is_not_a_list(responses: object) -> None:
    """Found: ``TypeError: 'int' object is not iterable`` escaped the loader; now it is
    the route's problem ("a route with no response")."""
    environment = {
        "uuid": "u", "lastMigration": 32, "endpointPrefix": "", "port": 3000,
        "routes": [{"uuid": "r", "method": "get", "endpoint": "a", "responses": responses}],
    }  # fmt: skip
    load_or_refuse(environment)


@pytest.mark.parametrize("fault", [["EMPTY_RESPONSE"], {}], ids=["list", "object"])
def test_wiremock_fault_that_is_not_a_name(fault: object) -> None:
    """Found: ``TypeError: unhashable type`` escaped the loader; now it is the mapping's
    problem ("fault must be one of ..."), as a fault name WireMock does not know is."""
    load_or_refuse({"request": {"url": "/a"}, "response": {"fault": fault}})


def test_wiremock_fault_with_an_unknown_name_is_a_problem() -> None:
    """The neighbour handled well: the stub is left out, with its reason."""
    engine = load_or_refuse({"request": {"url": "/a"}, "response": {"fault": "NOPE"}})
    assert engine is not None and not engine.config.stubs


# --- the grammars reach the importers -------------------------------------------------

WELL_FORMED = {
    "wiremock": {
        "request": {"method": "GET", "url": "/a"},
        "response": {"status": 200, "body": "w"},
    },
    "mockoon": {
        "uuid": "u",
        "lastMigration": 32,
        "endpointPrefix": "",
        "port": 3000,
        "routes": [
            {
                "uuid": "r",
                "method": "get",
                "endpoint": "a",
                "responses": [{"uuid": "s", "statusCode": 200, "body": "m"}],
            }
        ],
    },
    "har": {
        "log": {
            "version": "1.2",
            "creator": {"name": "t", "version": "1"},
            "entries": [
                {
                    "request": {"method": "GET", "url": "http://api.test/a", "headers": []},
                    "response": {
                        "status": 200,
                        "headers": [],
                        "content": {"mimeType": "text/plain", "text": "h"},
                    },
                }
            ],
        }
    },
    "postman": {
        "info": {
            "name": "c",
            "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json",
        },
        "item": [
            {
                "name": "a",
                "request": {"method": "GET", "url": "http://api.test/a"},
                "response": [
                    {
                        "name": "ok",
                        "code": 200,
                        "body": "p",
                        "originalRequest": {"method": "GET", "url": "http://api.test/a"},
                    }
                ],
            }
        ],
    },
    "openapi": {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/a": {
                "get": {
                    "responses": {
                        "200": {"description": "ok", "content": {"text/plain": {"example": "o"}}}
                    }
                }
            }
        },
    },
}


@pytest.mark.parametrize("name", sorted(WELL_FORMED))
def test_a_well_formed_document_of_each_format_is_served(name: str, tmp_path: Path) -> None:
    """The shapes the grammars follow are the formats' own: a small document of each is
    imported and answers ``GET /a`` with its body over a real socket (so the property
    exercises the importers, not the native loader's refusals)."""
    path = tmp_path / "imported.json"
    path.write_text(json.dumps(WELL_FORMED[name]), encoding="utf-8")
    with MockServer(path) as server:
        import httpx

        answer = httpx.get(server.url + "/a")
    assert (answer.status_code, answer.text) == (200, name[0]), answer.text


@pytest.mark.parametrize("method", ["Ÿ", "GET X", "€UR"])
def test_wiremock_method_that_is_not_a_token(method: str) -> None:
    """Found by a 10-minute run: a mapping whose method is text no request line can carry
    (``"Ÿ"``) made the express lane's table raise ``UnicodeEncodeError`` when the engine
    was built; now such a stub is left to the engine, which no request reaches it by."""
    engine = load_or_refuse({"request": {"method": method, "urlPath": "/a"}, "response": {}})
    assert engine is not None
    assert engine.handle(Request("GET", "/a", "", (), b"")).response.status == 404


def _environment(route: dict[str, Any], **extra: Any) -> dict[str, Any]:
    routes = [{"uuid": "r", "method": "get", "endpoint": "a", **route}]
    return {
        "uuid": "u",
        "lastMigration": 32,
        "endpointPrefix": "",
        "port": 3000,
        "routes": routes,
        **extra,
    }


BUCKET = {"id": "b1", "uuid": "b", "name": "users", "value": "[]"}


@pytest.mark.parametrize(
    "environment",
    [
        pytest.param(_environment({"type": "crud", "responses": True}, data=[BUCKET]), id="crud"),
        pytest.param(_environment({"type": "ws", "responses": 7}), id="websocket"),
        pytest.param(
            _environment({"responseMode": "SEQUENTIAL", "responses": [{"rules": True}]}),
            id="rules",
        ),
        pytest.param(
            _environment({"responses": [{"default": True, "callbacks": 7}]}), id="callbacks"
        ),
        pytest.param({**_environment({"responses": []}), "callbacks": True}, id="env-callbacks"),
        pytest.param({**_environment({"responses": []}), "folders": 7}, id="folders"),
    ],
)
def test_mockoon_lists_that_are_not_lists(environment: dict[str, Any]) -> None:
    """Found by a 10-minute run: a CRUD route whose ``responses`` is ``true`` raised
    ``TypeError: 'bool' object is not iterable`` from ``crud.py`` (19's neighbour in the
    HTTP routes). Every list the importer reads (routes, folders, responses, rules,
    callbacks) is now read through ``responses.objects``, so the same holds for each."""
    load_or_refuse(environment)


@pytest.mark.parametrize("bucket", [["b1"], {"id": "b1"}], ids=["list", "object"])
def test_mockoon_bucket_id_that_is_not_text(bucket: object) -> None:
    """Found by a 10-minute run: a ``DATABUCKET`` response whose ``databucketID`` is a
    list raised ``TypeError: unhashable type`` looking it up; now it names no bucket,
    and Mockoon's inline body is served, as for an unknown id."""
    response = {"uuid": "x", "statusCode": 200, "body": "inline", "bodyType": "DATABUCKET",
                "databucketID": bucket, "default": True}  # fmt: skip
    engine = load_or_refuse(_environment({"responses": [response]}, data=[BUCKET]))
    assert engine is not None
    assert engine.handle(Request("GET", "/a", "", (), b"")).response.body == b"inline"


@pytest.mark.parametrize("bucket", [["b1"], {"id": "b1"}, 7], ids=["list", "object", "number"])
def test_mockoon_bucket_id_that_is_not_text_elsewhere(bucket: object) -> None:
    """Found by the third 10-minute run, after the fix above: a WebSocket route's
    response with such an id raised the same ``TypeError``; a CRUD route's and a
    callback's read the id their own ways. All of them read it through one helper."""
    response = {"uuid": "x", "body": "inline", "bodyType": "DATABUCKET",
                "databucketID": bucket, "default": True}  # fmt: skip
    callback = {"uuid": "c", "name": "c", "uri": "http://127.0.0.1:9/", "method": "post",
                "bodyType": "DATABUCKET", "databucketID": bucket}  # fmt: skip
    for environment in (
        _environment({"type": "ws", "responses": [response]}, data=[BUCKET]),
        _environment({"type": "crud", "responses": [response]}, data=[BUCKET]),
        _environment(
            {"responses": [{**response, "callbacks": [{"uuid": "c", "latency": 0}]}]},
            data=[BUCKET],
            callbacks=[callback],
        ),
    ):
        load_or_refuse(environment)
