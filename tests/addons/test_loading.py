"""Loading addons: from files, modules and entry points; broken ones are load errors
with file and line; an edited addon file is served on the next reload."""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from apidouble import MockServer
from apidouble.errors import ConfigError

STATIC = {"name": "static", "path": "/static", "response": {"ok": True}}

TAGGER = """
    def response(flow):
        flow.response.set_header("X-Tag", "{tag}")
"""


def write_config(folder: Path, addons: list[Any], *endpoints: dict[str, Any]) -> Path:
    config = folder / "apidouble.json"
    config.write_text(json.dumps({"addons": addons, "endpoints": list(endpoints or [STATIC])}))
    return config


def write_hooks(folder: Path, source: str, name: str = "hooks.py") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(source))
    return path


def tag_of(mock: MockServer) -> str | None:
    return httpx.get(mock.url + "/static").headers.get("x-tag")


@pytest.mark.parametrize(
    ("source", "line", "message"),
    [
        ("def response(flow):\n    return (\n", 2, "'(' was never closed"),
        ("import json\nraise RuntimeError('no token set')\n", 2, "RuntimeError: no token set"),
        ("import not_a_module_anywhere\n", 1, "ModuleNotFoundError"),
    ],
    ids=["syntax", "raises", "import"],
)
def test_a_broken_addon_file_is_a_load_error_at_its_line(
    tmp_path: Path, source: str, line: int, message: str
) -> None:
    hooks = write_hooks(tmp_path, source)
    with pytest.raises(ConfigError) as caught:
        MockServer(write_config(tmp_path, ["hooks.py"])).start()
    [problem] = caught.value.problems
    assert problem.file == str(hooks) and problem.line == line
    assert message in problem.message and "addon 'hooks.py'" in problem.message


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("missing.py", "cannot read"),
        ("hooks.py:Nope", "has no attribute 'Nope'"),
        ("no_such_pkg_xyz.hooks:Signer", "cannot import no_such_pkg_xyz.hooks"),
        ("nosuchaddon", "not a .py file, a module, or an installed entry point"),
    ],
)
def test_an_addon_that_cannot_be_found_names_the_config_line(
    tmp_path: Path, entry: str, message: str
) -> None:
    write_hooks(tmp_path, TAGGER.format(tag="a"))
    config = tmp_path / "apidouble.yaml"
    config.write_text(
        f"endpoints:\n  - {{path: /static, response: {{ok: true}}}}\naddons:\n  - {entry}\n"
    )
    with pytest.raises(ConfigError) as caught:
        MockServer(config).start()
    [problem] = caught.value.problems
    assert problem.file == str(config) and problem.line == 4
    assert message in problem.message


def test_an_endpoint_naming_an_unknown_addon_is_a_load_error(tmp_path: Path) -> None:
    endpoint = {**STATIC, "addons": ["signer"]}
    with pytest.raises(ConfigError) as caught:
        MockServer(write_config(tmp_path, [], endpoint)).start()
    [problem] = caught.value.problems
    assert problem.pointer == "/endpoints/0/addons/0"
    assert "no such addon" in problem.message


def test_two_addons_with_one_name_are_refused(tmp_path: Path) -> None:
    write_hooks(tmp_path, TAGGER.format(tag="a"))
    write_hooks(tmp_path / "..", TAGGER.format(tag="b"), f"{tmp_path.name}_hooks.py")
    entries = ["hooks.py", {"use": f"../{tmp_path.name}_hooks.py", "name": "hooks"}]
    with pytest.raises(ConfigError, match="another addon is already called 'hooks'"):
        MockServer(write_config(tmp_path, entries)).start()


def test_an_edited_addon_file_is_served_after_a_reload(tmp_path: Path) -> None:
    hooks = write_hooks(tmp_path, TAGGER.format(tag="one"))
    with MockServer(write_config(tmp_path, ["hooks.py"])) as mock:
        assert tag_of(mock) == "one"
        hooks.write_text(textwrap.dedent(TAGGER.format(tag="two")) + "\n# edited\n")
        assert mock.reload() is None
        assert tag_of(mock) == "two"


