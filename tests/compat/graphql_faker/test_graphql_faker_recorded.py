"""apidouble against graphql-faker's recorded answers (``answers.json``, by ``record.py``):
the same validity and shape for every query, in every run, with or without node."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from apidouble.testing import MockServer

from .record import ANSWERS, summary
from .test_graphql_faker_live import INVALID, SDL, VALID

RECORDED = json.loads(ANSWERS.read_text())


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder: Path = tmp_path_factory.mktemp("faker-recorded")
    (folder / "schema.graphql").write_text(SDL)
    (folder / "api.yaml").write_text("graphql:\n  - path: /graphql\n    schema: schema.graphql\n")
    with MockServer(folder / "api.yaml") as mock:
        yield mock.url + "/graphql"


@pytest.mark.parametrize("name", sorted({**VALID, **INVALID}))
def test_agrees_with_the_recording(url: str, name: str) -> None:
    query = {**VALID, **INVALID}[name]
    ours = summary(httpx.post(url, json={"query": query}, timeout=10).json())
    theirs = RECORDED[name]
    assert ours["valid"] == theirs["valid"]
    assert ours["shape"] == theirs["shape"]
    for typename in ours["typed"].keys() & theirs["typed"].keys():
        assert ours["typed"][typename] == theirs["typed"][typename], typename
