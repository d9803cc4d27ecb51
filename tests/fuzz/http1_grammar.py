"""HTTP/1.1 requests as bytes: built from the request grammar (RFC 9112), then mutated
the ways smuggling and parser bugs are found (framing conflicts, bad chunks, folded or
oversized headers, NULs, bare LF/CR, truncation, pipelining).

``HEAD`` is never generated: its answer has a length but no body, so the response
reader could not frame what follows it without knowing which answer was for ``HEAD``.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

__all__ = ["MUTATIONS", "RawRequest", "exchanges", "raw_requests"]

TCHAR = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT", "get"]
VERSIONS = ["HTTP/1.1"] * 6 + ["HTTP/1.0", "HTTP/1.2", "HTTP/2.0", "HTTP/0.9", "http/1.1", ""]
HEADER_NAMES = [
    "Host",
    "Content-Type",
    "Accept",
    "Connection",
    "Expect",
    "Cookie",
    "Authorization",
    "Upgrade",
    "Transfer-Encoding",
    "Content-Length",
    "X-Forwarded-For",
    "Accept-Encoding",
    "If-None-Match",
    "Origin",
]
HEADER_VALUES = [
    "close",
    "keep-alive",
    "chunked",
    "gzip, chunked",
    "chunked, identity",
    "100-continue",
    "application/json",
    "0",
    "-1",
    "1e3",
    " 5",
    "websocket",
    "h2c",
]


@dataclass(frozen=True, slots=True)
class RawRequest:
    """One request's bytes and the mutation applied to them (``none``: as the grammar built it)."""

    data: bytes
    mutation: str


def _method() -> st.SearchStrategy[str]:
    token = st.text(TCHAR, min_size=1, max_size=12).filter(lambda m: m.upper() != "HEAD")
    return st.one_of(st.sampled_from(METHODS), token)


def _target() -> st.SearchStrategy[str]:
    segment = st.text("abcxyz019-._~%!$&'()*+,;=:@", max_size=8)
    path = st.lists(segment, max_size=5).map(lambda parts: "/" + "/".join(parts))
    query = st.one_of(st.just(""), st.text("abq=&%20+;/?", max_size=20).map(lambda q: "?" + q))
    origin = st.builds(lambda p, q: p + q, path, query)
    odd = st.sampled_from(["*", "http://example.com/ok", "//ok", "/ok#frag", "", "ok", "/%zz"])
    return st.one_of(origin, origin, origin, odd)


def _headers() -> st.SearchStrategy[list[tuple[str, str]]]:
    name = st.one_of(st.sampled_from(HEADER_NAMES), st.text(TCHAR, min_size=1, max_size=20))
    value = st.one_of(
        st.sampled_from(HEADER_VALUES),
        st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40),
    )
    return st.lists(st.tuples(name, value), max_size=8)


def _chunked(body: bytes, sizes: list[int]) -> bytes:
    out, rest = b"", body
    for size in sizes:
        piece, rest = rest[:size], rest[size:]
        if piece:
            out += b"%x\r\n" % len(piece) + piece + b"\r\n"
    if rest:
        out += b"%x\r\n" % len(rest) + rest + b"\r\n"
    return out + b"0\r\n\r\n"


@st.composite
def _well_formed(draw: st.DrawFn) -> bytes:
    """A request the grammar allows (framing consistent), possibly odd in its tokens."""
    method = draw(_method())
    target = draw(_target())
    version = draw(st.sampled_from(VERSIONS))
    headers = [
        (n, v)
        for n, v in draw(_headers())
        if n.lower() not in ("content-length", "transfer-encoding", "upgrade", "expect")
    ]
    if draw(st.booleans()):
        headers.insert(0, ("Host", "fuzz"))
    body = draw(st.binary(max_size=64))
    framing = draw(st.sampled_from(["none", "length", "chunked"]))
    if framing == "length" or (framing == "none" and body):
        headers.append(("Content-Length", str(len(body))))
        payload = body
    elif framing == "chunked":
        headers.append(("Transfer-Encoding", "chunked"))
        payload = _chunked(body, draw(st.lists(st.integers(1, 16), max_size=4)))
    else:
        payload = b""
    line = f"{method} {target}" + (f" {version}" if version else "")
    head = line + "\r\n" + "".join(f"{n}: {v}\r\n" for n, v in headers) + "\r\n"
    return head.encode("latin-1") + payload


