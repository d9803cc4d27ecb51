"""GitHub's published schema (``@octokit/graphql-schema``): loads leniently and serves.

``scripts/peers/github-schema.sh`` (run by ``make test``) fetches it from the npm registry
into the cache; ``APIDOUBLE_GITHUB_SCHEMA`` points at another copy. Skipped without it.
"""

from __future__ import annotations

import itertools
import os
import time
from pathlib import Path

import pytest

from apidouble.graphql import GraphQLService, LoadedSchema, load_schema

from .helpers import check_shape, post
from .querygen import root_queries

_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
SCHEMA_FILE = Path(
    os.environ.get(
        "APIDOUBLE_GITHUB_SCHEMA",
        _CACHE / "apidouble-peers" / "github-schema" / "schema-15.26.1.graphql",
    )
)
pytestmark = pytest.mark.skipif(not SCHEMA_FILE.is_file(), reason=f"no {SCHEMA_FILE}")


@pytest.fixture(scope="module")
def github() -> tuple[LoadedSchema, float]:
    started = time.perf_counter()
    loaded = load_schema([SCHEMA_FILE])
    return loaded, time.perf_counter() - started


def test_loads_in_time_with_each_problem_located(github: tuple[LoadedSchema, float]) -> None:
    loaded, seconds = github
    assert seconds < 5
    assert loaded.problems, "GitHub's SDL is known not to pass strict checks"
    for problem in loaded.problems:
        assert problem.file == str(SCHEMA_FILE) and problem.line > 0 and problem.type_name
    assert any("only be defined once" in p.message for p in loaded.problems)
    assert any("deprecated" in p.message for p in loaded.problems)
    assert len(loaded.schema.type_map) > 1000


def test_generated_queries_get_valid_answers(github: tuple[LoadedSchema, float]) -> None:
    schema = github[0].schema
    service = GraphQLService(schema, seed=1)
    generated = list(itertools.islice(root_queries(schema), 200))
    assert len(generated) == 200
    for _kind, query in generated:
        answer = service.answer(post({"query": query}))
        assert answer.status == 200, (query, answer.body[:300])
        result = answer.json()
        assert "errors" not in result, (query, result["errors"][:2])
        check_shape(schema, query, result["data"])
