"""Compiled responses: static bytes, templated parts, templated ``response_file`` names."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from apidouble.compiled import compile_config
from apidouble.config.load import load_data
from apidouble.engine import Engine
from apidouble.errors import ConfigError
from apidouble.model import Request, ResponseSpec
from apidouble.outcome import Respond, Response
from apidouble.responses import CompiledResponse, _status_line, encode_json, watched_files
from apidouble.templating import TemplateEnvironment, TemplateRenderError
from apidouble.templating import files as files_module


def compiled(**spec: Any) -> CompiledResponse:
    return CompiledResponse(TemplateEnvironment(1), ResponseSpec(**spec), "stub-x")


def test_static_response_is_built_once() -> None:
    response = compiled(status=201, headers=(("X-A", "1"),), body_kind="json", body={"a": 1})
    assert response.static is not None
    assert response.render(None, {}) is response.static


def test_templated_response_matches_what_response_build_would_make() -> None:
    response = compiled(
        status="{{ 200 + 1 }}",
        headers=(("X-Id", "{{ request.params.id }}"), ("X-Static", "s")),
        body_kind="json",
        body={"id": "{{ request.params.id | int }}"},
    )
    made = response.render(Request("GET", "/"), {"id": "7"})
    expected = Response.build(
        201,
        [("X-Id", "7"), ("X-Static", "s"), ("content-type", "application/json")],
        b'{"id":7}',
    )
    assert made == expected


@pytest.mark.parametrize("code", [204, 304])
def test_a_templated_204_or_304_has_no_body_and_no_implied_type(code: int) -> None:
    """As a static one: a JSON body's implied Content-Type goes with the body."""
    templated = compiled(status=f"{{{{ {code} }}}}", headers=(("X-A", "{{ 1 }}"),),
                         body_kind="json", body={})  # fmt: skip
    made = templated.render(Request("GET", "/"), {})
    assert made.status == code and made.body == b""
    assert made.head == _status_line(code) + b"X-A: 1\r\ncontent-length: 0\r\n"


