"""``apidouble import wiremock`` and ``apidouble export wiremock``.

Import: every WireMock root of the compat suite becomes one native YAML that loads into
the stubs the WireMock loader makes (the built-in check, run here on the YAML text as
written). Export: ``examples/`` and ``export/native.yaml`` become WireMock roots, and
WireMock 3.13's answers on them (recorded in ``export/answers.json``; live when Java is
here) must be apidouble's on the original config.

``python -m tests.importers.test_import_export`` re-records the answers (needs the jar).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
import yaml

from apidouble import MockServer
from apidouble.cli import main
from apidouble.config.load import load_config, load_data
from apidouble.errors import ConfigError
from apidouble.importers.wiremock.export import export_wiremock
from apidouble.importers.wiremock.native import ImportFailed, check, import_wiremock, to_yaml
from tests.compat.wiremock import peers
from tests.compat.wiremock.cases import Case, all_cases
from tests.compat.wiremock.compare import compare
from tests.compat.wiremock.harness import REPO, UNSTABLE
from tests.compat.wiremock.wire import Probe, send

HERE = Path(__file__).resolve().parent
EXPORT = HERE / "export"
COMPAT = REPO / "tests" / "compat" / "wiremock"
ANSWERS = EXPORT / "answers.json"
PORTS = range(18180, 18190)
EXPORTS = {"examples": REPO / "examples", "native": EXPORT / "native.yaml"}


def _roots() -> list[Any]:
    found = [
        pytest.param(
            case.source,
            bool(case.apidouble_options.get("global_response_templating")),
            id=case.name,
        )
        for case in all_cases()
        if not case.malformed
    ]
    for root in sorted((COMPAT / "corpus").iterdir()):
        if root.is_dir() and root.name != "proxy-sample":  # WireMock refuses it ("LOW")
            found.append(pytest.param(root, False, id=f"corpus/{root.name}"))
    return found


# --- import ------------------------------------------------------------------------------


@pytest.mark.parametrize(("root", "templating"), _roots())
def test_import_serves_as_the_wiremock_root(root: Path, templating: bool) -> None:
    document = import_wiremock(root, COMPAT, templating)
    written = yaml.safe_load(to_yaml(document))
    assert written == document
    stubs = load_config(root, templating=templating).stubs
    check(written, stubs, COMPAT)  # the YAML as written, read back, serves the same
    assert document.get("compat") == "wiremock" or not stubs


SERVED = [c for c in all_cases() if not c.malformed and not c.upstream]


@pytest.mark.parametrize("case", SERVED, ids=lambda c: c.name)
def test_the_imported_file_answers_as_the_root(case: Case, tmp_path: Path) -> None:
    """The same requests to a copy of the root and to the YAML imported from it; the
    matched ones must get the same answers (unmatched ones get WireMock's report on
    the root, which names mappings, and ``__files`` is served once ``load.py`` reads
    ``document_root``)."""
    root = tmp_path / "root"
    shutil.copytree(case.source, root)
    options = dict(case.apidouble_options)
    templating = bool(options.pop("global_response_templating", False))
    (tmp_path / "apidouble.yaml").write_text(to_yaml(import_wiremock(root, tmp_path, templating)))
    want = _served(root, case.probes, case.apidouble_options)
    got = _served(tmp_path / "apidouble.yaml", case.probes, options)
    differ = []
    for probe, theirs, ours in zip(case.probes, want, got, strict=True):
        if theirs.get("status") in (404, 405) or _from_files(root, probe.url):
            continue
        verdict = compare(case.name, probe, theirs, ours, case.stub_headers(), ("root", "yaml"))
        differ += [f"{probe.name}: {d}" for d in verdict.differences]
    assert differ == []


def _served(path: Path, probes: tuple[Probe, ...], options: dict[str, Any]) -> list[dict[str, Any]]:
    with MockServer(path, **options) as server:
        return [send("127.0.0.1", server.port, probe) for probe in probes]


def _from_files(root: Path, url: str) -> bool:
    """Whether the URL names something under ``__files`` (WireMock's document root)."""
    name = unquote(url.partition("?")[0]).lstrip("/").removeprefix("__files/")
    return not name or ".." in name or (root / "__files" / name).exists()


def _root(tmp_path: Path, mappings: dict[str, Any], files: dict[str, str] | None = None) -> Path:
    root = tmp_path / "root"
    (root / "mappings").mkdir(parents=True)
    for name, mapping in mappings.items():
        (root / "mappings" / name).write_text(json.dumps(mapping))
    (root / "__files").mkdir()
    for name, text in (files or {}).items():
        (root / "__files" / name).write_text(text)
    return root


def test_import_writes_native_keys_where_they_say_the_same(tmp_path: Path) -> None:
    root = _root(tmp_path, {"a.json": {
        "name": "orders",
        "request": {
            "method": "GET", "urlPath": "/orders",
            "queryParameters": {"page": {"equalTo": "2"}},
            "headers": {"X-Key": {"matches": "k.*"}, "X-Json": {"equalToJson": {"a": 1}}},
            "cookies": {"s": {"absent": True}},
        },
        "response": {"status": 201, "statusMessage": "Made", "bodyFileName": "o.json",
                     "headers": {"Set-Cookie": ["a=1", "b=2"]}},
        "priority": 2,
    }}, {"o.json": "{}"})  # fmt: skip
    [endpoint] = import_wiremock(root, tmp_path)["endpoints"]
    assert endpoint == {
        "name": "orders",
        "method": "GET",
        "path": "/orders",
        "match": {
            "query": {"page": "2"},
            "cookies": {"s": {"present": False}},
            "wiremock": {
                "headers": {"X-Key": {"matches": "k.*"}, "X-Json": {"equalToJson": {"a": 1}}}
            },
        },
        "priority": 2,
        "status": 201,
        "status_message": "Made",
        "headers": {"Set-Cookie": ["a=1", "b=2"]},
        "response_file": "root/__files/o.json",
    }


def test_import_keeps_the_document_root(tmp_path: Path) -> None:
    document = import_wiremock(COMPAT / "cases" / "files-docroot" / "root", COMPAT)
    assert document["document_root"] == "cases/files-docroot/root/__files"
    load_data(document, base_dir=COMPAT)  # the folder exists and is inside
    with pytest.raises(ConfigError, match=r"/document_root: document_root '\.\./x' leads outside"):
        load_data({**document, "document_root": "../x"}, base_dir=COMPAT)


def test_import_refuses_what_would_serve_differently(tmp_path: Path) -> None:
    # WireMock matches the method as written; a native method is upper case
    root = _root(tmp_path, {"a.json": {"request": {"method": "get", "url": "/x"}}})
    with pytest.raises(ImportFailed, match=r"a\.json.*serve differently.*pattern"):
        import_wiremock(root, tmp_path)


def test_import_refuses_bodies_outside_the_output_folder(tmp_path: Path) -> None:
    mapping = {"request": {"url": "/x"}, "response": {"bodyFileName": "b.txt"}}
    root = _root(tmp_path, {"a.json": mapping}, {"b.txt": "b"})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    with pytest.raises(ImportFailed, match=r"a\.json.*outside"):
        import_wiremock(root, elsewhere)


def test_import_command_writes_the_file_and_fails_loudly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # stdout: paths are relative to the working directory
    root = _root(tmp_path, {"a.json": {"request": {"urlPath": "/x"}, "response": {"body": "x"}}})
    out = tmp_path / "apidouble.yaml"
    assert main(["import", "wiremock", str(root), "-o", str(out)]) == 0
    assert yaml.safe_load(out.read_text())["endpoints"][0]["response"] == "x"
    assert main(["import", "wiremock", str(root)]) == 0  # no -o: stdout
    assert "compat: wiremock" in capsys.readouterr().out
    (root / "mappings" / "b.json").write_text(json.dumps({"request": {"method": "get"}}))
    assert main(["import", "wiremock", str(root), "-o", str(tmp_path / "no.yaml")]) == 1
    assert "b.json" in capsys.readouterr().err
    assert not (tmp_path / "no.yaml").exists()


# --- compat: wiremock and match.wiremock, served ---------------------------------------------


def test_compat_wiremock_selects_and_answers_as_wiremock(tmp_path: Path) -> None:
    document = {
        "compat": "wiremock",
        "endpoints": [
            {"path": "/a/{id}", "response": "older, same priority"},
            {"path": "/a/{id}", "response": "newer wins", "status_message": "Fine"},
            {"path": "/a/1", "priority": 6, "response": "literal, but priority 6"},
            {"path": "/t", "response": "{{request.path}}", "templating": "handlebars"},
            {"path": "/n", "response": "{{ request.path }}"},
            {"path": "/j", "response": {"a": 1}},
        ],
    }
    (tmp_path / "compat.yaml").write_text(yaml.safe_dump(document))
    server = MockServer(tmp_path / "compat.yaml").start()
    try:
        probes = _probes("/a/1", "/t", "/n", "/j")
        answers = {p.url: send("127.0.0.1", server.port, p) for p in probes}
    finally:
        server.stop()
    assert (answers["/a/1"]["body"], answers["/a/1"]["reason"]) == ("newer wins", "Fine")
    assert answers["/t"]["body"] == "/t"
    assert answers["/n"]["body"] == "{{ request.path }}"  # no templating unless asked
    assert not any(name.lower() == "content-type" for name, _ in answers["/j"]["headers"])


def test_match_wiremock_adds_its_conditions() -> None:
    document = {"endpoints": [{
        "method": "POST", "path": "/o/{id}",
        "match": {"headers": {"X-A": "1"}, "wiremock": {
            "bodyPatterns": [{"equalToJson": {"l": [1, 2]}, "ignoreArrayOrder": True}],
            "pathParameters": {"id": {"matches": "[0-9]+"}},
        }},
    }]}  # fmt: skip
    [stub] = load_data(document).stubs
    pattern = stub.pattern
    assert [name for name, _ in pattern.headers] == ["X-A"]
    assert pattern.body[0].op == "equals_json" and pattern.params[0][0] == "id"
    assert yaml.safe_load(yaml.safe_dump(stub.to_config()))["match"]["wiremock"] == {
        "bodyPatterns": [{"equalToJson": {"l": [1, 2]}, "ignoreArrayOrder": True}],
        "pathParameters": {"id": {"matches": "[0-9]+"}},
    }
    assert load_data({"endpoints": [stub.to_config()]}).stubs[0].pattern == pattern


def test_match_wiremock_mistakes_are_config_problems() -> None:
    bad = {"endpoints": [{"path": "/x", "match": {"wiremock": {"headers": {"X": {"nope": 1}}}}}]}
    with pytest.raises(
        ConfigError,
        match=r"match/wiremock: a matcher takes exactly one operator.*\(at /headers/X\)",
    ):
        load_data(bad)


@pytest.mark.parametrize(("root", "templating"), _roots())
def test_to_config_of_wiremock_stubs_loads_the_same_pattern(root: Path, templating: bool) -> None:
    for stub in load_config(root, templating=templating).stubs:
        config = stub.to_config()
        config.pop("response_file", None)  # absolute: the loader confines files
        [again] = load_data({"endpoints": [config]}).stubs
        assert again.pattern == stub.pattern, stub.label
        assert again.responses[0].reason == stub.responses[0].reason
        assert again.responses[0].templating == stub.responses[0].templating


# --- export --------------------------------------------------------------------------------


def test_export_of_a_wiremock_root_is_the_mappings_as_written(tmp_path: Path) -> None:
    root = COMPAT / "cases" / "responses" / "root"
    export_wiremock(load_config(root).stubs, tmp_path / "out")
    written = [json.loads(p.read_text()) for p in sorted((tmp_path / "out/mappings").iterdir())]
    origins = [dict(stub.origin or {}) for stub in load_config(root).stubs]
    assert [{k: v for k, v in m.items() if k != "id"} for m in written] == [
        {k: v for k, v in o.items() if k != "id"} for o in origins
    ]
    assert (tmp_path / "out/__files/page.html").read_bytes() == (
        root / "__files/page.html"
    ).read_bytes()
    import_wiremock(tmp_path / "out", tmp_path)  # and it imports, checked, as the original


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_import_of_an_export_restores_the_native_endpoints(name: str, tmp_path: Path) -> None:
    stubs = load_config(EXPORTS[name]).stubs
    export_wiremock(stubs, tmp_path / "root")
    restored = import_wiremock(tmp_path / "root", tmp_path)["endpoints"]
    natives = [stub.to_config() for stub in stubs]
    for endpoint in (*restored, *natives):
        for place in (endpoint, *endpoint.get("responses", []), endpoint.get("failure") or {}):
            place.pop("response_file", None)
    assert restored == natives
    loaded = load_data({"endpoints": restored}, base_dir=tmp_path).stubs
    assert [s.pattern for s in loaded] == [s.pattern for s in stubs]


def test_export_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "wiremock", str(EXPORTS["native"]), "-o", str(tmp_path)]) == 0
    assert "mapping(s)" in capsys.readouterr().err
    assert (tmp_path / "__files" / "__files" / "bodies" / "item.json").is_file()
    methods = [
        json.loads(p.read_text())["request"]["method"]
        for p in (tmp_path / "mappings").iterdir()
        if p.name.endswith("-methods.json")
    ]
    assert sorted(methods) == ["DELETE", "PUT"]  # one mapping per method


