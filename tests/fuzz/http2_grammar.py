"""HTTP/2 frames as bytes, for what a client sends after a valid preface: frames built
from RFC 9113's layouts (requests whose header blocks are real HPACK, bodies, settings,
window updates, priorities, resets, pings), random frames, and mutations of both (the
type, flags, stream, declared length or one byte changed, a frame cut short).

Header blocks are encoded in order with one HPACK encoder per connection, so a
connection's later blocks may index earlier fields, as a real client's do; a mutated
block is how HPACK state gets out of step.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from hpack import Encoder
from hypothesis import strategies as st

__all__ = ["MUTATIONS", "RawFrame", "connections", "frame_bytes"]

DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY = range(8)
WINDOW_UPDATE, CONTINUATION = 8, 9
END_STREAM, ACK, END_HEADERS, PADDED, PRIORITY_FLAG = 0x1, 0x1, 0x4, 0x8, 0x20

STREAMS = [0, 1, 1, 1, 3, 3, 5, 2, 7, 0x7FFFFFFF, 0x80000001]
"""Mostly the first client streams; an even one, the largest, one with the reserved bit."""
METHODS = [b"GET", b"GET", b"POST", b"POST", b"HEAD", b"PUT", b"OPTIONS"]
PATHS = [b"/ok", b"/ok", b"/echo", b"/ok?x=1", b"/echo/deeper"]
BAD_PSEUDO = [
    (b":method", b""),
    (b":method", b"get"),
    (b":method", b"CONNECT"),
    (b":path", b"*"),
    (b":path", b""),
    (b":path", b"ok"),
    (b":path", b"/\x00"),
    (b":path", b"/" + b"a" * 3000),
    (b":scheme", b"ftp"),
    (b":authority", b""),
    (b":authority", b"a b"),
]
FIELDS = [
    (b"content-type", b"application/json"),
    (b"content-length", b"0"),
    (b"cookie", b"a=1"),
    (b"cookie", b"b=2"),
    (b"te", b"trailers"),
    (b"host", b"fuzz"),
    (b"accept", b"*/*"),
]
BAD_FIELDS = [
    (b"content-length", b"5"),
    (b"content-length", b"-1"),
    (b"te", b"gzip"),
    (b"connection", b"close"),
    (b"upgrade", b"h2c"),
    (b"Upper-Case", b"x"),
    (b":bogus", b"x"),
    (b"x-nul", b"a\x00b"),
    (b"x-crlf", b"a\r\nb"),
    (b"x-big", b"v" * 3000),
    (b"", b"empty-name"),
]
SETTING_IDS = [1, 2, 3, 4, 5, 6, 8, 9, 0, 0xFFFF]
SETTING_VALUES = [0, 1, 100, 4096, 16383, 16384, 65535, 65536, 2**24, 2**31 - 1, 2**31, 2**32 - 1]
KINDS = (
    [HEADERS] * 12
    + [DATA] * 6
    + [WINDOW_UPDATE, SETTINGS, PING] * 3
    + [PRIORITY] * 2
    + [RST_STREAM, GOAWAY, CONTINUATION, PUSH_PROMISE, 10, 0xFF]
)
"""Built frames' types, weighted towards requests; a client's GOAWAY ends h2's side."""
MUTATIONS = ["none", "type", "flags", "stream", "length", "byte", "cut"]


@dataclass(frozen=True, slots=True)
class RawFrame:
    """One frame's fields (``length`` None: the payload's own length) and how it was made."""

    kind: int
    flags: int
    stream: int
    payload: bytes
    made: str
    length: int | None = None


def frame_bytes(frame: RawFrame) -> bytes:
    """The frame on the wire (RFC 9113 §4.1), its declared length as given."""
    length = len(frame.payload) if frame.length is None else frame.length
    head = struct.pack(">I", length & 0xFFFFFF)[1:] + bytes((frame.kind & 0xFF, frame.flags))
    return head + struct.pack(">I", frame.stream & 0xFFFFFFFF) + frame.payload


@st.composite
def _request_fields(draw: st.DrawFn) -> list[tuple[bytes, bytes]]:
    """A request head, valid three times in four; else with one fault in it."""
    fields = [
        (b":method", draw(st.sampled_from(METHODS))),
        (b":path", draw(st.sampled_from(PATHS))),
        (b":scheme", draw(st.sampled_from([b"http", b"https"]))),
        (b":authority", draw(st.sampled_from([b"fuzz", b"fuzz:80"]))),
        *draw(st.lists(st.sampled_from(FIELDS), max_size=3)),
    ]
    fault = draw(st.integers(0, 15))
    if fault == 0:
        fields = draw(st.permutations(fields))
    elif fault == 1:
        del fields[draw(st.integers(0, 3))]  # a pseudo-header missing
    elif fault == 2:
        fields.append(draw(st.sampled_from(BAD_FIELDS)))
    elif fault == 3:
        name, value = draw(st.sampled_from(BAD_PSEUDO))
        fields = [(n, value if n == name else v) for n, v in fields]
    return fields


