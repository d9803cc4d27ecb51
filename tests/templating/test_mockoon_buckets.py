"""Mockoon data buckets served over HTTP: ``data``/``dataRaw`` read the environment's
buckets, ``setData`` in one request is seen by the next, each server keeps its own, and
bucket templates render once (answers checked against ``mockoon-cli`` 9.9.0)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from apidouble.importers.mockoon import convert_environment
from apidouble.testing import MockServer

from .test_mockoon_state import BUCKETS, environment

TEMPLATED = [
    {
        "id": "g1",
        "name": "gen",
        "value": '{"n": {{add 1 2}}, "list": [{{#repeat 2}}"x{{@index}}"{{/repeat}}]}',
    },
    {"id": "g2", "name": "reader", "value": "{{data 'num'}}"},
    {"id": "g4", "name": "req", "value": '{"q": "{{queryParam \'q\'}}"}'},
]
"""Bucket templates (one reads an earlier bucket, one the request)."""
ROUTES = {
    "made": "[{{data 'gen'}}][{{data 'reader'}}][{{dataRaw 'gen' 'n'}}][{{data 'gen' 'list.1'}}]",
    "req": "[{{data 'req'}}]",
    "users": "{{data 'users'}}",
    "first": "{{data 'Users' '0.name'}}|{{#each (dataRaw 'users')}}{{name}};{{/each}}",
    "add": "{{setData 'push' 'users' '' (object name=(queryParam 'name'))}}added",
    "count": "{{setData 'inc' 'num'}}{{data 'num'}}",
}


@pytest.fixture
def env_file(tmp_path: Path) -> Path:
    env = environment(ROUTES)
    env["data"] = BUCKETS + TEMPLATED
    path = tmp_path / "env.json"
    path.write_text(json.dumps(env), encoding="utf-8")
    return path


@pytest.fixture
def server(env_file: Path) -> Iterator[MockServer]:
    with MockServer(env_file) as running:
        yield running


def get(server: MockServer, path: str) -> str:
    answer = httpx.get(f"{server.url}/{path}", timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.text


def test_buckets_reach_the_templates(server: MockServer) -> None:
    assert get(server, "users") == '[{"name":"Ada"},{"name":"Bob"}]'
    assert get(server, "first") == "Ada|Ada;Bob;"


def test_set_data_in_one_request_is_seen_by_the_next(server: MockServer) -> None:
    assert get(server, "add?name=Eve") == "added"
    assert get(server, "users") == '[{"name":"Ada"},{"name":"Bob"},{"name":"Eve"}]'
    assert [get(server, "count") for _ in range(2)] == ["42", "43"]


def test_bucket_templates_render_once(server: MockServer) -> None:
    assert get(server, "made") == '[{"n":3,"list":["x0","x1"]}][41][3][x1]'
    assert get(server, "made") == '[{"n":3,"list":["x0","x1"]}][41][3][x1]'


def test_a_bucket_made_from_the_request_takes_the_first_that_reads_it(
    server: MockServer,
) -> None:
    assert get(server, "users") == '[{"name":"Ada"},{"name":"Bob"}]'  # not read there
    assert get(server, "req?q=hey") == '[{"q":"hey"}]'
    assert get(server, "req?q=other") == '[{"q":"hey"}]'


def test_each_server_starts_from_the_environment(server: MockServer, env_file: Path) -> None:
    assert get(server, "count") == "42"
    with MockServer(env_file) as other:
        assert get(other, "count") == "42"


def test_bucket_responses_are_not_left_out(env_file: Path) -> None:
    conversion = convert_environment(json.loads(env_file.read_text()), env_file)
    assert [str(p) for p in conversion.problems] == []
    assert conversion.document["data"] == {"mockoon:env": "env.json"}


def test_two_environments_served_together_share_their_buckets(
    env_file: Path, tmp_path: Path
) -> None:
    other = environment({"extra": "{{data 'extra'}}|{{data 'num'}}"})
    other["uuid"] = "env-2"
    other["data"] = [{"id": "zz", "name": "extra", "value": "[1]"}]
    folder = tmp_path / "second"
    folder.mkdir()
    (folder / "env.json").write_text(json.dumps(other), encoding="utf-8")
    with MockServer(env_file, folder / "env.json") as both:
        assert get(both, "extra") == "[1]|41"


def test_a_config_written_elsewhere_says_the_buckets_are_not_found(
    env_file: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "out"
    elsewhere.mkdir()
    data = json.loads(env_file.read_text())
    conversion = convert_environment(data, env_file, base=elsewhere)
    assert "data" not in conversion.document
    assert any("data buckets" in str(p) for p in conversion.problems)
