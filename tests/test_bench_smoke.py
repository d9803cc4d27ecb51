"""A few-second run of the matching benchmark, so the harness cannot silently rot."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "match_scaling.py"


def test_match_scaling_bench_runs() -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH), "--quick"], capture_output=True, text=True, timeout=120
    )
    assert "worst ratio" in result.stdout, result.stderr
    assert "literal" in result.stdout and "template" in result.stdout
