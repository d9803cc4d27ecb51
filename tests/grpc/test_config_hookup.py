"""A ``grpc:`` section in an ordinary config file: read by the config loader with the
rest of the file, its problems located like any other, and one section per config."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from apidouble import ConfigError
from apidouble.config.load import load_config
from tests.grpc.support import write_config

STUB = {"method": "shop.Catalog/GetItem", "response": {"id": 1, "name": "Ada"}}


def test_the_loader_compiles_the_section_beside_the_endpoints(tmp_path: Path) -> None:
    config = write_config(tmp_path, [STUB])
    document = json.loads(config.read_text())
    document["endpoints"] = [{"path": "/hello", "response": "hi"}]
    config.write_text(json.dumps(document))
    loaded = load_config(config)
    assert loaded.grpc is not None
    assert [stub.label for stub in loaded.stubs] == ["GET /hello"]


def test_a_file_of_grpc_alone_needs_no_endpoints(tmp_path: Path) -> None:
    config = write_config(tmp_path, [STUB])
    document = json.loads(config.read_text())
    del document["endpoints"]
    config.write_text(json.dumps(document))
    assert load_config(config).grpc is not None


def test_a_bad_stub_is_a_located_problem(tmp_path: Path) -> None:
    config = write_config(tmp_path, [{**STUB, "response": {"no_such_field": 1}}])
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    (problem,) = caught.value.problems
    assert problem.file == str(config)
    assert problem.line is not None and problem.pointer.startswith("/grpc/stubs/0")
    assert "no_such_field" in problem.message


def test_two_files_may_not_both_have_one(tmp_path: Path) -> None:
    first = write_config(tmp_path / "a", [STUB])
    second = write_config(tmp_path / "b", [STUB])
    with pytest.raises(ConfigError, match="a second grpc section"):
        load_config(first, second)


@pytest.mark.parametrize("name", ["pro\x00tos", "p" * 10_000])
def test_a_proto_path_no_file_can_have_is_a_located_problem(tmp_path: Path, name: str) -> None:
    """Found by the config fuzzer (tests/fuzz): a NUL or an overlong name escaped as
    ValueError or OSError."""
    config = write_config(tmp_path, [STUB])
    document = json.loads(config.read_text())
    document["grpc"]["protos"] = [name]
    config.write_text(json.dumps(document))
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    assert caught.value.problems[0].pointer == "/grpc/protos/0"
