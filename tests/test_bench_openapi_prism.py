"""A short run of ``bench/openapi_prism.py`` against the installed Prism, so it cannot rot.

Every row must have a numeric rate on both sides and a ratio, and both servers must
have answered alike; a row whose server answers another status, or does not run, makes
the script exit 1 and this test red. Skipped when Prism (or node) is not installed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "bench" / "openapi_prism.py"
CACHE = Path(os.environ.get("APIDOUBLE_BENCH_CACHE", Path.home() / ".cache/apidouble-bench"))
PRISM = CACHE / "npm" / "node_modules" / "@stoplight" / "prism-cli" / "dist" / "index.js"
SKIP = None if shutil.which("node") else "node is not installed"
SKIP = SKIP or (None if PRISM.exists() else f"Prism is not installed ({PRISM}; scripts/peers/)")


@pytest.mark.skipif(SKIP is not None, reason=SKIP or "")
def test_openapi_prism_prints_a_full_table(tmp_path: Path) -> None:
    out = tmp_path / "benchmarks.md"
    out.write_text("# Benchmarks\n\nkept\n\n<!-- target check: begin -->\nchecked\n")
    command = [sys.executable, str(SCRIPT), "--duration", "0.3", "--rounds", "1"]
    command += ["--warmup", "0", "--load", "python", "--run-dir", str(tmp_path), "--out", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr
    # | # | request | status | ours req/s | p99 | Prism req/s | p99 | × Prism | same answer |
    number = r"[\d,]+"
    line = (
        rf"^\| (\d) \| [^|]+ \| (\d{{3}}) \| ({number}) \| ([\d.]+) ms \| ({number}) "
        r"\| ([\d.]+) ms \| ([\d.]+) \| (\S+) \|$"
    )
    rows = {int(m.group(1)): m.groups()[1:] for m in re.finditer(line, done.stdout, re.M)}
    assert sorted(rows) == [1, 2, 3, 4, 5], done.stdout
    assert [rows[n][0] for n in sorted(rows)] == ["200", "404", "200", "400", "200"]
    for _, ours, _, theirs, _, ratio, same in rows.values():
        assert float(ours.replace(",", "")) > 0 and float(theirs.replace(",", "")) > 0
        assert float(ratio) > 0
        assert same == "yes", done.stdout
    text = out.read_text()
    assert text.index("kept") < text.index("<!-- openapi prism: begin -->")
    assert text.index("<!-- openapi prism: end -->") < text.index("<!-- target check: begin -->")
    assert "Spec-driven mocking against Prism" in text and text.endswith("checked\n")
