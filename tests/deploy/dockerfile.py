"""Reading the Dockerfile and .dockerignore the way the tests need: instructions with
their arguments, exec-form commands, and whether a path reaches the build context."""

from __future__ import annotations

import fnmatch
import json
import shlex
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"


@dataclass(frozen=True, slots=True)
class Instruction:
    keyword: str
    args: str
    line: int


def instructions(path: Path = DOCKERFILE) -> list[Instruction]:
    """Each instruction once, continuation lines joined, comments dropped."""
    found: list[Instruction] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue  # a comment inside a continued instruction
        if not pending:
            start = number
        if line.endswith("\\"):
            pending.append(line[:-1].strip())
            continue
        pending.append(line)
        keyword, _, args = " ".join(part for part in pending if part).partition(" ")
        found.append(Instruction(keyword.upper(), args.strip(), start))
        pending = []
    return found


def only(keyword: str, path: Path = DOCKERFILE) -> Instruction:
    """The one instruction named ``keyword`` (the test fails when there are more or none)."""
    matches = [i for i in instructions(path) if i.keyword == keyword]
    assert len(matches) == 1, f"expected one {keyword}, found {len(matches)}"
    return matches[0]


def exec_form(text: str) -> list[str]:
    """A JSON-array command (``["python", "-c", "..."]``)."""
    value = json.loads(text)
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), text
    return value


def healthcheck_command(path: Path = DOCKERFILE) -> list[str]:
    """The argv of ``HEALTHCHECK [OPTIONS] CMD [...]``."""
    options, separator, command = only("HEALTHCHECK", path).args.partition("CMD ")
    assert separator, "HEALTHCHECK has no CMD"
    return exec_form(command.strip())


@dataclass(frozen=True, slots=True)
class Copy:
    sources: list[str]
    destination: str
    stage: str | None  # --from=STAGE, or None for the build context


def copies(path: Path = DOCKERFILE) -> list[Copy]:
    """Every COPY and ADD, with its flags read."""
    found: list[Copy] = []
    for instruction in instructions(path):
        if instruction.keyword not in {"COPY", "ADD"}:
            continue
        words = shlex.split(instruction.args)
        flags = [w for w in words if w.startswith("--")]
        paths = [w for w in words if not w.startswith("--")]
        stage = next((f.split("=", 1)[1] for f in flags if f.startswith("--from=")), None)
        found.append(Copy(paths[:-1], paths[-1], stage))
    return found


def ignored(relative: str, path: Path = DOCKERIGNORE) -> bool:
    """Whether ``relative`` is left out of the build context: the last pattern that matches
    the path or one of its parent folders decides, ``!`` patterns bring it back."""
    parts = relative.strip("/").split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    verdict = False
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        pattern = line.lstrip("!").strip("/")
        shapes = {pattern, pattern.removeprefix("**/")}
        if any(fnmatch.fnmatchcase(p, s) for p in prefixes for s in shapes):
            verdict = not negated
    return verdict
