"""WebSocket frames (RFC 6455 §5) as a client sends them after the handshake, the
server's frames read back, and a reference model of what the server must answer.

Conversations are built valid (text, binary, continuation, ping, pong and close frames,
masked as a client must, whole or fragmented, with control frames between fragments),
then now and then mutated (reserved bits, reserved opcodes, unmasked frames, long or
fragmented control frames, stray continuations, a new message mid-message, invalid
UTF-8, close codes that may not be sent, 1-byte close payloads, 64-bit lengths with the
top bit set, declared lengths past the limit or past the bytes that follow, a flipped
byte), and split over writes in arbitrary places.

``serve_model`` reads the final bytes as the server must (RFC 6455 and the choices
``realtime/ws_session.py`` documents) and says what comes back: so the property is exact
for every input, mutated or not, rather than "some close". Where the RFC lets a server
choose (which of two faults of one frame it reports), the model allows each choice.
"""

from __future__ import annotations

import base64
import codecs
import hashlib
import struct
from dataclasses import dataclass, field, replace

from hypothesis import strategies as st

__all__ = [
    "GREETING",
    "MAX_MESSAGE_BYTES",
    "PROBE",
    "ClientFrame",
    "Conversation",
    "Expected",
    "KEY",
    "Handshake",
    "ServerFrames",
    "accept_key",
    "close_payload",
    "conversations",
    "frame_bytes",
    "handshakes",
    "serve_model",
]

CONT, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
KNOWN_OPCODES = frozenset({CONT, TEXT, BINARY, CLOSE, PING, PONG})
RESERVED_OPCODES = [3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF]
PROTOCOL_ERROR, INVALID_DATA, TOO_BIG = 1002, 1007, 1009

MAX_MESSAGE_BYTES = 70_000
"""The fuzzed route's ``max_message_bytes``: above 65,535, so a valid message may need the
64-bit length form, and low enough to reach with a few frames."""
GREETING = b"ready"
"""The route's ``on_connect`` text."""
ASKED, REPLIES = b"hello?", [(TEXT, b"hi"), (BINARY, b"\x00\x01")]
"""A text message equal to ``ASKED`` gets the rule's ``REPLIES``; any other is echoed."""
PROBE = b"fuzz-probe"
"""The payload of the ping sent after every conversation: its pong says the server
read everything and serves on."""
SENDABLE_CODES = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014,
                  3000, 3999, 4000, 4999]  # fmt: skip
"""Close codes an endpoint may send (RFC 6455 §7.4, the IANA registry): some of each."""
UNSENDABLE_CODES = [0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535]
BAD_UTF8 = [b"\xff", b"\x80", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xe2\x82",
            b"caf\xc3", b"\xf8\x88\x80\x80\x80"]  # fmt: skip