# --- export, served by WireMock --------------------------------------------------------------


def _probes(*urls: str) -> list[Probe]:
    return [Probe(name=url, method="GET", url=url) for url in urls]


def _requests(name: str) -> list[Probe]:
    data = json.loads((EXPORT / "requests.json").read_text())
    return [Probe.from_json(item) for item in data[name]]


def _export_digest(name: str, out: Path) -> str:
    """What the recording was made on: the exported mappings and files."""
    export_wiremock(load_config(EXPORTS[name]).stubs, out)
    digest = hashlib.sha256()
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        digest.update(path.relative_to(out).as_posix().encode() + b"\0" + _without_ids(path))
    return digest.hexdigest()


def _without_ids(path: Path) -> bytes:
    """A file's bytes, a mapping's ids left out: a stub without id or name has one made
    from its file's absolute path, so they differ between checkouts (and WireMock's
    answers do not depend on them)."""
    if path.parent.name != "mappings" or path.suffix != ".json":
        return path.read_bytes()
    mapping = json.loads(path.read_text())
    mapping.pop("id", None)
    mapping.get("metadata", {}).get("apidouble", {}).pop("id", None)
    return json.dumps(mapping, sort_keys=True).encode()


def _apidouble_answers(name: str) -> list[dict[str, Any]]:
    server = MockServer(EXPORTS[name]).start()
    try:
        return [{"name": p.name, **send("127.0.0.1", server.port, p)} for p in _requests(name)]
    finally:
        server.stop()


