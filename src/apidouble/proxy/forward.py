"""The proxy: carry out a ``Forward`` with httpx and hand back what to send.

One pooled ``httpx.AsyncClient`` per upstream origin, created on first use. The request
goes on with its method, path (less ``strip_prefix``), query and body; hop-by-hop headers
are dropped both ways, ``Host`` becomes the upstream's, and the stub's ``add_headers`` /
``remove_headers`` apply. An answer whose length is known and small is read whole; a
larger or unsized one is relayed as a stream, chunk by chunk, so a 50 MB download costs
no more memory than one chunk. A request body the transport streams (``forward_body``)
goes on the same way, pulled as the upstream takes it. TLS to upstreams is verified
unless the stub says ``verify: false``. Failures become JSON answers that name the
upstream and say why: 504 when it timed out, 502 otherwise.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..model import HOP_BY_HOP
from ..outcome import Forward, Respond, Response
from ..transport.upload import Upload, UploadBroken

if TYPE_CHECKING:
    import httpx

log = logging.getLogger("apidouble")

MAX_CLIENTS = 64
"""Upstream origins with a pooled client at once (pass-through can name any host): the
least recently used is dropped past it, and closed once its requests had time to end."""
WHOLE_BODY_LIMIT = 1024 * 1024
"""Answers up to this size (and sized) are read whole; larger ones are streamed."""
DEFAULT_TIMEOUT_S = 30.0
CONNECT_TIMEOUT_S = 5.0
_JSON = (("Content-Type", "application/json"),)


class HttpForwarder:
    """The ``Forwarder`` the runtime gives the transport."""

    def __init__(self) -> None:
        self._clients: OrderedDict[tuple[str, bool], httpx.AsyncClient] = OrderedDict()
        self._closing: dict[asyncio.Task[None], httpx.AsyncClient] = {}
        """Clients dropped from the pool, each closed by its task after a grace."""
        self.keep_bodies = 0
        """Streamed answers up to this many bytes are also kept whole on the journal's
        event (a recorder needs them); 0 keeps none, so streaming stays flat."""

    def _client(self, origin: str, verify: bool) -> httpx.AsyncClient:
        import httpx

        key = (origin, verify)
        client = self._clients.get(key)
        if client is not None:
            self._clients.move_to_end(key)
            return client
        client = self._clients[key] = httpx.AsyncClient(
            verify=verify,
            trust_env=False,  # the upstream is explicit: never an environment proxy
            follow_redirects=False,
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
        )
        if len(self._clients) > MAX_CLIENTS:
            _, dropped = self._clients.popitem(last=False)
            task = asyncio.get_running_loop().create_task(_close_later(dropped))
            self._closing[task] = dropped
            task.add_done_callback(self._closing.pop)
        return client

    async def forward(self, outcome: Forward) -> Respond:
        body = outcome.request.body
        return await self._send(outcome, body or None, None)

    async def forward_body(self, outcome: Forward, body: Upload) -> Respond:
        """``forward`` for a request whose body is still arriving: it goes on as it comes
        (with its Content-Length when it had one, else chunked). A body that breaks off
        abandons the upstream request, which sees its connection close early."""
        return await self._send(outcome, body, body)

    async def _send(
        self, outcome: Forward, content: bytes | Upload | None, upload: Upload | None
    ) -> Respond:
        import httpx

        options = outcome.options
        request = outcome.request
        url = target_url(outcome.upstream, request.path, request.query_string, options)
        parts = urlsplit(url)
        timeout_s = float(options.get("timeout_ms", DEFAULT_TIMEOUT_S * 1000)) / 1000
        timeout = httpx.Timeout(timeout_s, connect=min(CONNECT_TIMEOUT_S, timeout_s))
        client = self._client(f"{parts.scheme}://{parts.netloc}", bool(options.get("verify", True)))
        headers = outgoing_headers(request.headers, options)
        if upload is not None:  # we answer Expect ourselves; the length is the client's
            headers = [(n, v) for n, v in headers if n.lower() != "expect"]
            if upload.size >= 0:
                headers.append(("Content-Length", str(upload.size)))
        sent = client.build_request(
            request.method, url, headers=headers, content=content, timeout=timeout
        )
        try:
            answer = await client.send(sent, stream=True)
        except UploadBroken as exc:
            return _failed(outcome, exc.status, exc.reason, url, exc)
        except httpx.TimeoutException as exc:
            return _failed(outcome, 504, "the upstream did not answer in time", url, exc)
        except httpx.HTTPError as exc:
            reason = "the upstream could not be reached"
            if upload is not None and upload.received:
                reason = "the upstream failed during the upload"
            return _failed(outcome, 502, reason, url, exc)
        return await _relayed(outcome, answer, url, self.keep_bodies)

    async def aclose(self) -> None:
        dropped = list(self._closing.items())
        for task, _ in dropped:
            task.cancel()  # close them now, not after the grace
        await asyncio.gather(*(task for task, _ in dropped), return_exceptions=True)
        clients = [client for _, client in dropped] + list(self._clients.values())
        self._clients = OrderedDict()
        for client in clients:
            await client.aclose()


def target_url(upstream: str, path: str, query: str, options: Mapping[str, Any]) -> str:
    """The upstream URL for a request: its base, the path less ``strip_prefix``, the query."""
    prefix = str(options.get("strip_prefix") or "")
    if prefix and (path == prefix or path.startswith(prefix.rstrip("/") + "/")):
        path = path[len(prefix.rstrip("/")) :] or "/"
    base = upstream.rstrip("/")
    return base + path + (f"?{query}" if query else "")


def outgoing_headers(headers: Any, options: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The request's headers as the upstream gets them."""
    removed = {str(name).lower() for name in options.get("remove_headers", ())}
    connection: set[str] = set()
    for name, value in headers:
        if name.lower() == "connection":
            connection.update(part.strip().lower() for part in value.split(","))
    skip = HOP_BY_HOP | connection | removed | {"host", "content-length"}
    out = [(name, value) for name, value in headers if name.lower() not in skip]
    added = options.get("add_headers") or {}
    out = [(n, v) for n, v in out if n.lower() not in {k.lower() for k in added}]
    out.extend((str(name), str(value)) for name, value in added.items())
    return out


