"""Webhooks and callbacks: parsing, templates, delivery over real sockets, the log.

A ``Receiver`` is a small HTTP server on 127.0.0.1 (ephemeral port) that records each
request's raw head and body, and can fail the first requests (500, or closing the
connection without an answer, or never answering).
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from apidouble.addons.callback_log import BODY_LIMIT, Callback, CallbackLog, CallbackSender
from apidouble.addons.flow import Flow, Reply
from apidouble.addons.webhooks import (
    CallbackSpec,
    Webhooks,
    parse_callbacks,
    parse_wiremock_listeners,
)
from apidouble.behaviours.latency import LatencyModel
from apidouble.model import Request, ServeEvent
from apidouble.templating import TemplateEnvironment


@dataclass
class Received:
    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes
    at: float

    def header(self, name: str) -> str | None:
        return next((v for n, v in self.headers if n.lower() == name.lower()), None)


class Receiver:
    """Records requests; ``fail`` the first N with ``mode`` 500, ``close`` or ``hang``."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.fail = 0
        self.mode = "500"
        self._arrived = asyncio.Condition()
        self._server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def wait(self, count: int) -> list[Received]:
        async with self._arrived:
            await asyncio.wait_for(
                self._arrived.wait_for(lambda: len(self.requests) >= count), timeout=10
            )
        return self.requests

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            headers = [
                (name, value.strip())
                for name, sep, value in (line.partition(":") for line in lines[1:])
                if sep
            ]
            length = next((int(v) for n, v in headers if n.lower() == "content-length"), 0)
            body = await reader.readexactly(length)
            async with self._arrived:
                self.requests.append(Received(method, target, headers, body, time.monotonic()))
                failing = len(self.requests) <= self.fail
                self._arrived.notify_all()
            if failing and self.mode == "close":
                return
            if failing and self.mode == "hang":
                await asyncio.Event().wait()
            status = "500 Oops" if failing else "200 OK"
            writer.write(
                f"HTTP/1.1 {status}\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok".encode()
            )
            await writer.drain()
        finally:
            writer.close()

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    server = Receiver()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def sender() -> AsyncIterator[CallbackSender]:
    made = CallbackSender(backoff_s=0.01)
    yield made
    await made.aclose()


def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def make_flow(
    method: str = "POST",
    path: str = "/orders/42",
    query: str = "",
    headers: tuple[tuple[str, str], ...] = (),
    body: bytes = b"",
    params: dict[str, str] | None = None,
    reply: Reply | None = None,
) -> Flow:
    request = Request(method, path, query, headers, body)
    flow = Flow(request, ServeEvent(request, time.time()))
    flow.params = params or {}
    flow.response = reply
    flow.phase = "served"
    return flow


def hooks(raw: list[dict[str, Any]], sender: CallbackSender, label: str = "stub-1") -> Webhooks:
    return Webhooks(parse_callbacks(raw), TemplateEnvironment(seed=1), sender, label)


# -- native parsing ---------------------------------------------------------------------


def test_native_callback_defaults() -> None:
    [spec] = parse_callbacks([{"url": "http://example.test/hook"}])
    written = '{"url": "http://example.test/hook"}'  # kept for the admin API to write back
    assert spec == CallbackSpec("http://example.test/hook", where="callbacks[0]", config=written)
    assert (spec.method, spec.retries, spec.timeout_s, spec.delay) == ("POST", 3, 10.0, None)
    assert spec.templating == "jinja" and spec.body is None


