"""WebSocket frame handling, over a raw socket to a served ``MockServer``: the handshake
done by hand, then frames from ``websocket_grammar`` (valid, mutated, split over writes).

Property: what the server sends back is exactly what ``serve_model`` says RFC 6455 asks
of this route (its greeting, the echoes and rule replies, pongs, the echo of a client's
close), each frame well formed; for bad input it then closes with the code the fault
calls for (1002, 1007 or 1009: never 1011, which means a bug of ours) and ends the TCP
connection; bytes that stop inside a frame leave it waiting until the client half-closes.
Nothing takes longer than ``EXCHANGE_TIMEOUT_S``. Afterwards a fresh connection with the
``websockets`` client is greeted and echoed, no session is left open, and the journal
and metrics still answer.
"""

from __future__ import annotations

import socket
import struct
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from websockets.sync.client import connect

from apidouble.testing import MockServer

from .budget import budget
from .websocket_grammar import (
    BINARY,
    CLOSE,
    CONT,
    GREETING,
    KEY,
    MAX_MESSAGE_BYTES,
    PING,
    PONG,
    PROBE,
    TEXT,
    ClientFrame,
    Conversation,
    Expected,
    Handshake,
    ServerFrames,
    accept_key,
    close_payload,
    conversations,
    frame_bytes,
    handshakes,
    mixed_handshakes,
    serve_model,
)
from .wire import FIELD, STATUS_LINE

pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")
"""Examples hold 70 KB messages on purpose; Hypothesis warns when it prints them."""

EXCHANGE_TIMEOUT_S = 5.0
"""Well past anything the server waits for here: a hang, not a slow machine."""
WRITE_GAP_S = 0.002
"""Between two writes, so the server reads them apart (``TCP_NODELAY`` is set too)."""
ROUTE: dict[str, Any] = {
    "on_connect": GREETING.decode(),
    "max_message_bytes": MAX_MESSAGE_BYTES,
    "on_message": [
        {"frame": "text", "match": {"equals": "hello?"}, "reply": ["hi", {"binary": "AAE="}]},
        {"echo": True},
    ],
}
ENDPOINTS: list[dict[str, Any]] = [
    {"name": "ws", "path": "/ws/echo", "websocket": ROUTE},
    {"name": "idle", "path": "/ws/idle", "websocket": {**ROUTE, "idle_timeout_s": 0.5}},
    {"name": "ok", "path": "/ok", "response": "canary", "content_type": "text/plain"},
]
HANDSHAKE = (
    f"GET /ws/echo HTTP/1.1\r\nHost: fuzz\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    f"Sec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n"
).encode()


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with MockServer(endpoints=ENDPOINTS, header_timeout_s=1.0) as mock:
        yield mock


@dataclass(slots=True)
class Heard:
    """What the server sent on one connection after its ``101``."""

    frames: ServerFrames = field(default_factory=ServerFrames)
    alive: bool = False
    """The probe's pong came: the server read everything and serves on."""
    closed: bool = False
    """The server ended the TCP connection."""


def read_switch(sock: socket.socket, deadline: float) -> tuple[int, dict[str, str], bytes]:
    """The status and fields of the answer to the handshake, and the bytes after it."""
    received = b""
    while b"\r\n\r\n" not in received:
        sock.settimeout(max(deadline - time.monotonic(), 0.001))
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            raise TimeoutError(f"no answer to the handshake: {received[:300]!r}") from None
        except ConnectionResetError:
            chunk = b""
        assert chunk, f"closed before answering the handshake: {received[:300]!r}"
        received += chunk
    head, _, rest = received.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status_line = STATUS_LINE.fullmatch(lines[0])
    assert status_line, f"not an HTTP/1.1 status line: {lines[0]!r}"
    headers: dict[str, str] = {}
    for line in lines[1:]:
        found = FIELD.fullmatch(line)
        assert found, f"not a header field: {line!r}"
        headers[found[1].decode().lower()] = found[2].decode("latin-1")
    return int(status_line[1]), headers, rest


