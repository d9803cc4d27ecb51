"""A few-second run of the matching benchmark, so the harness cannot silently rot.

It exits 1 when 1,000 stubs cost 1.5 × 10 stubs or more: the router index is meant to
keep the lookup flat (about 1.0 ×), so that margin is wide enough not to flake.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "match_scaling.py"


def test_match_scaling_bench_runs() -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH), "--quick"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "worst ratio" in result.stdout, result.stderr
    assert "literal" in result.stdout and "template" in result.stdout