def test_an_unchanged_addon_file_keeps_its_objects_across_reloads(tmp_path: Path) -> None:
    write_hooks(
        tmp_path,
        """
        loads = []

        def load(context):
            loads.append(len(context.stubs))

        def response(flow):
            flow.response.set_header("X-Loads", ",".join(map(str, loads)))
        """,
    )
    config = write_config(tmp_path, ["hooks.py"])
    with MockServer(config) as mock:
        assert httpx.get(mock.url + "/static").headers["x-loads"] == "1"
        config.write_text(
            json.dumps(
                {
                    "addons": ["hooks.py"],
                    "endpoints": [STATIC, {**STATIC, "name": "b", "path": "/b"}],
                }
            )
        )
        assert mock.reload() is None
        assert httpx.get(mock.url + "/static").headers["x-loads"] == "1,2"


def test_a_broken_edit_keeps_the_last_good_addon_serving(tmp_path: Path) -> None:
    hooks = write_hooks(tmp_path, TAGGER.format(tag="good"))
    with MockServer(write_config(tmp_path, ["hooks.py"])) as mock:
        assert tag_of(mock) == "good"
        hooks.write_text("def response(flow):\n    flow.response.set_header(\n")
        with pytest.raises(ConfigError) as caught:
            mock.reload()
        assert f"{hooks}:2" in str(caught.value)
        assert tag_of(mock) == "good"
        health = httpx.get(mock.url + "/__admin/health").json()
        assert health["status"] != "ok"
        hooks.write_text(textwrap.dedent(TAGGER.format(tag="fixed")))
        assert mock.reload() is None
        assert tag_of(mock) == "fixed"


def test_a_failing_load_hook_is_a_load_error(tmp_path: Path) -> None:
    write_hooks(tmp_path, "def load(context):\n    raise ValueError('bad options')\n")
    with pytest.raises(ConfigError, match="load hook failed: ValueError: bad options"):
        MockServer(write_config(tmp_path, ["hooks.py"])).start()


def test_a_class_gets_its_options_and_a_module_path_imports(tmp_path: Path) -> None:
    package = tmp_path / "pkg_addons_test"
    package.mkdir()
    (package / "__init__.py").write_text("")
    write_hooks(
        package,
        """
        class Tagger:
            def __init__(self, tag):
                self.tag = tag

            def response(self, flow):
                flow.response.set_header("X-Tag", self.tag)
        """,
        "tags.py",
    )
    sys.path.insert(0, str(tmp_path))
    try:
        entry = {"use": "pkg_addons_test.tags:Tagger", "options": {"tag": "from-options"}}
        with MockServer(write_config(tmp_path, [entry])) as mock:
            assert tag_of(mock) == "from-options"
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n.startswith("pkg_addons_test")]:
            del sys.modules[name]


@pytest.fixture
def installed_addon(tmp_path: Path) -> Iterator[str]:
    """A package declaring an ``apidouble.addons`` entry point, on ``sys.path``."""
    site = tmp_path / "site"
    (site / "tagging_addon_pkg").mkdir(parents=True)
    (site / "tagging_addon_pkg" / "__init__.py").write_text(
        textwrap.dedent(
            """
            class Tagger:
                name = "tagger"

                def response(self, flow):
                    flow.response.set_header("X-Tag", "entry-point")
            """
        )
    )
    info = site / "tagging_addon_pkg-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: tagging-addon-pkg\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[apidouble.addons]\ntagger = tagging_addon_pkg:Tagger\n"
    )
    sys.path.insert(0, str(site))
    try:
        yield "tagger"
    finally:
        sys.path.remove(str(site))
        sys.modules.pop("tagging_addon_pkg", None)


def test_an_installed_entry_point_is_an_addon_by_name(tmp_path: Path, installed_addon: str) -> None:
    endpoint = {**STATIC, "addons": [installed_addon]}
    with MockServer(write_config(tmp_path, [], endpoint)) as mock:
        assert tag_of(mock) == "entry-point"


def test_an_addon_registers_an_operator_its_own_config_uses(tmp_path: Path) -> None:
    """The config's addons load before its endpoints are validated."""
    write_hooks(
        tmp_path,
        """
        from apidouble.matching.values import ValueOperator, register_value_operator

        def _even(expected, options):
            return ValueOperator(lambda value: value.isdigit() and int(value) % 2 == 0, "even")

        register_value_operator("even_number", _even, replace=True)
        """,
    )
    endpoint = {**STATIC, "match": {"query": {"n": {"even_number": True}}}}
    try:
        with MockServer(write_config(tmp_path, ["hooks.py"], endpoint)) as mock:
            assert httpx.get(mock.url + "/static?n=4").status_code == 200
            assert httpx.get(mock.url + "/static?n=3").status_code == 404
    finally:
        from apidouble.matching.values import unregister_value_operator

        unregister_value_operator("even_number")