def converse(
    port: int, writes: list[bytes], half_close: bool, path: str = "/ws/echo"
) -> tuple[Heard, float]:
    """Handshake, send ``writes`` apart, then read until the probe's pong or the close
    (answering the server's close with ours, as a client does). TimeoutError on a hang."""
    started = time.monotonic()
    deadline = started + EXCHANGE_TIMEOUT_S
    heard = Heard()
    with socket.create_connection(("127.0.0.1", port), timeout=EXCHANGE_TIMEOUT_S) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.sendall(HANDSHAKE.replace(b"/ws/echo", path.encode()))
        status, headers, rest = read_switch(sock, deadline)
        assert status == 101 and headers.get("sec-websocket-accept") == accept_key(KEY), headers
        heard.frames.feed(rest)
        for index, data in enumerate(writes):
            if index:
                time.sleep(WRITE_GAP_S)
            try:
                sock.sendall(data)
            except (BrokenPipeError, ConnectionResetError):
                break  # refused before it read everything: what it said is still to read
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        replied = False
        while (PONG, PROBE) not in heard.frames.frames:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"neither the probe's pong nor a close: {summary(heard)}")
            sock.settimeout(left)
            try:
                chunk = sock.recv(1 << 17)
            except ConnectionResetError:
                chunk = b""
            except TimeoutError:
                raise TimeoutError(f"neither the pong nor a close: {summary(heard)}") from None
            if not chunk:
                heard.closed = True
                break
            heard.frames.feed(chunk)
            close = heard.frames.close
            if close is not None and not replied and not half_close:
                replied = True
                try:  # then nothing more to send: a frame the server still reads ends too
                    sock.sendall(frame_bytes(ClientFrame(CLOSE, close)))
                    sock.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
        heard.alive = (PONG, PROBE) in heard.frames.frames
    return heard, time.monotonic() - started


def summary(heard: Heard | list[tuple[int, bytes]]) -> list[str]:
    """Frames as short text, for assertion messages on 70 KB payloads."""
    frames = heard.frames.frames if isinstance(heard, Heard) else heard
    return [f"{op:#x}:{len(data)}:{data[:24]!r}" for op, data in frames]


def close_code(payload: bytes) -> int | None:
    return struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else None


def check_against_model(heard: Heard, expected: Expected) -> None:
    """The server's frames are the model's answers, then what its ``end`` allows."""
    got, want = heard.frames.frames, list(expected.answers)
    if expected.end == "open":
        assert summary(got) == summary(want) and got == want, (summary(got), summary(want))
        assert heard.alive
        return
    assert heard.closed, f"the server did not close: {summary(got)}"
    if expected.end == "closed":
        assert summary(got) == summary(want) and got == want, (summary(got), summary(want))
        return
    closing = got[len(want) :]
    assert summary(got[: len(want)]) == summary(want) and got[: len(want)] == want, (
        summary(got), summary(want), expected.end, sorted(expected.codes),
    )  # fmt: skip
    if expected.end == "waiting" and not closing:
        return  # the client's half-close ended it: no close frame is owed
    assert len(closing) == 1 and closing[0][0] == CLOSE, summary(got)
    code = close_code(closing[0][1])
    assert code in expected.codes, f"closed with {code}, not one of {sorted(expected.codes)}"


def assert_healthy(mock: MockServer) -> None:
    """A real client is greeted and echoed, no session is left open, and the journal
    and metrics answer."""
    url = mock.url.replace("http://", "ws://") + "/ws/echo"
    with connect(url, open_timeout=EXCHANGE_TIMEOUT_S, close_timeout=EXCHANGE_TIMEOUT_S) as ws:
        assert ws.recv(timeout=EXCHANGE_TIMEOUT_S) == GREETING.decode()
        ws.send("canary")
        assert ws.recv(timeout=EXCHANGE_TIMEOUT_S) == "canary"
        ws.send(b"\x00canary")
        assert ws.recv(timeout=EXCHANGE_TIMEOUT_S) == b"\x00canary"
    for path in ("/__admin/requests?limit=1", "/__admin/metrics", "/ok"):
        with urllib.request.urlopen(mock.url + path, timeout=EXCHANGE_TIMEOUT_S) as answer:
            assert answer.status == 200, path
    deadline = time.monotonic() + EXCHANGE_TIMEOUT_S
    while mock.websockets():
        assert time.monotonic() < deadline, f"sessions left open: {mock.websockets()}"
        time.sleep(0.005)


def check_conversation(mock: MockServer, conversation: Conversation) -> Heard:
    expected = serve_model(conversation.data)
    heard, _ = converse(mock.port, conversation.writes(), expected.end == "waiting")
    check_against_model(heard, expected)
    assert_healthy(mock)
    return heard


def test_the_canary_answers(server: MockServer) -> None:
    assert_healthy(server)


@budget(150)
@given(conversation=conversations(mutate=False))
def test_valid_frames_get_their_answers(server: MockServer, conversation: Conversation) -> None:
    """No mutation: every message echoed (or answered by its rule), every ping ponged, a
    client's close echoed; never a close with an error code."""
    heard = check_conversation(server, conversation)
    close = heard.frames.close
    assert close is None or close == next(
        f.payload for f in conversation.frames if f.opcode == CLOSE
    ), summary(heard)


@budget(250)
@given(conversation=conversations())
def test_any_frames(server: MockServer, conversation: Conversation) -> None:
    check_conversation(server, conversation)