def _splice(data: bytes, at: int, insert: bytes, drop: int = 0) -> bytes:
    at = min(at, len(data))
    return data[:at] + insert + data[at + drop :]


def _head_end(data: bytes) -> int:
    end = data.find(b"\r\n\r\n")
    return len(data) if end < 0 else end + 2


@st.composite
def _mutated(draw: st.DrawFn) -> RawRequest:
    data = draw(_well_formed())
    mutation = draw(st.sampled_from(MUTATIONS))
    head = _head_end(data)
    position = draw(st.integers(0, max(len(data) - 1, 0)))
    if mutation == "none":
        pass
    elif mutation == "bad-chunk-size":
        size = draw(
            st.sampled_from(
                [b"zz", b"-1", b"0x10", b"ffffffffffffffffffff", b" 5", b"5 ", b"5;x=\x00", b""]
            )
        )
        extra = b"Transfer-Encoding: chunked\r\n"
        data = data[:head] + extra + b"\r\n" + size + b"\r\nhello\r\n0\r\n\r\n"
    elif mutation == "duplicate-content-length":
        first, second = draw(st.sampled_from([(b"3", b"3"), (b"3", b"4"), (b"3, 4", b"3")]))
        extra = b"Content-Length: " + first + b"\r\nContent-Length: " + second + b"\r\n"
        data = data[:head] + extra + b"\r\n" + b"abcd"
    elif mutation == "cl-and-te":
        te = draw(st.sampled_from([b"chunked", b" chunked", b"chunked, identity", b"xchunked"]))
        extra = b"Content-Length: 4\r\nTransfer-Encoding: " + te + b"\r\n"
        data = data[:head] + extra + b"\r\n" + b"0\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n"
    elif mutation == "obs-fold":
        line_end = data.find(b"\r\n")
        fold = draw(st.sampled_from([b"X-A: a\r\n b\r\n", b"X-A: a\r\n\tb\r\n", b" Host: x\r\n"]))
        data = _splice(data, line_end + 2 if line_end >= 0 else 0, fold)
    elif mutation == "huge-header":
        length = draw(st.sampled_from([8 * 1024, 70 * 1024, 200 * 1024]))
        data = data[:head] + b"X-Big: " + b"a" * length + b"\r\n" + data[head:]
    elif mutation == "many-headers":
        count = draw(st.sampled_from([100, 1000, 5000]))
        data = data[:head] + b"X-N: 1\r\n" * count + data[head:]
    elif mutation == "nul":
        data = _splice(data, position, b"\x00")
    elif mutation == "bare-lf":
        data = data.replace(b"\r\n", b"\n", draw(st.integers(1, 4)))
    elif mutation == "bare-cr":
        data = data.replace(b"\r\n", b"\r", draw(st.integers(1, 4)))
    elif mutation == "truncated":
        data = data[:position]
    elif mutation == "byte-flip":
        byte = draw(st.integers(0, 255)).to_bytes(1, "big")
        data = _splice(data, position, byte, drop=1)
    elif mutation == "expect-continue":
        data = data[:head] + b"Expect: 100-continue\r\nContent-Length: 5\r\n\r\nhel"
    elif mutation == "control-in-name":
        data = data[:head] + b"X\x01Y: v\r\nZ : w\r\n" + data[head:]
    else:  # pragma: no cover - MUTATIONS and this chain name the same things
        raise AssertionError(mutation)
    return RawRequest(data, mutation)


MUTATIONS = [
    "none",
    "bad-chunk-size",
    "duplicate-content-length",
    "cl-and-te",
    "obs-fold",
    "huge-header",
    "many-headers",
    "nul",
    "bare-lf",
    "bare-cr",
    "truncated",
    "byte-flip",
    "expect-continue",
    "control-in-name",
]


def raw_requests() -> st.SearchStrategy[RawRequest]:
    """One request from the grammar, with at most one mutation."""
    return _mutated()


def exchanges() -> st.SearchStrategy[list[RawRequest]]:
    """What one connection sends: one to four requests pipelined in a single write."""
    return st.lists(raw_requests(), min_size=1, max_size=4)
