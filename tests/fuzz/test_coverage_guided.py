"""The coverage-guided driver (``coverage_guided.py``): which targets it can run, and
that atheris, driving a Hypothesis target, stops at a failing property with its input."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from . import coverage_guided

REPO = Path(__file__).resolve().parents[2]
pytest.importorskip("atheris", reason="atheris has wheels for x86-64 Linux only")


def test_the_targets_are_those_that_need_no_server() -> None:
    found = coverage_guided.targets(coverage_guided._modules())
    assert {"test_body_regex", "test_any_document_loads_or_says_where"} <= set(found)
    assert {"test_jinja_served", "test_any_proto_loads_or_says_where"} <= set(found)
    assert "test_any_request_bytes" not in found  # takes the served MockServer
    assert not any(name.startswith("test_a_") for name in found)  # plain tests are not


def _drive(args: list[str], modules: str | None = None, path: Path | None = None) -> str:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(p) for p in (REPO, path) if p)}
    if modules is not None:
        env["APIDOUBLE_FUZZ_GUIDED_MODULES"] = modules
    done = subprocess.run(
        [sys.executable, "-m", "tests.fuzz.coverage_guided", *args],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    return f"rc={done.returncode}\n{done.stdout}{done.stderr}"


def test_a_target_runs_under_libfuzzer() -> None:
    out = _drive(["test_value_regex", "-runs=50"])
    assert out.startswith("rc=0") and "Done 50 runs" in out, out[-2000:]


def test_a_failing_property_stops_the_run_and_keeps_its_input(tmp_path: Path) -> None:
    (tmp_path / "broken_target.py").write_text(
        "from hypothesis import given, strategies as st\n\n"
        "@given(st.integers(0, 100))\n"
        "def test_no_x(number):\n"
        "    assert number < 90\n"
    )
    prefix = tmp_path / "found-"
    out = _drive(
        ["test_no_x", "-runs=100000", f"-artifact_prefix={prefix}"], "broken_target", tmp_path
    )
    assert not out.startswith("rc=0"), out[-2000:]
    assert "AssertionError" in out, out[-2000:]
    assert list(tmp_path.glob("found-crash-*")), out[-2000:]
