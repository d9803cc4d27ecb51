"""The spec server over real sockets: ``MockServer(spec)`` answering as Prism does."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from apidouble.errors import ConfigError
from apidouble.testing import MockServer
from tests.waiting import wait_for

PET = {
    "type": "object",
    "required": ["id", "name"],
    "properties": {
        "id": {"type": "integer", "format": "int64"},
        "name": {"type": "string"},
        "tag": {"type": "string", "format": "email"},
    },
}
SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "pets", "version": "1"},
    "servers": [{"url": "http://example.com/v1"}],
    "paths": {
        "/pets": {
            "get": {
                "parameters": [
                    {"name": "limit", "in": "query", "schema": {"type": "integer"}},
                ],
                "responses": {
                    "201": {"description": "not the lowest? it is the only 2xx but 200"},
                    "200": {
                        "description": "pets",
                        "headers": {"X-Rate": {"schema": {"type": "integer", "example": 7}}},
                        "content": {
                            "application/json": {
                                "schema": {"type": "array", "items": PET},
                                "examples": {
                                    "two": {
                                        "value": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]
                                    },
                                    "none": {"value": []},
                                },
                            },
                            "application/xml": {"example": "<pets/>"},
                        },
                    },
                    "404": {
                        "description": "gone",
                        "content": {"application/json": {"example": {"error": "gone"}}},
                    },
                },
            },
            "post": {
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": PET}},
                },
                "responses": {
                    "201": {
                        "description": "made",
                        "content": {"application/json": {"schema": PET}},
                    },
                    "422": {
                        "description": "bad",
                        "content": {"application/json": {"example": {"bad": True}}},
                    },
                },
            },
            "head": {
                "responses": {
                    "200": {
                        "description": "ok",
                        "headers": {"nonce": {"schema": {"type": "string", "example": "abc"}}},
                    }
                }
            },
        },
        "/pets/{id}": {
            "get": {
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
                ],
                "responses": {
                    "200": {
                        "description": "a pet",
                        "content": {
                            "application/json": {"example": {"id": 0, "name": "templated"}}
                        },
                    }
                },
            },
            "delete": {"responses": {"204": {"description": "deleted"}}},
        },
        "/pets/mine": {
            "get": {
                "responses": {
                    "200": {
                        "description": "mine",
                        "content": {"application/json": {"example": {"id": 9, "name": "literal"}}},
                    }
                }
            }
        },
        "/{kind}/mine/toys": {
            "get": {
                "parameters": [
                    {"name": "kind", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {"application/json": {"example": "kind"}},
                    }
                },
            }
        },
        "/pets/{id}/toys": {
            "get": {
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {"application/json": {"example": "pets"}},
                    }
                },
            }
        },
        "/locked": {
            "get": {
                "security": [{"token": []}],
                "responses": {
                    "200": {"description": "ok"},
                    "401": {
                        "description": "no",
                        "content": {"application/json": {"example": {"no": 1}}},
                    },
                },
            },
            "delete": {"security": [{"token": []}], "responses": {"204": {"description": "gone"}}},
        },
        "/secret": {
            "get": {
                "security": [{"key": []}],
                "responses": {
                    "200": {"description": "ok", "content": {"text/plain": {"example": "s"}}}
                },
            }
        },
    },
    "components": {
        "securitySchemes": {
            "key": {"type": "apiKey", "in": "header", "name": "X-Key"},
            "token": {"type": "http", "scheme": "bearer"},
        }
    },
}


def _write(path: Path, data: Any) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    return _write(tmp_path / "pets.yaml", SPEC)


@pytest.fixture
def mock(spec: Path) -> Iterator[MockServer]:
    with MockServer(spec, seed=3) as server:
        yield server


# --- selection -------------------------------------------------------------------------


def test_the_lowest_2xx_answers_with_its_first_example_and_headers(mock: MockServer) -> None:
    got = httpx.get(mock.url + "/pets")
    assert got.status_code == 200
    assert got.json() == [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]
    assert got.headers["content-type"] == "application/json"
    assert got.headers["x-rate"] == "7"


def test_the_kept_plain_answer_is_only_for_requests_asking_nothing(mock: MockServer) -> None:
    """The answer to a request with no Prefer, Accept or Origin is built once and kept:
    a request asking for something in particular must never get it."""
    first = httpx.get(mock.url + "/pets")
    again = httpx.get(mock.url + "/pets", headers={"Accept": "*/*"})
    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert httpx.get(mock.url + "/pets", headers={"Prefer": "code=404"}).status_code == 404
    assert httpx.get(mock.url + "/pets?__example=none").json() == []
    told = httpx.get(mock.url + "/pets", headers={"Origin": "http://a.test"})
    assert told.headers["access-control-allow-origin"] == "http://a.test"
    refused = httpx.get(mock.url + "/pets", headers={"Accept": "image/png"})
    assert refused.status_code == 406
    assert httpx.get(mock.url + "/pets").content == first.content


def test_prefer_and_query_fallbacks_choose_code_and_example(mock: MockServer) -> None:
    assert httpx.get(mock.url + "/pets", headers={"Prefer": "code=404"}).json() == {"error": "gone"}
    assert httpx.get(mock.url + "/pets?__code=404").status_code == 404
    assert httpx.get(mock.url + "/pets", headers={"Prefer": "example=none"}).json() == []
    assert httpx.get(mock.url + "/pets?__example=none").json() == []
    missing = httpx.get(mock.url + "/pets", headers={"Prefer": "code=500"})
    assert missing.status_code == 404
    assert missing.json()["detail"] == "Requested status code 500 is not defined in the document."
    nope = httpx.get(mock.url + "/pets", headers={"Prefer": "example=nope"})
    assert nope.status_code == 404
    assert "exampleKey: nope does not exist" in nope.json()["detail"]


def test_a_literal_path_beats_a_template_and_the_base_path_is_optional(mock: MockServer) -> None:
    assert httpx.get(mock.url + "/pets/mine").json()["name"] == "literal"
    assert httpx.get(mock.url + "/pets/5").json()["name"] == "templated"
    assert httpx.get(mock.url + "/v1/pets/mine").json()["name"] == "literal"
    # both templated: the first segment where they differ decides (Prism's order)
    assert httpx.get(mock.url + "/pets/mine/toys").json() == "pets"
    assert httpx.get(mock.url + "/cats/mine/toys").json() == "kind"


def test_an_empty_response_and_head(mock: MockServer) -> None:
    deleted = httpx.delete(mock.url + "/pets/5")
    assert (deleted.status_code, deleted.content) == (204, b"")
    head = httpx.head(mock.url + "/pets")
    assert (head.status_code, head.headers["nonce"], head.content) == (200, "abc", b"")


def test_an_operation_without_responses_is_prism_500(tmp_path: Path) -> None:
    bare = {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {"/n": {"get": {}}},
    }
    with MockServer(_write(tmp_path / "bare.yaml", bare)) as mock:
        got = httpx.get(mock.url + "/n")
        assert got.status_code == 500
        assert got.json()["type"].endswith("#NO_RESPONSE_RESPONSE_DEFINED")
    interim = {"100": {"description": "continue"}}
    bare["paths"] = {"/n": {"get": {"responses": interim}}}
    with MockServer(_write(tmp_path / "bare.yaml", bare)) as mock:  # a 1xx is never final
        assert httpx.get(mock.url + "/n", timeout=5).status_code == 500
        assert httpx.get(mock.url + "/n?__code=100", timeout=5).status_code == 404


def test_outside_the_spec_prism_404_and_405(mock: MockServer) -> None:
    gone = httpx.get(mock.url + "/nothing")
    assert gone.status_code == 404
    assert gone.json()["type"].endswith("#NO_PATH_MATCHED_ERROR")
    wrong = httpx.put(mock.url + "/pets")
    assert wrong.status_code == 405
    assert wrong.json()["type"].endswith("#NO_METHOD_MATCHED_ERROR")


# --- negotiation -----------------------------------------------------------------------


def test_accept_picks_by_quality_and_406_when_nothing_fits(mock: MockServer) -> None:
    xml = httpx.get(
        mock.url + "/pets", headers={"Accept": "application/json;q=0.5, application/xml"}
    )
    assert (xml.headers["content-type"], xml.text) == ("application/xml", "<pets/>")
    star = httpx.get(mock.url + "/pets", headers={"Accept": "*/*"})
    assert star.headers["content-type"] == "application/json"
    refused = httpx.get(mock.url + "/pets", headers={"Accept": "text/csv"})
    assert refused.status_code == 406
    assert refused.json()["detail"] == "Unable to find content for text/csv"


# --- validation and security -----------------------------------------------------------


def test_an_invalid_query_gets_prism_422(mock: MockServer) -> None:
    got = httpx.get(mock.url + "/pets?limit=many")
    assert got.status_code == 422
    assert got.headers["content-type"] == "application/problem+json"
    assert got.json()["validation"][0]["location"] == ["query", "limit"]
    assert "sl-violations" not in got.headers


def test_an_invalid_body_gets_the_spec_own_422_with_sl_violations(mock: MockServer) -> None:
    got = httpx.post(mock.url + "/pets", json={"id": "x"})
    assert got.status_code == 422
    assert got.json() == {"bad": True}
    listed = json.loads(got.headers["sl-violations"])
    assert {tuple(v["location"]) for v in listed} >= {("request", "body", "id")}
    made = httpx.post(mock.url + "/pets", json={"id": 1, "name": "n"})
    assert made.status_code == 201
    assert set(made.json()) == {"id", "name", "tag"}


def test_a_body_of_the_wrong_type_gets_415(mock: MockServer) -> None:
    got = httpx.post(mock.url + "/pets", content=b"a=1", headers={"Content-Type": "text/plain"})
    assert got.status_code == 422  # the spec's own 422 comes before Prism's 415
    assert json.loads(got.headers["sl-violations"])[0]["code"] == 415
    plain = httpx.request("DELETE", mock.url + "/pets/5", content=b"x")  # takes no body
    assert plain.status_code == 415
    assert plain.json()["type"].endswith("#INVALID_CONTENT_TYPE")


def test_security_401_with_www_authenticate(mock: MockServer) -> None:
    refused = httpx.get(mock.url + "/secret")
    assert refused.status_code == 401
    assert refused.json()["type"].endswith("#UNAUTHORIZED")
    assert "www-authenticate" not in refused.headers  # an API key has no challenge
    assert httpx.get(mock.url + "/secret", headers={"X-Key": "k"}).text == "s"
    bearer = httpx.get(mock.url + "/locked")
    assert bearer.status_code == 401
    assert "www-authenticate" not in bearer.headers  # Prism sends it on its own 401 only
    assert bearer.json() == {"no": 1}  # the spec's own 401, as Prism answers it
    assert json.loads(bearer.headers["sl-violations"])[0]["code"] == 401
    assert httpx.get(mock.url + "/locked", headers={"Authorization": "Bearer t"}).status_code == 200
    deleted = httpx.delete(mock.url + "/locked")
    assert (deleted.status_code, deleted.headers["www-authenticate"]) == (401, "Bearer")


def test_validation_off(tmp_path: Path, spec: Path) -> None:
    config = _write(
        tmp_path / "apidouble.yaml", {"openapi": [{"spec": "pets.yaml", "validate": False}]}
    )
    with MockServer(config) as mock:
        assert httpx.get(mock.url + "/pets?limit=many").status_code == 200
        assert httpx.get(mock.url + "/secret").status_code == 200


# --- CORS ------------------------------------------------------------------------------


def test_cors_on_every_answer_and_preflight(mock: MockServer) -> None:
    plain = httpx.get(mock.url + "/pets")
    assert plain.headers["access-control-allow-origin"] == "*"
    assert plain.headers["access-control-allow-credentials"] == "true"
    mine = httpx.get(mock.url + "/nothing", headers={"Origin": "http://a.test"})
    assert mine.headers["access-control-allow-origin"] == "http://a.test"
    asked = {
        "Origin": "http://a.test",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "x-foo",
    }
    pre = httpx.options(mock.url + "/pets", headers=asked)
    assert pre.status_code == 204
    assert pre.headers["access-control-allow-methods"] == "POST"
    assert pre.headers["access-control-allow-headers"] == "x-foo"


def test_cors_off(tmp_path: Path, spec: Path) -> None:
    config = _write(
        tmp_path / "apidouble.yaml", {"openapi": [{"spec": "pets.yaml", "cors": False}]}
    )
    with MockServer(config) as mock:
        assert "access-control-allow-origin" not in httpx.get(mock.url + "/pets").headers


def test_the_run_flags(spec: Path) -> None:
    with MockServer(spec, cors=False, openapi_dynamic=True, seed=1) as mock:
        got = httpx.get(mock.url + "/pets")
        assert "access-control-allow-origin" not in got.headers
        assert got.json() != [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]


# --- dynamic ---------------------------------------------------------------------------


def _bodies(config: Path, seed: int) -> list[Any]:
    with MockServer(config, seed=seed) as mock:
        return [httpx.get(mock.url + "/pets").json() for _ in range(3)]


def test_dynamic_answers_are_generated_and_repeat_under_a_seed(tmp_path: Path, spec: Path) -> None:
    config = _write(
        tmp_path / "apidouble.yaml", {"openapi": [{"spec": "pets.yaml", "dynamic": True}]}
    )
    first = _bodies(config, 5)
    assert first == _bodies(config, 5)
    assert first != _bodies(config, 6)
    assert all(isinstance(pet["id"], int) for body in first for pet in body)
    with MockServer(config, seed=5) as mock:
        static = httpx.get(mock.url + "/pets", headers={"Prefer": "dynamic=false"})
        assert static.json() == [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]


def test_prefer_dynamic_in_static_mode(mock: MockServer) -> None:
    got = httpx.get(mock.url + "/pets?__dynamic=true")
    assert got.json() != [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]


def test_errors_mode_checks_answers_against_their_schema(tmp_path: Path) -> None:
    bad = {
        "openapi": "3.0.0",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/p": {
                "get": {
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {
                                "application/json": {"schema": {"type": "object"}, "example": 1}
                            },
                        }
                    }
                }
            }
        },
    }
    _write(tmp_path / "bad.yaml", bad)
    config = _write(
        tmp_path / "apidouble.yaml", {"openapi": [{"spec": "bad.yaml", "errors": True}]}
    )
    with MockServer(config) as mock:
        got = httpx.get(mock.url + "/p")
        assert got.status_code == 500
        assert got.json()["validation"][0]["message"] == "Response body must be object"
    with MockServer(tmp_path / "bad.yaml") as mock:
        assert httpx.get(mock.url + "/p").json() == 1


# --- beside native stubs, loading, reloading --------------------------------------------


def test_a_native_stub_overrides_one_operation(tmp_path: Path, spec: Path) -> None:
    config = {
        "openapi": "pets.yaml",
        "endpoints": [{"path": "/pets/mine", "method": "GET", "response": {"mine": "native"}}],
    }
    with MockServer(_write(tmp_path / "apidouble.yaml", config)) as mock:
        assert httpx.get(mock.url + "/pets/mine").json() == {"mine": "native"}
        assert httpx.get(mock.url + "/pets/5").json()["name"] == "templated"
        unknown = httpx.get(mock.url + "/nothing")
        assert unknown.status_code == 404
        assert "near_misses" in unknown.json()  # the engine's report, beside stubs


def test_errors_mode_answers_prism_404_beside_stubs(tmp_path: Path, spec: Path) -> None:
    config = {
        "openapi": [{"spec": "pets.yaml", "errors": True}],
        "endpoints": [{"path": "/native", "response": "n"}],
    }
    with MockServer(_write(tmp_path / "apidouble.yaml", config)) as mock:
        assert httpx.get(mock.url + "/nothing").json()["type"].endswith("#NO_PATH_MATCHED_ERROR")


def test_a_file_that_is_not_a_spec_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("openapi: 9.0.0\npaths: {}\n")
    config = _write(tmp_path / "apidouble.yaml", {"openapi": "broken.yaml"})
    with pytest.raises(ConfigError, match="broken.yaml"):
        MockServer(config).start()
    missing = _write(tmp_path / "other.yaml", {"openapi": "absent.yaml"})
    with pytest.raises(ConfigError, match="absent.yaml"):
        MockServer(missing).start()


def test_the_server_is_reused_while_the_spec_is_unchanged(mock: MockServer) -> None:
    first = mock._runtime.composer.served
    assert first is not None and first.specs is not None
    mock.reload()
    again = mock._runtime.composer.served
    assert again is not None and again.specs is not None
    assert again.specs.servers[0] is first.specs.servers[0]


def test_hot_reload_follows_an_edit_of_a_referenced_file(tmp_path: Path) -> None:
    _write(tmp_path / "pet.yaml", {"type": "object", "example": {"v": 1}})
    spec = {
        "openapi": "3.0.0",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/p": {
                "get": {
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {"application/json": {"schema": {"$ref": "pet.yaml"}}},
                        }
                    }
                }
            }
        },
    }
    path = _write(tmp_path / "spec.yaml", spec)
    with MockServer(path, watch=True) as mock:
        assert httpx.get(mock.url + "/p").json() == {"v": 1}
        _write(tmp_path / "pet.yaml", {"type": "object", "example": {"v": 2}})
        assert wait_for(lambda: httpx.get(mock.url + "/p").json() == {"v": 2})


def test_a_folder_of_a_spec_its_fragments_and_stubs(tmp_path: Path) -> None:
    """The files a spec's $refs read are part of it, not configs of their own."""
    folder = tmp_path / "mock"
    folder.mkdir()
    _write(folder / "pet.yaml", {"type": "object", "example": {"from": "fragment"}})
    spec = {
        "openapi": "3.0.0",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/p": {
                "get": {
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {"application/json": {"schema": {"$ref": "pet.yaml"}}},
                        }
                    }
                }
            },
            "/q": {
                "get": {
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {"application/json": {"example": "spec"}},
                        }
                    }
                }
            },
        },
    }
    _write(folder / "spec.yaml", spec)
    _write(folder / "stubs.yaml", {"endpoints": [{"path": "/q", "response": {"v": "native"}}]})
    with MockServer(folder) as mock:
        assert httpx.get(mock.url + "/p").json() == {"from": "fragment"}
        assert httpx.get(mock.url + "/q").json() == {"v": "native"}
    _write(folder / "stubs.yaml", {"openapi": "spec.yaml", "endpoints": []})
    with MockServer(folder) as mock:  # the entry's spec, found in the folder too, serves once
        assert mock._runtime.composer.served is not None
        specs = mock._runtime.composer.served.specs
        assert specs is not None and len(specs.servers) == 1
        assert httpx.get(mock.url + "/q").json() == "spec"


def test_proxy_to_takes_what_the_spec_does_not_own(spec: Path) -> None:
    with MockServer(endpoints=[{"path": "/elsewhere", "response": {"from": "upstream"}}]) as up:
        with MockServer(spec, proxy_to=up.url) as mock:
            assert httpx.get(mock.url + "/elsewhere").json() == {"from": "upstream"}
            assert httpx.get(mock.url + "/pets/mine").json()["name"] == "literal"