def _disagreements(name: str, wiremock: list[dict[str, Any]]) -> list[str]:
    ours = _apidouble_answers(name)
    found = []
    for probe, want, got in zip(_requests(name), wiremock, ours, strict=True):
        verdict = compare(name, probe, want, got, set())
        if not verdict.agrees:
            found.append(f"{probe.name}: {' | '.join(verdict.differences)}")
    return found


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_wiremock_serves_the_export_as_apidouble_serves_the_config(
    name: str, tmp_path: Path
) -> None:
    recorded = json.loads(ANSWERS.read_text())["exports"][name]
    assert recorded["digest"] == _export_digest(name, tmp_path), (
        "the export changed since WireMock's answers were recorded: run"
        " .venv/bin/python -m tests.importers.test_import_export"
    )
    assert len(recorded["answers"]) == len(_requests(name)), "re-record the answers"
    assert _disagreements(name, recorded["answers"]) == []


@pytest.mark.skipif(bool(peers.available()), reason=str(peers.available()))
@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_live_wiremock_serves_the_export(name: str, tmp_path: Path) -> None:
    """The recording is not stale: the jar itself, on a fresh export."""
    _export_digest(name, tmp_path)
    assert _disagreements(name, _record(tmp_path, _requests(name))) == []


# --- recording -----------------------------------------------------------------------------


