"""A raw-socket client for the fuzz targets: send bytes, half-close, read until the
server closes, and split what came back into HTTP/1.1 responses, strictly."""

from __future__ import annotations

import re
import socket
import time
from dataclasses import dataclass

__all__ = ["Answer", "exchange", "split_responses"]

STATUS_LINE = re.compile(rb"HTTP/1\.1 ([1-5]\d\d) [\x20-\x7e]*")
FIELD = re.compile(rb"([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*([\x20-\x7e\t]*?)[ \t]*")
NO_BODY = {204, 304}


@dataclass(frozen=True, slots=True)
class Answer:
    """One parsed response."""

    status: int
    headers: dict[str, str]
    body: bytes


def exchange(port: int, data: bytes, timeout_s: float) -> tuple[bytes, float]:
    """Send ``data``, half-close, read to the end; the bytes and the seconds it took.

    A reset after the server's last answer counts as a close: refusing a request whose
    bytes it did not read makes the kernel send RST. Raises ``TimeoutError`` when the
    server neither answers nor closes within ``timeout_s``."""
    started = time.monotonic()
    deadline = started + timeout_s
    received = bytearray()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as sock:
        try:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused before it read everything: what it said is still in our buffer
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no close within {timeout_s} s; got {bytes(received)!r}")
            sock.settimeout(left)
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            except TimeoutError:
                raise TimeoutError(
                    f"no close within {timeout_s} s; got {bytes(received)[:300]!r}"
                ) from None
            if not chunk:
                break
            received += chunk
    return bytes(received), time.monotonic() - started


def split_responses(data: bytes) -> list[Answer]:
    """Every response in ``data``, framed by its own headers; AssertionError on anything
    that is not a well-formed HTTP/1.1 response. A ``101`` ends the HTTP/1.1 part."""
    answers: list[Answer] = []
    rest = data
    while rest:
        end = rest.find(b"\r\n\r\n")
        assert end >= 0, f"a response head without its end: {rest[:300]!r}"
        lines = rest[:end].split(b"\r\n")
        rest = rest[end + 4 :]
        status_line = STATUS_LINE.fullmatch(lines[0])
        assert status_line, f"not an HTTP/1.1 status line: {lines[0]!r}"
        status = int(status_line[1])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            assert b"\n" not in line and b"\r" not in line, f"a bare CR/LF in {line!r}"
            field = FIELD.fullmatch(line)
            assert field, f"not a header field: {line!r}"
            name = field[1].decode().lower()
            assert name not in ("content-length", "transfer-encoding") or name not in headers
            headers[name] = field[2].decode("latin-1")
        if status == 101:
            answers.append(Answer(status, headers, b""))
            return answers
        body, rest = _body(status, headers, rest)
        answers.append(Answer(status, headers, body))
    return answers


def _body(status: int, headers: dict[str, str], rest: bytes) -> tuple[bytes, bytes]:
    if status < 200 or status in NO_BODY:
        return b"", rest
    if "chunked" in headers.get("transfer-encoding", ""):
        assert "content-length" not in headers, "both Content-Length and chunked"
        body = b""
        while True:
            line_end = rest.find(b"\r\n")
            assert line_end >= 0, f"a chunk size line without its end: {rest[:100]!r}"
            size = int(rest[:line_end].split(b";")[0], 16)
            chunk, rest = rest[line_end + 2 : line_end + 2 + size], rest[line_end + 2 + size :]
            assert len(chunk) == size and rest[:2] == b"\r\n", "a truncated chunk"
            rest = rest[2:]
            if size == 0:
                return body, rest
            body += chunk
    length = headers.get("content-length")
    if length is None:
        return rest, b""  # delimited by the close
    assert length.isdigit(), f"Content-Length {length!r}"
    size = int(length)
    assert len(rest) >= size, f"a body of {len(rest)} bytes for Content-Length {size}"
    return rest[:size], rest[size:]
