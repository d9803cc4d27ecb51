"""Send one request over a fresh socket and describe what came back, faults included.

A raw socket read through h11 (rather than an HTTP client) is what lets a broken
connection be classified the same way on both sides: reset, empty reply, garbage,
or a malformed body after a good status line.
"""

from __future__ import annotations

import base64
import json
import socket
import time
from dataclasses import dataclass
from typing import Any

import h11

TIMEOUT_S = 15.0


@dataclass(frozen=True)
class Probe:
    """One request of a case, as ``requests.json`` states it."""

    name: str
    method: str
    url: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    note: str = ""
    normalise: tuple[tuple[str, str], ...] = ()
    min_elapsed_ms: int | None = None
    expected_different: str = ""
    compare: tuple[str, ...] = ("status", "headers", "body")

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Probe:
        headers: list[tuple[str, str]] = []
        for key, value in (data.get("headers") or {}).items():
            for one in value if isinstance(value, list) else [value]:
                headers.append((key, str(one)))
        if "body_base64" in data:
            body = base64.b64decode(data["body_base64"])
        elif isinstance(data.get("body"), dict | list):
            body = json.dumps(data["body"]).encode()
        else:
            body = str(data.get("body", "")).encode()
        return cls(
            name=data["name"],
            method=data.get("method", "GET"),
            url=data["url"],
            headers=tuple(headers),
            body=body,
            note=data.get("note", ""),
            normalise=tuple((rule[0], rule[1]) for rule in data.get("normalise", [])),
            min_elapsed_ms=data.get("min_elapsed_ms"),
            expected_different=data.get("expected_different", ""),
            compare=tuple(data.get("compare", ("status", "headers", "body"))),
        )


def send(host: str, port: int, probe: Probe) -> dict[str, Any]:
    """Send ``probe``; return a JSON-ready answer with ``outcome`` ok or a fault class."""
    conn = h11.Connection(our_role=h11.CLIENT)
    names = {name.lower() for name, _ in probe.headers}
    headers = list(probe.headers)
    if "host" not in names:
        headers.insert(0, ("Host", f"{host}:{port}"))
    if (probe.body or probe.method in {"POST", "PUT", "PATCH"}) and "content-length" not in names:
        headers.append(("Content-Length", str(len(probe.body))))
    wire = conn.send(h11.Request(method=probe.method, target=probe.url, headers=headers)) or b""
    if probe.body:
        wire += conn.send(h11.Data(data=probe.body)) or b""
    wire += conn.send(h11.EndOfMessage()) or b""
    started = time.monotonic()
    with socket.create_connection((host, port), timeout=TIMEOUT_S) as sock:
        answer = _exchange(sock, conn, wire)
    answer["elapsed_ms"] = round((time.monotonic() - started) * 1000)
    return answer


def _exchange(sock: socket.socket, conn: h11.Connection, wire: bytes) -> dict[str, Any]:
    """Read one response as a keep-alive client would, classifying a broken one."""
    answer: dict[str, Any] = {"outcome": "ok"}
    body = bytearray()
    seen = b""
    try:
        sock.sendall(wire)
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                chunk = sock.recv(65536)
                seen = seen or chunk[:8]
                conn.receive_data(chunk)
                if not chunk and not seen:
                    return {"outcome": "empty"}
            elif isinstance(event, h11.Response):
                answer["status"] = event.status_code
                answer["reason"] = event.reason.decode("latin-1")
                answer["headers"] = [
                    [name.decode("latin-1"), value.decode("latin-1")]
                    for name, value in event.headers.raw_items()
                ]
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
                break
    except (ConnectionResetError, BrokenPipeError):
        if "status" not in answer:
            return {"outcome": "reset" if not seen else _head_class(seen)}
        answer["outcome"] = "reset-mid-body"
    except h11.RemoteProtocolError:
        if "status" not in answer:
            return {"outcome": _head_class(seen)}
        answer["outcome"] = "malformed-body"
    answer.update(encode_body(bytes(body)))
    return answer


def _head_class(seen: bytes) -> str:
    return "malformed-head" if seen.startswith(b"HTTP/") else "garbage"


def encode_body(body: bytes) -> dict[str, str]:
    """The body as text when it is UTF-8, else base64 (so answers stay JSON)."""
    try:
        return {"body": body.decode("utf-8")}
    except UnicodeDecodeError:
        return {"body_base64": base64.b64encode(body).decode("ascii")}
