"""A few-second run of ``bench/state_scale.py`` (rows 1 and 4), so it cannot silently rot.

Row 4 is the cycle stub on ``--state redis://…``: the Redis scripts it runs per request
must show the state really lives in Redis, where row 1 (a static stub) runs none.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "bench" / "state_scale.py"


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")
def test_state_scale_prints_a_table_with_numeric_rates(tmp_path: Path) -> None:
    command = [sys.executable, str(SCRIPT), "--rows", "1,4", "--duration", "0.5"]
    command += ["--rounds", "1", "--warmup", "0", "--cache", str(tmp_path)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    # | # | title | req/s | p99 | × row 1 | Redis scripts / request | CPU µs: ours + Redis |
    line = r"^\| (\d) \| [^|]+ \| ([\d,]+) \| ([\d.]+) ms \| ([\d.]+) \| ([\d.]+) \| \d+ \+ \d+ \|$"
    rows = {int(m.group(1)): m.groups()[1:] for m in re.finditer(line, done.stdout, re.M)}
    assert sorted(rows) == [1, 4], done.stdout
    for rate, _, _, _ in rows.values():
        assert float(rate.replace(",", "")) > 0
    assert rows[1][2] == "1.00"
    assert float(rows[1][3]) < 0.1  # nothing else talks to Redis: the count is the row's own
    assert 0.9 <= float(rows[4][3]) <= 1.5, done.stdout  # one state operation per request
    assert "share the same cores" in done.stdout and "CPU count" in done.stdout
