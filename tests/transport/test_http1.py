"""The HTTP/1.1 protocol over real sockets: parsing, keep-alive, pipelining, limits, errors."""

from __future__ import annotations

import asyncio
import json
import socket
import struct

import httpx
import pytest

from apidouble.transport.http1 import split_target

from . import connect, read_json, read_response, read_rest, serving


@pytest.mark.parametrize(
    ("target", "path", "query"),
    [
        (b"/", "/", ""),
        (b"/a%20b/c?x=1&y=%41", "/a%20b/c", "x=1&y=%41"),
        (b"/p?", "/p", ""),
        (b"/p#frag", "/p", ""),
        (b"/p?q=1#frag", "/p", "q=1"),
        (b"http://example.com/p?q", "/p", "q"),
        (b"https://example.com:8443", "/", ""),
        (b"http://example.com?q=1", "/", "q=1"),
        (b"*", "*", ""),
    ],
)
def test_split_target(target: bytes, path: str, query: str) -> None:
    assert split_target(target) == (path, query)


async def test_request_fields_over_httpx() -> None:
    async with serving() as (server, handler), httpx.AsyncClient() as client:
        resp = await client.post(
            f"{server.url}/a%2Fb/c?x=1&y=%20",
            content=b"hello",
            headers=[(b"X-Custom-Case", b"Value"), (b"X-Latin", b"caf\xe9")],
        )
        assert resp.status_code == 200
        data = resp.json()
        assert data["method"] == "POST"
        assert data["path"] == "/a%2Fb/c"
        assert data["query"] == "x=1&y=%20"
        assert data["body"] == "hello"
        assert data["version"] == "1.1"
        assert ["X-Custom-Case", "Value"] in data["headers"]
        assert ["X-Latin", "caf\xe9"] in data["headers"]
        assert data["client"][0] == "127.0.0.1" and data["client"][1] > 0
        assert resp.headers["content-type"] == "application/json"
        assert handler.requests[0].headers[0][0] == "Host"


