"""HTTP/2 over TLS (ALPN h2): real clients, the same stubs and journal, multiplexed
streams, flow control, limits, faults and protocol errors on a raw socket."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from h2.config import H2Configuration
from h2.connection import H2Connection
from h2.errors import ErrorCodes
from h2.events import ConnectionTerminated, DataReceived, RemoteSettingsChanged
from h2.settings import SettingCodes, Settings

from apidouble import MockServer

from .conftest import trusting
from .h2wire import Wire, frame, tls_socket

BIG = b"0123456789abcdef" * 20_000  # 320 000 bytes: many frames, far past one window
ENDPOINTS = [
    {"path": "/ping", "response": {"ok": True}},
    {"path": "/slow", "latency_ms": 400, "response": {"slow": True}},
    {"path": "/big", "content_type": "text/plain", "response": BIG.decode()},
    {"path": "/upload", "method": "POST", "response": {"got": "{{ request.json.name }}"}},
    {"path": "/events", "sse": {"events": [{"data": "one"}, {"data": "two"}]}},
    {"path": "/reset", "fault": "connection_reset"},
    {"path": "/empty", "fault": "empty_response"},
    {"path": "/garbage", "fault": "random_data_then_close"},
    {"path": "/held", "fault": {"type": "timeout", "after": "200ms"}},
    {"path": "/dribble", "dribble": {"chunks": 4, "over_ms": 300}, "response": "abcdefgh"},
]


@pytest.fixture
def h2(ca_dir: Path, loop_kind: str) -> Iterator[MockServer]:
    with MockServer(endpoints=ENDPOINTS, https=True, ca_dir=str(ca_dir)) as server:
        yield server


@pytest.fixture
def wire(h2: MockServer) -> Iterator[Wire]:
    sock = tls_socket(h2.https_port, h2.ca_path)
    assert sock.selected_alpn_protocol() == "h2"
    connection = Wire(sock)
    yield connection
    connection.close()


def test_httpx_speaks_http2_and_the_journal_notes_it(h2: MockServer) -> None:
    localhost = h2.https_url.replace("127.0.0.1", "localhost")
    with httpx.Client(http2=True, verify=trusting(h2.ca_path)) as client:
        answer = client.get(localhost + "/ping")
        assert answer.http_version == "HTTP/2"
        assert answer.json() == {"ok": True}
        assert answer.headers["content-type"] == "application/json"
        head = client.head(localhost + "/ping")
        assert head.http_version == "HTTP/2" and head.status_code == 200 and head.content == b""
    with httpx.Client(verify=trusting(h2.ca_path)) as client:  # no h2 offered: HTTP/1.1
        assert client.get(localhost + "/ping").http_version == "HTTP/1.1"
    notes = [entry.get("notes") for entry in reversed(h2.requests.find(path="/ping"))]
    assert notes == [["h2", "https", "sni=localhost"]] * 2 + [["https", "sni=localhost"]]
    first = h2.requests.find(path="/ping")[-1]
    assert ["host", localhost.removeprefix("https://")] in first["headers"]  # :authority


def test_request_bodies_and_templates_work_over_http2(h2: MockServer) -> None:
    body = json.dumps({"name": "ada", "pad": "x" * 100_000}).encode()  # several DATA frames
    with httpx.Client(http2=True, verify=trusting(h2.ca_path)) as client:
        answer = client.post(h2.https_url + "/upload", content=body)
    assert answer.http_version == "HTTP/2" and answer.json() == {"got": "ada"}
    assert h2.requests.find(path="/upload")[0]["body_size"] == len(body)


def test_sse_streams_over_http2(h2: MockServer) -> None:
    with httpx.Client(http2=True, verify=trusting(h2.ca_path)) as client:
        answer = client.get(h2.https_url + "/events")
    assert answer.http_version == "HTTP/2"
    assert answer.headers["content-type"].startswith("text/event-stream")
    assert answer.text == "data: one\n\ndata: two\n\n"


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_http2_with_the_generated_ca(h2: MockServer) -> None:
    port = h2.https_port
    result = subprocess.run(
        [
            "curl", "-sS", "--fail", "--http2", "--cacert", str(h2.ca_path),
            "--resolve", f"api.example.com:{port}:127.0.0.1",
            "-w", "\n%{http_version}", f"https://api.example.com:{port}/ping",
        ],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout == '{"ok":true}\n2'
    assert h2.requests.find(path="/ping")[0]["notes"] == ["h2", "https", "sni=api.example.com"]


NODE_CLIENT = """
const http2 = require("node:http2");
const fs = require("node:fs");
const session = http2.connect(process.argv[1], {ca: fs.readFileSync(process.argv[2])});
const req = session.request({":path": "/ping"});
let body = "";
req.on("response", (headers) => { body += headers[":status"] + " "; });
req.on("data", (chunk) => { body += chunk; });
req.on("end", () => { console.log(body); session.close(); });
req.end();
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_nodes_http2_client(h2: MockServer) -> None:
    url = h2.https_url.replace("127.0.0.1", "localhost")
    result = subprocess.run(
        ["node", "--dns-result-order=ipv4first", "-e", NODE_CLIENT, url, str(h2.ca_path)],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout == '200 {"ok":true}\n'


def test_streams_are_multiplexed_and_latency_holds_only_its_own(wire: Wire) -> None:
    slow = wire.get("/slow")
    fast = [wire.get("/ping") for _ in range(3)]
    assert wire.read(lambda: len(wire.ended) == 4)
    assert wire.ended[-1] == slow  # answered last though asked first
    assert sorted(wire.ended[:3]) == fast
    assert json.loads(wire.bodies[slow]) == {"slow": True}
    assert all(json.loads(wire.bodies[s]) == {"ok": True} for s in fast)


def test_a_large_body_waits_for_the_clients_window(h2: MockServer) -> None:
    wire = Wire(tls_socket(h2.https_port, h2.ca_path), window=1000)
    try:
        stream = wire.get("/big")
        assert wire.read(lambda: len(wire.bodies.get(stream, b"")) >= 1000)
        assert not wire.read(lambda: stream in wire.ended, timeout=0.3)  # held: no window
        assert len(wire.bodies[stream]) == 1000
        wire.auto_ack = True
        wire.conn.increment_flow_control_window(len(BIG), stream)
        wire.conn.increment_flow_control_window(len(BIG))
        wire.flush()
        assert wire.read(lambda: stream in wire.ended)
        assert wire.bodies[stream] == BIG
    finally:
        wire.close()


def test_a_reset_fault_resets_its_stream_and_the_connection_serves_on(wire: Wire) -> None:
    reset = wire.get("/reset")
    empty = wire.get("/empty")
    assert wire.read(lambda: len(wire.resets) == 2)
    assert wire.resets == {reset: ErrorCodes.INTERNAL_ERROR, empty: ErrorCodes.NO_ERROR}
    after = wire.get("/ping")
    assert wire.read(lambda: after in wire.ended)
    assert json.loads(wire.bodies[after]) == {"ok": True}


def test_a_held_stream_is_cancelled_and_a_dribbled_body_comes_in_slices(wire: Wire) -> None:
    held = wire.get("/held")
    dribbled = wire.get("/dribble")
    fast = wire.get("/ping")
    assert wire.read(lambda: held in wire.resets and dribbled in wire.ended)
    assert wire.resets[held] == ErrorCodes.CANCEL
    assert wire.bodies[dribbled] == b"abcdefgh"
    data = [e for e in wire.events if isinstance(e, DataReceived) and e.stream_id == dribbled]
    assert len(data) == 4  # one DATA frame per slice, on the slices' timers
    assert wire.ended.index(fast) < wire.ended.index(dribbled)


def test_a_garbage_fault_ends_the_connection_with_goaway(h2: MockServer, wire: Wire) -> None:
    wire.get("/garbage")
    assert wire.read(lambda: wire.goaway is not None)
    assert wire.goaway is not None and wire.goaway.error_code == ErrorCodes.PROTOCOL_ERROR
    assert h2.requests.find(path="/garbage")[0]["decision"]["fault"] == "random_data_then_close"


BROKEN = {
    "data on stream 0": (frame(0, 0, 0, b"x"), ErrorCodes.PROTOCOL_ERROR),
    "headers with a broken HPACK block": (frame(1, 5, 1, b"\xff\xff\xff\xff"),
                                          ErrorCodes.COMPRESSION_ERROR),
    "a frame past the maximum size": (frame(0, 0, 1, b"x" * 20_000), ErrorCodes.FRAME_SIZE_ERROR),
    "a zero window increment": (frame(8, 0, 0, b"\0\0\0\0"), ErrorCodes.PROTOCOL_ERROR),
    "an even stream from a client": (frame(1, 5, 2, b"\x82\x84\x87"), ErrorCodes.PROTOCOL_ERROR),
}  # fmt: skip


@pytest.mark.parametrize("name", BROKEN)
def test_a_malformed_frame_gets_goaway_with_its_error_code(h2: MockServer, name: str) -> None:
    data, code = BROKEN[name]
    wire = Wire(tls_socket(h2.https_port, h2.ca_path))
    try:
        wire.sock.sendall(data)
        assert wire.read(lambda: wire.goaway is not None)
        assert wire.goaway is not None and wire.goaway.error_code == code
        assert not wire.read(lambda: False, timeout=5)  # and the connection closes
    finally:
        wire.close()
    with httpx.Client(http2=True, verify=trusting(h2.ca_path)) as client:  # serving on
        assert client.get(h2.https_url + "/ping").json() == {"ok": True}


def test_http11_after_alpn_h2_is_a_protocol_error(h2: MockServer) -> None:
    sock = tls_socket(h2.https_port, h2.ca_path)
    client = H2Connection(H2Configuration(client_side=True))
    client.initiate_connection()  # only to read what the server sends
    events = []
    try:
        sock.sendall(b"GET /ping HTTP/1.1\r\nhost: x\r\n\r\n")  # no preface
        while chunk := sock.recv(65536):
            events.extend(client.receive_data(chunk))
    finally:
        sock.close()
    ends = [event for event in events if isinstance(event, ConnectionTerminated)]
    assert [end.error_code for end in ends] == [ErrorCodes.PROTOCOL_ERROR]


def test_limits_are_advertised_and_enforced(ca_dir: Path) -> None:
    with MockServer(
        endpoints=ENDPOINTS, https=True, ca_dir=str(ca_dir), max_header_bytes=2000,
        max_body_bytes=5000, header_timeout_s=0.5,
    ) as mock:  # fmt: skip
        wire = Wire(tls_socket(mock.https_port, mock.ca_path))
        try:
            assert wire.read(lambda: any(isinstance(e, RemoteSettingsChanged) for e in wire.events))
            settings = wire.conn.remote_settings
            assert settings.max_concurrent_streams == 100
            assert settings.max_header_list_size == 2000
            assert settings.header_table_size == 4096
            big = wire.get("/upload", "POST", b"x" * 20_000)
            assert wire.read(lambda: big in wire.ended)
            assert wire.heads[big][":status"] == "413"
            stalled = wire.conn.get_next_available_stream_id()  # a body that never comes
            head = [(":method", "POST"), (":path", "/upload"), (":scheme", "https"),
                    (":authority", "x")]  # fmt: skip
            wire.conn.send_headers(stalled, head)
            wire.flush()
            assert wire.read(lambda: stalled in wire.resets)
            assert wire.heads[stalled][":status"] == "408"
            assert wire.resets[stalled] == ErrorCodes.NO_ERROR  # "stop sending", no error
            wire.get("/ping", **{"x-big": "v" * 5000})
            assert wire.read(lambda: wire.goaway is not None)
            assert wire.goaway is not None
            assert wire.goaway.error_code == ErrorCodes.ENHANCE_YOUR_CALM
        finally:
            wire.close()
        assert mock.requests.find(path="/upload") == []


def test_no_http2_offers_http11_alone(ca_dir: Path) -> None:
    with MockServer(endpoints=ENDPOINTS, https=True, ca_dir=str(ca_dir), http2=False) as mock:
        with httpx.Client(http2=True, verify=trusting(mock.ca_path)) as client:
            assert client.get(mock.https_url + "/ping").http_version == "HTTP/1.1"


def test_shutdown_lets_a_stream_finish_then_sends_goaway(ca_dir: Path) -> None:
    mock = MockServer(endpoints=ENDPOINTS, https=True, ca_dir=str(ca_dir)).start()
    wire = Wire(tls_socket(mock.https_port, mock.ca_path))
    try:
        slow = wire.get("/slow")
        time.sleep(0.15)  # read by the server before it stops
        started = time.monotonic()
        stopper = threading.Thread(target=mock.stop)
        stopper.start()
        assert wire.read(lambda: slow in wire.ended and wire.goaway is not None)
        assert json.loads(wire.bodies[slow]) == {"slow": True}
        assert wire.goaway is not None and wire.goaway.error_code == ErrorCodes.NO_ERROR
        assert wire.goaway.last_stream_id == slow
        wire.close()  # as a client does on GOAWAY: TLS waits for its close to end
        stopper.join(10)
        assert not stopper.is_alive()
        assert time.monotonic() - started < 5  # not the 10 s grace
    finally:
        wire.close()
        mock.stop()


def test_http2_connections_count_as_open(h2: MockServer) -> None:
    def open_now() -> float:
        text = httpx.get(h2.url + "/__admin/metrics").text
        line = next(x for x in text.splitlines() if x.startswith("apidouble_connections_open "))
        return float(line.split()[1])

    before = open_now()
    wire = Wire(tls_socket(h2.https_port, h2.ca_path))
    try:
        ping = wire.get("/ping")
        assert wire.read(lambda: ping in wire.ended)
        assert open_now() == before + 1
    finally:
        wire.close()


def test_a_stream_past_the_limit_is_refused_and_hpack_stays_in_step(wire: Wire) -> None:
    """The 101st stream gets REFUSED_STREAM, not the connection a GOAWAY; its header
    block was still decoded: a later block that indexes a field it added is read right."""
    assert wire.read(lambda: any(isinstance(e, RemoteSettingsChanged) for e in wire.events))
    wire.conn.remote_settings = Settings(  # our client, made to open past the limit
        client=False, initial_values={SettingCodes.MAX_CONCURRENT_STREAMS: 1000}
    )
    held = [wire.get("/slow") for _ in range(100)]
    refused = wire.get("/ping", **{"x-once": "indexed"})  # added to the HPACK table
    assert wire.read(lambda: refused in wire.resets)
    assert wire.resets == {refused: ErrorCodes.REFUSED_STREAM}
    assert wire.read(lambda: all(s in wire.ended for s in held))
    again = wire.get("/ping", **{"x-once": "indexed"})  # now sent as a table index
    assert wire.read(lambda: again in wire.ended)
    assert wire.goaway is None
    assert wire.heads[again][":status"] == "200"
    assert json.loads(wire.bodies[again]) == {"ok": True}
