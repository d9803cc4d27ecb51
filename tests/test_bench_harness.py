"""A few-second run of the benchmark harness (apidouble alone, no wrk), so it cannot rot.

The real benchmark (``make bench``) never runs in the test suite.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

RUN = Path(__file__).resolve().parents[1] / "bench" / "run.py"


def test_harness_runs_every_scenario_on_apidouble(tmp_path: Path) -> None:
    command = [sys.executable, str(RUN), "--peers", "apidouble", "--load", "python"]
    command += ["--duration", "0.5", "--warmup", "0", "--rounds", "1", "--burst", "50"]
    command += ["--memory-requests", "200", "--memory-max-s", "1"]
    command += ["--cache", str(tmp_path), "--out", str(tmp_path / "benchmarks.md")]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    table = (tmp_path / "benchmarks.md").read_text()
    for scenario in ("static", "templated", "large", "jsonpath", "latency", "memory"):
        assert f"| {scenario} | apidouble" in table, table
    assert "n/a" not in table.split("## Targets")[0], table
    assert "slow requests done in" in table
