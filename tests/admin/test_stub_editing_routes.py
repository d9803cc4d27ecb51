"""The native endpoint routes the UI edits through, over real sockets: a file stub's whole
document, YAML bodies and answers, disable/enable (persisted like runtime stubs), the
exact hit counts, ``POST /__admin/import`` and the CRUD resources' list."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from apidouble import MockServer

CONFIG = """\
endpoints:
  - id: edit-me
    method: GET
    path: /edit
    status: 201
    headers: {x-from: file}
    response: {message: hi}
  - id: hello
    path: /hello
    status: 201
    response: {message: hi}
  - id: hello-fallback
    path: /hello
    response: fallback
"""
YAML = {"content-type": "application/yaml"}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "apidouble.yaml").write_text(CONFIG)
    return tmp_path


@pytest.fixture
def client(root: Path) -> Iterator[httpx.Client]:
    with MockServer(root) as mock, httpx.Client(base_url=mock.url, timeout=5) as client:
        yield client


def test_a_file_stub_answers_its_whole_document(client: httpx.Client) -> None:
    found = client.get("/__admin/endpoints/edit-me").json()
    assert found["from_file"] is True and found["runtime"] is False
    document = found["endpoint"]
    assert document["id"] == "edit-me" and document["path"] == "/edit"
    assert document["method"] == "GET" and document["status"] == 201
    assert document["headers"] == {"x-from": "file"}
    assert document["response"] == {"message": "hi"}
    document["response"] = {"message": "edited"}
    saved = client.put("/__admin/endpoints/edit-me", json=document)
    assert saved.status_code == 200 and saved.json()["runtime"] is True
    assert "from_file" not in saved.json()
    answer = client.get("/edit")
    assert (answer.status_code, answer.json()) == (201, {"message": "edited"})
    assert answer.headers["x-from"] == "file"


def test_yaml_in_and_out_behaves_as_json(client: httpx.Client, root: Path) -> None:
    text = "id: made\npath: /made\nstatus: 202\nresponse:\n  made: in yaml\n"
    created = client.post("/__admin/endpoints?format=yaml", content=text, headers=YAML)
    assert created.status_code == 201
    assert created.headers["content-type"].startswith("application/yaml")
    assert yaml.safe_load(created.text)["endpoint"]["response"] == {"made": "in yaml"}
    assert client.get("/made").json() == {"made": "in yaml"}
    back = client.get("/__admin/endpoints/made", headers={"accept": "application/yaml"})
    document = yaml.safe_load(back.text)["endpoint"]
    assert document == {
        "id": "made",
        "path": "/made",
        "status": 202,
        "response": {"made": "in yaml"},
    }
    replaced = client.put(
        "/__admin/endpoints/made", content=text.replace("in yaml", "again"), headers=YAML
    )
    assert (
        replaced.status_code == 200 and replaced.json()["endpoint"]["response"]["made"] == "again"
    )
    assert client.get("/made").json() == {"made": "again"}
    listed = yaml.safe_load(client.get("/__admin/endpoints?format=yaml").text)
    assert "made" in [each["id"] for each in listed["endpoints"]]


def test_a_yaml_problem_keeps_its_pointer_and_gets_its_line(client: httpx.Client) -> None:
    text = "id: bad\npath: /bad\nstatus: teapot\n"
    refused = client.post("/__admin/endpoints", content=text, headers=YAML)
    assert refused.status_code == 422
    problem = refused.json()["problems"][0]
    assert problem["pointer"] == "/endpoints/0/status" and problem["line"] == 3
    broken = client.post("/__admin/endpoints", content="id: [unclosed\n", headers=YAML)
    assert broken.status_code == 400
    assert "YAML" in broken.json()["error"] and broken.json()["line"] >= 1
    assert client.get("/__admin/endpoints/bad").status_code == 404


def test_a_disabled_stub_is_listed_not_served_then_served_again(client: httpx.Client) -> None:
    disabled = client.post("/__admin/endpoints/hello/disable")
    assert disabled.status_code == 200 and disabled.json()["disabled"] is True
    assert client.get("/hello").text == "fallback"  # the next candidate answers
    listed = {each["id"]: each for each in client.get("/__admin/endpoints").json()["endpoints"]}
    assert listed["hello"]["disabled"] is True and "disabled" not in listed["hello-fallback"]
    client.post("/__admin/endpoints/hello-fallback/disable")
    assert client.get("/hello").status_code == 404
    assert client.get("/__admin/endpoints/hello").json()["endpoint"]["status"] == 201
    enabled = client.post("/__admin/endpoints/hello/enable")
    assert enabled.status_code == 200 and "disabled" not in enabled.json()
    assert client.get("/hello").json() == {"message": "hi"}
    assert client.post("/__admin/endpoints/nothing/disable").status_code == 404
    client.post("/__admin/reset")  # a file stub's disabled state lasts until a reset
    assert client.get("/__admin/endpoints/hello-fallback").json().get("disabled") is None


def test_a_disabled_runtime_stub_stays_disabled_across_a_restart(root: Path) -> None:
    with MockServer(root) as mock, httpx.Client(base_url=mock.url, timeout=5) as client:
        body = {"id": "kept", "path": "/kept", "response": "kept"}
        assert client.post("/__admin/endpoints", json=body).status_code == 201
        assert client.post("/__admin/endpoints/kept/disable").status_code == 200
        assert client.get("/kept").status_code == 404
    saved = json.loads((root / ".apidouble" / "endpoints" / "kept.json").read_text())
    assert saved["disabled"] is True
    with MockServer(root) as mock, httpx.Client(base_url=mock.url, timeout=5) as client:
        assert client.get("/kept").status_code == 404
        assert client.get("/__admin/endpoints/kept").json()["disabled"] is True
        assert client.post("/__admin/endpoints/kept/enable").status_code == 200
        assert client.get("/kept").text == "kept"
    assert "disabled" not in json.loads(
        (root / ".apidouble" / "endpoints" / "kept.json").read_text()
    )


def test_a_disabled_wiremock_mapping_stays_disabled_through_put_save_and_restart(
    root: Path,
) -> None:
    mapping_id = "8c5db8b0-2db4-4ad7-a99e-5a9a3a2ad6f1"
    mapping = {
        "id": mapping_id,
        "request": {"method": "GET", "urlPath": "/wm-off"},
        "response": {"status": 200, "body": "on"},
        "persistent": False,
    }
    with MockServer(root) as mock, httpx.Client(base_url=mock.url, timeout=5) as client:
        assert client.post("/__admin/mappings", json=mapping).status_code == 201
        assert client.post(f"/__admin/endpoints/{mapping_id}/disable").status_code == 200
        assert client.post("/__admin/mappings/save").status_code == 200  # keeps the flag
        assert client.get("/wm-off").status_code == 404
        edited = {**mapping, "response": {"status": 200, "body": "edited"}, "persistent": True}
        assert client.put(f"/__admin/mappings/{mapping_id}", json=edited).status_code == 200
        assert client.get("/wm-off").status_code == 404  # a PUT edits, it does not enable
    with MockServer(root) as mock, httpx.Client(base_url=mock.url, timeout=5) as client:
        assert client.get("/wm-off").status_code == 404
        assert client.get(f"/__admin/endpoints/{mapping_id}").json()["disabled"] is True
        assert client.post(f"/__admin/endpoints/{mapping_id}/enable").status_code == 200
        assert client.get("/wm-off").text == "edited"


def test_the_hits_route_counts_exactly_per_stub(client: httpx.Client) -> None:
    for _ in range(3):
        client.get("/hello")
    client.get("/nowhere")
    assert client.get("/__admin/ui/hits").json() == {"hits": {"hello": 3}}


WIREMOCK = {
    "mappings": [
        {
            "request": {"method": "GET", "urlPath": "/wm"},
            "response": {"status": 200, "jsonBody": {"from": "wiremock"}},
        }
    ]
}
HAR: dict[str, Any] = {
    "log": {
        "version": "1.2",
        "creator": {"name": "test", "version": "1"},
        "entries": [
            {
                "request": {"method": "GET", "url": "http://example.test/har?x=1", "headers": []},
                "response": {
                    "status": 200,
                    "statusText": "OK",
                    "headers": [{"name": "content-type", "value": "application/json"}],
                    "content": {"mimeType": "application/json", "text": '{"from": "har"}'},
                },
            }
        ],
    }
}
OPENAPI = """\
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /pets:
    get:
      responses:
        "200":
          description: ok
          content:
            application/json:
              example: [{name: rex}]
