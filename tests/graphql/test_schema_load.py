"""Schema loading: SDL files, introspection results, and lenient repairs with problems."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from apidouble.graphql import load_schema
from graphql import get_introspection_query, graphql_sync, print_schema

from .helpers import SCHEMA, SDL


def test_sdl_file_loads_without_problems(tmp_path: Path) -> None:
    path = tmp_path / "schema.graphql"
    path.write_text(SDL)
    loaded = load_schema([path])
    assert loaded.problems == []
    assert print_schema(loaded.schema) == print_schema(SCHEMA)


def test_several_files_merge_and_extensions_apply(tmp_path: Path) -> None:
    (tmp_path / "a.graphql").write_text("type Query { a: Int }\n")
    (tmp_path / "b.graphql").write_text("type B { b: String }\nextend type Query { b: B }\n")
    loaded = load_schema([tmp_path / "a.graphql", tmp_path / "b.graphql"])
    assert set(loaded.schema.query_type.fields) == {"a", "b"}  # type: ignore[union-attr]


@pytest.mark.parametrize("wrapped", [True, False])
def test_introspection_json_loads(tmp_path: Path, wrapped: bool) -> None:
    result = graphql_sync(SCHEMA, get_introspection_query(descriptions=True))
    document = {"data": result.data} if wrapped else result.data
    path = tmp_path / "schema.json"
    path.write_text(json.dumps(document))
    loaded = load_schema([path])
    assert print_schema(loaded.schema) == print_schema(SCHEMA)


LENIENT = """type Query {
  user: User
}

interface Node { id: ID! }

type User implements Node {
  id: ID! @deprecated(reason: "use key")
  name: String
  name: String
  friend: Missing
}
"""


def test_duplicates_bad_deprecations_and_unknown_types_become_problems(tmp_path: Path) -> None:
    (tmp_path / "ok.graphql").write_text("scalar Extra\n")
    path = tmp_path / "broken.graphql"
    path.write_text(LENIENT)
    loaded = load_schema([tmp_path / "ok.graphql", path])
    problems = sorted(loaded.problems, key=lambda p: p.line)
    assert [(p.file, p.line, p.type_name) for p in problems] == [
        (str(path), 8, "User"),
        (str(path), 10, "User"),
        (str(path), 11, "User"),
    ]
    assert "deprecated" in problems[0].message
    assert "only be defined once" in problems[1].message
    assert "Unknown type" in problems[2].message
    user = loaded.schema.get_type("User")
    assert list(user.fields) == ["id", "name"]  # type: ignore[union-attr]
    assert user.fields["id"].deprecation_reason is None  # type: ignore[union-attr]


def test_duplicate_field_and_bad_deprecation_give_two_problems(tmp_path: Path) -> None:
    path = tmp_path / "schema.graphql"
    path.write_text(LENIENT.replace("  friend: Missing\n", ""))
    problems = load_schema([path]).problems
    assert len(problems) == 2
    assert all(p.file == str(path) and p.type_name == "User" for p in problems)
    assert str(problems[0]).startswith(f"{path}:")


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.graphql"
    path.write_text("type Query {\n  a: Int\n  b: \n")
    with pytest.raises(ValueError, match=r"bad\.graphql:4: GraphQL syntax error"):
        load_schema([path])


def test_nothing_servable_raises(tmp_path: Path) -> None:
    path = tmp_path / "empty.graphql"
    path.write_text("type User { id: ID }\n")  # no Query type at all
    with pytest.raises(ValueError, match="empty.graphql"):
        load_schema([path])


def test_not_an_introspection_result(tmp_path: Path) -> None:
    path = tmp_path / "schema.json"
    path.write_text('{"data": {}}')
    with pytest.raises(ValueError, match="no __schema"):
        load_schema([path])
