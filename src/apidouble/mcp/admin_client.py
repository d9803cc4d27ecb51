"""The admin API as the MCP tools call it: one ``httpx`` client, refusals made messages.

The tools speak HTTP to the admin routes whichever way they are served: over the network
to a running server (``apidouble mcp --url``), or in process (``RoutesTransport``) when
they run inside the server itself, so a tool never waits on a socket its own server must
answer. An admin refusal becomes ``AdminError`` with the route's own message, which the
tools raise as the tool's error.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import httpx

from ..model import Request
from ..outcome import Outcome, Respond

Handle = Callable[[Request], "Outcome | Awaitable[Outcome] | None"]
"""What answers a control request: ``AdminRoutes.handle`` or a ``Dispatcher``'s."""

IN_PROCESS_URL = "http://apidouble.in-process"
"""The base URL of the in-process client (never resolved: no socket is opened)."""

_TIMEOUT_S = 30.0
_FRAMING = frozenset({"content-length", "transfer-encoding"})


class AdminError(Exception):
    """The admin API refused a call, or could not be reached; the message says why."""


class AdminClient:
    """Calls admin routes and answers their JSON, raising ``AdminError`` on a refusal."""

    def __init__(self, http: httpx.AsyncClient, url: str | None = None) -> None:
        self.http = http
        self.url = url
        """The server's base URL, for the user's app to call; None when not known here."""

    @classmethod
    def over_http(cls, url: str, token: str | None = None) -> AdminClient:
        """A client of the server at ``url`` (its base URL, without ``/__admin``)."""
        base = url.rstrip("/")
        http = httpx.AsyncClient(base_url=base, headers=_token(token), timeout=_TIMEOUT_S)
        return cls(http, base)

    @classmethod
    def in_process(
        cls, handle: Handle, token: str | None = None, url: str | None = None
    ) -> AdminClient:
        """A client whose calls ``handle`` answers in this process; ``url`` is the
        server's address, reported to the user."""
        transport = RoutesTransport(handle)
        http = httpx.AsyncClient(
            transport=transport, base_url=IN_PROCESS_URL, headers=_token(token), timeout=_TIMEOUT_S
        )
        return cls(http, url)

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        params: Mapping[str, str] | None = None,
        content: bytes | None = None,
    ) -> Any:
        """The route's JSON answer (``{}`` for an empty one); ``AdminError`` otherwise."""
        try:
            answer = await self.http.request(
                method,
                path,
                json=body if content is None and body is not None else None,
                content=content,
                params=dict(params) if params else None,
            )
        except httpx.HTTPError as exc:
            where = self.url or "the apidouble server"
            raise AdminError(f"cannot reach {where}: {exc}") from exc
        if answer.status_code >= 400:
            raise AdminError(refusal(method, path, answer))
        if not answer.content:
            return {}
        try:
            return answer.json()
        except ValueError:
            return {"text": answer.text}

    async def aclose(self) -> None:
        await self.http.aclose()


def _token(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def refusal(method: str, path: str, answer: httpx.Response) -> str:
    """What the admin API said when it refused, in one line: its native ``error`` (with
    each problem's pointer), WireMock's ``errors``, or the status alone."""
    head = f"{answer.status_code} from {method} {path}"
    try:
        body = answer.json()
    except ValueError:
        text = answer.text.strip()
        return f"{head}: {text}" if text else f"{head} (no body: nothing has that id)"
    if not isinstance(body, Mapping):
        return f"{head}: {body}"
    parts: list[str] = []
    if isinstance(body.get("error"), str):
        parts.append(body["error"])
    for problem in body.get("problems") or ():
        if isinstance(problem, Mapping):
            where = problem.get("pointer") or ""
            line = f" (line {problem['line']})" if problem.get("line") else ""
            parts.append(f"{where}{line}: {problem.get('message')}".lstrip(": "))
    for error in body.get("errors") or ():
        if isinstance(error, Mapping):
            pointer = (error.get("source") or {}).get("pointer")
            text = str(error.get("title", ""))
            if pointer:
                text += f" at {pointer}"
            if error.get("detail"):
                text += f": {error['detail']}"
            parts.append(text)
    return f"{head}: {'; '.join(parts)}" if parts else f"{head}: {body}"


class RoutesTransport(httpx.AsyncBaseTransport):
    """An ``httpx`` transport that hands each request to the admin routes in this process
    and turns their ``Outcome`` back into an ``httpx.Response``: no socket, so a tool
    running inside the server cannot wait on itself."""

    def __init__(self, handle: Handle) -> None:
        self._handle = handle

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        target = request.url.raw_path.decode("ascii")
        path, _, query = target.partition("?")
        headers = tuple((name, value) for name, value in request.headers.items())
        body = await request.aread()
        ours = Request(request.method, path, query, headers, body, client=("127.0.0.1", 0))
        answer = self._handle(ours)
        if inspect.isawaitable(answer):
            answer = await answer
        if not isinstance(answer, Respond):
            shown = "no control route" if answer is None else type(answer).__name__
            return httpx.Response(502, json={"error": f"{path}: {shown}, not an answer"})
        status, response_headers = _head(answer.response.head)
        content = answer.response.body
        if answer.stream is not None:
            content += b"".join([chunk async for chunk in answer.stream])
        return httpx.Response(status, headers=response_headers, content=content)


def _head(head: bytes) -> tuple[int, list[tuple[str, str]]]:
    """The status and header lines of an encoded response head (framing headers left
    out: the body is whole here)."""
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = []
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep and name.strip().lower() not in _FRAMING:
            headers.append((name.strip(), value.strip()))
    return status, headers
