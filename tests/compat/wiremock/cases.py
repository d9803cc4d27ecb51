"""The cases on disk: a WireMock root (or a folder of mapping JSON) plus its requests.

``cases/<name>/`` holds ``requests.json`` and either ``root/`` (``mappings/`` and
``__files/``, WireMock's layout) or ``stubs/`` (a plain folder of mapping files), and
optionally ``case.json``:

- ``"root"`` / ``"stubs"``: a path (relative to the case) used instead, e.g. a vendored
  corpus root;
- ``"malformed"``: mapping files (relative to ``mappings/``) broken on purpose, each with
  the JSON pointer of the fault (``""`` when it has none, e.g. a syntax error). WireMock
  refuses to start on them, so its answers are recorded without them;
- ``"wiremock_flags"``, ``"apidouble_options"``: per-case server settings;
- ``"upstream"``: the case proxies to the harness's fake upstream on ``UPSTREAM_PORT``.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .wire import Probe

HERE = Path(__file__).resolve().parent
CASES = HERE / "cases"
ANSWERS = HERE / "answers"


@dataclass(frozen=True)
class Case:
    """One case: where its mappings are, how to serve them, what to send."""

    name: str
    path: Path
    root: Path | None
    stubs: Path | None
    probes: tuple[Probe, ...]
    malformed: dict[str, str] = field(default_factory=dict)
    wiremock_flags: tuple[str, ...] = ()
    apidouble_options: dict[str, Any] = field(default_factory=dict)
    upstream: bool = False

    @property
    def source(self) -> Path:
        """What apidouble is started on: the root, or the folder of mapping files."""
        source = self.root if self.root is not None else self.stubs
        assert source is not None
        return source

    def mapping_files(self) -> list[Path]:
        folder = self.root / "mappings" if self.root is not None else self.source
        return sorted(p for p in folder.rglob("*") if p.is_file())

    def wiremock_root(self, scratch: Path, *, without_malformed: bool = False) -> Path:
        """A WireMock root for this case: the root itself, or a copy built in ``scratch``."""
        if self.root is not None and not (without_malformed and self.malformed):
            return self.root
        target = scratch / self.name
        if target.exists():
            shutil.rmtree(target)
        if self.root is not None:
            shutil.copytree(self.root, target)
        else:
            shutil.copytree(self.source, target / "mappings")
        if without_malformed:
            for name in self.malformed:
                (target / "mappings" / name).unlink()
        return target

    def stub_headers(self) -> set[str]:
        """Header names some stub of the case sets: those are compared even if ignored."""
        names: set[str] = set()
        for path in self.mapping_files():
            text = path.read_text(errors="replace")
            for match in re.finditer(r'"headers"\s*:\s*\{', text):
                names.update(_keys_after(text, match.end()))
        return names

    @property
    def answers_path(self) -> Path:
        return ANSWERS / f"{self.name}.json"


def _keys_after(text: str, start: int) -> set[str]:
    """Keys of the object starting at ``start`` (one level), read leniently."""
    depth, keys = 1, set()
    for match in re.finditer(r'[{}]|"((?:[^"\\]|\\.)*)"\s*:', text[start:]):
        token = match.group(0)
        if token == "{":
            depth += 1
        elif token == "}":
            depth -= 1
            if depth == 0:
                break
        elif depth == 1:
            keys.add(match.group(1).lower())
    return keys


def load_case(path: Path) -> Case:
    meta: dict[str, Any] = {}
    if (path / "case.json").exists():
        meta = json.loads((path / "case.json").read_text())
    root = path / meta["root"] if "root" in meta else path / "root"
    stubs = path / meta["stubs"] if "stubs" in meta else path / "stubs"
    probes = tuple(
        Probe.from_json(item) for item in json.loads((path / "requests.json").read_text())
    )
    return Case(
        name=path.name,
        path=path,
        root=root.resolve() if root.is_dir() else None,
        stubs=stubs.resolve() if stubs.is_dir() and not root.is_dir() else None,
        probes=probes,
        malformed=dict(meta.get("malformed", {})),
        wiremock_flags=tuple(meta.get("wiremock_flags", ())),
        apidouble_options=dict(meta.get("apidouble_options", {})),
        upstream=bool(meta.get("upstream", False)),
    )


def all_cases(names: list[str] | None = None) -> list[Case]:
    """Every case (or the named ones), in name order."""
    found = sorted(p for p in CASES.iterdir() if (p / "requests.json").exists())
    cases = [load_case(p) for p in found]
    if names:
        unknown = set(names) - {c.name for c in cases}
        if unknown:
            raise SystemExit(f"unknown case(s): {', '.join(sorted(unknown))}")
        cases = [c for c in cases if c.name in names]
    return cases
