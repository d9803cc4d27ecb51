"""HTTP/2 frame handling, over a raw socket to a served ``MockServer``: h2c by prior
knowledge on the plain port (on asyncio, and on uvloop as the CLI runs), and TLS with
ALPN ``h2``.

Property: whatever frames follow a valid preface (built, random, mutated), within
``EXCHANGE_TIMEOUT_S`` the server either answers the PING sent after them (it read
them all and serves on) or closes after a GOAWAY; every error code it sends is one of
RFC 9113's and none is ``INTERNAL_ERROR``; no stream gets a 5xx; and a fresh
connection is served as before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from h2.errors import ErrorCodes
from hypothesis import given

from apidouble.testing import MockServer

from .budget import budget
from .http2_grammar import RawFrame, connections, frame_bytes
from .http2_wire import Heard, exchange

EXCHANGE_TIMEOUT_S = 5.0
"""Well past the server's 1 s head and idle timeouts here: a hang, not a slow machine."""
ENDPOINTS: list[dict[str, Any]] = [
    {"name": "ok", "path": "/ok", "response": "canary", "content_type": "text/plain"},
    {"name": "echo", "method": "ANY", "path": "/**", "response": {"got": "{{ request.body }}"}},
]
HEALTHY = RawFrame(1, 0x5, 1, b"\x82\x84\x86\x41\x04fuzz", "a GET /ok")  # indexed fields
"""``GET /ok`` (``:method GET``, ``:path /``... as HPACK static-table indexes, then
``:authority``), END_STREAM and END_HEADERS."""
LIMITS = {"header_timeout_s": 1.0, "idle_timeout_s": 1.0, "request_journal": False}


@pytest.fixture(scope="module")
def h2c() -> Iterator[tuple[int, Path | None]]:
    with MockServer(endpoints=ENDPOINTS, **LIMITS) as mock:
        yield mock.port, None


@pytest.fixture(scope="module")
def h2c_uvloop() -> Iterator[tuple[int, Path | None]]:
    """h2c on uvloop, the CLI's loop (its transports differ from asyncio's on resets)."""
    uvloop = pytest.importorskip("uvloop")
    previous = asyncio.get_event_loop_policy()
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    try:
        mock = MockServer(endpoints=ENDPOINTS, **LIMITS).start()  # its loop is made here
    finally:
        asyncio.set_event_loop_policy(previous)
    try:
        yield mock.port, None
    finally:
        mock.stop()


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path | None]]:
    ca_dir = tmp_path_factory.mktemp("ca")
    with MockServer(endpoints=ENDPOINTS, https=True, ca_dir=str(ca_dir), **LIMITS) as mock:
        yield mock.https_port, mock.ca_path


def assert_healthy(port: int, ca: Path | None) -> None:
    """A fresh connection's ``GET /`` is served (the catch-all echoes its empty body)."""
    heard = exchange(port, ca, frame_bytes(HEALTHY), EXCHANGE_TIMEOUT_S)
    assert heard.alive and heard.statuses == {1: 200} and heard.goaway is None, heard


def check_connection(port: int, ca: Path | None, frames: list[RawFrame]) -> Heard:
    heard = exchange(port, ca, b"".join(frame_bytes(f) for f in frames), EXCHANGE_TIMEOUT_S)
    assert heard.alive or heard.goaway is not None, f"closed without GOAWAY: {heard}"
    assert heard.goaway != ErrorCodes.INTERNAL_ERROR, heard
    assert ErrorCodes.INTERNAL_ERROR not in heard.resets.values(), heard
    assert all(status < 500 for status in heard.statuses.values()), heard
    assert_healthy(port, ca)
    return heard


def test_the_canary_answers(h2c: tuple[int, Path | None], tls: tuple[int, Path | None]) -> None:
    assert_healthy(*h2c)
    assert_healthy(*tls)


@budget(300)
@given(frames=connections())
def test_any_frames_over_h2c(h2c: tuple[int, Path | None], frames: list[RawFrame]) -> None:
    check_connection(*h2c, frames)


@budget(100)
@given(frames=connections())
def test_any_frames_over_h2c_on_uvloop(
    h2c_uvloop: tuple[int, Path | None], frames: list[RawFrame]
) -> None:
    check_connection(*h2c_uvloop, frames)


@budget(60)
@given(frames=connections())
def test_any_frames_over_tls(tls: tuple[int, Path | None], frames: list[RawFrame]) -> None:
    check_connection(*tls, frames)


FOUND = {
    "client-goaway-then-a-cut-frame": [
        RawFrame(7, 0, 0, b"\0" * 8, "built"),  # GOAWAY NO_ERROR, last stream 0
        RawFrame(5, 0, 1, b"", "built+length", length=16384),  # swallows the PING
    ],
}
"""What the fuzzer found, each input as it found it: a regression test apiece."""


@pytest.mark.parametrize("name", FOUND)
@pytest.mark.parametrize("server", ["h2c", "h2c_uvloop", "tls"])
def test_found_inputs(request: pytest.FixtureRequest, server: str, name: str) -> None:
    check_connection(*request.getfixturevalue(server), FOUND[name])
