"""Whole-head reads (``transport/heads.py``) answer exactly as the full parser would.

Each case is fed, read by read, to one connection that may take whole heads and to one
that never does; what each writes, whether it closes, and every field of every request
handed over must agree. Then the same over a real socket, and the journal's view.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from apidouble.journal import Journal
from apidouble.model import Request, RequestPattern, ServeEvent, ValueSpec
from apidouble.transport.heads import head_fields
from apidouble.transport.http1 import HttpProtocol
from apidouble.transport.server import ServerLimits, ServeState

from . import TestHandler, connect, read_json, serving

GET = b"GET /a?x=1 HTTP/1.1\r\nHost: h\r\nAccept: */*  \r\n\r\n"


class Wire(asyncio.Transport):
    """Collects what a connection writes; records closing."""

    def __init__(self) -> None:
        super().__init__()
        self.out = bytearray()
        self.closed = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 4000) if name == "peername" else default

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.out += data

    def writelines(self, chunks: Any) -> None:
        for chunk in chunks:
            self.write(chunk)

    def write_eof(self) -> None:
        self.closed = True

    def can_write_eof(self) -> bool:
        return True

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def _fields(request: Request) -> tuple[Any, ...]:
    return (
        request.method,
        request.path,
        request.query_string,
        request.http_version,
        request.body,
        request.client,
        request.raw_headers,
        request.headers,
        request.header_map,
    )


def _run(reads: list[bytes], whole: bool) -> tuple[bytes, bool, list[Request]]:
    async def scenario() -> tuple[bytes, bool, list[Request]]:
        handler = TestHandler()
        state = ServeState(handler, ServerLimits(max_header_bytes=200), asyncio.get_running_loop())
        protocol = HttpProtocol(state)
        if not whole:
            protocol._drop_whole()
        wire = Wire()
        protocol.connection_made(wire)
        for data in reads:
            protocol.data_received(data)
        return bytes(wire.out), wire.closed, handler.requests

    return asyncio.run(scenario())


CASES: dict[str, list[bytes]] = {
    "plain GET": [GET],
    "three in turn": [GET, GET.replace(b"/a", b"/b"), GET],
    "HEAD": [GET.replace(b"GET", b"HEAD")],
    "an unknown method": [GET.replace(b"GET", b"PROPFIND")],
    "close": [b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n", GET],
    "close among tokens": [b"GET / HTTP/1.1\r\nConnection: x, Close\r\n\r\n", GET],
    "HTTP/1.0": [b"GET / HTTP/1.0\r\nHost: h\r\n\r\n", GET],
    "HTTP/1.0 keep-alive": [b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", GET],
    "HTTP/1.0 keep-alive and close": [
        b"GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n",
        GET,
    ],
    "HTTP/0.9 line": [b"GET / HTTP/0.9\r\n\r\n", GET],
    "pipelined pair": [GET + GET, GET],
    "leading and trailing CRLF": [b"\r\n" + GET, GET + b"\r\n", GET],
    "absolute form": [b"GET http://h/p?q HTTP/1.1\r\nHost: h\r\n\r\n"],
    "fragment": [b"GET /p#f HTTP/1.1\r\n\r\n"],
    "Content-Length 0": [b"GET / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", GET],
    "duplicate Content-Length": [
        b"GET / HTTP/1.1\r\nContent-Length: 0\r\ncontent-length: 0\r\n\r\n",
        GET,
    ],
    "Content-Length with a sign": [b"GET / HTTP/1.1\r\nContent-Length: +0\r\n\r\n"],
    "body in a later read": [b"POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\n", b"\r\n\r\n", GET],
    "body of CRLFs in the same read": [b"POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\n\r\n\r\n"],
    "expect continue": [
        b"POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n",
        b"hi",
    ],
    "empty chunked body": [b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", GET],
    "chunked with a trailer": [
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: 1\r\n\r\n",
        GET,
    ],
    "HTTP/1.0 chunked": [b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", GET],
    "bad transfer coding": [b"GET / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"],
    "upgrade": [b"GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"],
    "space before colon": [b"GET / HTTP/1.1\r\nHost : h\r\n\r\n"],
    "bare LF": [b"GET / HTTP/1.1\nHost: h\n\n"],
    "head over the limit": [b"GET / HTTP/1.1\r\nX: " + b"v" * 200 + b"\r\n\r\n"],
    "head split over reads": [GET[:20], GET[20:], GET],
    "odd spacing in the request line": [b"GET  / HTTP/1.1\r\n\r\n"],
    "latin-1 and folded-looking values": [b"GET / HTTP/1.1\r\nX-A: caf\xe9\t \r\nX-B:v\r\n\r\n"],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_whole_heads_answer_as_the_full_parser_does(name: str) -> None:
    fast = _run(CASES[name], whole=True)
    full = _run(CASES[name], whole=False)
    assert fast[:2] == full[:2]
    assert [_fields(r) for r in fast[2]] == [_fields(r) for r in full[2]]


def test_a_read_holding_one_bodyless_request_keeps_its_head_as_received() -> None:
    _, _, requests = _run([GET, b"\r\n" + GET, GET + b"\r\n"], whole=True)
    # a request line laid out otherwise is the full parser's, and whole heads go on after
    assert [r.head for r in requests] == [GET, None, GET + b"\r\n"]
    assert requests[0].raw_headers == [(b"Host", b"h"), (b"Accept", b"*/*  ")]


def test_the_full_parser_takes_over_for_good_once_a_read_is_refused() -> None:
    _, _, requests = _run([GET, GET + GET, GET], whole=True)
    assert [r.head is not None for r in requests] == [True, False, False, False]


def test_head_fields_of_an_upgrade_head() -> None:
    head = b"GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
    assert head_fields(head) == [(b"Connection", b"Upgrade"), (b"Upgrade", b"websocket")]


def test_the_journal_reads_a_kept_head_as_it_reads_header_lines() -> None:
    kept = Request("GET", "/a", "x=1", (), b"", ("127.0.0.1", 1), head=GET)
    lines = Request("GET", "/a", "x=1", (), b"", ("127.0.0.1", 1), raw_headers=head_fields(GET))
    journal = Journal()
    for request in (kept, lines):
        journal.record(ServeEvent(request, 1.0, status=200))
    newest, older = journal.newest()
    assert {**newest, "id": 0} == {**older, "id": 0}
    assert newest["headers"] == [["Host", "h"], ["Accept", "*/*"]]
    wanted = RequestPattern(headers=(("accept", ValueSpec("equals", "*/*")),))
    assert len(journal.find(pattern=wanted)) == 2


async def test_over_a_socket_one_read_per_request_keeps_heads_and_answers() -> None:
    async with serving() as (server, handler):
        reader, writer = await connect(server)
        for path in ("/one", "/two"):
            writer.write(GET.replace(b"/a", path.encode()))
            data = await read_json(reader)
            assert data["path"] == path and data["query"] == "x=1"
            assert data["headers"] == [["Host", "h"], ["Accept", "*/*"]]
        writer.write(b"GET /three HTTP/1.1\r\nConnection: close\r\n\r\n")
        assert (await read_json(reader))["path"] == "/three"
        assert await reader.read() == b""
        assert all(r.head is not None for r in handler.requests)


@pytest.mark.parametrize(
    "lines",
    [
        [b"Host: h", b"X-A: b c "],  # llhttp keeps trailing space, drops leading
        [b"Host:h", b"X-Empty:", b"X-Tab:\tv\t"],
        [b"Host: h", b"X-Url: http://a:1/b", b"X-A: 1", b"x-a: 2"],  # colons, repeats
        [b"Host: h", b"X-Fold: a", b" b"],  # a folded line: left to llhttp
    ],
)
def test_head_fields_split_in_python_as_llhttp_parses(lines: list[bytes]) -> None:
    from apidouble.transport.heads import _parsed_fields

    head = b"GET / HTTP/1.1\r\n" + b"".join(line + b"\r\n" for line in lines) + b"\r\n"
    assert head_fields(head) == _parsed_fields(head)
    bare = head.replace(b"\r\n", b"\n")  # bare LFs, if llhttp takes them: its answer
    assert head_fields(bare) == _parsed_fields(bare)