@budget(40)
@given(handshake=st.one_of(handshakes(), mixed_handshakes()))
def test_any_handshake(server: MockServer, handshake: Handshake) -> None:
    """A mutated upgrade request (one named mutation, or a few at once with drawn
    values) is refused below 500, or switched and then served as the model says (a
    body's bytes are frames to the server)."""
    check_handshake(server, handshake)


def check_handshake(mock: MockServer, handshake: Handshake) -> None:
    deadline = time.monotonic() + EXCHANGE_TIMEOUT_S
    probe = frame_bytes(ClientFrame(TEXT, b"after the handshake")) + frame_bytes(
        ClientFrame(PING, PROBE)
    )
    with socket.create_connection(("127.0.0.1", mock.port), timeout=EXCHANGE_TIMEOUT_S) as sock:
        sock.sendall(handshake.data)
        status, headers, rest = read_switch(sock, deadline)
        assert status < 500, (status, handshake.mutation)
        if status != 101:
            assert 400 <= status < 500 and not rest.startswith(b"\x81"), (status, rest[:100])
        else:
            assert not handshake.refused, f"{handshake.mutation} was switched"
            expected = accept_key(handshake.key or KEY)
            assert headers.get("sec-websocket-accept") == expected, headers
            heard = Heard()
            heard.frames.feed(rest)
            try:
                sock.sendall(probe)
            except (BrokenPipeError, ConnectionResetError):
                pass
            while not heard.closed and (PONG, PROBE) not in heard.frames.frames:
                sock.settimeout(max(deadline - time.monotonic(), 0.001))
                try:
                    chunk = sock.recv(65536)
                except ConnectionResetError:
                    chunk = b""
                heard.closed = not chunk
                heard.frames.feed(chunk)
            heard.alive = (PONG, PROBE) in heard.frames.frames
            check_against_model(heard, serve_model(handshake.body + probe))
    assert_healthy(mock)


def one(*frames: ClientFrame, splits: tuple[int, ...] = ()) -> Conversation:
    return Conversation(frames, ("named",), splits)


HELLO = ClientFrame(TEXT, b"Hello, world!")
NAMED: dict[str, tuple[Conversation, frozenset[int]]] = {
    "unmasked": (one(HELLO, ClientFrame(TEXT, b"bare", masked=False)), frozenset({1002})),
    "rsv1-without-extension": (one(HELLO, ClientFrame(TEXT, b"x", rsv=4)), frozenset({1002})),
    "rsv3": (one(ClientFrame(BINARY, b"x", rsv=1)), frozenset({1002})),
    "reserved-opcode-3": (one(HELLO, ClientFrame(3, b"")), frozenset({1002})),
    "reserved-opcode-0xb": (one(ClientFrame(0xB, b"ctl")), frozenset({1002})),
    "ping-of-126-bytes": (one(ClientFrame(PING, b"p" * 126)), frozenset({1002})),
    "fragmented-ping": (one(ClientFrame(PING, b"p", fin=False)), frozenset({1002})),
    "stray-continuation": (one(ClientFrame(CONT, b"nothing to continue")), frozenset({1002})),
    "text-mid-message": (
        one(ClientFrame(TEXT, b"part", fin=False), ClientFrame(TEXT, b"new")),
        frozenset({1002}),
    ),
    "invalid-utf8-text": (one(HELLO, ClientFrame(TEXT, b"caf\xc3")), frozenset({1007})),
    "invalid-utf8-fragment": (
        one(ClientFrame(TEXT, b"ok", fin=False), ClientFrame(CONT, b"\xff", fin=False)),
        frozenset({1007}),
    ),
    "invalid-utf8-close-reason": (
        one(ClientFrame(CLOSE, close_payload(1000, b"\xff"))),
        frozenset({1007}),
    ),
    **{
        f"close-code-{code}": (one(ClientFrame(CLOSE, close_payload(code))), frozenset({1002}))
        for code in (0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000)
    },
    "close-of-1-byte": (one(ClientFrame(CLOSE, b"\x03")), frozenset({1002})),
    "64-bit-length-top-bit": (
        one(ClientFrame(BINARY, b"x", declared=2**63 + 1, form=64)),
        frozenset({1002, 1009}),
    ),
    "declared-past-the-limit": (
        one(ClientFrame(BINARY, b"x", declared=2**40, form=64)),
        frozenset({1009}),
    ),
    "message-past-the-limit": (
        one(
            ClientFrame(BINARY, b"a" * 40_000, fin=False),
            ClientFrame(CONT, b"b" * 40_000),
        ),
        frozenset({1009}),
    ),
}
"""The mutations by name: the model's codes and the server's must both be these."""