async def test_keep_alive_reuses_the_connection() -> None:
    async with serving() as (server, handler):
        reader, writer = await connect(server)
        for i in range(3):
            writer.write(f"GET /n{i} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            status, headers, body = await read_response(reader)
            assert status == 200 and "connection" not in headers
            assert json.loads(body)["path"] == f"/n{i}"
        assert len({r.client for r in handler.requests}) == 1
        writer.close()


async def test_pipelined_responses_keep_request_order() -> None:
    async with serving() as (server, _):
        reader, writer = await connect(server)
        paths = ["/delay?ms=150", "/fast", "/async", "/delay?ms=1", "/async", "/last"]
        writer.write(b"".join(f"GET {p} HTTP/1.1\r\nHost: x\r\n\r\n".encode() for p in paths))
        for p in paths:
            data = await read_json(reader)
            assert data["path"] + ("?" + data["query"] if data["query"] else "") == p
        writer.close()


async def test_deep_pipeline_pauses_and_resumes_reading() -> None:
    async with serving() as (server, _):
        reader, writer = await connect(server)
        writer.write(b"".join(b"GET /async?i=%d HTTP/1.1\r\n\r\n" % i for i in range(200)))
        for i in range(200):
            assert (await read_json(reader))["query"] == f"i={i}"
        writer.close()


async def test_chunked_request_body() -> None:
    async with serving() as (server, handler):
        reader, writer = await connect(server)
        writer.write(
            b"POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"5\r\nhello\r\n1;ext=1\r\n \r\n5\r\nworld\r\n0\r\nX-Trailer: t\r\n\r\n"
        )
        assert (await read_json(reader))["body"] == "hello world"
        assert all(name != "X-Trailer" for name, _ in handler.requests[0].headers)
        writer.close()


async def test_head_and_bodyless_statuses_omit_the_body() -> None:
    async with serving() as (server, _):
        reader, writer = await connect(server)
        writer.write(b"HEAD /h HTTP/1.1\r\n\r\nGET /status/204 HTTP/1.1\r\n\r\n")
        writer.write(b"GET /status/304 HTTP/1.1\r\n\r\nGET /status/201 HTTP/1.1\r\n\r\n")
        status, headers, _ = await read_response(reader, bodyless=True)
        assert status == 200 and int(headers["content-length"]) > 0
        for expected in (204, 304):
            status, headers, _ = await read_response(reader, bodyless=True)
            assert status == expected and headers["content-length"] == "5"
        assert (await read_response(reader))[::2] == (201, b"body!")
        writer.close()


async def test_expect_100_continue() -> None:
    async with serving() as (server, _):
        reader, writer = await connect(server)
        writer.write(b"PUT /e HTTP/1.1\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
        line = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert line == b"HTTP/1.1 100 Continue\r\n\r\n"
        writer.write(b"data")
        assert (await read_json(reader))["body"] == "data"
        writer.close()


async def test_expect_100_continue_waits_for_its_turn_when_pipelined() -> None:
    async with serving() as (server, _):
        reader, writer = await connect(server)
        writer.write(b"GET /delay?ms=100 HTTP/1.1\r\n\r\n")
        writer.write(b"PUT /e HTTP/1.1\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n")
        assert (await read_json(reader))["path"] == "/delay"
        line = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert line == b"HTTP/1.1 100 Continue\r\n\r\n"
        writer.write(b"ok")
        assert (await read_json(reader))["body"] == "ok"
        writer.close()


async def test_expect_with_too_large_body_gets_413_without_reading() -> None:
    async with serving(max_body_bytes=10) as (server, handler):
        reader, writer = await connect(server)
        writer.write(b"PUT /e HTTP/1.1\r\nContent-Length: 11\r\nExpect: 100-continue\r\n\r\n")
        status, headers, body = await read_response(reader)
        assert status == 413 and headers["connection"] == "close"
        assert headers["content-type"] == "application/json" and json.loads(body)
        assert await read_rest(reader) == b""
        assert handler.requests == []


async def test_body_limit_by_chunks() -> None:
    async with serving(max_body_bytes=10) as (server, handler):
        reader, writer = await connect(server)
        writer.write(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n")
        writer.write(b"6\r\nghijkl\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n")
        status, headers, _ = await read_response(reader)
        assert status == 413 and headers["connection"] == "close"
        assert await read_rest(reader) == b""
        assert handler.requests == []


async def test_body_at_the_limit_is_served() -> None:
    async with serving(max_body_bytes=10) as (server, _):
        reader, writer = await connect(server)
        writer.write(b"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789")
        assert (await read_json(reader))["body"] == "0123456789"
        writer.close()


async def test_header_limit_gives_431() -> None:
    async with serving(max_header_bytes=1024) as (server, _):
        reader, writer = await connect(server)
        writer.write(b"GET / HTTP/1.1\r\n" + b"X-Big: " + b"a" * 2000 + b"\r\n\r\n")
        status, headers, _ = await read_response(reader)
        assert status == 431 and headers["connection"] == "close"
        assert await read_rest(reader) == b""


async def test_header_limit_while_the_head_is_still_arriving() -> None:
    async with serving(max_header_bytes=1024) as (server, _):
        reader, writer = await connect(server)
        writer.write(b"GET / HTTP/1.1\r\nX-Big: ")
        for _ in range(4):
            await writer.drain()
            writer.write(b"a" * 600)
        status, _, _ = await read_response(reader)
        assert status == 431


async def test_connection_close_is_honoured_and_later_bytes_ignored() -> None:
    async with serving() as (server, handler):
        reader, writer = await connect(server)
        writer.write(b"GET /a HTTP/1.1\r\nConnection: close\r\n\r\nGET /b HTTP/1.1\r\n\r\n")
        status, headers, _ = await read_response(reader)
        assert status == 200 and headers["connection"] == "close"
        assert await read_rest(reader) == b""
        assert [r.path for r in handler.requests] == ["/a"]


async def test_http10_closes_by_default_and_keeps_alive_on_request() -> None:
    async with serving() as (server, _):
        reader, writer = await connect(server)
        writer.write(b"GET /k HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        status, headers, body = await read_response(reader)
        assert headers["connection"] == "keep-alive" and json.loads(body)["version"] == "1.0"
        writer.write(b"GET /c HTTP/1.0\r\n\r\n")
        status, headers, _ = await read_response(reader)
        assert status == 200 and headers["connection"] == "close"
        assert await read_rest(reader) == b""


async def test_half_closed_client_still_gets_its_response() -> None:
    async with serving() as (server, _):
        reader, writer = await connect(server)
        writer.write(b"GET /delay?ms=50 HTTP/1.1\r\n\r\n")
        writer.write_eof()
        status, headers, _ = await read_response(reader)
        assert status == 200 and headers["connection"] == "close"
        assert await read_rest(reader) == b""


@pytest.mark.parametrize("path", ["/boom", "/async-boom"])
async def test_handler_exception_gives_500_and_the_connection_survives(path: str) -> None:
    async with serving() as (server, handler):
        reader, writer = await connect(server)
        writer.write(f"GET {path} HTTP/1.1\r\n\r\nGET /after HTTP/1.1\r\n\r\n".encode())
        status, headers, body = await read_response(reader)
        assert status == 500 and headers["content-type"] == "application/json"
        assert "error" in json.loads(body) and "connection" not in headers
        assert (await read_json(reader))["path"] == "/after"
        await handler.wait_served(2)
        assert [s for s, _ in handler.served_log] == [500, 200]
        writer.close()


async def test_served_is_called_once_with_elapsed_time() -> None:
    async with serving() as (server, handler):
        reader, writer = await connect(server)
        writer.write(b"GET /delay?ms=100 HTTP/1.1\r\n\r\nGET /x HTTP/1.1\r\n\r\n")
        await read_response(reader)
        await read_response(reader)
        await handler.wait_served(2)
        (s1, e1), (s2, e2) = handler.served_log
        assert (s1, s2) == (200, 200)
        assert 0.09 <= e1 < 1.0 and 0 <= e2 < 0.1
        writer.close()


@pytest.mark.parametrize("path", ["/delay?ms=5000", "/gate"])
async def test_served_is_called_when_the_client_vanishes(path: str) -> None:
    async with serving() as (server, handler):
        reader, writer = await connect(server)
        writer.write(f"GET {path} HTTP/1.1\r\n\r\n".encode())
        await handler.wait_requests(1)
        linger_off = struct.pack("ii", 1, 0)  # close with RST: gone, not half-closed
        writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger_off)
        writer.transport.abort()
        if path == "/gate":
            assert handler.gate is not None
            handler.gate.set()
        await handler.wait_served(1, timeout=2.0)
        assert len(handler.served_log) == 1


async def test_upgrade_is_served_as_plain_http_then_closed() -> None:
    async with serving() as (server, handler):
        reader, writer = await connect(server)
        writer.write(
            b"GET /ws HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
            b"GET /smuggled HTTP/1.1\r\n\r\n"
        )
        status, headers, _ = await read_response(reader)
        assert status == 200 and headers["connection"] == "close"
        assert await read_rest(reader) == b""
        assert [r.path for r in handler.requests] == ["/ws"]


async def test_header_timeout_gives_408() -> None:
    async with serving(header_timeout_s=0.2) as (server, _):
        reader, writer = await connect(server)
        writer.write(b"GET / HTTP/1.1\r\nX-Slow: ")
        status, headers, _ = await read_response(reader)
        assert status == 408 and headers["connection"] == "close"
        assert await read_rest(reader) == b""


async def test_silent_new_connection_gets_408() -> None:
    async with serving(header_timeout_s=0.2) as (server, _):
        reader, _writer = await connect(server)
        assert (await read_response(reader))[0] == 408


async def test_body_stall_gives_408() -> None:
    async with serving(header_timeout_s=0.2) as (server, _):
        reader, writer = await connect(server)
        writer.write(b"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc")
        assert (await read_response(reader))[0] == 408


async def test_idle_keep_alive_connection_is_closed_quietly() -> None:
    async with serving(idle_timeout_s=0.2, header_timeout_s=5) as (server, _):
        reader, writer = await connect(server)
        writer.write(b"GET / HTTP/1.1\r\n\r\n")
        await read_response(reader)
        assert await read_rest(reader) == b""


async def test_idle_time_does_not_count_against_the_next_head() -> None:
    """The head clock starts at the next request's first byte, not at the last response."""
    async with serving(idle_timeout_s=5, header_timeout_s=0.3) as (server, _):
        reader, writer = await connect(server)
        writer.write(b"GET /delay?ms=1 HTTP/1.1\r\n\r\n")
        await read_response(reader)
        writer.write(b"GET /delay?ms=400 HTTP/1.1\r\n\r\n")  # busy > header timeout
        await read_response(reader)
        writer.write(b"GET /again HTTP/1.1\r\n\r\n")
        assert (await read_json(reader))["path"] == "/again"
        writer.close()


MALFORMED = [
    b"GET / HTTP/1.1\r\nHost : x\r\n\r\n",
    b"GET / HTTP/1.1\r\nX-\x01: x\r\n\r\n",
    b"GET / HTTP/1.1\r\nX: a\x00b\r\n\r\n",
    b"GET / HTTP/1.1\nHost: x\n\n",
    b"GET / HTTP/1.1\r\nX: a\rb\r\n\r\n",
    b"GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n",
    b"G@T / HTTP/1.1\r\n\r\n",
    b"get / HTTP/1.1\r\n\r\n",
    b"GET /\x7f HTTP/1.1\r\n\r\n",
    b"GET / HTTP/1.1.1\r\n\r\n",
    b"GET / HTTP/9.9\r\n\r\n",
    b"POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
    b"POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
    b"POST / HTTP/1.1\r\nContent-Length: -3\r\n\r\n",
    b"POST / HTTP/1.1\r\nContent-Length: +3\r\n\r\nabc",
    b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\nabc",
    b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
    b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\n0\n\n",
    b"\x00GET / HTTP/1.1\r\n\r\n",
]


@pytest.mark.parametrize("raw", MALFORMED, ids=range(len(MALFORMED)))
async def test_malformed_requests_get_400_and_close(raw: bytes) -> None:
    async with serving() as (server, handler):
        reader, writer = await connect(server)
        writer.write(raw + b"GET /canary HTTP/1.1\r\n\r\n")
        status, headers, body = await read_response(reader)
        assert status == 400 and headers["connection"] == "close"
        assert headers["content-type"] == "application/json" and json.loads(body)
        assert await read_rest(reader) == b""
        assert handler.requests == []


async def test_error_after_a_pipelined_request_keeps_order() -> None:
    async with serving() as (server, handler):
        reader, writer = await connect(server)
        writer.write(b"GET /delay?ms=50 HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\nBad Header: x\r\n\r\n")
        assert (await read_json(reader))["path"] == "/delay"
        assert (await read_response(reader))[0] == 400
        assert await read_rest(reader) == b""
        assert len(handler.requests) == 1


async def test_absolute_form_target_is_reduced_to_its_path() -> None:
    async with serving() as (server, _):
        reader, writer = await connect(server)
        writer.write(b"GET http://example.com:81/p/q?x=1 HTTP/1.1\r\nHost: example.com\r\n\r\n")
        data = await read_json(reader)
        assert (data["path"], data["query"]) == ("/p/q", "x=1")


async def test_big_pipelined_body_then_a_partial_head_is_not_431() -> None:
    """The per-chunk head estimate must not blame the next head for the previous body."""
    async with serving(max_header_bytes=1024) as (server, _):
        reader, writer = await connect(server)
        body = b"b" * 200_000
        writer.write(b"POST /big HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        writer.write(b"GET /next HTTP/1.1\r\nHo")
        assert (await read_json(reader))["path"] == "/big"
        writer.write(b"st: x\r\n\r\n")
        assert (await read_json(reader))["path"] == "/next"


async def test_sync_answers_and_delays_need_no_task() -> None:
    async with serving() as (server, handler):
        reader, writer = await connect(server)
        writer.write(b"GET /a HTTP/1.1\r\n\r\nGET /delay?ms=20 HTTP/1.1\r\n\r\n")
        writer.write(b"GET /delay?ms=20 HTTP/1.1\r\n\r\nGET /status/204 HTTP/1.1\r\n\r\n")
        tasks_before = len(asyncio.all_tasks())
        for _ in range(3):
            await read_response(reader)
        assert (await read_response(reader, bodyless=True))[0] == 204
        assert len(asyncio.all_tasks()) == tasks_before
        await handler.wait_served(4)


async def test_oversized_chunked_trailers_get_413() -> None:
    async with serving(max_body_bytes=100) as (server, _):
        reader, writer = await connect(server)
        writer.write(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n")
        writer.write(b"".join(b"X-T%d: %s\r\n" % (i, b"v" * 40) for i in range(5)) + b"\r\n")
        assert (await read_response(reader))[0] == 413


async def test_header_values_lose_surrounding_whitespace_names_keep_case() -> None:
    async with serving() as (server, handler):
        reader, writer = await connect(server)
        writer.write(b"GET / HTTP/1.1\r\nX-Pad: \t value  \t\r\nx-LOWER: a b\r\n\r\n")
        await read_json(reader)
        assert handler.requests[0].headers == (("X-Pad", "value"), ("x-LOWER", "a b"))


@pytest.mark.parametrize(
    ("line", "version"),
    [
        (b"GET / HTTP/1.1\r\nUser-Agent: u\r\n", "1.1"),
        (b"GET / HTTP/1.1\r\nConnection: close\r\n", "1.1"),
        (b"GET / HTTP/1.0\r\n", "1.0"),
        (b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n", "1.0"),
        (b"GET / HTTP/2.0\r\n", "2.0"),
    ],
)
async def test_http_version_is_reported_exactly(line: bytes, version: str) -> None:
    async with serving() as (server, handler):
        reader, writer = await connect(server)
        writer.write(line + b"\r\n")
        await read_json(reader)
        assert handler.requests[0].http_version == version
