"""``apidouble import mockoon``: the YAML it writes loads and serves what the environment
serves."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from apidouble.cli import main
from apidouble.config.load import load_config
from apidouble.importers.mockoon import import_environment
from apidouble.testing import MockServer
from tests.compat.mockoon.answers import shape
from tests.importers.test_mockoon_corpus import CORPUS
from tests.importers.test_mockoon_serving import environment, response, route, rule, write

DEMO = CORPUS / "demo-environment.commons-9.9.0.json"

REQUESTS: list[tuple[str, str, dict[str, Any]]] = [
    ("POST", "/content/xyz", {}),
    ("POST", "/content/abc", {}),
    ("PUT", "/path/with/patterns/anything", {}),
    ("GET", "/protected/path", {}),
    ("GET", "/protected/path", {"headers": {"Authorization": "t"}}),
    ("OPTIONS", "/users", {}),
    ("GET", "/template", {}),
    ("GET", "/nowhere", {}),
]
RANDOM = {"/template"}
"""Served with unseeded faker values: compared by the shape of their JSON."""


def _answers(path: Path, requests: list[tuple[str, str, dict[str, Any]]]) -> list[Any]:
    found = []
    with MockServer(path) as mock, httpx.Client(base_url=mock.url) as client:
        for method, url, kwargs in requests:
            answer = client.request(method, url, **kwargs)
            headers = {
                k: v for k, v in answer.headers.items() if k not in ("date", "content-length")
            }
            body: Any = answer.text if answer.status_code not in (404, 405) else ""
            if url in RANDOM:
                body = shape(answer.json())
            found.append((answer.status_code, headers, body))
    return found


@pytest.mark.skipif(not DEMO.is_file(), reason="the Mockoon corpus is not here")
def test_the_imported_demo_serves_as_the_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "apidouble.yaml"
    assert main(["import", "mockoon", str(DEMO), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "left out:" not in err and "data buckets" not in err
    assert (tmp_path / "apidouble.buckets.json").is_file()  # the buckets, beside the config
    config = load_config(out)
    assert not config.skipped
    assert [s.id for s in config.stubs] == [s.id for s in load_config(DEMO).stubs]
    assert _answers(out, REQUESTS) == _answers(DEMO, REQUESTS)


def test_an_import_with_rules_and_files_serves_the_same(tmp_path: Path) -> None:
    folder = tmp_path / "env"
    (folder / "bodies").mkdir(parents=True)
    (folder / "bodies" / "a.json").write_text('{"q": "{{queryParam \'q\'}}"}', encoding="utf-8")
    env = environment(
        route("f", response(bodyType="FILE", filePath="bodies/a.json", sendFileAsBody=True)),
        route(
            "r",
            response("default", default=True),
            response(
                "both", rules=[rule("query", "a", "1"), rule("body", "x", "2")], rulesOperator="AND"
            ),
            response("either", rules=[rule("header", "X-A", "1"), rule("method", "", "put")]),
            method="all",
        ),
        route("s", response("1"), response("2"), responseMode="SEQUENTIAL"),
        cors=True,
        latency=5,
        headers=[{"key": "X-Env", "value": "{{method}}"}],
    )
    source = write(folder, env)
    out = tmp_path / "apidouble.yaml"  # above the environment's folder: paths stay inside
    assert main(["import", "mockoon", str(source), "-o", str(out)]) == 0
    written = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert written["endpoints"][0]["response_file"] == "env/bodies/a.json"
    requests: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", "/f?q=z", {}),
        ("POST", "/r?a=1", {"json": {"x": 2}}),
        ("POST", "/r?a=1", {"json": {"x": 3}}),
        ("PUT", "/r", {}),
        ("GET", "/r", {"headers": {"X-A": "1"}}),
        ("GET", "/r", {}),
        ("GET", "/s", {}),
        ("GET", "/s", {}),
        ("GET", "/s", {}),
        ("OPTIONS", "/x", {}),
    ]
    assert _answers(out, requests) == _answers(source, requests)


def test_a_file_the_output_folder_cannot_reach_is_left_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "env"
    folder.mkdir()
    (folder / "a.txt").write_text("a", encoding="utf-8")
    source = write(
        folder, environment(route("f", response(bodyType="FILE", filePath="a.txt")), route("ok"))
    )
    (tmp_path / "elsewhere").mkdir()
    out = tmp_path / "elsewhere" / "out.yaml"
    assert main(["import", "mockoon", str(source), "-o", str(out)]) == 0
    assert "write the config in the environment's folder" in capsys.readouterr().err
    assert [e["path"] for e in yaml.safe_load(out.read_text(encoding="utf-8"))["endpoints"]] == [
        "/ok"
    ]


def test_import_to_stdout_and_refusals(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = write(tmp_path, environment(route("x", response("hi"))))
    assert main(["import", "mockoon", str(source)]) == 0
    assert yaml.safe_load(capsys.readouterr().out)["endpoints"][0]["response"] == "hi"
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"endpoints": []}), encoding="utf-8")
    assert main(["import", "mockoon", str(other)]) == 1
    assert "is not a Mockoon environment" in capsys.readouterr().err
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    assert main(["import", "mockoon", str(broken)]) == 1
    assert main(["import", "mockoon", str(tmp_path / "none.json")]) == 1


BUCKETED = {
    "uuid": "env-b",
    "data": [{"id": "b1", "name": "users", "value": '[{"name": "Ada"}]'}],
}
BUCKET_ROUTES = {
    "add": "{{setData 'push' 'users' '' (object name=(queryParam 'name'))}}ok",
    "users": "{{#each (dataRaw 'users')}}{{name}};{{/each}}",
}


def _bucketed(folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    routes = [route(name, response(body)) for name, body in BUCKET_ROUTES.items()]
    return write(folder, environment(*routes, **BUCKETED))


def test_an_import_written_elsewhere_reads_the_buckets_from_a_copy(tmp_path: Path) -> None:
    source = _bucketed(tmp_path / "env")
    out = tmp_path / "elsewhere" / "api.yaml"
    out.parent.mkdir()
    data = json.loads(source.read_text(encoding="utf-8"))
    document, problems = import_environment(data, source, out.parent, out)
    assert problems == []
    assert document["data"] == {"mockoon:env-b": "api.buckets.json"}
    copy = json.loads((out.parent / "api.buckets.json").read_text(encoding="utf-8"))
    assert copy == BUCKETED["data"]
    out.write_text(yaml.safe_dump(document), encoding="utf-8")
    requests: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", "/users", {}),
        ("GET", "/add?name=Eve", {}),
        ("GET", "/users", {}),
    ]
    assert _answers(out, requests) == _answers(source, requests)
    assert _answers(out, requests)[2][2] == "Ada;Eve;"


def test_an_import_that_names_the_environment_writes_no_copy(tmp_path: Path) -> None:
    source = _bucketed(tmp_path)
    out = tmp_path / "api.yaml"
    data = json.loads(source.read_text(encoding="utf-8"))
    document, problems = import_environment(data, source, tmp_path, out)
    assert problems == [] and document["data"] == {"mockoon:env-b": source.name}
    assert not (tmp_path / "api.buckets.json").exists()
    elsewhere = tmp_path / "other"
    elsewhere.mkdir()
    document, problems = import_environment(data, source, elsewhere)  # no output: no copy
    assert "data" not in document and "data buckets" in str(problems[0])
    assert list(elsewhere.iterdir()) == []
