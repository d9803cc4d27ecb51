"""Shared helpers for tests that run the real server on 127.0.0.1."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from apidouble import MockServer

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write a dedented config file into a temp folder and return its path."""

    def write(text: str, name: str = "apidouble.yaml") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        return path

    return write


@pytest.fixture
def serve(write_config: Callable[[str, str], Path]) -> Iterator[Callable[..., MockServer]]:
    """Start a MockServer on a config text; stopped after the test."""
    started: list[MockServer] = []

    def start(text: str, **options: object) -> MockServer:
        server = MockServer(write_config(text, "apidouble.yaml"), **options).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
