"""``resources:`` in a native config: rows from a file, inline or generated, each with its
own id field, served the json-server way behind the endpoints."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from apidouble import MockServer
from apidouble.config.load import load_config
from apidouble.errors import ConfigError

CONFIG = """
seed: 7
resources:
  users: {data: users.json, id: uid}
  tags:
    data: [{id: 1, name: red}, {id: 2, name: blue}]
  people:
    count: 25
    template:
      name: "{{ faker.name() }}"
      email: "{{ faker.email() }}"
      rank: "{{ index * 10 }}"
endpoints:
  - path: /people/2
    response: {from: stub}
"""
USERS = [{"uid": "a1", "name": "Ada"}, {"uid": "b2", "name": "Bob"}]


def write(folder: Path, text: str = CONFIG) -> Path:
    (folder / "users.json").write_text(json.dumps(USERS))
    path = folder / "apidouble.yaml"
    path.write_text(text)
    return path


def test_resources_serve_files_inline_rows_and_generated_rows(tmp_path: Path) -> None:
    with MockServer(write(tmp_path)) as mock:
        bob = httpx.get(mock.url + "/users/b2")
        made = httpx.post(mock.url + "/users", json={"name": "Cy"})
        tags = httpx.get(mock.url + "/tags", params={"name_like": "^b"})
        page = httpx.get(mock.url + "/people", params={"_page": 2, "_limit": 10})
        ranked = httpx.get(mock.url + "/people", params={"rank_gte": 240})
        stubbed = httpx.get(mock.url + "/people/2")
        three = httpx.get(mock.url + "/people/3")
        patched = httpx.patch(mock.url + "/tags/1", json={"name": "crimson"})
        httpx.post(mock.url + "/__admin/resources/reset")
        after_reset = httpx.get(mock.url + "/tags/1")
    assert bob.json() == USERS[1]
    assert made.status_code == 201 and made.json()["name"] == "Cy"
    assert made.headers["location"].endswith("/users/" + made.json()["uid"])
    assert tags.json() == [{"id": 2, "name": "blue"}]
    assert page.headers["x-total-count"] == "25" and [p["id"] for p in page.json()] == list(
        range(11, 21)
    )
    assert [p["rank"] for p in ranked.json()] == [240, 250]  # typed: numbers, not text
    assert stubbed.json() == {"from": "stub"}  # the endpoint wins
    assert three.json()["id"] == 3 and "@" in three.json()["email"]
    assert patched.json() == {"id": 1, "name": "crimson"}
    assert after_reset.json() == {"id": 1, "name": "red"}


def test_generated_rows_are_the_same_on_every_load(tmp_path: Path) -> None:
    first = load_config(write(tmp_path)).resources
    second = load_config(write(tmp_path)).resources
    assert first is not None and second is not None
    assert first["people"] == second["people"]
    assert len({p["name"] for p in first["people"]}) > 20  # each row its own fake data
    reseeded = load_config(write(tmp_path, CONFIG.replace("seed: 7", "seed: 8"))).resources
    assert reseeded is not None and reseeded["people"] != first["people"]


def test_a_file_of_resources_alone_is_a_native_config(tmp_path: Path) -> None:
    path = tmp_path / "crud.yaml"
    path.write_text("resources:\n  notes:\n    data: [{id: 1, text: hi}]\n")
    with MockServer(path) as mock:
        assert httpx.get(mock.url + "/notes/1").json() == {"id": 1, "text": "hi"}


@pytest.mark.parametrize(
    ("resources", "message", "line"),
    [
        ("  users: {id: uid}\n", "give data (a file or the rows) or count with template", 2),
        ("  users: {data: ../outside.json}\n", "outside", 2),
        ("  users: {count: 2, template: {n: '{{ nope }}'}}\n", "unknown template name", 2),
        ("  db: {data: []}\n", "cannot be a resource name", 2),
    ],
)
def test_resource_errors_name_the_file_line_and_key(
    tmp_path: Path, resources: str, message: str, line: int
) -> None:
    (tmp_path / "outside.json").write_text("[]")
    folder = tmp_path / "config"
    folder.mkdir()
    path = folder / "apidouble.yaml"
    path.write_text("resources:\n" + resources + "endpoints: []\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    problem = caught.value.problems[0]
    assert message in problem.message
    assert problem.file.endswith("apidouble.yaml") and problem.line == line
    assert problem.pointer.startswith("/resources/")


def test_a_resource_defined_twice_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("resources: {notes: {data: []}}\nendpoints: []\n")
    (tmp_path / "b.yaml").write_text("resources: {notes: {data: []}}\nendpoints: []\n")
    with pytest.raises(ConfigError, match="resource 'notes' is also defined in"):
        load_config(tmp_path)
