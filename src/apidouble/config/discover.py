"""Which files a config is made of: the paths given, folders walked in path order."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from apidouble.errors import ConfigProblem

CONFIG_SUFFIXES = frozenset({".yaml", ".yml", ".json", ".har"})
"""What a config file's name ends with (the reloader watches the same)."""
SKIPPED_DIRS = frozenset({"__files"})
"""Folders of response bodies (the WireMock convention), never configs themselves."""


def is_config_file(path: Path) -> bool:
    """Whether ``path`` is named like a config file (hidden files never are)."""
    return not path.name.startswith(".") and path.suffix.lower() in CONFIG_SUFFIXES


def discover(paths: Iterable[str | Path], problems: list[ConfigProblem]) -> list[Path]:
    """The config files under ``paths``: folders are walked recursively, sorted by path,
    skipping hidden entries and ``__files`` body folders; each file appears once."""
    found: dict[Path, Path] = {}
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for file in _walk(path):
                found.setdefault(file.absolute(), file)
        elif path.is_file():
            found.setdefault(path.absolute(), path)
        else:
            problems.append(ConfigProblem(str(path), "no such file or directory"))
    return list(found.values())


def _walk(folder: Path) -> list[Path]:
    files: list[Path] = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in SKIPPED_DIRS]
        files.extend(Path(root, n) for n in names if is_config_file(Path(n)))
    return sorted(files, key=lambda p: p.relative_to(folder).parts)