def test_native_callback_forms() -> None:
    first, second, third = parse_callbacks(
        [
            {
                "url": "https://example.test/a",
                "method": "put",
                "headers": {"X-N": 5, "X-S": "s"},
                "body": {"id": "{{ request.params.id }}", "n": [1, 2]},
                "delay_ms": 250,
                "retries": 0,
                "timeout_s": 2.5,
            },
            {
                "url": "http://{{ request.headers.host }}/b",
                "body": "plain",
                "delay": {"min_ms": 1, "max_ms": 5},
            },
            {
                "url": "http://example.test/c",
                "body_base64": "aGk=",
                "headers": {"content-type": "x/y"},
            },
        ]
    )
    assert first.method == "PUT" and first.retries == 0 and first.timeout_s == 2.5
    assert first.headers == (("X-N", "5"), ("X-S", "s"), ("Content-Type", "application/json"))
    assert first.body_json and json.loads(first.body or "") == {
        "id": "{{ request.params.id }}",
        "n": [1, 2],
    }
    assert first.delay == LatencyModel("fixed", 250.0)
    assert second.body == "plain" and not second.body_json
    assert second.delay == LatencyModel("uniform", 1.0, 5.0)
    assert third.body_base64 == b"hi" and third.headers == (("content-type", "x/y"),)
    assert parse_callbacks(None) == ()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"callbacks": 1}, "callbacks must be a list"),
        ([{"url": "/relative"}], "callbacks[0].url must be an absolute http(s) URL"),
        ([{"url": "ftp://x/y"}], "callbacks[0].url must be an absolute http(s) URL"),
        ([{"url": "http://a/"}, {"method": "GET"}], "callbacks[1].url must be an absolute"),
        (["http://a/"], "callbacks[0] must be a mapping"),
        ([{"url": "http://a/", "uri": "x"}], "callbacks[0] has unknown key(s) uri"),
        ([{"url": "http://a/", "method": "GE T"}], "callbacks[0].method must be an HTTP method"),
        ([{"url": "http://a/", "headers": ["a"]}], "callbacks[0].headers must be a mapping"),
        ([{"url": "http://a/", "headers": {"a b": "x"}}], "callbacks[0].headers has an invalid"),
        (
            [{"url": "http://a/", "headers": {"X": {"y": 1}}}],
            "callbacks[0].headers.X must be a string",
        ),
        (
            [{"url": "http://a/", "delay_ms": -1}],
            "callbacks[0].delay_ms: latency latency_ms must be",
        ),
        (
            [{"url": "http://a/", "delay_ms": 1, "delay": {"ms": 1}}],
            "callbacks[0] takes delay_ms or delay",
        ),
        ([{"url": "http://a/", "retries": 11}], "callbacks[0].retries must be a whole number"),
        ([{"url": "http://a/", "retries": True}], "callbacks[0].retries must be a whole number"),
        ([{"url": "http://a/", "timeout_s": 0}], "callbacks[0].timeout_s must be seconds"),
        ([{"url": "http://a/", "body_base64": "!!"}], "callbacks[0].body_base64 must be base64"),
    ],
)
def test_native_callback_errors_name_the_key(raw: Any, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_callbacks(raw["callbacks"] if isinstance(raw, dict) else raw)
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize(
    ("callback", "message"),
    [
        ({"url": "http://a/", "body": "{{ request.json.id "}, "callbacks[0].body: template error"),
        (
            {"url": "http://a/{{ nosuch }}"},
            "callbacks[0].url: template error: unknown template name(s): nosuch",
        ),
        (
            {"url": "http://a/", "headers": {"X": "{% if %}"}},
            "callbacks[0].headers.X: template error",
        ),
        (
            {"url": "http://a/", "body": {"k": ["{{ 1 + }}"]}},
            "callbacks[0].body.k[0]: template error",
        ),
    ],
)
def test_template_errors_at_load_time_name_the_key(callback: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError) as caught:
        hooks([callback], CallbackSender())
    assert str(caught.value).startswith(message)


# -- native delivery --------------------------------------------------------------------


async def test_templates_read_the_request_and_the_response(
    receiver: Receiver, sender: CallbackSender
) -> None:
    addon = hooks(
        [
            {
                "url": receiver.url("/cb/{{ request.params.id }}?status={{ response.status }}"),
                "headers": {
                    "X-Trace": "{{ request.headers['x-trace'] }}",
                    "X-Resp": "{{ response.headers['x-resp'] }}",
                },
                "body": {
                    "id": "{{ request.json.id }}",
                    "made": "{{ response.json.made }}",
                    "who": "{{ request.query.who }}",
                    "note": "item {{ request.json.item }} ({{ response.body | length }} bytes)",
                    "fixed": [1, "two", None],
                },
            }
        ],
        sender,
    )
    flow = make_flow(
        query="who=ann",
        headers=(("X-Trace", "t-1"), ("Content-Type", "application/json")),
        body=b'{"id": 42, "item": "tea"}',
        params={"id": "42"},
        reply=Reply(201, [("X-Resp", "r1"), ("Content-Type", "application/json")], b'{"made":7}'),
    )
    addon.served(flow)
    [got] = await receiver.wait(1)
    assert (got.method, got.target) == ("POST", "/cb/42?status=201")
    assert got.header("x-trace") == "t-1" and got.header("x-resp") == "r1"
    assert got.header("content-type") == "application/json"
    assert json.loads(got.body) == {
        "id": 42,
        "made": 7,
        "who": "ann",
        "note": "item tea (10 bytes)",
        "fixed": [1, "two", None],
    }
    await sender.drained()
    [entry] = sender.log.document()["callbacks"]
    assert entry["stub"] == "stub-1" and entry["attempt"] == 1 and entry["status"] == 200
    assert entry["url"] == receiver.url("/cb/42?status=201") and entry["error"] is None
    assert json.loads(entry["request"]["body"])["made"] == 7


async def test_a_fault_still_fires_with_an_empty_response(
    receiver: Receiver, sender: CallbackSender
) -> None:
    # WireMock 3.13.2 fires a webhook for a CONNECTION_RESET_BY_PEER stub as well.
    addon = hooks([{"url": receiver.url("/f"), "body": "status={{ response.status }}"}], sender)
    flow = make_flow()
    flow.fault = "connection_reset"
    addon.served(flow)
    [got] = await receiver.wait(1)
    assert got.body == b"status=None"


async def test_a_render_failure_is_logged_and_not_sent(sender: CallbackSender) -> None:
    addon = hooks([{"url": "http://127.0.0.1:1/x", "body": "{{ request.json.missing }}"}], sender)
    addon.served(make_flow(body=b"{}"))  # nothing raised
    assert sender.pending == 0
    [entry] = sender.log.document()["callbacks"]
    assert entry["attempt"] == 0 and entry["status"] is None
    assert entry["error"].startswith("render failed")


async def test_delays_are_honoured_and_overlap(receiver: Receiver, sender: CallbackSender) -> None:
    addon = hooks([{"url": receiver.url(f"/d{n}"), "delay_ms": 400} for n in range(2)], sender)
    started = time.monotonic()
    addon.served(make_flow())
    assert time.monotonic() - started < 0.2  # served only hands them over
    assert receiver.requests == []
    first, second = await receiver.wait(2)
    assert {first.target, second.target} == {"/d0", "/d1"}
    assert min(first.at, second.at) - started >= 0.39
    assert max(first.at, second.at) - started < 0.79  # one after the other would be 0.8 s


async def test_5xx_is_retried_until_success(receiver: Receiver, sender: CallbackSender) -> None:
    receiver.fail = 2
    hooks([{"url": receiver.url("/r"), "retries": 3}], sender).served(make_flow())
    await receiver.wait(3)
    await sender.drained()
    assert len(receiver.requests) == 3
    attempts = [(e["attempt"], e["status"]) for e in sender.log.document()["callbacks"]]
    assert attempts == [(3, 200), (2, 500), (1, 500)]


async def test_a_closed_connection_is_retried(receiver: Receiver, sender: CallbackSender) -> None:
    receiver.fail, receiver.mode = 1, "close"
    hooks([{"url": receiver.url("/c")}], sender).served(make_flow())
    await receiver.wait(2)
    await sender.drained()
    newest, oldest = sender.log.document()["callbacks"]
    assert oldest["attempt"] == 1 and oldest["status"] is None and oldest["error"]
    assert newest["attempt"] == 2 and newest["status"] == 200


async def test_no_retry_when_retries_is_zero(receiver: Receiver, sender: CallbackSender) -> None:
    receiver.fail = 5
    hooks([{"url": receiver.url("/z"), "retries": 0}], sender).served(make_flow())
    await receiver.wait(1)
    await sender.drained()
    assert [e["status"] for e in sender.log.document()["callbacks"]] == [500]


async def test_receiver_down_exhausts_attempts(sender: CallbackSender) -> None:
    url = f"http://127.0.0.1:{closed_port()}/down"
    hooks([{"url": url, "retries": 2}], sender).served(make_flow())
    await sender.drained()
    document = sender.log.document()
    assert document["total"] == 3
    assert [e["attempt"] for e in document["callbacks"]] == [3, 2, 1]
    assert all(e["status"] is None and "Connect" in e["error"] for e in document["callbacks"])


async def test_the_queue_is_bounded_and_aclose_cancels(receiver: Receiver) -> None:
    sender = CallbackSender(max_pending=2)
    call = Callback("s", "POST", receiver.url("/q"), delay_s=60)
    assert sender.enqueue(call) and sender.enqueue(call)
    assert not sender.enqueue(call)
    assert sender.log.document() == {"callbacks": [], "total": 0, "dropped": 1}
    await sender.aclose()
    assert sender.pending == 0
    await asyncio.wait_for(sender.drained(), timeout=1)
    assert not sender.enqueue(call)  # closed
    assert receiver.requests == [] and sender.log.dropped == 2


async def test_aclose_cancels_a_callback_in_flight(receiver: Receiver) -> None:
    receiver.fail, receiver.mode = 1, "hang"
    sender = CallbackSender()
    sender.enqueue(Callback("s", "POST", receiver.url("/h"), retries=3))
    await receiver.wait(1)
    await asyncio.wait_for(sender.aclose(), timeout=5)
    assert sender.pending == 0 and len(receiver.requests) == 1


def test_enqueue_without_a_running_loop_drops() -> None:
    sender = CallbackSender()
    assert not sender.enqueue(Callback("s", "POST", "http://127.0.0.1:1/"))
    assert sender.log.dropped == 1


# -- the log ----------------------------------------------------------------------------


def test_log_bounds_truncates_and_documents_newest_first() -> None:
    log = CallbackLog(max_entries=3, clock=lambda: 1700000000.5)
    for n in range(5):
        log.record(Callback("s", "POST", f"http://h/{n}", body=b"x" * (BODY_LIMIT + n)), 1, 200)
    assert len(log) == 3
    document = log.document(limit=2)
    assert [e["url"] for e in document["callbacks"]] == ["http://h/4", "http://h/3"]
    assert document["total"] == 5 and document["dropped"] == 0
    entry = document["callbacks"][0]
    assert entry["time"] == 1700000000.5 and entry["method"] == "POST"
    assert len(entry["request"]["body"]) == BODY_LIMIT and entry["request"]["body_truncated"]
    assert [e["id"] for e in log.document()["callbacks"]] == [5, 4, 3]
    log.clear()
    assert log.document() == {"callbacks": [], "total": 0, "dropped": 0}


def test_log_bounds_bytes() -> None:
    log = CallbackLog(max_entries=100, max_bytes=3 * BODY_LIMIT)
    for n in range(10):
        log.record(Callback("s", "POST", "http://h/", body=b"y" * BODY_LIMIT), n + 1, None, "e")
    assert 1 <= len(log) < 3
    assert log.entries[-1].attempt == 10


# -- WireMock listeners -----------------------------------------------------------------


def test_wiremock_listener_parsing() -> None:
    specs = parse_wiremock_listeners(
        [
            {"name": "nosuchlistener", "parameters": {}},  # WireMock loads the mapping, ignores it
            {
                "name": "webhook",
                "parameters": {
                    "url": "http://h/a",
                    "headers": {"X-Multi": ["a", "b"], "X-One": "1"},
                    "body": "b",
                    "delay": {"type": "fixed", "milliseconds": 1500},
                },
            },
            {
                "name": "webhook",
                "parameters": {
                    "method": "post",
                    "url": "http://h/b",
                    "base64Body": "aGVsbG8gd29ybGQ=",
                    "delay": {"type": "uniform", "lower": 100, "upper": 200},
                },
            },
            {
                "name": "webhook",
                "parameters": {
                    "url": "http://h/c",
                    "delay": {"type": "lognormal", "median": 50, "sigma": 0.1},
                },
            },
        ]
    )
    first, second, third = specs
    assert first.method == "GET" and first.retries == 0 and first.templating == "handlebars"
    assert first.headers == (("X-Multi", "a"), ("X-Multi", "b"), ("X-One", "1"))
    assert first.delay == LatencyModel("fixed", 1500.0)
    assert first.where == "serveEventListeners[1].parameters"
    assert second.method == "POST" and second.body_base64 == b"hello world" and second.body is None
    assert second.delay == LatencyModel("uniform", 100.0, 200.0)
    assert third.delay is not None and third.delay.distribution == "lognormal"
    assert parse_wiremock_listeners(None) == ()


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"url": "/relative"}, "serveEventListeners[0].parameters.url must be an absolute"),
        ({"method": "GET"}, "serveEventListeners[0].parameters.url must be an absolute"),
        (
            {"url": "http://h/", "body": {"a": 1}},
            "serveEventListeners[0].parameters.body must be a string",
        ),
        (
            {"url": "http://h/", "delay": {"type": "weird", "milliseconds": 5}},
            "serveEventListeners[0].parameters.delay must be",
        ),
        (
            {"url": "http://h/", "delay": {"type": "fixed", "ms": 5}},
            "serveEventListeners[0].parameters.delay has unknown",
        ),
        (
            {"url": "http://h/", "headers": ["x"]},
            "serveEventListeners[0].parameters.headers must be",
        ),
    ],
)
def test_wiremock_listener_errors(parameters: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_wiremock_listeners([{"name": "webhook", "parameters": parameters}])
    assert str(caught.value).startswith(message)


def test_wiremock_template_errors_at_load_time() -> None:
    specs = parse_wiremock_listeners(
        [{"name": "webhook", "parameters": {"url": "http://h/", "body": "{{#if}}x"}}]
    )
    with pytest.raises(ValueError) as caught:
        Webhooks(specs, TemplateEnvironment(), CallbackSender(), "s")
    assert str(caught.value).startswith("serveEventListeners[0].parameters.body: ")


def wiremock_hooks(parameters: dict[str, Any], sender: CallbackSender) -> Webhooks:
    specs = parse_wiremock_listeners([{"name": "webhook", "parameters": parameters}])
    return Webhooks(specs, TemplateEnvironment(seed=1), sender, "wm")


def sent_headers(got: Received) -> list[tuple[str, str]]:
    """The request's headers without the client's own User-Agent (WireMock's names its
    Apache client, ours apidouble)."""
    return [(n, v) for n, v in got.headers if n.lower() != "user-agent"]


async def test_wiremock_webhook_matches_the_oracle(
    receiver: Receiver, sender: CallbackSender
) -> None:
    # The listener and request of the mapping sent to WireMock 3.13.2; it called the
    # receiver with what is expected below (observed from WireMock 3.13.2).
    body = (
        "path={{originalRequest.path}} m={{originalRequest.method}} body={{originalRequest.body}}"
        " x={{jsonPath originalRequest.body '$.x'}} url={{originalRequest.url}}"
        " rs={{originalResponse.status}} rb={{originalResponse.body}}"
        " rh={{originalResponse.headers.X-Resp}} base={{originalRequest.baseUrl}}"
        " seg={{originalRequest.pathSegments.[0]}} q1={{originalRequest.query.a.[1]}}"
    )
    addon = wiremock_hooks(
        {
            "method": "PUT",
            "url": receiver.url("/cb{{originalRequest.path}}?q={{originalRequest.query.a}}"),
            "headers": {
                "X-Tpl": "{{originalRequest.headers.X-In}}",
                "X-Multi": ["a", "b"],
                "Content-Type": "text/plain",
            },
            "body": body,
        },
        sender,
    )
    flow = make_flow(
        path="/full2",
        query="a=1&a=2",
        headers=(
            ("Host", "127.0.0.1:19300"),
            ("X-In", "hello"),
            ("Content-Type", "application/json"),
        ),
        body=b'{"x":"ex","y":2}',
        reply=Reply(201, [("X-Resp", "rv"), ("Content-Type", "application/json")], b'{"made":7}'),
    )
    addon.served(flow)
    [got] = await receiver.wait(1)
    observed_body = (
        'path=/full2 m=POST body={"x":"ex","y":2} x=ex url=/full2?a=1&a=2 rs= rb= rh= '
        "base=http://127.0.0.1:19300 seg=full2 q1=2"
    )
    assert (got.method, got.target) == ("PUT", "/cb/full2?q=1")
    # The same lines as WireMock's (the order of different names aside).
    assert sorted(sent_headers(got)) == sorted(
        [
            ("X-Tpl", "hello"),
            ("X-Multi", "a"),
            ("X-Multi", "b"),
            ("Content-Type", "text/plain"),
            ("Host", f"127.0.0.1:{receiver.port}"),
            ("Content-Length", str(len(observed_body))),
            ("Connection", "keep-alive"),
        ]
    )
    assert [value for name, value in got.headers if name == "X-Multi"] == ["a", "b"]
    assert got.body.decode() == observed_body


async def test_wiremock_webhook_defaults_match_the_oracle(
    receiver: Receiver, sender: CallbackSender
) -> None:
    # Observed from WireMock 3.13.2 for {"url": ".../plain"}: GET, no body, no
    # Content-Length, no Content-Type, the Apache client's User-Agent.
    wiremock_hooks({"url": receiver.url("/plain")}, sender).served(make_flow("GET", "/plain"))
    [got] = await receiver.wait(1)
    assert (got.method, got.target, got.body) == ("GET", "/plain", b"")
    assert sorted(sent_headers(got)) == [
        ("Connection", "keep-alive"),
        ("Host", f"127.0.0.1:{receiver.port}"),
    ]
    assert (got.header("user-agent") or "").startswith("apidouble/")


async def test_wiremock_webhook_model_has_parameters_not_request(
    receiver: Receiver, sender: CallbackSender
) -> None:
    # Observed from WireMock 3.13.2: "p={{parameters.foo}} rq={{request.path}}" sent
    # "p=bar rq=" (the listener's parameters are in the model, ``request`` is not);
    # with base64Body as well as body, the body is sent.
    parameters = {
        "method": "POST",
        "url": receiver.url("/extra"),
        "body": "p={{parameters.foo}} rq={{request.path}}",
        "base64Body": "Ymlu",
        "foo": "bar",
    }
    wiremock_hooks(parameters, sender).served(make_flow("GET", "/extra"))
    [got] = await receiver.wait(1)
    assert got.body == b"p=bar rq="


async def test_wiremock_base64_body_is_sent_decoded(
    receiver: Receiver, sender: CallbackSender
) -> None:
    # Observed from WireMock 3.13.2: base64Body "aGVsbG8gd29ybGQ=" arrives as "hello world".
    wiremock_hooks(
        {"method": "POST", "url": receiver.url("/b64"), "base64Body": "aGVsbG8gd29ybGQ="}, sender
    ).served(make_flow("GET", "/b64"))
    [got] = await receiver.wait(1)
    assert got.body == b"hello world" and got.header("content-length") == "11"


async def test_wiremock_helpers_that_need_the_clock_and_random(
    receiver: Receiver, sender: CallbackSender
) -> None:
    # Observed from WireMock 3.13.2: "t={{now}} r={{randomValue length=3 type='NUMERIC'}}"
    # sent "t=2026-12-01T19:35:06Z r=941".
    body = "t={{now}} r={{randomValue length=3 type='NUMERIC'}}"
    wiremock_hooks({"method": "POST", "url": receiver.url("/h"), "body": body}, sender).served(
        make_flow("GET", "/h")
    )
    [got] = await receiver.wait(1)
    assert re.fullmatch(rb"t=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ r=\d{3}", got.body), got.body
