"""Prism's scenario files: ``====name====`` sections, read the same way by every test
that runs them."""

from __future__ import annotations

import re
from pathlib import Path

_MARKER = re.compile(r"^====([A-Za-z-]+)====\s*$")


def sections(path: Path) -> dict[str, str]:
    """Each section's text by name (``spec``, ``server``, ``command``, ``expect``…)."""
    found: dict[str, str] = {}
    current = None
    for line in path.read_text().splitlines(keepends=True):
        marker = _MARKER.match(line)
        if marker:
            current = marker.group(1)
            found[current] = ""
        elif current is not None:
            found[current] += line
    return found
