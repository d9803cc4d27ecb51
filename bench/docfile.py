"""``docs/benchmarks.md`` holds two generated parts, and each run rewrites only its own.

The peer table (``make bench``) comes first; the target check (``make bench
ARGS=--check``) follows between two markers. Writing one part keeps the other as the
last run left it, so a check never wipes the peer table and the other way round.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path

BEGIN = "<!-- target check: begin -->"
END = "<!-- target check: end -->"


def machine() -> str:
    """The host, cores and CPU model, kernel and Python: what the numbers were taken on."""
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{platform.node()}: {os.cpu_count()} cores ({cpu}), {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}"
    )


def split(text: str) -> tuple[str, str]:
    """(the peer part, the check part with its markers, or "")."""
    start = text.find(BEGIN)
    if start < 0:
        return text.rstrip() + "\n", ""
    end = text.find(END, start)
    end = len(text) if end < 0 else end + len(END)
    peers = (text[:start] + text[end:]).rstrip() + "\n"
    return peers, text[start:end] + "\n"


def _read(path: Path) -> str:
    return path.read_text() if path.exists() else ""


KEEP = (
    ("<!-- openapi prism: begin -->", "<!-- openapi prism: end -->"),
    ("<!-- websocket bench: begin -->", "<!-- websocket bench: end -->"),
)
"""Sections standalone scripts write between their own markers: a peer run keeps them."""


def _kept(text: str) -> str:
    parts = []
    for begin, end in KEEP:
        start = text.find(begin)
        if start >= 0:
            stop = text.find(end, start)
            parts.append(text[start : len(text) if stop < 0 else stop + len(end)])
    return "\n\n".join(parts)


def write_peers(path: Path, peers: str) -> None:
    """Replace the peer part, keeping the last check and the standalone scripts' sections."""
    old_peers, check = split(_read(path))
    kept = _kept(old_peers)
    path.write_text(
        peers.rstrip()
        + "\n"
        + ("\n" + kept + "\n" if kept else "")
        + ("\n" + check if check else "")
    )


def write_check(path: Path, check: str) -> None:
    """Replace the check part (``check`` without markers), keeping the peer part."""
    peers, _ = split(_read(path))
    if not peers.strip():
        peers = "# Benchmarks\n"
    path.write_text(f"{peers}\n{BEGIN}\n{check.strip()}\n{END}\n")


def write_between(path: Path, begin: str, end: str, section: str) -> None:
    """Replace a standalone script's part of ``path`` (between its ``begin`` and ``end``
    markers, listed in ``KEEP``), or add it just before the target check's part; every
    other line stays as it is."""
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    block = f"{begin}\n{section.strip()}\n{end}\n"
    start = text.find(begin)
    if start >= 0:
        stop = text.find(end, start)
        stop = len(text) if stop < 0 else stop + len(end)
        text = text[:start] + block.rstrip("\n") + text[stop:]
    else:
        at = text.find(BEGIN)
        at = len(text) if at < 0 else at
        head = text[:at].rstrip() + "\n\n"
        text = head + block + ("\n" + text[at:] if at < len(text) else "")
    path.write_text(text)
