"""Stable stub ids: explicit, from the name, or from the content; never from the position."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from apidouble.config.load import load_config, load_data
from apidouble.errors import ConfigError, ConfigProblem

ENDPOINTS = [
    "  - path: /a\n    response: {a: 1}\n",
    "  - path: /b\n    method: POST\n",
    "  - path: /c\n    status: 204\n",
]


def ids_of(path: Path, *endpoints: str) -> list[str]:
    path.write_text("endpoints:\n" + "".join(endpoints), encoding="utf-8")
    return [stub.id for stub in load_config(path, environ={}).stubs]


def problems_of(data: object) -> list[ConfigProblem]:
    with pytest.raises(ConfigError) as caught:
        load_data(data)
    return caught.value.problems


def test_editing_one_endpoint_keeps_the_other_ids(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    a, b, c = ids_of(path, *ENDPOINTS)
    edited = ids_of(path, ENDPOINTS[0], "  - path: /b\n    method: PUT\n", ENDPOINTS[2])
    assert edited[0] == a and edited[2] == c
    assert edited[1] != b


def test_reordering_and_inserting_keep_the_ids(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    a, b, c = ids_of(path, *ENDPOINTS)
    assert ids_of(path, ENDPOINTS[2], ENDPOINTS[0], ENDPOINTS[1]) == [c, a, b]
    inserted = ids_of(path, "  - path: /new\n", *ENDPOINTS)
    assert inserted[1:] == [a, b, c] and inserted[0] not in (a, b, c)


def test_key_order_and_formatting_do_not_change_a_content_id(tmp_path: Path) -> None:
    (first,) = ids_of(tmp_path / "c.yaml", "  - {path: /a, status: 201, response: {x: 1, y: 2}}\n")
    again = "  - status: 201\n    response:\n      y: 2\n      x: 1\n    path: /a\n"
    assert ids_of(tmp_path / "c.yaml", again) == [first]


def test_identical_endpoints_get_distinct_stable_ids(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    twins = ids_of(path, ENDPOINTS[0], ENDPOINTS[0])
    assert len(set(twins)) == 2
    assert ids_of(path, ENDPOINTS[0], ENDPOINTS[0]) == twins


def test_the_same_endpoint_in_two_files_gets_two_ids(tmp_path: Path) -> None:
    (one,) = ids_of(tmp_path / "one.yaml", ENDPOINTS[0])
    (two,) = ids_of(tmp_path / "two.yaml", ENDPOINTS[0])
    assert one != two


def test_content_ids_hash_the_file_as_written_not_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("endpoints:\n  - path: /a\n    headers: {X-Key: '${KEY}'}\n")
    first = load_config(path, environ={"KEY": "one"}).stubs[0]
    second = load_config(path, environ={"KEY": "two"}).stubs[0]
    assert first.responses != second.responses and first.id == second.id


def test_a_name_makes_the_id_wherever_the_endpoint_is(tmp_path: Path) -> None:
    (here,) = ids_of(tmp_path / "one.yaml", "  - name: get-a\n    path: /a\n")
    moved = ids_of(tmp_path / "two.yaml", "  - path: /z\n", "  - name: get-a\n    path: /a2\n")
    assert moved[1] == here
    assert uuid.UUID(here).version == 5


def test_an_explicit_id_is_used_as_given() -> None:
    data = {"endpoints": [{"id": "get-a.v1", "name": "a", "path": "/a"}]}
    assert load_data(data).stubs[0].id == "get-a.v1"


def test_an_explicit_id_must_be_url_safe() -> None:
    (problem,) = problems_of({"endpoints": [{"id": "a b/c", "path": "/a"}]})
    assert problem.pointer == "/endpoints/0/id" and "should match pattern" in problem.message


def test_a_repeated_name_names_both_places(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("endpoints:\n  - path: /x\n  - name: users\n    path: /a\n")
    (tmp_path / "b.yaml").write_text("endpoints:\n  - name: users\n    path: /b\n")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path, environ={})
    (problem,) = caught.value.problems
    assert (Path(problem.file).name, problem.line, problem.pointer) == (
        "b.yaml",
        2,
        "/endpoints/0/name",
    )
    assert f"{tmp_path / 'a.yaml'}:3 (/endpoints/1/name)" in problem.message
    assert "rename one, or give it an id" in problem.message


def test_a_repeated_name_is_fine_when_ids_are_explicit() -> None:
    data = {
        "endpoints": [
            {"name": "users", "path": "/a"},
            {"name": "users", "id": "users-post", "method": "POST", "path": "/a"},
        ]
    }
    stubs = load_data(data).stubs
    assert stubs[1].id == "users-post" and stubs[0].id != stubs[1].id


def test_a_repeated_id_names_both_places() -> None:
    data = {"endpoints": [{"id": "x", "path": "/a"}, {"id": "x", "path": "/b"}]}
    (problem,) = problems_of(data)
    assert problem.pointer == "/endpoints/1/id"
    assert "'x' is also the id of the endpoint at <memory> (/endpoints/0/id)" in problem.message


def test_in_memory_ids_are_stable_and_respect_existing_stubs() -> None:
    data = {"endpoints": [{"path": "/a"}, {"name": "b", "path": "/b"}]}
    first = load_data(data).stubs
    assert [s.id for s in load_data(data).stubs] == [s.id for s in first]
    added = load_data({"endpoints": [{"path": "/a"}]}, existing=first).stubs
    assert added[0].id != first[0].id  # an identical endpoint: the next free id
    with pytest.raises(ConfigError, match="name 'b' is also the name of the endpoint"):
        load_data({"endpoints": [{"name": "b", "path": "/c"}]}, existing=first)
    with pytest.raises(ConfigError, match="is also the id of the endpoint"):
        load_data({"endpoints": [{"id": first[0].id, "path": "/c"}]}, existing=first)
