"""The config loader on the schema files a config names: GraphQL SDL (a ``graphql:``
entry's ``schema``) and ``.proto`` files (the ``grpc:`` section's ``protos``, compiled in
this process by grpcio-tools' protoc), drawn from small grammars of each and mutated
(``schema_grammars.py``), loaded with ``watch.build`` as ``apidouble validate`` does.

Properties: the config loads, or a ``ConfigError`` is raised whose every problem names
the config file and a line, and names the schema file it is about; never another
exception, within a time bound. A schema that loads answers ``{__typename}`` and the
introspection query with a 200 over a real socket. A proto that loads never brings in a
file from outside the config's folder (the well-known protos aside). Every crash found
becomes a plain regression test with its input below.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import event, given

from apidouble import MockServer
from apidouble.config.load import load_config
from apidouble.errors import ConfigError
from apidouble.watch import build
from graphql import get_introspection_query

from .bounded import START_MARGIN_S, run_bounded
from .budget import budget
from .known import tolerated
from .schema_grammars import OUTSIDE, Source, proto_sources, sdl_sources

pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")
"""Examples hold 100,000-character names on purpose; Hypothesis warns when it prints them."""

LOAD_BOUND_S = 10.0
"""Generous for the shared machine: the widest input (10,000 fields) loads in about 1 s."""
ANSWER_BOUND_S = 10.0
TYPENAME = {"query": "{ __typename }"}
INTROSPECTION = {"query": get_introspection_query(descriptions=True)}


@contextmanager
def bounded(what: str) -> Iterator[None]:
    started = time.monotonic()
    yield
    took = time.monotonic() - started
    assert took < LOAD_BOUND_S, f"{what} took {took:.1f} s"


def check_refusal(error: ConfigError, config: Path, named: tuple[str, ...]) -> None:
    """Every problem names the config file and a line in it, and one of ``named``."""
    assert error.problems, "a ConfigError with no problems"
    for problem in error.problems:
        assert problem.file == str(config), problem
        assert problem.line is not None, problem
        assert problem.message, problem
        assert any(name in problem.message for name in named), problem


# --- GraphQL SDL --------------------------------------------------------------------------

GRAPHQL_CONFIG = "graphql:\n  - path: /graphql\n    schema: schema.graphql\n"


def check_sdl(data: bytes) -> str:
    """Check the property for one schema file; what happened, for the statistics."""
    with tempfile.TemporaryDirectory() as folder:
        schema = Path(folder) / "schema.graphql"
        schema.write_bytes(data)
        config = Path(folder) / "apidouble.yaml"
        config.write_text(GRAPHQL_CONFIG, encoding="utf-8")
        with tolerated():
            try:
                with bounded("loading"):
                    build([config])
            except ConfigError as error:
                check_refusal(error, config, (str(schema),))
                return "refused"
            with MockServer(config) as server:
                for query in (TYPENAME, INTROSPECTION):
                    answer = httpx.post(server.url + "/graphql", json=query, timeout=ANSWER_BOUND_S)
                    assert answer.status_code == 200, (query, answer.status_code, answer.text)
            return "loaded"
        return "known gap"


@budget(60)
@given(source=sdl_sources())
def test_any_sdl_loads_and_answers_or_says_where(source: Source) -> None:
    data, how = source
    event(f"mutation: {how}")
    event(check_sdl(data))


# --- .proto -------------------------------------------------------------------------------

OUTSIDE_PROTO = 'syntax = "proto3";\npackage outside;\nmessage Outside { string secret = 1; }\n'
OTHER_PROTO = 'syntax = "proto3";\npackage p;\nmessage Item { string name = 1; }\n'


def grpc_config(entry: str, import_paths: tuple[str, ...] = ()) -> str:
    section = {"port": 0, "protos": [entry], "stubs": [], "import_paths": list(import_paths)}
    return json.dumps({"grpc": section})


def reaches(pool: Any, outside: Path) -> bool:
    """Whether the compiled protos hold ``outside.proto`` or what it defines, under any
    name protoc could have given it."""
    names = ("outside.proto", str(outside), "../outside.proto", "../../outside.proto")
    return _found(pool.FindMessageTypeByName, "outside.Outside") or any(
        _found(pool.FindFileByName, name) for name in names
    )


def _found(find: Callable[[str], object], name: str) -> bool:
    try:
        find(name)
    except KeyError:
        return False
    return True


def check_proto(
    data: bytes, entry: str, other: bytes | None, import_paths: tuple[str, ...] = ()
) -> str:
    """``data`` as ``protos/main.proto`` (``other`` beside it), in a config folder whose
    parent holds ``outside.proto``: loading either fails, naming the file, or never
    reaches ``outside.proto``."""
    with tempfile.TemporaryDirectory() as root:
        outside = Path(root) / "outside.proto"
        outside.write_text(OUTSIDE_PROTO, encoding="utf-8")
        protos = Path(root) / "cfg" / "protos"
        protos.mkdir(parents=True)
        (protos / "main.proto").write_bytes(data.replace(OUTSIDE.encode(), str(outside).encode()))
        if other is not None:
            (protos / "other.proto").write_bytes(other)
        config = Path(root) / "cfg" / "apidouble.json"
        config.write_text(grpc_config(entry, import_paths), encoding="utf-8")
        with tolerated():
            try:
                with bounded("loading"):
                    build([config])
            except ConfigError as error:
                check_refusal(error, config, (str(protos),))
                return "refused"
            loaded = load_config(config).grpc
            assert loaded is not None
            assert not reaches(loaded.protos.pool, outside), "an import left the folder"
            return "loaded"
        return "known gap"


@budget(60)
@given(source=proto_sources(), entry=..., other=...)
def test_any_proto_loads_or_says_where(source: Source, entry: bool, other: bool) -> None:
    """``entry``: the folder (every ``.proto`` in it) or the one file; ``other``: a
    sibling ``other.proto`` the source may import."""
    data, how = source
    event(f"mutation: {how}")
    folder = "protos" if entry else "protos/main.proto"
    event(check_proto(data, folder, OTHER_PROTO.encode() if other else None))


# --- findings: crashes with their inputs, kept as regression tests ------------------------


@pytest.mark.parametrize(
    "sdl",
    [
        pytest.param(
            "type Query {\n   a: Int \n}\n\n\ninput Mutation  {\n   a: Int \n   b: Query = 1 \n}\n",
            id="input-field",
        ),  # fmt: skip
        pytest.param("type Query { a(x: Query = 1): Int }\n", id="argument"),
        pytest.param("type Query { a(x: [Query!] = [1]): Int }\n", id="list-argument"),
        pytest.param(
            "union U = Query\ninput I { u: U = 1 }\ntype Query { a(i: I): Int }\n", id="union"
        ),  # fmt: skip
        pytest.param(
            "interface N { a: Int }\ntype Query { a(x: N = {a: 1}): Int }\n", id="interface"
        ),  # fmt: skip
        pytest.param(
            "directive @d(x: Query = 1) on FIELD\ntype Query { a: Int }\n", id="directive-argument"
        ),  # fmt: skip
    ],
)
def test_a_default_for_an_output_type(sdl: str) -> None:
    """Found: an argument or input field of an object, interface or union type with a
    default value made graphql-core's ``validate_schema`` raise ``TypeError: Expected
    Query to be a GraphQL leaf type.``, which escaped the loader. Now it is graphql-core's
    own "must be Input Type" problem: the part is dropped, the rest is served."""
    assert check_sdl(sdl.encode()) in ("loaded", "refused")


def test_a_default_for_an_output_type_drops_only_that_field(tmp_path: Path) -> None:
    """The neighbour that loads: the field with the bad argument is dropped and logged,
    the other fields are served."""
    (tmp_path / "schema.graphql").write_text("type Query { a(x: Query = 1): Int\n b: Int }\n")
    config = tmp_path / "apidouble.yaml"
    config.write_text(GRAPHQL_CONFIG, encoding="utf-8")
    with MockServer(config) as server:
        answer = httpx.post(server.url + "/graphql", json={"query": "{ b }"}, timeout=10)
        missing = httpx.post(server.url + "/graphql", json={"query": "{ a }"}, timeout=10)
    assert answer.status_code == 200 and set(answer.json()["data"]) == {"b"}, answer.text
    assert "errors" in missing.json(), missing.text


def test_a_schema_whose_every_definition_is_dropped_names_its_file(tmp_path: Path) -> None:
    """Found with the above: once every definition was dropped, the refusal began with
    ``<schema>`` instead of the file's name."""
    schema = tmp_path / "schema.graphql"
    schema.write_text("type Query { a: Nope }\n")
    config = tmp_path / "apidouble.yaml"
    config.write_text(GRAPHQL_CONFIG, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        build([config])
    [problem] = caught.value.problems
    assert problem.message.startswith(f"{schema}: cannot build a servable schema"), problem


OUTSIDE_IMPORT = (
    b'syntax = "proto3";\nimport "outside.proto";\nmessage Req { outside.Outside o = 1; }\n'
)


def test_the_escape_check_sees_a_file_from_outside() -> None:
    """The property's check works: with the parent folder given as an ``import_paths``
    entry by the config itself, ``outside.proto`` is imported and the check says so.
    Without it, the same proto is refused, naming the file."""
    with pytest.raises(AssertionError, match="an import left the folder"):
        check_proto(OUTSIDE_IMPORT, "protos/main.proto", None, import_paths=("..",))
    assert check_proto(OUTSIDE_IMPORT, "protos/main.proto", None) == "refused"


@pytest.mark.parametrize(
    "name", ["../../outside.proto", "../outside.proto", OUTSIDE, "/etc/passwd", "main.proto"]
)
def test_imports_that_leave_the_folder_are_refused(name: str) -> None:
    """protoc refuses ``..`` in an import and finds absolute names under no root; an
    import of the file itself is a cycle. Each is a problem naming the file."""
    source = f'syntax = "proto3";\nimport "{name}";\nmessage Req {{}}\n'.encode()
    assert check_proto(source, "protos/main.proto", None) == "refused"


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(b'syntax = "\xffproto3";\n', id="syntax"),
        pytest.param(b'syntax = "proto3";\nmessage \xc3 {}\n', id="name"),
        pytest.param(b'syntax = "proto3";\nimport "\xed\xa0\x80.proto";\n', id="import"),
    ],
)
def test_a_proto_that_is_not_utf8(source: bytes, tmp_path: Path) -> None:
    """Found: protoc quotes the source's bytes in its messages, and decoding them as
    UTF-8 raised ``UnicodeDecodeError``, which escaped the loader. The bytes are shown
    escaped in the problem now. (A name that is not UTF-8 is a neighbour: protoc does
    not quote it.)"""
    assert check_proto(source, "protos/main.proto", None) == "refused"
    (tmp_path / "protos").mkdir()
    (tmp_path / "protos" / "main.proto").write_bytes(source)
    config = tmp_path / "apidouble.json"
    config.write_text(grpc_config("protos/main.proto"), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        build([config])
    [problem] = caught.value.problems
    assert str(tmp_path / "protos" / "main.proto") in problem.message, problem
    assert problem.pointer == "/grpc/protos/0", problem


def aggregate_option(depth: int) -> str:
    """A custom message option whose aggregate value nests ``depth`` messages."""
    return (
        'syntax = "proto3";\nimport "google/protobuf/descriptor.proto";\n'
        "extend google.protobuf.MessageOptions { M x = 50000; }\n"
        "message M { M a = 1; int32 n = 2; }\n"
        f"message Req {{ option (x) = {'{a ' * depth}{{n: 1}}{'}' * depth}; }}\n"
        "service Svc { rpc Get(Req) returns (Req); }\n"
    )


DEEP_CHILD = """
from apidouble.errors import ConfigError
from apidouble.watch import build
started = time.monotonic()
try:
    build([sys.argv[1]])
except ConfigError as error:
    report(refused=[p.message for p in error.problems])
else:
    report(refused=None)
"""
DEEP_BOUND_S = 2.0


@pytest.mark.parametrize("imported", [False, True], ids=["listed", "imported"])
def test_an_option_value_nested_10000_deep(tmp_path: Path, imported: bool) -> None:
    """Found: protoc parses an aggregate option value recursively, and 10,000 levels
    overflowed the C stack: the whole process died of SIGSEGV while loading the config
    (3,000 levels still parsed). Brackets nested past ``MAX_NESTING`` are a located
    problem now, checked before protoc reads the file, and in the files it imports. In
    a child process, so that a crash fails the test instead of ending the run."""
    protos = tmp_path / "protos"
    protos.mkdir()
    deep = aggregate_option(10_000)
    if imported:
        (protos / "deep.proto").write_text(deep.replace("service Svc", "service Deep"))
        deep = 'syntax = "proto3";\nimport "deep.proto";\nmessage Other {}\n'
    (protos / "main.proto").write_text(deep)
    config = tmp_path / "apidouble.json"
    config.write_text(grpc_config("protos/main.proto"), encoding="utf-8")
    outcome = run_bounded(DEEP_CHILD, str(config), timeout_s=DEEP_BOUND_S + START_MARGIN_S)
    assert not outcome.get("killed") and "crashed" not in outcome, outcome
    assert outcome["seconds"] < DEEP_BOUND_S, outcome
    [message] = outcome["refused"]
    where = protos / ("deep.proto" if imported else "main.proto")
    assert message.startswith(f"{where}:5:") and "nested more than" in message, message


def test_an_option_value_nested_a_few_levels_loads(tmp_path: Path) -> None:
    """The neighbour: aggregate option values as real protos write them still load."""
    protos = tmp_path / "protos"
    protos.mkdir()
    (protos / "main.proto").write_text(aggregate_option(20))
    config = tmp_path / "apidouble.json"
    config.write_text(grpc_config("protos/main.proto"), encoding="utf-8")
    build([config])


def test_two_files_defining_one_symbol_name_the_file() -> None:
    """Found by a 10-minute run: ``main.proto`` and ``other.proto`` of one folder both
    defining ``p.Item`` were refused as "other.proto: ... duplicate symbol 'p.Item'",
    the import name alone, where every other problem gives the file's path."""
    main = b'syntax = "proto3";\npackage p;\nmessage Item { int32 n = 1; }\n'
    assert check_proto(main, "protos", OTHER_PROTO.encode()) == "refused"
