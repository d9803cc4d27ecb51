"""Few-second runs of the benchmark harness (apidouble alone, no wrk), so it cannot rot,
and the ``--check`` targets' evaluation, table-tested without measuring anything.

The real benchmark (``make bench``, ``make bench ARGS=--check``) never runs in the suite.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .benchmods import BENCH, bench_module

RUN = BENCH / "run.py"


targets = bench_module("targets")
docfile = bench_module("docfile")


def _run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(RUN), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


def test_harness_runs_every_scenario_on_apidouble(tmp_path: Path) -> None:
    command = ["--peers", "apidouble", "--load", "python"]
    command += ["--duration", "0.5", "--warmup", "0", "--rounds", "1", "--burst", "50"]
    command += ["--memory-requests", "200", "--memory-max-s", "1"]
    command += ["--cache", str(tmp_path), "--out", str(tmp_path / "benchmarks.md")]
    result = _run(*command)
    assert result.returncode == 0, result.stderr[-2000:]
    table = (tmp_path / "benchmarks.md").read_text()
    for scenario in ("static", "templated", "large", "jsonpath", "latency", "memory"):
        assert f"| {scenario} | apidouble" in table, table
    assert "n/a" not in table.split("## Targets")[0], table
    assert "slow requests done in" in table


# --- --check: the target evaluation ---------------------------------------------------

NGINX = 100_000.0
PASSING = targets.Figures(
    nginx_rps=NGINX,
    nginx_p99_ms=2.0,
    bare_rps=100_000.0,
    bare_p99_ms=1.0,
    static_rps=60_000.0,
    static_p99_ms=3.0,
    wiremock_rps=60_000.0,
    conditions_rps=40_000.0,
    templated_rps=25_000.0,
    notfound_rps=10_000.0,
    flood_quiet_rps=50_000.0,
    flood_rps=25_000.0,
    memory_rss_mb=150.0,
    memory_requests=1_000_000,
    idle_wanted=10_000,
    idle_held=10_000,
    idle_kb=8.0,
    idle_quiet_rps=50_000.0,
    idle_rps=40_000.0,
    jwt_rps=40_000.0,
    jwt_open_rps=50_000.0,
    load_stubs=10_000,
    load_s=3.0,
    reload_s=0.5,
)
"""Every figure exactly on its target: each must pass."""


def test_figures_on_every_target_pass_and_exit_zero() -> None:
    verdicts = targets.evaluate(PASSING)
    assert {key: v.status for key, v in verdicts.items() if v.status != "PASS"} == {}
    assert len(verdicts) == 15
    assert targets.exit_code(verdicts.values()) == 0


SMALL_IDLE = {"idle/held": "N/A", "idle/cost": "N/A", "idle/neighbour": "N/A"}


@pytest.mark.parametrize(
    ("changes", "moved"),
    [
        (
            {"nginx_rps": 100_001.0},
            {"conditions": "FAIL", "templated": "FAIL", "notfound": "FAIL"},
        ),
        ({"static_rps": 49_999.0}, {"static/nginx": "FAIL", "static/bare": "FAIL"}),
        ({"static_rps": 59_999.0}, {"static/bare": "FAIL"}),
        ({"wiremock_rps": 59_999.0}, {"wiremock/bare": "FAIL"}),
        ({"wiremock_rps": None}, {"wiremock/bare": "N/A"}),
        ({"bare_rps": None}, {"static/bare": "N/A", "wiremock/bare": "N/A"}),
        ({"static_p99_ms": 3.01}, {"static/p99": "FAIL"}),
        ({"nginx_p99_ms": None}, {"static/p99": "N/A"}),
        ({"conditions_rps": 39_999.0}, {"conditions": "FAIL"}),
        ({"templated_rps": 24_999.0}, {"templated": "FAIL"}),
        ({"templated_rps": None}, {"templated": "N/A"}),
        ({"notfound_rps": 9_999.0}, {"notfound": "FAIL"}),
        (
            {"nginx_rps": None},
            {"static/nginx": "N/A", "conditions": "N/A", "templated": "N/A", "notfound": "N/A"},
        ),
        ({"flood_rps": 24_999.0}, {"flood": "FAIL"}),
        ({"flood_quiet_rps": None}, {"flood": "N/A"}),
        ({"memory_rss_mb": 150.5}, {"memory": "FAIL"}),
        ({"memory_requests": 999_999}, {"memory": "N/A"}),
        ({"memory_requests": 1_000, "memory_rss_mb": 151.0}, {"memory": "FAIL"}),
        ({"idle_held": 9_999}, {"idle/held": "FAIL"}),
        ({"idle_kb": 8.1}, {"idle/cost": "FAIL"}),
        ({"idle_rps": 39_999.0}, {"idle/neighbour": "FAIL"}),
        ({"idle_wanted": 50, "idle_held": 50}, SMALL_IDLE),
        ({"idle_wanted": 50, "idle_held": 49}, {**SMALL_IDLE, "idle/held": "FAIL"}),
        ({"jwt_rps": 39_999.0}, {"jwt": "FAIL"}),
        ({"jwt_open_rps": None}, {"jwt": "N/A"}),
        ({"load_s": 3.01}, {"load": "FAIL"}),
        ({"reload_s": 0.51}, {"reload": "FAIL"}),
        ({"reload_s": None}, {"reload": "N/A"}),
        ({"load_stubs": 9_999}, {"load": "N/A", "reload": "N/A"}),
    ],
)
def test_figures_off_target_miss_exactly_those_targets(
    changes: dict[str, Any], moved: dict[str, str]
) -> None:
    verdicts = targets.evaluate(dataclasses.replace(PASSING, **changes))
    missed = {key: v.status for key, v in verdicts.items() if v.status != "PASS"}
    assert missed == moved
    assert targets.exit_code(verdicts.values()) == 1


def test_nothing_measured_is_not_a_pass() -> None:
    verdicts = targets.evaluate(targets.Figures())
    assert {v.status for v in verdicts.values()} == {"N/A"}
    assert targets.exit_code(verdicts.values()) == 1
    assert targets.exit_code([]) == 1


def test_the_table_has_a_row_per_target_with_its_verdict() -> None:
    figures = dataclasses.replace(PASSING, templated_rps=20_000.0)
    verdicts = list(targets.evaluate(figures).values())
    text = targets.table(figures, verdicts)
    rows = [line for line in text.splitlines() if line.startswith("| ")][1:]
    assert len(rows) == 2 + len(verdicts) + 1  # and the JWT row's reference
    assert "| static stub, open, with the same bearer header | 50,000 |" in text
    assert "| templated ~2 KB | 20,000 | 0.20 | 0.20 |" in text
    assert "**FAIL** 0.20×" in text
    assert text.count("**PASS**") == len(verdicts) - 1


def _saved(tmp_path: Path, figures: Any) -> Path:
    path = tmp_path / "figures.json"
    path.write_text(json.dumps(dataclasses.asdict(figures)))
    return path


def test_check_exit_code_follows_the_verdicts(tmp_path: Path) -> None:
    out = tmp_path / "benchmarks.md"
    out.write_text("# Benchmarks\n\nthe peer table\n")
    passing = _run("--check", "--figures", str(_saved(tmp_path, PASSING)), "--out", str(out))
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert "Not met (0 of 15): none." in passing.stdout
    missed = dataclasses.replace(PASSING, reload_s=2.0)
    failing = _run("--check", "--figures", str(_saved(tmp_path, missed)), "--out", str(out))
    assert failing.returncode == 1, failing.stdout + failing.stderr
    assert "Not met (1 of 15): hot reload" in failing.stdout
    written = out.read_text()
    assert written.startswith("# Benchmarks\n\nthe peer table\n"), written
    assert written.count("## Target check") == 1 and "**FAIL** 2.00 s" in written


def test_check_measures_every_scenario(tmp_path: Path) -> None:
    """The whole --check on a tiny scale (asyncio load, 20 idle connections, 20 stubs):
    every target gets a figure, and a run too small to tell exits 1, not 0."""
    command = ["--check", "--load", "python", "--duration", "0.5", "--warmup", "0"]
    command += ["--rounds", "1", "--idle", "20", "--load-stubs", "20"]
    command += ["--memory-requests", "200", "--memory-max-s", "0.5"]
    command += ["--cache", str(tmp_path), "--out", str(tmp_path / "benchmarks.md")]
    result = _run(*command)
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert result.returncode == 1, result.stdout[-3000:]
    saved = json.loads(next(tmp_path.glob("check-*/figures.json")).read_text())
    unmeasured = {name for name, value in saved.items() if value is None}
    if saved["nginx_rps"] is None:  # a machine without nginx (make bench installs it)
        unmeasured -= {"nginx_rps", "nginx_p99_ms"}
    assert unmeasured == set(), unmeasured
    assert saved["idle_held"] == 20 and saved["load_stubs"] == 20
    assert "## Target check" in (tmp_path / "benchmarks.md").read_text()


# --- docs/benchmarks.md: each run rewrites only its part -------------------------------


def test_check_and_peer_tables_keep_each_other(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    docfile.write_peers(doc, "# Benchmarks\n\npeers one\n")
    docfile.write_check(doc, "## Target check\n\ncheck one")
    docfile.write_peers(doc, "# Benchmarks\n\npeers two\n")
    assert "peers two" in doc.read_text() and "check one" in doc.read_text()
    docfile.write_check(doc, "## Target check\n\ncheck two")
    text = doc.read_text()
    assert "peers two" in text and "check two" in text and "check one" not in text
    assert "peers one" not in text and text.count(docfile.BEGIN) == 1