_next_port = iter(itertools.cycle(PORTS))


@contextmanager
def _wiremock(root: Path) -> Iterator[int]:
    """The jar on ``root``, on a port of this suite's own range (the next one each time:
    a port just closed may not bind again at once)."""
    jar = peers.find_jar()
    assert jar is not None, peers.available()
    for _ in PORTS:
        port = next(_next_port)
        if not peers._port_is_free(port):
            continue
        command = ["java", *peers.JVM_FLAGS, "-jar", str(jar), "--port", str(port)]
        command += ["--bind-address", "127.0.0.1", "--disable-banner", "--root-dir", str(root)]
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace"
        )
        try:
            refused = peers._wait_ready(process)
            if refused is not None and "Failed to bind" in refused:
                continue
            assert refused is None, f"WireMock refused the export: {peers._reason(refused)}"
            yield port
            return
        finally:
            process.kill()
            process.wait()
            if process.stdout is not None:
                process.stdout.close()
    raise RuntimeError(f"no free port in {PORTS.start}-{PORTS.stop - 1}")


def _record(root: Path, probes: list[Probe]) -> list[dict[str, Any]]:
    answers = []
    with _wiremock(root) as port:
        for probe in probes:
            answer = {"name": probe.name, **send("127.0.0.1", port, probe)}
            if probe.min_elapsed_ms is None:
                del answer["elapsed_ms"]
            if "headers" in answer:
                answer["headers"] = [h for h in answer["headers"] if h[0].lower() not in UNSTABLE]
            answers.append(answer)
    return answers


def record() -> None:
    """Export each config, run WireMock on it, and keep its answers with the digest."""
    import tempfile

    exports = {}
    for name in sorted(EXPORTS):
        with tempfile.TemporaryDirectory(prefix="wmexport-") as scratch:
            out = Path(scratch)
            digest = _export_digest(name, out)
            exports[name] = {"digest": digest, "answers": _record(out, _requests(name))}
    data = {"wiremock": peers.VERSION, "exports": exports}
    ANSWERS.write_text(json.dumps(data, indent=1) + "\n")


if __name__ == "__main__":
    if why := peers.available():
        sys.exit(why)
    record()
    print(f"recorded {ANSWERS.relative_to(REPO)}")