def _payload(draw: st.DrawFn, encoder: Encoder, kind: int) -> tuple[int, bytes]:
    """Flags and a well-formed payload for a frame of ``kind``."""
    if kind == HEADERS:
        block = encoder.encode(draw(_request_fields()), huffman=draw(st.booleans()))
        flags = END_HEADERS | (END_STREAM if draw(st.booleans()) else 0)
        if draw(st.integers(0, 4)) == 0:
            flags |= PRIORITY_FLAG
            block = struct.pack(">IB", draw(st.sampled_from([0, 0, *STREAMS])), 15) + block
        return flags, block
    if kind == DATA:
        return (END_STREAM if draw(st.booleans()) else 0), draw(st.binary(max_size=64))
    if kind == PRIORITY:
        depends = draw(st.sampled_from([0, 0, *STREAMS]))
        return 0, struct.pack(">IB", depends, draw(st.integers(0, 255)))
    if kind == RST_STREAM:
        return 0, struct.pack(">I", draw(st.integers(0, 14)))
    if kind == SETTINGS:
        if draw(st.integers(0, 3)) == 0:
            return ACK, b""
        pairs = draw(
            st.lists(st.tuples(st.sampled_from(SETTING_IDS), st.sampled_from(SETTING_VALUES)),
                     max_size=3)
        )  # fmt: skip
        return 0, b"".join(struct.pack(">HI", key, value) for key, value in pairs)
    if kind == PING:
        return (ACK if draw(st.integers(0, 4)) == 0 else 0), draw(st.binary(min_size=8, max_size=8))
    if kind == GOAWAY:
        return 0, struct.pack(">II", draw(st.sampled_from(STREAMS)), draw(st.integers(0, 14)))
    if kind == WINDOW_UPDATE:
        increment = draw(st.sampled_from([1, 1000, 65535, 2**31 - 1, 0, 2**31]))
        return 0, struct.pack(">I", increment)
    if kind == CONTINUATION:  # a stray one: no header block is open
        return END_HEADERS, encoder.encode([(b"x-more", b"1")])
    return 0, draw(st.binary(max_size=16))  # PUSH_PROMISE and unknown types


def _mutate(draw: st.DrawFn, frame: RawFrame) -> RawFrame:
    how = draw(st.sampled_from(MUTATIONS))
    kind, flags, stream, payload, length = (
        frame.kind, frame.flags, frame.stream, frame.payload, frame.length,
    )  # fmt: skip
    if how == "type":
        kind = draw(st.integers(0, 12))
    elif how == "flags":
        flags = draw(st.integers(0, 255))
    elif how == "stream":
        stream = draw(st.sampled_from(STREAMS))
    elif how == "length":
        length = draw(st.sampled_from([0, 1, len(payload) + 1, 16384, 16385, 2**24 - 1]))
    elif how == "byte" and payload:
        at = draw(st.integers(0, len(payload) - 1))
        payload = payload[:at] + bytes((draw(st.integers(0, 255)),)) + payload[at + 1 :]
    elif how == "cut" and payload:
        payload = payload[: draw(st.integers(0, len(payload) - 1))]
    return RawFrame(kind, flags, stream, payload, f"{frame.made}+{how}", length)


class _Client:
    """What a well-behaved client's next frame depends on: its HPACK encoder, and the
    streams it opened (each new one numbered above the last)."""

    def __init__(self) -> None:
        self.encoder = Encoder()
        self.last = 0

    def stream_for(self, kind: int) -> int:
        if kind in (SETTINGS, PING, GOAWAY):
            return 0
        if kind == HEADERS:
            self.last += 2 if self.last else 1
        return self.last or 1


@st.composite
def _frames(draw: st.DrawFn, client: _Client) -> list[RawFrame]:
    """One frame (two for a header block split over a CONTINUATION)."""
    if draw(st.integers(0, 5)) == 0:  # a frame from nothing but its layout
        kind, flags = draw(st.integers(0, 12)), draw(st.integers(0, 255))
        stream, payload = draw(st.sampled_from(STREAMS)), draw(st.binary(max_size=48))
        return [RawFrame(kind, flags, stream, payload, "random")]
    kind = draw(st.sampled_from(KINDS))
    if not client.last and kind in (DATA, RST_STREAM, WINDOW_UPDATE, CONTINUATION):
        kind = HEADERS  # a stream opened first, most of the time: not an error at once
    flags, payload = _payload(draw, client.encoder, kind)
    made = [RawFrame(kind, flags, client.stream_for(kind), payload, "built")]
    if kind == HEADERS and len(payload) > 2 and draw(st.integers(0, 4)) == 0:
        at = draw(st.integers(1, len(payload) - 1))
        head, rest = made[0], payload[at:]
        made = [
            RawFrame(HEADERS, flags & ~END_HEADERS, head.stream, payload[:at], "built"),
            RawFrame(CONTINUATION, END_HEADERS, head.stream, rest, "built"),
        ]
    if draw(st.integers(0, 3)) == 0:
        at = draw(st.integers(0, len(made) - 1))
        made[at] = _mutate(draw, made[at])
    return made


@st.composite
def connections(draw: st.DrawFn) -> list[RawFrame]:
    """What one client sends after its preface and SETTINGS: one to eight frames."""
    client = _Client()
    return [f for _ in range(draw(st.integers(1, 8))) for f in draw(_frames(client))]