def _incoming_headers(answer: httpx.Response) -> list[tuple[str, str]]:
    connection = {
        part.strip().lower()
        for value in answer.headers.get_list("connection")
        for part in value.split(",")
    }
    skip = HOP_BY_HOP | connection | {"content-length"}
    return [
        (name, value) for name, value in answer.headers.multi_items() if name.lower() not in skip
    ]


async def _relayed(outcome: Forward, answer: httpx.Response, url: str, keep: int) -> Respond:
    """The upstream's answer: read whole when small and sized, else streamed."""
    import httpx

    headers = _incoming_headers(answer)
    reason = answer.reason_phrase or None
    size = answer.headers.get("content-length")
    if outcome.request.method == "HEAD" or (size is not None and int(size) <= WHOLE_BODY_LIMIT):
        try:
            body = await answer.aread()
        except httpx.HTTPError as exc:
            return _failed(outcome, 502, "the upstream's answer broke off", url, exc)
        finally:
            await answer.aclose()
        if outcome.request.method == "HEAD":
            body = b""
        response = Response.build(answer.status_code, headers, body, reason)
        return _answered(outcome, response)
    head = Response.build_streamed(answer.status_code, headers, reason)
    return _answered(outcome, head, _chunks(answer, outcome, head, keep))


def _answered(
    outcome: Forward, response: Response, stream: AsyncIterator[bytes] | None = None
) -> Respond:
    """What to send, with the journal's event showing the upstream's answer (its head
    only when the body is streamed)."""
    event = outcome.event
    if event is not None:
        event.response = response
        event.status = response.status
    return Respond(response, 0.0, event, stream=stream)


async def _chunks(
    answer: httpx.Response, outcome: Forward, head: Response, keep: int
) -> AsyncIterator[bytes]:
    """The body as it arrives, encoded as sent (``Content-Encoding`` passes through); up
    to ``keep`` bytes of it also end on the event, whole, once the stream is done."""
    kept: bytearray | None = bytearray() if keep else None
    try:
        async for chunk in answer.aiter_raw():
            if kept is not None:
                kept += chunk
                if len(kept) > keep:
                    kept = None  # too big to keep: streamed only
            yield chunk
    finally:
        await answer.aclose()
    if kept is not None and outcome.event is not None:
        outcome.event.response = Response(head.status, head.head, bytes(kept))


def _failed(outcome: Forward, status: int, reason: str, url: str, exc: Exception) -> Respond:
    detail = f"{type(exc).__name__}: {exc}".rstrip(": ")
    log.warning("proxy %s %s: %s (%s)", outcome.request.method, url, reason, detail)
    body = {"error": reason, "upstream": outcome.upstream, "url": url, "detail": detail}
    return _answered(outcome, Response.build(status, _JSON, json.dumps(body).encode()))


async def _close_later(client: httpx.AsyncClient) -> None:
    """Close a client dropped from the pool once its in-flight requests had their time."""
    try:
        await asyncio.sleep(2 * DEFAULT_TIMEOUT_S)
    finally:
        await client.aclose()
