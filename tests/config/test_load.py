"""Loading valid configs: the seed form, every key, folders, ids and in-memory data."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from apidouble.config.load import Config, load_config, load_data
from apidouble.model import (
    ANY_METHOD,
    BodySpec,
    Latency,
    ResponseSpec,
    Source,
    Stub,
    ValueSpec,
)

FIXTURES = Path(__file__).parent / "fixtures"
FULL = FIXTURES / "full" / "apidouble.yaml"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def full() -> Config:
    return load_config(FULL, environ={})


def by_name(config: Config, name: str | None) -> Stub:
    return next(s for s in config.stubs if s.name == name)


def test_seed_simple_form_verbatim() -> None:
    config = load_config(FIXTURES / "seed.json")
    (stub,) = config.stubs
    assert stub.pattern.methods == frozenset({"GET"})
    assert stub.pattern.path == "/api/endpoint"
    assert stub.responses == (ResponseSpec(200, (), "json", {"data": "value"}),)
    assert stub.latency == Latency("fixed", {"ms": 100})
    assert stub.failure_rate == 0.1
    assert stub.failure is None
    assert stub.source == Source(str(FIXTURES / "seed.json"), 1, "/endpoints/0")
    assert config.files == ((FIXTURES / "seed.json").absolute(),)
    assert config.seed is None


def test_full_form_pattern(full: Config) -> None:
    pattern = by_name(full, "get-user").pattern
    assert pattern.methods == frozenset({"GET", "HEAD"})
    assert pattern.path == "/api/users/{id}"
    assert pattern.query == (
        ("expand", ValueSpec("equals", "true")),
        ("page", ValueSpec("equals", "2")),
        ("debug", ValueSpec("present", False)),
    )
    assert pattern.headers == (
        ("Authorization", ValueSpec("regex", "^Bearer .+")),
        ("X-Tenant", ValueSpec("one_of", ("a", "b"), case_insensitive=True)),
        ("X-Block", ValueSpec("contains", "evil", negate=True)),
    )
    assert pattern.cookies == (("session", ValueSpec("present", True)),)
    assert pattern.body == (
        BodySpec("json", {"name": "Ada"}),
        BodySpec("jsonpath", expression="$.age", value=ValueSpec("equals", 36)),
        BodySpec("jsonpath", expression="$.tags"),
        BodySpec("jsonpath", expression="$.deleted", value=ValueSpec("present", False)),
        BodySpec("schema", {"type": "object"}),
        BodySpec("contains", "Ada"),
        BodySpec("regex", "A.a"),
        BodySpec("equals", "exact"),
    )


def test_full_form_behaviour(full: Config) -> None:
    stub = by_name(full, "get-user")
    assert stub.priority == 1
    assert stub.responses == (
        ResponseSpec(
            200,
            (("X-Trace-Id", "{{ uuid }}"), ("X-Count", "3")),
            "json",
            {"id": "{{ request.params.id | int }}", "today": "{{ date }}"},
        ),
    )
    assert stub.latency == Latency("fixed", {"ms": 100})
    assert stub.failure_rate == 0.25
    assert stub.failure == ResponseSpec(503, (("Retry-After", "1"),), "json", {"error": "down"})
    assert stub.validate_schema == {"type": "object", "required": ["name"]}
    assert full.seed == 42


def test_full_form_bodies(full: Config) -> None:
    user_file = by_name(full, "user-file").responses[0]
    assert user_file.body_kind == "file"
    assert user_file.body == str((FULL.parent / "bodies" / "user.json").resolve())
    assert user_file.headers == (("content-type", "application/vnd.user+json"),)
    pixel = by_name(full, "pixel")
    assert pixel.pattern.methods is ANY_METHOD
    assert pixel.pattern.path_regex == r"^/img/.+\.gif$"
    assert pixel.responses[0].body_kind == "base64"
    assert pixel.responses[0].body == "R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"
    assert pixel.responses[0].headers == (("Content-Type", "image/png"),)  # explicit wins


def test_responses_take_endpoint_defaults(full: Config) -> None:
    stub = by_name(full, "status-flow")
    assert stub.response_mode == "cycle"
    assert stub.latency == Latency("fixed", {"ms": 5})
    file_body = str((FULL.parent / "bodies" / "user.json").resolve())
    assert [(r.status, r.headers, r.body_kind, r.body, r.latency) for r in stub.responses] == [
        (202, (("X-Flow", "yes"),), "text", "pending", None),
        (200, (("x-flow", "no"),), "json", {"state": "shipped"}, Latency("fixed", {"ms": 20})),
        (202, (("X-Flow", "yes"),), "file", file_body, None),
        (
            202,
            (("X-Flow", "yes"), ("content-type", "application/octet-stream")),
            "base64",
            "AAEC",
            None,
        ),
        ("{{ 200 + 1 }}", (("X-Flow", "yes"),), "empty", None, None),
    ]


def test_defaults_and_labels(full: Config) -> None:
    stub = full.stubs[-1]
    assert stub.name is None
    assert stub.label == "POST /api/empty"
    assert stub.responses == (ResponseSpec(),)
    assert stub.failure_rate == 1.0
    assert stub.response_mode == "sequence"


def test_order_source_and_stable_ids(full: Config) -> None:
    assert [s.order for s in full.stubs] == list(range(5))
    assert [(s.source.line, s.source.pointer) for s in full.stubs] == [
        (4, "/endpoints/0"),
        (33, "/endpoints/1"),
        (38, "/endpoints/2"),
        (46, "/endpoints/3"),
        (59, "/endpoints/4"),
    ]
    again = load_config(FULL, environ={})
    assert [s.id for s in again.stubs] == [s.id for s in full.stubs]
    assert len({s.id for s in full.stubs}) == 5
    assert all(uuid.UUID(s.id).version == 5 for s in full.stubs)


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("response", '"hello"', ("text", "hello")),
        ("response", "[1, 2]", ("json", [1, 2])),
        ("response", "null", ("json", None)),
        ("response", "false", ("json", False)),
        ("response_base64", '"aGk="', ("base64", "aGk=")),
        (None, None, ("empty", None)),
    ],
)
def test_body_kinds(
    tmp_path: Path, key: str | None, value: str | None, expected: tuple[str, object]
) -> None:
    extra = f', "{key}": {value}' if key else ""
    path = write(tmp_path, "c.json", f'{{"endpoints": [{{"path": "/x"{extra}}}]}}')
    spec = load_config(path).stubs[0].responses[0]
    assert (spec.body_kind, spec.body) == expected


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ('"get"', frozenset({"GET"})),
        ('["post", "PUT", "post"]', frozenset({"POST", "PUT"})),
        ('"ANY"', ANY_METHOD),
        ('"any"', ANY_METHOD),
        ('"PROPFIND"', frozenset({"PROPFIND"})),
    ],
)
def test_methods(tmp_path: Path, method: str, expected: frozenset[str]) -> None:
    path = write(tmp_path, "c.json", f'{{"endpoints": [{{"path": "/x", "method": {method}}}]}}')
    assert load_config(path).stubs[0].pattern.methods == expected


@pytest.mark.parametrize(
    ("status", "expected"),
    [("201", 201), ('"404"', 404), ('"{{ request.query.code }}"', "{{ request.query.code }}")],
)
def test_status_forms(tmp_path: Path, status: str, expected: int | str) -> None:
    path = write(tmp_path, "c.yaml", f"endpoints:\n  - path: /x\n    status: {status}\n")
    assert load_config(path).stubs[0].responses[0].status == expected


def test_folder_is_loaded_recursively_in_path_order(tmp_path: Path) -> None:
    for name in ["b.yaml", "a/z.json", "a.yml", "a/b/c.yaml", "c.txt", ".hidden.yaml"]:
        write(tmp_path, name, json.dumps({"endpoints": [{"path": "/" + name}]}))
    write(tmp_path, ".git/x.yaml", "not: [valid")
    write(tmp_path, "__files/body.json", "[1, 2]")  # response bodies, never configs
    config = load_config(tmp_path)
    assert [s.pattern.path for s in config.stubs] == [
        "/a/b/c.yaml",
        "/a/z.json",
        "/a.yml",
        "/b.yaml",
    ]
    assert [s.order for s in config.stubs] == [0, 1, 2, 3]
    assert [p.relative_to(tmp_path).as_posix() for p in config.files] == [
        "a/b/c.yaml",
        "a/z.json",
        "a.yml",
        "b.yaml",
    ]


def test_files_and_folders_mix_without_duplicates(tmp_path: Path) -> None:
    one = write(tmp_path, "d/one.yaml", "endpoints: [{path: /one}]")
    two = write(tmp_path, "two.json", '{"endpoints": [{"path": "/two"}], "seed": 3}')
    config = load_config(two, tmp_path / "d", str(one))
    assert [s.pattern.path for s in config.stubs] == ["/two", "/one"]
    assert [s.order for s in config.stubs] == [0, 1]
    assert config.files == (two.absolute(), one.absolute())
    assert config.seed == 3


def test_same_seed_in_two_files_is_fine(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "seed: 1\nendpoints: []\n")
    write(tmp_path, "b.yaml", "seed: 1\nendpoints: []\n")
    assert load_config(tmp_path).seed == 1


def test_yaml_dates_stay_text(tmp_path: Path) -> None:
    path = write(tmp_path, "c.yaml", "endpoints:\n  - path: /x\n    response: {day: 2024-01-02}\n")
    assert load_config(path).stubs[0].responses[0].body == {"day": "2024-01-02"}


def test_schema_key_is_allowed_for_editors(tmp_path: Path) -> None:
    path = write(tmp_path, "c.json", '{"$schema": "../docs/schema.json", "endpoints": []}')
    assert load_config(path).stubs == ()


def test_load_data_in_memory(tmp_path: Path) -> None:
    write(tmp_path, "body.txt", "hi")
    data = {"endpoints": [{"path": "/x", "response_file": "body.txt"}, {"path": "/y"}]}
    config = load_data(data, base_dir=tmp_path)
    assert config.files == ()
    assert [s.source for s in config.stubs] == [
        Source("<memory>", None, "/endpoints/0"),
        Source("<memory>", None, "/endpoints/1"),
    ]
    assert config.stubs[0].responses[0].body == str((tmp_path / "body.txt").resolve())
    assert config.stubs[0].id == load_data(data, base_dir=tmp_path).stubs[0].id  # stable


def test_public_names_stay_where_they_were() -> None:
    from apidouble.config import load, schema

    for name in ("CONFIG_SUFFIXES", "SKIPPED_DIRS", "discover", "stub_label", "server_settings"):
        assert hasattr(load, name), name
    for name in ("ConfigFile", "Endpoint", "ValueMatcher", "BodyMatcher", "RateLimit", "Cors"):
        assert hasattr(schema, name), name
    assert schema.unknown_key_message(schema.ConfigFile, ("scenario",)) == (
        "'scenario' is not supported yet"
    )


@pytest.mark.parametrize(
    ("message", "key"),
    [
        ("rate_limit.per must be a duration like '1s'", "rate_limit"),
        ("cache: max_age must be >= 0", "cache"),
        ("per_client must be 'ip', 'header:NAME' or 'query:NAME'", "per_client"),
        ("requests must be a positive integer", ""),  # not a key of the endpoint
        ("", ""),
    ],
)
def test_behaviour_key_names_the_key_an_error_starts_with(message: str, key: str) -> None:
    from apidouble.config.load import behaviour_key

    keys = {"rate_limit": {}, "cache": {}, "per_client": "ip"}
    assert behaviour_key(ValueError(message), keys) == key
    assert behaviour_key(message, keys) == key