"""A bad byte, a lone continuation, an overlong form, a surrogate, past U+10FFFF, a
sequence cut short (also at the end of a message), a 5-byte form."""
SIZES = [0, 1, 5, 125, 126, 127, 1000, 65535, 65536, MAX_MESSAGE_BYTES - 1, MAX_MESSAGE_BYTES]
"""Payload sizes at the edges of the three length forms and of the limit."""
MUTATIONS = [
    "unmasked", "rsv", "reserved-opcode", "control-too-long", "control-fragmented",
    "stray-continuation", "data-mid-message", "bad-utf8-text", "bad-utf8-reason",
    "bad-close-code", "close-1-byte", "length-top-bit", "huge-length", "truncated",
    "non-minimal-length", "byte-flip",
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class ClientFrame:
    """One frame's fields, the payload unmasked; ``declared`` and ``form`` override the
    length field, ``cut`` keeps only that many payload bytes on the wire."""

    opcode: int
    payload: bytes
    fin: bool = True
    rsv: int = 0
    masked: bool = True
    key: bytes = b"\x37\xfa\x21\x3d"
    declared: int | None = None
    form: int | None = None
    """The length field's size: 7, 16 or 64 bits (None: the smallest that holds it)."""
    cut: int | None = None


def frame_bytes(frame: ClientFrame) -> bytes:
    """The frame on the wire (RFC 6455 §5.2)."""
    length = len(frame.payload) if frame.declared is None else frame.declared
    form = frame.form or (7 if length < 126 else 16 if length < 65536 else 64)
    head = bytes([(0x80 if frame.fin else 0) | (frame.rsv & 7) << 4 | (frame.opcode & 0xF)])
    mask_bit = 0x80 if frame.masked else 0
    if form == 7:
        head += bytes([mask_bit | (length & 0x7F)])
    elif form == 16:
        head += bytes([mask_bit | 126]) + struct.pack(">H", length & 0xFFFF)
    else:
        head += bytes([mask_bit | 127]) + struct.pack(">Q", length & (2**64 - 1))
    payload = frame.payload if frame.cut is None else frame.payload[: frame.cut]
    if not frame.masked:
        return head + payload
    return head + frame.key + _mask(payload, frame.key)


def _mask(data: bytes, key: bytes) -> bytes:
    """XOR with the key repeated (§5.3), fast enough for 70 KB payloads."""
    whole = (key * (len(data) // 4 + 1))[: len(data)]
    return (int.from_bytes(data, "big") ^ int.from_bytes(whole, "big")).to_bytes(len(data), "big")


def close_payload(code: int, reason: bytes = b"") -> bytes:
    return struct.pack(">H", code) + reason


PROBE_FRAME = frame_bytes(ClientFrame(PING, PROBE))


@dataclass(frozen=True, slots=True)
class Conversation:
    """What one connection sends after its handshake, and where the writes break."""

    frames: tuple[ClientFrame, ...]
    mutations: tuple[str, ...] = ()
    splits: tuple[int, ...] = ()
    """Offsets in ``data`` where one write ends and the next begins."""
    flips: tuple[tuple[int, int], ...] = ()
    """(offset, XOR) applied to the bytes of the frames."""

    @property
    def data(self) -> bytes:
        """The bytes of the frames, flipped, then the probe ping."""
        raw = bytearray(b"".join(frame_bytes(f) for f in self.frames))
        for at, xor in self.flips:
            if raw:
                raw[at % len(raw)] ^= xor or 0xFF
        return bytes(raw) + PROBE_FRAME

    def writes(self) -> list[bytes]:
        data = self.data
        cuts = sorted({at % (len(data) + 1) for at in self.splits} | {0, len(data)})
        return [data[a:b] for a, b in zip(cuts, cuts[1:], strict=False) if b > a]


# --- valid conversations -----------------------------------------------------------------


@st.composite
def _payload(draw: st.DrawFn, text: bool, limit: int) -> bytes:
    """A payload of a size at the edges now and then, UTF-8 when ``text``."""
    size = draw(st.sampled_from([s for s in SIZES if s <= limit]) | st.integers(0, min(limit, 40)))
    if text:
        seed = draw(st.text(min_size=1, max_size=8)).encode()
        if draw(st.integers(0, 4)) == 0:
            return ASKED
    else:
        seed = draw(st.binary(min_size=1, max_size=8))
    data = (seed * (size // len(seed) + 1))[:size]
    if text:  # cut back to whole characters
        data = data.decode("utf-8", "ignore").encode()
    return data


def _control(draw: st.DrawFn) -> ClientFrame:
    kind = draw(st.sampled_from([PING, PING, PONG]))
    size = draw(st.sampled_from([0, 1, 124, 125]) | st.integers(0, 125))
    return ClientFrame(kind, draw(st.binary(min_size=size, max_size=size)))


@st.composite
def _message(draw: st.DrawFn, room: int) -> list[ClientFrame]:
    """One data message, whole or in fragments split anywhere (inside a UTF-8 character
    too: §5.6 checks the message, not a frame), control frames between them."""
    text = draw(st.booleans())
    payload = draw(_payload(text, room))
    pieces = draw(st.integers(1, 4))
    near_the_end = st.integers(0, min(len(payload), 130)).map(lambda k: len(payload) - k)
    cuts = sorted(draw(st.lists(st.integers(0, len(payload)) | near_the_end,
                                min_size=pieces - 1, max_size=pieces - 1)))  # fmt: skip
    parts = [payload[a:b] for a, b in zip([0, *cuts], [*cuts, len(payload)], strict=True)]
    frames: list[ClientFrame] = []
    for index, part in enumerate(parts):
        opcode = (TEXT if text else BINARY) if index == 0 else CONT
        key = draw(st.binary(min_size=4, max_size=4))
        frames.append(ClientFrame(opcode, part, fin=index == len(parts) - 1, key=key))
        if index < len(parts) - 1 and draw(st.integers(0, 2)) == 0:
            frames.append(_control(draw))
    return frames


@st.composite
def _close(draw: st.DrawFn) -> ClientFrame:
    if draw(st.integers(0, 5)) == 0:
        return ClientFrame(CLOSE, b"")  # no status: §7.1.5's 1005, never on the wire
    reason = draw(st.text(max_size=20)).encode()[:123]
    return ClientFrame(CLOSE, close_payload(draw(st.sampled_from(SENDABLE_CODES)), reason))


@st.composite
def _valid(draw: st.DrawFn) -> list[ClientFrame]:
    """Messages and control frames within the limit; now and then a close, maybe between
    the fragments of a message (ws_session: echoed, not failed), and frames after it."""
    frames: list[ClientFrame] = []
    for _ in range(draw(st.integers(1, 5))):
        if draw(st.integers(0, 3)) == 0:
            frames.append(_control(draw))
        else:
            frames += draw(_message(MAX_MESSAGE_BYTES))
    if draw(st.integers(0, 3)) == 0:
        frames.insert(draw(st.integers(0, len(frames))), draw(_close()))
    return frames


# --- mutations ---------------------------------------------------------------------------


def _mutate(
    draw: st.DrawFn, frames: list[ClientFrame], how: str
) -> tuple[list[ClientFrame], tuple[tuple[int, int], ...]]:
    """``frames`` with one fault of kind ``how`` (and byte flips for ``byte-flip``)."""
    at = draw(st.integers(0, len(frames) - 1))
    frame = frames[at]
    flips: tuple[tuple[int, int], ...] = ()
    if how == "unmasked":
        frames[at] = replace(frame, masked=False)
    elif how == "rsv":
        frames[at] = replace(frame, rsv=draw(st.integers(1, 7)))
    elif how == "reserved-opcode":
        frames[at] = replace(frame, opcode=draw(st.sampled_from(RESERVED_OPCODES)))
    elif how == "control-too-long":
        kind = draw(st.sampled_from([PING, PONG, CLOSE]))
        size = draw(st.sampled_from([126, 127, 200, 1000]))
        body = close_payload(1000, b"r" * (size - 2)) if kind == CLOSE else b"p" * size
        frames.insert(at, ClientFrame(kind, body))
    elif how == "control-fragmented":
        kind = draw(st.sampled_from([PING, PONG, CLOSE]))
        frames.insert(at, ClientFrame(kind, close_payload(1000) if kind == CLOSE else b"x", False))
    elif how == "stray-continuation":
        frames.insert(0, ClientFrame(CONT, b"nothing to continue", fin=draw(st.booleans())))
    elif how == "data-mid-message":
        first = ClientFrame(draw(st.sampled_from([TEXT, BINARY])), b"part", fin=False)
        frames[at:at] = [first, ClientFrame(draw(st.sampled_from([TEXT, BINARY])), b"new")]
    elif how == "bad-utf8-text":
        bad = draw(st.sampled_from(BAD_UTF8))
        prefix = draw(st.sampled_from([b"", b"ok ", "é".encode()]))
        frames.insert(at, ClientFrame(TEXT, prefix + bad + draw(st.sampled_from([b"", b"!"]))))
    elif how == "bad-utf8-reason":
        reason = draw(st.sampled_from(BAD_UTF8))
        frames.insert(at, ClientFrame(CLOSE, close_payload(1000, reason)))
    elif how == "bad-close-code":
        code = draw(st.sampled_from(UNSENDABLE_CODES))
        frames.insert(
            at, ClientFrame(CLOSE, close_payload(code, b"bye"[: draw(st.integers(0, 3))]))
        )
    elif how == "close-1-byte":
        frames.insert(at, ClientFrame(CLOSE, bytes([draw(st.integers(0, 255))])))
    elif how == "length-top-bit":
        frames[at] = replace(frame, declared=2**63 + len(frame.payload), form=64)
    elif how == "huge-length":
        size = draw(st.sampled_from([MAX_MESSAGE_BYTES + 1, 2**16 * 2, 2**32, 2**40, 2**63 - 1]))
        frames[at] = replace(frame, declared=size, form=64 if size > 65535 else None)
    elif how == "truncated":
        if frame.payload and draw(st.booleans()):
            frames[at] = replace(frame, cut=draw(st.integers(0, len(frame.payload) - 1)))
        else:
            frames[at] = replace(frame, declared=len(frame.payload) + draw(st.integers(1, 300)))
    elif how == "non-minimal-length":
        frames[at] = replace(frame, form=draw(st.sampled_from([16, 64])))
    elif how == "byte-flip":
        flips = tuple(draw(st.lists(st.tuples(st.integers(0, 2**16), st.integers(0, 255)),
                                    min_size=1, max_size=3)))  # fmt: skip
    return frames, flips


@st.composite
def conversations(draw: st.DrawFn, mutate: bool = True) -> Conversation:
    """A valid conversation; with ``mutate``, one time in two one to three mutations."""
    frames = draw(_valid())
    mutations: list[str] = []
    flips: tuple[tuple[int, int], ...] = ()
    if mutate and draw(st.booleans()):
        for how in draw(st.lists(st.sampled_from(MUTATIONS), min_size=1, max_size=3)):
            frames, more = _mutate(draw, frames, how)
            mutations.append(how)
            flips += more
    splits = tuple(draw(st.lists(st.integers(0, 2**17), max_size=4)))
    return Conversation(tuple(frames), tuple(mutations), splits, flips)


# --- the server's frames -----------------------------------------------------------------


@dataclass(slots=True)
class ServerFrames:
    """Reads the server's frames strictly (each must be well formed for a server, §5)
    and keeps them as (opcode, payload), data messages assembled."""

    frames: list[tuple[int, bytes]] = field(default_factory=list)
    buffer: bytes = b""
    partial: tuple[int, bytes] | None = None

    @property
    def close(self) -> bytes | None:
        """The server's close payload, once it sent one."""
        return next((payload for op, payload in self.frames if op == CLOSE), None)

    def feed(self, data: bytes) -> None:
        self.buffer += data
        while True:
            taken = self._one()
            if taken is None:
                return

    def _one(self) -> tuple[int, bytes] | None:
        buf = self.buffer
        if len(buf) < 2:
            return None
        fin, rsv, opcode = buf[0] & 0x80, buf[0] & 0x70, buf[0] & 0x0F
        assert not buf[1] & 0x80, f"a masked server frame (§5.1): {buf[:16]!r}"
        assert rsv == 0, f"reserved bits without an extension: {buf[:16]!r}"
        assert opcode in KNOWN_OPCODES, f"a reserved opcode {opcode:#x}"
        length, start = buf[1] & 0x7F, 2
        if length == 126:
            if len(buf) < 4:
                return None
            length, start = struct.unpack(">H", buf[2:4])[0], 4
            assert length >= 126, "a 16-bit length that fits 7 bits"
        elif length == 127:
            if len(buf) < 10:
                return None
            length, start = struct.unpack(">Q", buf[2:10])[0], 10
            assert length >= 65536 and length < 2**63, f"64-bit length {length}"
        if len(buf) < start + length:
            return None
        payload, self.buffer = buf[start : start + length], buf[start + length :]
        assert self.close is None, f"a frame after the server's close: {opcode:#x}"
        if opcode >= 8:
            assert fin and length <= 125, "a long or fragmented control frame"
            if opcode == CLOSE:
                _check_close(payload)
            self.frames.append((opcode, payload))
            return opcode, payload
        if opcode == CONT:
            assert self.partial is not None, "a continuation with nothing to continue"
            opcode, payload = self.partial[0], self.partial[1] + payload
        else:
            assert self.partial is None, "a new message in the middle of one"
        self.partial = None if fin else (opcode, payload)
        if fin:
            if opcode == TEXT:
                payload.decode()  # the server's text is UTF-8 (§5.6)
            self.frames.append((opcode, payload))
        return opcode, payload


def _check_close(payload: bytes) -> None:
    assert len(payload) != 1, "a 1-byte close payload"
    if payload:
        code = struct.unpack(">H", payload[:2])[0]
        assert code in SENDABLE_CODES[:12] or 3000 <= code < 5000, f"close code {code}"
        payload[2:].decode()


# --- the reference model -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Expected:
    """What the server must send for some bytes: ``answers`` in order, then:

    - ``open``: nothing more (the last answer is the probe's pong);
    - ``closed``: the last answer echoes the client's close; the server then closes;
    - ``failed``: a close with one of ``codes``, then the server closes;
    - ``waiting``: the bytes end inside a frame; the server waits for the rest. Once
      the client half-closes it closes, after a close with one of ``codes`` (faults seen in
      the frame's head) or none."""

    answers: tuple[tuple[int, bytes], ...]
    end: str
    codes: frozenset[int] = frozenset()


def serve_model(data: bytes, max_message: int = MAX_MESSAGE_BYTES) -> Expected:
    """What the fuzzed route answers to ``data`` sent after the handshake."""
    answers: list[tuple[int, bytes]] = [(TEXT, GREETING)]
    message: tuple[int, int] | None = None  # (opcode, size so far) of the open message
    parts: list[bytes] = []
    decoder: codecs.IncrementalDecoder | None = None
    pos = 0

    def done(end: str, codes: set[int] | frozenset[int] = frozenset()) -> Expected:
        return Expected(tuple(answers), end, frozenset(codes))

    while True:
        if pos == len(data):  # the probe, last, was read as a ping; else a frame took it
            return done("open" if (PONG, PROBE) in answers else "waiting")
        if len(data) - pos < 2:
            return done("waiting")
        b0, b1 = data[pos], data[pos + 1]
        fin, rsv, opcode, masked = bool(b0 & 0x80), b0 & 0x70, b0 & 0x0F, bool(b1 & 0x80)
        faults: set[int] = set()
        if opcode not in KNOWN_OPCODES or not masked:
            faults.add(PROTOCOL_ERROR)
        length, head = b1 & 0x7F, 2
        if length >= 126:
            head = 4 if length == 126 else 10
            if len(data) - pos < head:
                return done("waiting", faults)
            length = int.from_bytes(data[pos + 2 : pos + head], "big")
            if length >= 2**63:  # §5.2: the most significant bit must be 0
                faults.add(PROTOCOL_ERROR)
        control = opcode >= 8
        # what is left of the open message bounds its continuation only: a control frame
        # or a new message (a 1002 fault of its own) is not part of it
        room = max_message - (message[1] if message is not None and opcode == CONT else 0)
        if length > room:  # past the cap: a fault known from the head
            faults.add(TOO_BIG)
        if control and (length > 125 or not fin) or rsv:
            faults.add(PROTOCOL_ERROR)
        if length > max_message or (faults and (opcode not in KNOWN_OPCODES or not masked)):
            return done("failed", faults)  # refused from the head, before the payload
        # anything else (a continuation past what is left of its message too) may be found
        # once the payload is in: a server need not buffer it, but may
        end = pos + head + (4 if masked else 0) + length
        if end > len(data):
            return done("waiting", faults)
        if faults:
            return done("failed", faults)
        key = data[pos + head : pos + head + 4]
        payload = _mask(data[pos + head + 4 : end], key)
        pos = end
        if opcode == PING:
            answers.append((PONG, payload))
        elif opcode == CLOSE:  # between fragments too: the message is dropped
            failed = _close_faults(payload)
            if failed:
                return done("failed", failed)
            answers.append((CLOSE, payload))
            return done("closed")
        elif opcode in (TEXT, BINARY, CONT):
            if (opcode == CONT) != (message is not None):
                return done("failed", {PROTOCOL_ERROR})
            if opcode != CONT:
                message, parts = (opcode, 0), []
                decoder = codecs.getincrementaldecoder("utf-8")() if opcode == TEXT else None
            assert message is not None
            if decoder is not None:
                try:
                    decoder.decode(payload, final=fin)
                except UnicodeDecodeError:
                    return done("failed", {INVALID_DATA})
            parts.append(payload)
            message = (message[0], message[1] + len(payload))
            if fin:
                whole = b"".join(parts)
                if message[0] == TEXT and whole == ASKED:
                    answers.extend(REPLIES)
                else:
                    answers.append((message[0], whole))
                message = None


def _close_faults(payload: bytes) -> set[int]:
    if not payload:
        return set()
    if len(payload) == 1:
        return {PROTOCOL_ERROR}
    faults = set()
    code = struct.unpack(">H", payload[:2])[0]
    if not (code in SENDABLE_CODES[:12] or 3000 <= code < 5000):
        faults.add(PROTOCOL_ERROR)
    try:
        payload[2:].decode()
    except UnicodeDecodeError:
        faults.add(INVALID_DATA)
    return faults


# --- handshakes --------------------------------------------------------------------------

KEY = base64.b64encode(b"fuzz-key-16bytes").decode()


def accept_key(key: str) -> str:
    """``Sec-WebSocket-Accept`` for ``key`` (§4.2.2)."""
    digest = hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()
    return base64.b64encode(digest).decode()


@dataclass(frozen=True, slots=True)
class Handshake:
    """An upgrade request, mutated or not; ``refused``: it must not get a 101."""

    data: bytes
    mutation: str
    refused: bool
    body: bytes = b""
    """Bytes after the head (a body the request declares): frames to the server if it
    switches protocols."""
    key: str = ""
    """The ``Sec-WebSocket-Key`` sent, when one was ("": ``KEY``)."""


HANDSHAKE_MUTATIONS = {
    "none": False, "no-key": True, "key-not-base64": True, "key-too-short": True,
    "two-keys": True, "version-8": True, "version-14": True, "no-version": True,
    "no-connection": True, "upgrade-h2c": True, "post": True, "http-1.0": True,
    "body": False, "keep-alive-upgrade": False, "case": False,
}  # fmt: skip
"""Each mutation, and whether it must be refused (no 101). A body on the upgrade request
is not refused by RFC 6455: its bytes then reach the WebSocket parser, as frames."""


@st.composite
def handshakes(draw: st.DrawFn, path: str = "/ws/echo") -> Handshake:
    how = draw(st.sampled_from(sorted(HANDSHAKE_MUTATIONS)))
    method, version, body = "GET", "HTTP/1.1", b""
    fields = [("Host", "fuzz"), ("Upgrade", "websocket"), ("Connection", "Upgrade"),
              ("Sec-WebSocket-Key", KEY), ("Sec-WebSocket-Version", "13")]  # fmt: skip
    if how == "no-key":
        fields = [f for f in fields if f[0] != "Sec-WebSocket-Key"]
    elif how == "key-not-base64":
        fields[3] = ("Sec-WebSocket-Key", "not base64 at all!!!!!!")
    elif how == "key-too-short":
        fields[3] = ("Sec-WebSocket-Key", base64.b64encode(b"short").decode())
    elif how == "two-keys":
        fields.append(("Sec-WebSocket-Key", base64.b64encode(b"another-16-bytes").decode()))
    elif how.startswith("version-"):
        fields[4] = ("Sec-WebSocket-Version", how.removeprefix("version-"))
    elif how == "no-version":
        del fields[4]
    elif how == "no-connection":
        del fields[2]
    elif how == "upgrade-h2c":
        fields[1] = ("Upgrade", "h2c")
    elif how == "post":
        method = "POST"
    elif how == "http-1.0":
        version = "HTTP/1.0"
    elif how == "body":
        body = draw(st.sampled_from([b"hello", frame_bytes(ClientFrame(TEXT, b"in the body"))]))
        fields.append(("Content-Length", str(len(body))))
    elif how == "keep-alive-upgrade":
        fields[2] = ("Connection", "keep-alive, Upgrade")
    elif how == "case":
        fields = [(name.lower(), value.lower() if name == "Upgrade" else value)
                  for name, value in fields]  # fmt: skip
    head = f"{method} {path} {version}\r\n" + "".join(f"{n}: {v}\r\n" for n, v in fields)
    return Handshake((head + "\r\n").encode() + body, how, HANDSHAKE_MUTATIONS[how], body)


_MIXED_VALUES = {
    "Sec-WebSocket-Key": st.one_of(
        st.binary(min_size=16, max_size=16).map(lambda b: base64.b64encode(b).decode()),
        st.binary(min_size=0, max_size=40).map(lambda b: base64.b64encode(b).decode()),
        st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/= !", max_size=40),
    ),
    "Sec-WebSocket-Version": st.sampled_from(["13", "8", "14", "", "13, 8", " 13", "013"]),
    "Upgrade": st.sampled_from(["websocket", "WebSocket", "h2c", "websocket, h2c", "", "ws"]),
    "Connection": st.sampled_from(
        ["Upgrade", "upgrade", "keep-alive, Upgrade", "close", "Upgrade, close", "", "Upgraded"]
    ),
}


@st.composite
def mixed_handshakes(draw: st.DrawFn, path: str = "/ws/echo") -> Handshake:
    """Upgrade requests with any few of the named mutations at once, and drawn values in
    the handshake's fields; ``refused`` comes from ``must_refuse`` on the request as sent,
    so mutations that undo each other are judged by what is left."""
    method = draw(st.sampled_from(["GET", "GET", "GET", "POST", "get", "HEAD"]))
    version = draw(st.sampled_from(["HTTP/1.1", "HTTP/1.1", "HTTP/1.1", "HTTP/1.0"]))
    fields = [("Host", "fuzz"), ("Upgrade", "websocket"), ("Connection", "Upgrade"),
              ("Sec-WebSocket-Key", KEY), ("Sec-WebSocket-Version", "13")]  # fmt: skip
    for name in draw(st.lists(st.sampled_from(sorted(_MIXED_VALUES)), max_size=3, unique=True)):
        how = draw(st.sampled_from(["drop", "set", "twice"]))
        value = draw(_MIXED_VALUES[name])
        if how == "drop":
            fields = [f for f in fields if f[0] != name]
        elif how == "set":
            fields = [(n, value if n == name else v) for n, v in fields]
        else:
            fields.append((name, value))
    if draw(st.booleans()):
        fields = [(n.lower(), v) for n, v in fields]
    fields = draw(st.permutations(fields))
    body = draw(st.sampled_from([b"", b"", b"hello", frame_bytes(ClientFrame(TEXT, b"in it"))]))
    if body:
        fields.append(("Content-Length", str(len(body))))
    head = f"{method} {path} {version}\r\n" + "".join(f"{n}: {v}\r\n" for n, v in fields)
    refused = must_refuse(method, version, fields)
    key = next((v.strip() for n, v in fields if n.lower() == "sec-websocket-key"), "")
    return Handshake((head + "\r\n").encode() + body, "mixed", refused, body, key)


def must_refuse(method: str, version: str, fields: list[tuple[str, str]]) -> bool:
    """RFC 6455 §4.2.1 on the request as sent: a GET over HTTP/1.1 with ``Upgrade:
    websocket`` alone, ``upgrade`` among the ``Connection`` options, one key that is 16
    bytes in base64 and one ``Sec-WebSocket-Version: 13``; anything less is no upgrade."""

    def values(name: str) -> list[str]:
        return [v.strip() for n, v in fields if n.lower() == name.lower()]

    upgrade = [t.strip().lower() for v in values("Upgrade") for t in v.split(",") if t.strip()]
    options = [t.strip().lower() for v in values("Connection") for t in v.split(",")]
    keys, versions = values("Sec-WebSocket-Key"), values("Sec-WebSocket-Version")
    try:
        key_ok = len(keys) == 1 and len(base64.b64decode(keys[0], validate=True)) == 16
    except ValueError:
        key_ok = False
    accepted = (
        method == "GET" and version == "HTTP/1.1" and upgrade == ["websocket"]
        and "upgrade" in options and key_ok and versions == ["13"]
    )  # fmt: skip
    return not accepted
