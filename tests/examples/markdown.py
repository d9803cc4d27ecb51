"""The docs' fenced code blocks, with where they are and the marker that classifies them.

A marker is an HTML comment on the line just before a fence; it does not show when the
page is rendered. Only two are needed, for blocks that are not one config:

- ``<!-- test: each line -->``: every line is a config on its own (alternatives shown
  side by side, which together would repeat a key);
- ``<!-- test: error -->``: a deliberate mistake, which must fail to load.

Tests tie a block to what the page says about it by quoting a piece of its text
(``block("trouble.md", "credentials: true")``), so a block that is edited away makes
its test fail instead of passing on nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOCS = (REPO / "README.md", *sorted((REPO / "docs").glob("*.md")))

_FENCE = re.compile(r"^(\s*)```\s*([\w+-]*)\s*$")
_MARKER = re.compile(r"^\s*<!--\s*test:\s*(.*?)\s*-->\s*$")
MARKERS = frozenset({"each line", "error"})


@dataclass(frozen=True, slots=True)
class Block:
    """One fenced block: its page, the line of its opening fence, language, text, marker."""

    doc: str
    line: int
    lang: str
    text: str
    marker: str | None = None

    @property
    def where(self) -> str:
        return f"{self.doc}:{self.line}"

    def __str__(self) -> str:  # pytest ids
        return self.where


@cache
def blocks(doc: Path) -> tuple[Block, ...]:
    """Every fenced block of a page, in order."""
    name = doc.name if doc.parent == REPO / "docs" else doc.relative_to(REPO).as_posix()
    found: list[Block] = []
    lines = doc.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        indent, lang = opening.groups()
        end = index + 1
        while end < len(lines) and not _FENCE.match(lines[end]):
            end += 1
        body = [line.removeprefix(indent) for line in lines[index + 1 : end]]
        found.append(
            Block(name, index + 1, lang.lower(), "\n".join(body) + "\n", _marker(lines, index))
        )
        index = end + 1
    return tuple(found)


def _marker(lines: list[str], fence: int) -> str | None:
    before = fence - 1
    while before >= 0 and not lines[before].strip():
        before -= 1
    found = _MARKER.match(lines[before]) if before >= 0 else None
    if found is None:
        return None
    if found.group(1) not in MARKERS:
        raise ValueError(f"unknown marker {found.group(0)!r} (known: {sorted(MARKERS)})")
    return found.group(1)


def all_blocks(*langs: str) -> list[Block]:
    """Every block of every page (README and docs/), optionally of these languages."""
    return [b for doc in DOCS for b in blocks(doc) if not langs or b.lang in langs]


def page(name: str) -> Path:
    return REPO / name if name == "README.md" else REPO / "docs" / name


def block(doc: str, containing: str, lang: str | None = None) -> Block:
    """The one block of ``doc`` whose text contains ``containing`` (fails if not exactly one)."""
    found = [
        b for b in blocks(page(doc)) if containing in b.text and (lang is None or b.lang == lang)
    ]
    assert len(found) == 1, f"{doc}: {len(found)} blocks contain {containing!r}"
    return found[0]


def prose(doc: str, sentence: str) -> str:
    """Assert the page still says ``sentence`` (whitespace-insensitive) and return it."""
    text = " ".join(page(doc).read_text(encoding="utf-8").split())
    assert " ".join(sentence.split()) in text, f"{doc} no longer says {sentence!r}"
    return sentence