def test_templated_text_body_infers_its_type_unless_given() -> None:
    guessed = compiled(body_kind="text", body='{"n": {{ 1 + 1 }}}').render(None, {})
    assert b"content-type: application/json\r\n" in guessed.head and guessed.body == b'{"n": 2}'
    given = compiled(body_kind="text", body="{{ 1 }}", headers=(("Content-Type", "text/x"),))
    assert b"content-type" not in given.render(None, {}).head.lower().replace(b"type: text/x", b"")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"status": "{{ 'abc' }}"}, "status must be a number"),
        ({"status": "{{ 999 }}"}, "between 100 and 599"),
        ({"headers": (("X-A", "{{ 'a\\r\\nSet-Cookie: x' }}"),)}, "header X-A renders to a value"),
        ({"body_kind": "json", "body": {"a": "{{ 1 / 0 }}"}}, "ZeroDivisionError"),
    ],
)
def test_render_errors(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(TemplateRenderError, match=message):
        compiled(**spec).render(Request("GET", "/"), {})


def test_compile_errors_say_where() -> None:
    with pytest.raises(ValueError, match=r"X-Bad: template error"):
        compiled(headers=(("X-Bad", "{{ 1 + }}"),))
    with pytest.raises(ValueError, match=r"status: unknown template name"):
        compiled(status="{{ nope }}")


def test_lone_surrogates_from_the_request_do_not_break_the_body() -> None:
    response = compiled(body_kind="json", body={"v": "<{{ request.json.s }}>"})
    made = response.render(Request("POST", "/", body=b'{"s": "\\ud800"}'), {})
    assert json.loads(made.body) == {"v": "<\ud800>"}
    assert encode_json("\ud800") == b'"\\ud800"'


# --- templated response_file ------------------------------------------------------------


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "conf"
    (root / "bodies" / "deep").mkdir(parents=True)
    (root / "bodies" / "1.json").write_text('{"user": 1}')
    (root / "bodies" / "2.xml").write_text("<user>2</user>")
    (root / "bodies" / "deep" / "3.txt").write_text("three")
    (root / "bodies" / ".secret.json").write_text("{}")
    (root / "other.json").write_text('{"other": true}')
    (tmp_path / "outside.json").write_text('{"outside": true}')
    os.symlink(tmp_path / "outside.json", root / "bodies" / "link.json")
    return root


def file_engine(folder: Path, name: str, **extra: Any) -> Engine:
    endpoint = {"name": "files", "path": "/f/{name}", "response_file": name, **extra}
    loaded = load_data({"endpoints": [endpoint]}, base_dir=folder)
    return Engine(compile_config(loaded.stubs))


def fetch(engine: Engine, path: str) -> Response:
    outcome = engine.handle(Request("GET", path))
    assert isinstance(outcome, Respond)
    return outcome.response


@pytest.mark.parametrize(
    ("path", "body", "content_type"),
    [
        ("/f/1.json", b'{"user": 1}', b"application/json"),
        ("/f/2.xml", b"<user>2</user>", b"application/xml"),
    ],
)
def test_templated_file_name_picks_a_file(
    folder: Path, path: str, body: bytes | None, content_type: bytes | None
) -> None:
    response = fetch(file_engine(folder, "bodies/{{ request.params.name }}"), path)
    assert response.status == 200 and response.body == body
    assert b"content-type: " + content_type in response.head


def test_subfolders_and_query_chosen_names(folder: Path) -> None:
    engine = file_engine(folder, "bodies/{{ request.query.f }}")
    outcome = engine.handle(Request("GET", "/f/x", "f=deep/3.txt"))
    assert isinstance(outcome, Respond) and outcome.response.body == b"three"


@pytest.mark.parametrize(
    ("name", "detail"),
    [
        ("../outside.json", "leads outside the config's folder"),
        ("bodies/../../outside.json", "leads outside the config's folder"),
        ("/etc/passwd", "leads outside the config's folder"),
        ("bodies/link.json", "not found"),  # a symlink out of the folder is never a candidate
        ("bodies/.secret.json", "not found"),  # hidden files are never candidates
        ("bodies/nope.json", "not found"),
        ("a\x00b", "leads outside"),
    ],
)
def test_refused_names_answer_500_naming_the_stub(folder: Path, name: str, detail: str) -> None:
    engine = file_engine(folder, "{{ request.query.f }}")
    outcome = engine.handle(Request("GET", "/f/x", "f=" + name.replace("\x00", "%00")))
    assert isinstance(outcome, Respond)
    report = json.loads(outcome.response.body)
    assert outcome.response.status == 500 and report["stub"] == "files"
    assert detail in report["detail"] and "response_file" in report["detail"]


def test_no_disk_reads_at_serve_time(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = file_engine(folder, "bodies/{{ request.params.name }}")

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("disk read at serve time")

    monkeypatch.setattr(Path, "read_bytes", refuse)
    monkeypatch.setattr("builtins.open", refuse)
    assert fetch(engine, "/f/1.json").body == b'{"user": 1}'


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("../{{ request.path }}", "leads outside the config's folder"),
        ("/abs/{{ request.path }}", "must be relative"),
        ("missing/{{ request.path }}", "not found"),
    ],
)
def test_bad_templated_names_are_config_problems(folder: Path, name: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        file_engine(folder, name)


def test_too_many_candidates_is_a_config_problem(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files_module, "MAX_FILES", 2)
    with pytest.raises(ConfigError, match="more than 2 files"):
        file_engine(folder, "bodies/{{ request.path }}")
    monkeypatch.setattr(files_module, "MAX_FILES", 100)
    monkeypatch.setattr(files_module, "MAX_BYTES", 10)
    with pytest.raises(ConfigError, match="exceed"):
        file_engine(folder, "bodies/{{ request.path }}")


def test_candidates_are_watched(folder: Path) -> None:
    loaded = load_data(
        {"endpoints": [{"path": "/f", "response_file": "bodies/{{ request.path }}"}]},
        base_dir=folder,
    )
    (spec,) = loaded.stubs[0].responses
    assert spec.body is None and spec.file_template == "bodies/{{ request.path }}"
    names = sorted(p.name for p in watched_files(spec))
    assert names == ["1.json", "2.xml", "3.txt"]
    watched = compile_config(loaded.stubs).files
    assert {p.name for p in watched} >= {"1.json", "2.xml", "3.txt"}
