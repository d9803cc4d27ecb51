"""Plugins from installed packages: operators, template helpers and importers found
through entry points, over real sockets.

"Installed" means a ``*.dist-info`` folder (METADATA and entry_points.txt) and the
package's modules in a temporary folder on ``sys.path``, which is where
``importlib.metadata`` looks. The example package is installed from its own
``pyproject.toml``, so what it declares is what is tested.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import sys
import textwrap
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from apidouble import ConfigError, MockServer, load_config
from apidouble.matching.values import (
    ValueOperator,
    ValueOptions,
    register_value_operator,
    unregister_value_operator,
)
from apidouble.plugins import (
    ADDONS,
    IMPORTERS,
    PluginError,
    entry_point,
    load_plugins,
    plugin_document,
    unload_plugins,
)
from apidouble.templating import (
    TemplateEnvironment,
    compile_text,
    register_template_filter,
    register_template_global,
    unregister_template_global,
)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "addons" / "apidouble-example"
DATA = Path(__file__).resolve().parent / "plugins_data"
APIDOUBLE = ROOT / ".venv" / "bin" / "apidouble"


class Site:
    """A folder on ``sys.path`` that distributions are installed into."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def install(
        self,
        name: str,
        groups: Mapping[str, Mapping[str, str]],
        modules: Mapping[str, str] = {},
    ) -> None:
        """A distribution ``name`` declaring ``groups`` ({group: {name: "mod:attr"}})
        with top-level ``modules`` ({module name: source})."""
        info = self.folder / f"{name.replace('-', '_')}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
        lines = []
        for group, points in groups.items():
            lines.append(f"[{group}]")
            lines.extend(f"{point} = {target}" for point, target in points.items())
        (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
        for module, source in modules.items():
            (self.folder / f"{module}.py").write_text(textwrap.dedent(source))

    def install_example(self) -> dict[str, dict[str, str]]:
        """The example package, as its pyproject.toml declares it; its entry points."""
        project = tomllib.loads((EXAMPLE / "pyproject.toml").read_text())["project"]
        groups: dict[str, dict[str, str]] = project["entry-points"]
        self.install(project["name"], groups)
        shutil.copytree(EXAMPLE / "apidouble_example", self.folder / "apidouble_example")
        return groups


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    """An empty install folder on sys.path; afterwards its modules are forgotten and
    every plugin registration undone."""
    folder = tmp_path / "site"
    folder.mkdir()
    unload_plugins()  # whatever an earlier test left looked up
    monkeypatch.syspath_prepend(str(folder))
    yield Site(folder)
    unload_plugins()
    for name, module in list(sys.modules.items()):
        if str(getattr(module, "__file__", None) or "").startswith(str(folder)):
            del sys.modules[name]


@pytest.fixture
def example(site: Site) -> Site:
    site.install_example()
    return site


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "apidouble.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def _sign(secret: str, payload: str) -> str:
    import hmac

    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


# --- the example package -------------------------------------------------------------


def test_the_example_declares_every_group_and_each_one_loads(site: Site) -> None:
    groups = site.install_example()
    assert set(groups) == {
        "apidouble.addons",
        "apidouble.matchers",
        "apidouble.helpers",
        "apidouble.importers",
    }
    report = load_plugins()
    assert report.failed == ()
    assert report.value_operators == ("hmac_sha256",)
    assert report.body_operators == ("body_sha256",)
    assert (report.globals, report.filters) == (("signed_token",), ("hmac_hex",))
    built_in = ("har", "openapi", "postman")
    assert report.importers == tuple(sorted((*built_in, "mockfile")))  # the example's beside
    assert load_plugins() is report  # once per process
    signer = entry_point(ADDONS, "signer")
    assert signer is not None and signer.__name__ == "Signer"
    assert entry_point(ADDONS, "nothing-of-that-name") is None


def test_no_example_file_is_a_config_that_make_run_would_load() -> None:
    found = [p for p in (ROOT / "examples" / "addons").rglob("*") if p.suffix.lower() in
             (".yaml", ".yml", ".json")]  # fmt: skip
    assert found == []


# --- operators -------------------------------------------------------------------------


def test_a_plugin_value_operator_matches_over_http_and_near_misses_name_it(
    example: Site, tmp_path: Path
) -> None:
    path = _config(
        tmp_path,
        """
        endpoints:
          - name: me
            path: /me
            match:
              headers:
                X-Token: {hmac_sha256: s3cret}
            response: {ok: true}
        """,
    )
    good = f"user-1.{_sign('s3cret', 'user-1')}"
    forged = f"user-2.{_sign('other', 'user-2')}"
    with MockServer(path) as mock:
        assert httpx.get(mock.url + "/me", headers={"X-Token": good}).json() == {"ok": True}
        missed = httpx.get(mock.url + "/me", headers={"X-Token": forged})
    assert missed.status_code == 404
    closest = missed.json()["near_misses"][0]
    assert closest["stub"] == "me"
    failed = [check for check in closest["checks"] if not check["passed"]]
    assert [check["condition"] for check in failed] == ["header X-Token signed (HMAC-SHA256)"]
    assert failed[0]["actual"] == forged


def test_plugin_operators_take_not_a_jsonpath_selection_and_the_body(
    example: Site, tmp_path: Path
) -> None:
    body = b'{"token": "t"}'
    digest = hashlib.sha256(body).hexdigest()
    endpoints: list[dict[str, Any]] = [
        {
            "name": "unsigned",
            "path": "/q",
            "match": {"query": {"t": {"hmac_sha256": "k", "not": True}}},
            "response": "unsigned",
        },
        {
            "name": "signed-body-field",
            "method": "POST",
            "path": "/field",
            "match": {"body": {"jsonpath": "$.token", "hmac_sha256": "k"}},
            "response": "field",
        },
        {
            "name": "digest",
            "method": "POST",
            "path": "/digest",
            "match": {"body": {"body_sha256": digest}},
            "response": "digest",
        },
    ]
    token = f"a.{_sign('k', 'a')}"
    with MockServer(endpoints=endpoints) as mock:
        assert httpx.get(mock.url + "/q", params={"t": "a.b"}).text == "unsigned"
        assert httpx.get(mock.url + "/q", params={"t": token}).status_code == 404
        field = httpx.post(mock.url + "/field", json={"token": token})
        assert field.text == "field"
        assert httpx.post(mock.url + "/field", json={"token": "a.b"}).status_code == 404
        assert httpx.post(mock.url + "/digest", content=body).text == "digest"
        missed = httpx.post(mock.url + "/digest", content=b"other")
    assert missed.status_code == 404
    checks = missed.json()["near_misses"][0]["checks"]
    assert {"condition": "body sha256", "passed": False} == {
        key: checks[-1][key] for key in ("condition", "passed")
    }


def test_a_mistyped_or_doubled_operator_keeps_the_native_errors_and_lists_plugins(
    example: Site, tmp_path: Path
) -> None:
    path = _config(
        tmp_path,
        """
        endpoints:
          - path: /a
            match:
              headers:
                X-A: {hmac_sha25: k}
                X-B: {hmac_sha256: k, equals: x}
                X-C: {equal: x}
              body: {body_sha256: abc, not: true}
        """,
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    messages = {p.pointer: p.message for p in caught.value.problems}
    assert messages["/endpoints/0/match/headers/X-A/hmac_sha25"] == (
        "unknown key 'hmac_sha25' (did you mean 'hmac_sha256'?)"
    )
    assert messages["/endpoints/0/match/headers/X-B"] == (
        "use exactly one of equals, contains, regex, present, one_of, hmac_sha256"
        " (got ['equals', 'hmac_sha256'])"
    )
    assert messages["/endpoints/0/match/headers/X-C/equal"] == (
        "unknown key 'equal' (did you mean 'equals'?)"
    )
    assert messages["/endpoints/0/match/body"] == "not only apply with jsonpath"


def test_without_the_plugin_its_operator_is_an_unknown_key(site: Site, tmp_path: Path) -> None:
    path = _config(
        tmp_path,
        """
        endpoints:
          - path: /a
            match:
              headers: {X-A: {hmac_sha256: k}}
        """,
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    (problem,) = caught.value.problems
    assert problem.pointer == "/endpoints/0/match/headers/X-A/hmac_sha256"
    assert problem.message == (
        "unknown key 'hmac_sha256'; expected one of: equals, contains, regex, present,"
        " one_of, case_insensitive, not"
    )


def test_a_bad_expectation_is_the_operators_config_error(example: Site, tmp_path: Path) -> None:
    path = _config(
        tmp_path,
        """
        endpoints:
          - path: /a
            match:
              headers: {X-A: {hmac_sha256: ""}}
        """,
    )
    with pytest.raises(ConfigError) as caught:
        MockServer(path)
    assert "header X-A hmac_sha256: expected the secret" in str(caught.value)


def test_a_registered_operator_without_a_package_is_usable_too(tmp_path: Path) -> None:
    def compile_even(expected: Any, options: ValueOptions) -> ValueOperator:
        return ValueOperator(lambda value: value.isdigit() and int(value) % 2 == 0, "even")

    register_value_operator("even", compile_even)
    try:
        endpoints = [{"path": "/n", "match": {"query": {"n": {"even": True}}}, "response": "even"}]
        with MockServer(endpoints=endpoints) as mock:
            assert httpx.get(mock.url + "/n", params={"n": "4"}).text == "even"
            assert httpx.get(mock.url + "/n", params={"n": "3"}).status_code == 404
    finally:
        unregister_value_operator("even")


def test_apidoubles_own_wiremock_operators_are_not_config_keys(tmp_path: Path) -> None:
    path = _config(
        tmp_path,
        """
        endpoints:
          - path: /a
            match:
              headers: {X-A: {before: "2020-01-01T00:00:00Z"}}
        """,
    )
    with pytest.raises(ConfigError, match="unknown key 'before'"):
        load_config(path)


def test_an_operator_name_already_taken_is_refused_and_logged(
    site: Site, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    site.install(
        "greedy",
        {"apidouble.matchers": {n: "greedy:op" for n in ("equals", "case_insensitive", "mine")}},
        {"greedy": "from apidouble.matching.values import ValueOperator\n"
                   "def op(expected, options):\n"
                   "    return ValueOperator(lambda value: True, 'anything')\n"},
    )  # fmt: skip
    site.install("late", {"apidouble.matchers": {"mine": "greedy:op"}})
    with caplog.at_level(logging.WARNING, logger="apidouble.plugins"):
        report = load_plugins()
    assert report.value_operators == ("mine",)
    failed = "\n".join(report.failed)
    assert "plugin apidouble.matchers:equals from greedy 1.0 skipped: value operator" in failed
    assert "'equals' is already registered" in failed
    assert "matchers:case_insensitive from greedy 1.0 skipped: 'case_insensitive' is a" in failed
    assert "value operator 'mine' is already registered" in failed  # the second one
    assert caplog.text.count("skipped") == 3
    endpoints = [{"path": "/a", "match": {"headers": {"X-A": "exact"}}, "response": "native"}]
    with MockServer(endpoints=endpoints) as mock:  # equals is still the native one
        assert httpx.get(mock.url + "/a", headers={"X-A": "exact"}).text == "native"
        assert httpx.get(mock.url + "/a", headers={"X-A": "other"}).status_code == 404


def test_a_broken_entry_point_is_logged_and_the_server_still_starts(
    example: Site, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    example.install(
        "broken",
        {
            "apidouble.matchers": {"broken_op": "no_such_module_here:op"},
            "apidouble.helpers": {"not_callable": "brokenhelpers:VALUE"},
            "apidouble.importers": {"shapeless": "brokenhelpers:VALUE"},
        },
        {"brokenhelpers": "VALUE = 42\n"},
    )
    path = _config(
        tmp_path,
        """
        endpoints:
          - path: /me
            match:
              headers: {X-Token: {hmac_sha256: k}}
            response: {token: "{{ signed_token('u', 'k') }}"}
        """,
    )
    with caplog.at_level(logging.WARNING, logger="apidouble.plugins"):
        with MockServer(path) as mock:  # loads the plugins itself, on the unknown key
            token = f"u.{_sign('k', 'u')}"
            answer = httpx.get(mock.url + "/me", headers={"X-Token": token})
    assert answer.json() == {"token": token}
    assert "plugin apidouble.matchers:broken_op from broken 1.0 skipped: cannot load" in caplog.text
    assert "ModuleNotFoundError" in caplog.text
    assert "apidouble.helpers:not_callable from broken 1.0 skipped" in caplog.text
    assert "apidouble.importers:shapeless from broken 1.0 skipped" in caplog.text
    with pytest.raises(PluginError, match="apidouble.matchers:broken_op from broken 1.0"):
        entry_point("apidouble.matchers", "broken_op")


def test_the_cli_logs_a_broken_plugin_and_still_validates(site: Site, tmp_path: Path) -> None:
    site.install("broken", {"apidouble.helpers": {"gone": "no_such_module_here:fn"}})
    path = _config(tmp_path, "endpoints:\n  - path: /a\n")
    done = _cli(site, "validate", str(path))
    assert done.returncode == 0, done.stderr
    assert "plugin apidouble.helpers:gone from broken 1.0 skipped" in done.stderr
    assert "ok: 1 endpoint(s)" in done.stdout


# --- template helpers ----------------------------------------------------------------


def test_plugin_helpers_render_in_response_templates(example: Site) -> None:
    endpoints = [
        {
            "method": "POST",
            "path": "/sign",
            "headers": {"X-Sig": "{{ request.body | hmac_hex('k') }}"},
            "response": {"token": "{{ signed_token(request.query.user, 'k') }}"},
        }
    ]
    with MockServer(endpoints=endpoints) as mock:
        answer = httpx.post(mock.url + "/sign", params={"user": "ada"}, content=b"hello")
    assert answer.json() == {"token": f"ada.{_sign('k', 'ada')}"}
    assert answer.headers["X-Sig"] == _sign("k", "hello")


def test_a_helper_is_known_from_registration_until_removal() -> None:
    source = "{{ twice(21) }}"
    env = TemplateEnvironment()
    with pytest.raises(ValueError, match="unknown template name"):
        compile_text(env, source)
    register_template_global("twice", lambda value: value * 2)
    try:
        assert compile_text(env, source)(None, {}) == "42"
    finally:
        unregister_template_global("twice")
    with pytest.raises(ValueError, match="unknown template name"):
        compile_text(env, source)  # not served from the compile cache


def test_an_installed_helper_works_in_event_streams_and_conversations() -> None:
    """The templates that read names of their own (``index``, ``message``) know installed
    helpers too."""
    from apidouble.templating.valuetemplates import compile_value

    register_template_global("twice", lambda value: value * 2)
    try:
        run, names = compile_value({"n": "{{ twice(index) }}"}, "data", ("index",))
        assert run is not None
        ctx = TemplateEnvironment().context_maker(names)(None, {})
        assert run({**ctx, "index": 4}) == {"n": 8}
    finally:
        unregister_template_global("twice")


@pytest.mark.parametrize(
    ("register", "name", "why"),
    [
        (register_template_global, "uuid", "already defined"),
        (register_template_global, "range", "already defined"),
        (register_template_filter, "upper", "already defined"),
        (register_template_filter, "b64encode", "already defined"),
        (register_template_global, "_hidden", "identifier not starting with _"),
    ],
)
def test_a_helper_name_already_taken_is_refused(register: Any, name: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        register(name, lambda value: value)


# --- importers -------------------------------------------------------------------------


def test_plugin_document_converts_what_an_importer_claims(example: Site) -> None:
    data = {"mockfile": 1, "routes": [{"route": "GET /hello", "json": {"hi": True}}]}
    document = plugin_document(data, Path("routes.json"))
    assert document == {
        "endpoints": [{"method": "GET", "path": "/hello", "response": {"hi": True}}]
    }
    assert plugin_document({"mockfile": 2}, Path("other.json")) is None
    with pytest.raises(PluginError, match="importer 'mockfile' .* cannot convert bad.json"):
        plugin_document({"mockfile": 1, "routes": "no"}, Path("bad.json"))


def test_an_importer_that_fails_to_detect_is_passed_over(
    example: Site, caplog: pytest.LogCaptureFixture
) -> None:
    example.install(
        "picky",
        {IMPORTERS: {"aaa_first": "picky:Picky", "aab_wrong": "picky:Wrong"}},
        {"picky": "class Picky:\n"
                  "    def detect(self, data, path): raise KeyError('routes')\n"
                  "    def convert(self, data, path): return {}\n"
                  "class Wrong:\n"
                  "    def detect(self, data, path): return data.get('wrong', False)\n"
                  "    def convert(self, data, path): return {'stubs': []}\n"},
    )  # fmt: skip
    data = {"mockfile": 1, "routes": []}
    with caplog.at_level(logging.WARNING, logger="apidouble.plugins"):
        assert plugin_document(data, Path("r.json")) == {"endpoints": []}
    assert "importer 'aaa_first' (apidouble.importers): detect failed on r.json: KeyError" in (
        caplog.text
    )
    with pytest.raises(PluginError, match="'aab_wrong' .* gave dict, not a document with"):
        plugin_document({"wrong": True}, Path("w.json"))


def test_a_file_an_importer_claims_is_served(example: Site) -> None:
    with MockServer(DATA / "mockfile.json") as mock:
        assert httpx.get(mock.url + "/hello").json() == {"hi": True}
        made = httpx.post(mock.url + "/items")
    assert (made.status_code, made.text) == (201, "made")


def _cli(site: Site, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site.folder)}
    return subprocess.run(
        [str(APIDOUBLE), *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=60
    )


def test_apidouble_import_converts_with_a_plugin_importer(example: Site, tmp_path: Path) -> None:
    out = tmp_path / "out.yaml"
    done = _cli(example, "import", "mockfile", str(DATA / "mockfile.json"), "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert "wrote 2 endpoint(s)" in done.stderr
    assert yaml.safe_load(out.read_text()) == {
        "endpoints": [
            {"method": "GET", "path": "/hello", "response": {"hi": True}},
            {
                "method": "POST",
                "path": "/items",
                "status": 201,
                "response": "made",
                "content_type": "text/plain",
            },
        ]
    }
    with MockServer(out) as mock:  # the written file is a native config
        assert httpx.get(mock.url + "/hello").json() == {"hi": True}


def test_apidouble_import_names_the_formats_it_knows(example: Site, tmp_path: Path) -> None:
    done = _cli(example, "import", "nosuch", str(DATA / "mockfile.json"))
    assert done.returncode == 2
    known = "known: wiremock, har, mockfile, openapi, postman"
    assert f"unknown format 'nosuch' ({known})" in done.stderr
    bad = tmp_path / "bad.json"
    bad.write_text('{"mockfile": 1, "routes": 3}')
    done = _cli(example, "import", "mockfile", str(bad))
    assert done.returncode == 1
    assert "importer 'mockfile' (apidouble.importers) cannot convert" in done.stderr


# --- the addon -------------------------------------------------------------------------


def test_the_example_addon_signs_responses(example: Site, tmp_path: Path) -> None:
    path = _config(
        tmp_path,
        """
        addons:
          - use: signer
            options: {secret: s3cret}
        endpoints:
          - path: /hello
            response: hello
        """,
    )
    with MockServer(path) as mock:
        answer = httpx.get(mock.url + "/hello")
    assert answer.text == "hello"
    assert answer.headers["X-Signature"] == _sign("s3cret", "hello")


def test_a_file_an_importer_cannot_convert_is_a_problem_of_that_file(
    example: Site, tmp_path: Path
) -> None:
    bad = tmp_path / "routes.json"
    bad.write_text('{"mockfile": 1, "routes": [{"no": "route"}]}')
    with pytest.raises(ConfigError) as caught:
        load_config(bad)
    (problem,) = caught.value.problems
    assert problem.file.endswith("routes.json")
    assert "importer 'mockfile' (apidouble.importers) cannot convert" in problem.message
    assert "routes[0]: expected an object with a 'route'" in problem.message