"""


def test_import_a_wiremock_file_a_har_and_a_yaml_spec(client: httpx.Client) -> None:
    made = client.post("/__admin/import", json=WIREMOCK)
    assert made.status_code == 201 and made.json()["imported"] == 1
    assert client.get("/wm").json() == {"from": "wiremock"}
    assert made.json()["ids"][0] in client.get("/__admin/mappings").text
    har = client.post("/__admin/import?format=har", json=HAR)
    assert har.status_code == 201, har.text
    assert client.get("/har?x=1").json() == {"from": "har"}
    listed = {each["id"]: each for each in client.get("/__admin/endpoints").json()["endpoints"]}
    assert all(listed[each]["runtime"] for each in har.json()["ids"])
    spec = client.post("/__admin/import", content=OPENAPI, headers=YAML)
    assert spec.status_code == 201, spec.text
    assert client.get("/pets").json() == [{"name": "rex"}]


def test_an_import_nothing_claims_or_a_bad_format_is_refused(client: httpx.Client) -> None:
    assert client.post("/__admin/import", json={"what": 1}).status_code == 422
    assert client.post("/__admin/import?format=wiremock", json=HAR).status_code == 422
    assert client.post("/__admin/import?format=nope", json=HAR).status_code == 400
    bad = {"mappings": [{"request": {"method": 3}, "response": {}}]}
    refused = client.post("/__admin/import", json=bad)
    assert refused.status_code == 422 and refused.json()["problems"][0]["pointer"]
    assert client.post("/__admin/import", content=b"{not: [json").status_code == 400


def test_a_dry_run_checks_and_shows_what_it_would_serve_and_serves_nothing(
    client: httpx.Client,
) -> None:
    before = client.get("/__admin/endpoints").json()["endpoints"]
    spec = client.post("/__admin/import?dry_run=true", content=OPENAPI, headers=YAML)
    assert spec.status_code == 200, spec.text
    found = spec.json()
    assert found["dry_run"] is True and found["would_import"] == 1 == len(found["ids"])
    assert found["stubs"][0]["path"] == "/pets"
    wiremock = client.post("/__admin/import?dry_run=1", json=WIREMOCK).json()
    assert wiremock["format"] == "wiremock" and wiremock["would_import"] == 1
    assert client.get("/__admin/endpoints").json()["endpoints"] == before
    assert client.get("/pets").status_code == 404 and client.get("/wm").status_code == 404
    bad = {"mappings": [*WIREMOCK["mappings"], {"request": {"method": 3}, "response": {}}]}
    refused = client.post("/__admin/import?dry_run=true", json=bad)
    assert refused.status_code == 422
    assert refused.json()["problems"][0]["pointer"].startswith("/mappings/1")


def test_a_mockoon_environment_is_refused_with_the_way_to_serve_it(client: httpx.Client) -> None:
    environment = {"uuid": "e", "lastMigration": 32, "name": "demo", "endpointPrefix": "",
                   "port": 3000, "routes": [], "rootChildren": []}  # fmt: skip
    refused = client.post("/__admin/import", json=environment)
    assert refused.status_code == 422
    assert "apidouble run ENV.json" in refused.json()["error"]


def test_the_resources_route_lists_names_paths_and_row_counts(tmp_path: Path) -> None:
    (tmp_path / "apidouble.yaml").write_text(
        "resources:\n  users:\n    data: [{id: 1}, {id: 2}]\n  profile:\n    data: {name: Ada}\n"
    )
    with MockServer(tmp_path) as mock, httpx.Client(base_url=mock.url, timeout=5) as client:
        assert client.post("/users", json={"name": "Cy"}).status_code == 201
        assert client.get("/__admin/resources").json() == {
            "resources": [
                {"name": "users", "path": "/users", "rows": 3},
                {"name": "profile", "path": "/profile", "rows": None},
            ]
        }


def test_without_resources_the_list_is_empty(client: httpx.Client) -> None:
    assert client.get("/__admin/resources").json() == {"resources": []}