FOUND = {
    "ping-between-fragments-near-the-limit": one(
        ClientFrame(BINARY, b"a" * (MAX_MESSAGE_BYTES - 50), fin=False),
        ClientFrame(PING, b"p" * 124),
        ClientFrame(CONT, b"b" * 50),
    ),
}
"""What the fuzzer found, each a regression test: the ping was refused with 1009 as if
it were part of the message (websockets bounds every frame by what is left of the open
message; ``ws_session._Protocol`` counts the cap over data frames only)."""


@pytest.mark.parametrize("name", FOUND)
def test_found_inputs(server: MockServer, name: str) -> None:
    heard = check_conversation(server, FOUND[name])
    assert heard.frames.close is None and heard.alive, summary(heard)
    assert (PONG, b"p" * 124) in heard.frames.frames


@pytest.mark.parametrize("name", NAMED)
def test_named_faults_close_with_their_code(server: MockServer, name: str) -> None:
    conversation, codes = NAMED[name]
    expected = serve_model(conversation.data)
    assert expected.end == "failed" and expected.codes == codes, expected
    heard = check_conversation(server, conversation)
    close = heard.frames.close
    assert close is not None and close_code(close) in codes, summary(heard)


@pytest.mark.parametrize(
    "conversation",
    [
        pytest.param(one(*[HELLO] * 5, ClientFrame(PING, b"p")), id="several-frames-one-write"),
        pytest.param(
            one(ClientFrame(TEXT, "é€😀".encode() * 50), splits=tuple(range(1, 300))),
            id="one-frame-over-many-writes",
        ),
        pytest.param(
            one(
                ClientFrame(TEXT, "€".encode()[:2], fin=False),
                ClientFrame(PING, b"between"),
                ClientFrame(CONT, "€".encode()[2:]),
            ),
            id="a-character-over-two-fragments",
        ),
        pytest.param(
            one(ClientFrame(TEXT, b"hi", fin=False), ClientFrame(CLOSE, close_payload(1000))),
            id="close-between-fragments",
        ),
        pytest.param(one(ClientFrame(BINARY, b"x" * 65536)), id="64-bit-length"),
        pytest.param(one(ClientFrame(TEXT, b"short", form=64)), id="non-minimal-length"),
    ],
)
def test_named_valid_conversations(server: MockServer, conversation: Conversation) -> None:
    assert serve_model(conversation.data).end in ("open", "closed")
    heard = check_conversation(server, conversation)
    close = heard.frames.close
    assert close is None or close_code(close) == 1000, summary(heard)


def test_a_truncated_frame_waits_until_the_client_half_closes(server: MockServer) -> None:
    cut = one(HELLO, ClientFrame(BINARY, b"declared longer", declared=300))
    assert serve_model(cut.data).end == "waiting"
    heard = check_conversation(server, cut)
    assert heard.frames.frames[:2] == [(TEXT, GREETING), (TEXT, b"Hello, world!")]


def test_a_truncated_frame_is_closed_by_the_idle_timeout(server: MockServer) -> None:
    """Without the half-close, only ``idle_timeout_s`` ends the wait: 1001, in time."""
    cut = one(HELLO, ClientFrame(BINARY, b"declared longer", declared=300))
    heard, took = converse(server.port, cut.writes(), False, "/ws/idle")
    close = heard.frames.close
    assert close is not None and close_code(close) == 1001 and heard.closed, summary(heard)
    assert 0.4 < took < 3.0
    assert_healthy(server)


@pytest.mark.parametrize("version", ["1.1", "1.0"])
def test_an_upgrade_header_without_an_upgrade_is_not_a_500(
    server: MockServer, version: str
) -> None:
    """Found by the handshake target: RFC 6455 §4.2.1 asks for ``Connection: Upgrade``
    on HTTP/1.1; without it (or on HTTP/1.0) the request is a plain one: 426 as for any
    plain request to the endpoint, not 500."""
    connection = "" if version == "1.1" else "Connection: Upgrade\r\n"
    data = (
        f"GET /ws/echo HTTP/{version}\r\nHost: fuzz\r\nUpgrade: websocket\r\n{connection}"
        f"Sec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    ).encode()
    check_handshake(server, Handshake(data, "no-connection", True))


def test_a_fragment_that_takes_the_probe_waits_for_the_rest(server: MockServer) -> None:
    """Found by a 10-minute run, a false alarm of the model: a fragment whose declared
    length reaches exactly to the end takes the probe ping as its payload, so no pong
    comes; the server rightly waits for the message's next fragment, until the client
    half-closes. The model now says "waiting" when the probe is not answered."""
    swallowing = one(ClientFrame(BINARY, b"", fin=False, declared=16))  # the probe's 16 bytes
    assert len(swallowing.data) == 6 + 16  # a head of 2 bytes and the mask key, then it
    assert serve_model(swallowing.data).end == "waiting"
    check_conversation(server, swallowing)
