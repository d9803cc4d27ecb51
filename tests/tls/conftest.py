"""HTTPS servers on 127.0.0.1 with a CA of their own (never the user's), and clients."""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

from apidouble import MockServer

PING = [{"path": "/ping", "response": {"ok": True}}]


@pytest.fixture
def ca_dir(tmp_path: Path) -> Path:
    return tmp_path / "ca"


@pytest.fixture(params=["asyncio", "uvloop"])
def loop_kind(request: pytest.FixtureRequest) -> Iterator[str]:
    """The event loop the servers started in the test run on (the CLI runs uvloop)."""
    if request.param == "asyncio":
        yield "asyncio"
        return
    uvloop = pytest.importorskip("uvloop")
    previous = asyncio.get_event_loop_policy()
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    try:
        yield "uvloop"
    finally:
        asyncio.set_event_loop_policy(previous)


@pytest.fixture
def secure(ca_dir: Path, loop_kind: str) -> Iterator[MockServer]:
    """HTTP and HTTPS side by side, serving ``PING``, on each event loop."""
    with MockServer(endpoints=PING, https=True, ca_dir=str(ca_dir)) as server:
        yield server


def trusting(ca: Path | None) -> ssl.SSLContext:
    """A client context that trusts ``ca`` alone (and checks host names)."""
    assert ca is not None
    return ssl.create_default_context(cafile=str(ca))


def handshake(port: int, context: ssl.SSLContext, name: str | None) -> ssl.SSLSocket:
    """A TLS connection to 127.0.0.1:``port`` asking for ``name`` in SNI."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        return context.wrap_socket(raw, server_hostname=name)
    except BaseException:
        raw.close()
        raise


def get(tls: ssl.SSLSocket, path: str = "/ping") -> bytes:
    """One request on ``tls``, closing after it; the whole answer."""
    tls.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    chunks = []
    while chunk := tls.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)
