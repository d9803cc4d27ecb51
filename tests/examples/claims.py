"""Which blocks that show an answer (not a config) are checked, and by which test.

A test module claims such a block at import time with ``answer(doc, containing)``, which
also hands it the block. ``claimed()`` imports every test module of this folder first, so
the check sees every claim whatever order pytest runs the tests in.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from .markdown import Block, block

_CLAIMED: set[str] = set()


def answer(doc: str, containing: str, lang: str | None = None) -> Block:
    """The block of ``doc`` containing this text, claimed as checked by the caller."""
    found = block(doc, containing, lang)
    _CLAIMED.add(found.where)
    return found


def claimed() -> set[str]:
    for module in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if module.name.startswith("test_"):
            importlib.import_module(f"{__package__}.{module.name}")
    return set(_CLAIMED)
