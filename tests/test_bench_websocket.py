"""A few-second run of ``bench/websocket_bench.py`` (both servers, tiny sizes), so it
cannot rot, and its parts that decide something, tested without measuring: the section
writer, the per-connection figure, and the rows and exit code when a server is missing.

The real benchmark (1,000 connections, 50 clients, 3 rounds) never runs in the suite.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from .benchmods import BENCH, bench_module

SCRIPT = BENCH / "websocket_bench.py"
DOCS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"


ws = bench_module("websocket_bench")

# | server | held | RSS before, after | MB for all | KB each | msgs/s | p99 | CPU × 2 | bound by |
ROW = re.compile(
    r"^\| (apidouble, journal on|websockets `serve\(\)` echo) \| ([\d,]+) / ([\d,]+) "
    r"\| ([\d.]+) \| ([\d.]+) \| (-?[\d.]+) \| (-?[\d.]+) \| ([\d,]+) \| ([\d.]+) ms "
    r"\| (\d+)% \((\d+) µs/msg\) \| (\d+)% \((\d+) µs/msg\) \| (server|client)[^|]* \|$",
    re.M,
)


@pytest.mark.timeout(120)
def test_a_small_run_measures_both_servers(tmp_path: Path) -> None:
    before = DOCS.read_bytes() if DOCS.exists() else None
    command = [sys.executable, str(SCRIPT), "--connections", "50", "--clients", "4"]
    command += ["--duration", "0.5", "--rounds", "1", "--warmup", "0", "--hold", "0.5"]
    command += ["--no-write", "--run-dir", str(tmp_path)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=110)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {m.group(1): m.groups()[1:] for m in ROW.finditer(done.stdout)}
    assert sorted(rows) == ["apidouble, journal on", "websockets `serve()` echo"], done.stdout
    for held, wanted, rss_before, rss_after, growth, kb, rate, p99, *_ in rows.values():
        assert held == wanted == "50"
        assert float(rss_before) > 0 and float(rss_after) > 0
        # the figures follow from the measured RSS (each printed rounded to 0.01 MB)
        assert abs(float(growth) - (float(rss_after) - float(rss_before))) <= 0.011
        assert abs(float(kb) - float(growth) * 1024 / 50) <= 0.011 * 1024 / 50 + 0.05
        assert float(rate.replace(",", "")) > 0 and float(p99) > 0
    assert "- Date: " in done.stdout and "- Machine: " in done.stdout
    assert re.search(r"`websockets` \d+\.\d+", done.stdout), done.stdout
    assert (DOCS.read_bytes() if DOCS.exists() else None) == before  # --no-write


def test_per_connection_figure_is_the_rss_growth_divided() -> None:
    result = ws.Idle(10, opened=8, held=8, before=50 * 2**20, after=50 * 2**20 + 8 * 3 * 1024)
    assert result.kb_each == pytest.approx(3.0)
    assert result.growth_mb == pytest.approx(24 / 1024)
    assert ws._idle_cells(result) == ["8 / 10", "50.00", "50.02", "0.02", "3.0"]
    assert ws.Idle(10, opened=0, before=1, after=2).kb_each is None
    assert ws.Idle(10, opened=5, before=None, after=2).kb_each is None


def test_the_section_replaces_its_markers_and_keeps_the_rest(tmp_path: Path) -> None:
    out = tmp_path / "benchmarks.md"
    out.write_text("# Benchmarks\n\npeers\n\n<!-- target check: begin -->\nchecked\n")
    ws.write_section(out, "## first\n")
    text = out.read_text()
    assert text.index("peers") < text.index(ws.BEGIN) < text.index("## first")
    assert text.index(ws.END) < text.index("<!-- target check: begin -->")
    assert text.endswith("<!-- target check: begin -->\nchecked\n")
    ws.write_section(out, "## second")
    again = out.read_text()
    assert "## first" not in again and again.count(ws.BEGIN) == again.count(ws.END) == 1
    assert again == text.replace("## first", "## second")


def test_the_section_goes_at_the_end_without_a_target_check(tmp_path: Path) -> None:
    out = tmp_path / "benchmarks.md"
    out.write_text("# Benchmarks\n\nonly peers\n")
    ws.write_section(out, "## ws")
    assert out.read_text() == f"# Benchmarks\n\nonly peers\n\n{ws.BEGIN}\n## ws\n{ws.END}\n"


def test_a_refused_port_is_a_failed_row_not_a_hang() -> None:
    port = ws.peers.free_port()  # nothing listens on it
    server = ws.Server("nobody", "nobody", frozenset(), [], port)
    idle = ws.hold_idle(server, 5, 0.0)
    assert idle.failed is not None and "ConnectionRefused" in idle.failed
    assert ws._idle_cells(idle)[0].startswith("n/a (ConnectionRefused")
    command = [sys.executable, str(BENCH / "ws_load.py"), "--port", str(port), "--clients", "2"]
    command += ["--warmup", "0", "--duration", "0.1", "--server-pid", "1"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=30)
    assert "ConnectionRefused" in done.stdout, done.stdout + done.stderr


def test_a_server_that_does_not_start_fails_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def dead(folder: Path) -> list[object]:
        exits = [sys.executable, "-c", "raise SystemExit(3)"]
        return [
            ws.Server("apidouble", "apidouble, journal on", frozenset(), exits, 1),
            ws.Server("websockets", "websockets", frozenset(), reason="websockets not installed"),
        ]

    monkeypatch.setattr(ws, "make_servers", dead)
    out = tmp_path / "benchmarks.md"
    code = ws.main(
        ["--connections", "5", "--clients", "1", "--run-dir", str(tmp_path)]
        + ["--rounds", "1", "--out", str(out)]
    )
    assert code == 1
    text = out.read_text()
    assert "| apidouble, journal on | n/a (exited 3 at start" in text
    assert "| websockets | n/a (websockets not installed) |" in text
