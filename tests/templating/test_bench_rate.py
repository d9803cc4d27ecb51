"""A short run of the template-rate benchmark, so the harness cannot silently rot."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "template_rate.py"


def test_template_rate_bench_runs() -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH), "--quick"], capture_output=True, text=True, timeout=120
    )
    assert "ratio" in result.stdout, result.stderr
    assert "static" in result.stdout and "templated" in result.stdout
