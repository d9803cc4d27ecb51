"""Use apidouble from Python tests: ``MockServer`` runs the real server in a thread.

with MockServer("examples/apidouble.yaml") as mock:
    httpx.get(mock.url + "/api/users/42")
    assert mock.requests.count(method="GET", path="/api/users/42") == 1
    mock.verify(method="GET", path="/api/users/42", times=1)

``verify`` fails with an ``AssertionError`` listing the near misses (the kept requests
closest to what was expected, and what differed); ``wait_for`` waits for a request an
asynchronous client sends later. The calls of a ``grpc:`` section are read the same way
(``grpc_calls``, ``verify_grpc``), and ``add_grpc_stubs`` changes what it answers; so
are the calls of the ``llm:`` presets (``llm_calls``, ``verify_llm``: the conversation,
the rule that answered, the tools the answer called).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from .admin.api import Admin
from .auth.plane import TokenKind
from .config.grpc import GrpcMatch, match_pattern
from .config.load import load_data
from .errors import ApidoubleError
from .journal import Journal
from .llm.calls import CallFilter, describe
from .options import Options
from .runtime import Runtime
from .verify import Expectation, Times, failure, verify


class RequestLog:
    """The journal as tests read it: newest first, filtered by method, path, stub, status."""

    def __init__(self, journal: Journal) -> None:
        self._journal = journal

    def all(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Every kept entry, newest first."""
        return self._journal.newest(limit)

    def find(self, **conditions: Any) -> list[dict[str, Any]]:
        """Entries matching ``method``, ``path``, ``stub``, ``status`` and ``body_jsonpath``
        where given (and the rest of ``Journal.find``'s conditions)."""
        return self._journal.find(**conditions)

    def count(self, **conditions: Any) -> int:
        """How many entries match (same conditions as ``find``)."""
        return self._journal.count(**conditions)

    def verify(
        self,
        *,
        times: int | None = None,
        at_least: int | None = None,
        at_most: int | None = None,
        **conditions: Any,
    ) -> int:
        """Assert how many requests match ``conditions`` (those of ``find``): exactly
        ``times``, or ``at_least``/``at_most``; at least one when no count is given.

        Returns the count. Raises ``AssertionError`` (``verify.VerificationError``) saying
        what was expected and counted, with the nearest kept requests and what differed.
        A ``stub``-only count comes from the exact counters, so evicted entries count.
        """
        return verify(self._journal, Expectation(**conditions), Times.of(times, at_least, at_most))

    def wait_for(
        self,
        *,
        timeout: float = 5.0,
        times: int | None = None,
        at_least: int | None = None,
        at_most: int | None = None,
        **conditions: Any,
    ) -> list[dict[str, Any]]:
        """Wait until ``verify`` with the same arguments would pass, then return the
        matching kept entries (newest first); after ``timeout`` seconds raise its error.

        Woken by each recorded exchange (``Journal.listen``), not by polling."""
        expectation = Expectation(**conditions)
        expected = Times.of(times, at_least, at_most)
        journal = self._journal
        recorded = threading.Event()
        stop = journal.listen(lambda event: recorded.set())
        deadline = time.monotonic() + timeout
        # a shared journal also counts other instances' traffic, which wakes no listener
        # here: it is asked again at its flush interval
        poll = getattr(journal, "interval_s", None)
        try:
            while True:
                recorded.clear()  # before counting: a record after the count sets it again
                counted = expectation.count(journal)
                if expected.holds(counted):
                    return expectation.find(journal)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise failure(journal, expectation, expected, counted)
                woken = recorded.wait(left if poll is None else min(left, poll))
                if not woken and poll is None:
                    raise failure(journal, expectation, expected, counted)
        finally:
            stop()

    def clear(self) -> None:
        """Forget every entry."""
        self._journal.clear()

    def __len__(self) -> int:
        return len(self._journal)


class MockServer:
    """An apidouble server on 127.0.0.1 and a free port, in a background thread.

    ``https=True`` also serves HTTPS on a free port (``https_port`` picks one): the
    same stubs and journal at ``https_url``, with certificates from the local CA whose
    certificate is ``ca_path`` (give ``ca_dir`` to keep a test's CA apart)::

        with MockServer(endpoints=[...], https=True, ca_dir=tmp_path) as mock:
            httpx.get(mock.https_url + "/ping", verify=ssl.create_default_context(
                cafile=mock.ca_path))
    """

    def __init__(
        self,
        *paths: str | Path,
        endpoints: Sequence[Mapping[str, Any]] | None = None,
        https: bool = False,
        **options: Any,
    ) -> None:
        if paths and endpoints is not None:
            raise ApidoubleError("give config paths or endpoints, not both")
        options.setdefault("port", 0)
        if https:
            options.setdefault("https_port", 0)
        options.setdefault("watch", False)
        self.options = Options(**options)
        self._paths = tuple(Path(p) for p in paths)
        stubs = load_data({"endpoints": list(endpoints or [])}).stubs if not paths else ()
        self._runtime = Runtime(self._paths, self.options, stubs)
        self.requests = RequestLog(self._runtime.journal)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopped: asyncio.Event | None = None
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self.url = ""
        self.port = 0
        self.https_url = ""
        """The HTTPS base URL, when HTTPS is served ("" otherwise)."""
        self.https_port = 0
        self.grpc_address = ""
        """``host:port`` of the config's ``grpc:`` services ("" without them)."""
        tls = self._runtime.tls
        self.ca_path: Path | None = (
            tls.ca.cert_path if tls is not None and tls.ca is not None else None
        )
        """The local CA's certificate, for clients to verify HTTPS with (None without
        HTTPS, or with given ``tls_cert`` files)."""

    def start(self) -> MockServer:
        """Start serving; returns once the port is bound."""
        self._thread = threading.Thread(target=self._serve, name="apidouble", daemon=True)
        self._thread.start()
        self._ready.wait(30)
        if self._failure is not None:
            raise self._failure
        return self

    def _serve(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopped = asyncio.Event()
        try:
            server = await self._runtime.start()
        except BaseException as exc:  # reported to the starting thread
            self._failure = exc
            self._ready.set()
            return
        self.url, self.port = server.url, server.port
        secure = self._runtime.https_server
        if secure is not None:
            self.https_url, self.https_port = secure.url, secure.port
        if self._runtime.grpc_server is not None:
            self.grpc_address = self._runtime.grpc_server.address
        self._ready.set()
        await self._stopped.wait()
        await self._runtime.stop()

    def stop(self) -> None:
        """Shut down gracefully and wait for the thread."""
        if self._loop is not None and self._stopped is not None:
            self._loop.call_soon_threadsafe(self._stopped.set)
        if self._thread is not None:
            self._thread.join(30)
        self._thread = None
        self._loop = None

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _call(self, coroutine: Any) -> Any:
        if self._loop is None:
            raise ApidoubleError("the server is not running")
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(60)

    def reload(self) -> None:
        """Reload the config files now; raises ``ConfigError`` if they are broken."""
        if self._runtime.reloader is None:
            raise ApidoubleError("this server was not started from config files")
        error = self._call(self._runtime.reloader.reload())
        if error is not None:
            raise error

    def websockets(self, path: str | None = None) -> list[dict[str, Any]]:
        """The open WebSocket sessions (on the concrete ``path`` only, when given): id,
        path, subprotocol, client, opened_at, messages in and out."""
        hub = self._runtime.engine.websockets
        return list(self._call(_on_loop(lambda: hub.connections(path))))

    def websocket_messages(self, path: str | None = None) -> list[dict[str, Any]]:
        """What the WebSocket sessions (on the concrete ``path`` only, when given)
        received and sent, oldest first: open, in, out and close events."""
        log = self._runtime.engine.websocket_log
        return list(self._call(_on_loop(lambda: log.document(path)["messages"])))

    def send_websocket(self, path: str, message: Any) -> int:
        """Push ``message`` (text, bytes, ``{binary: base64}``, ``{json: ...}`` or any JSON
        value, sent as written) to every session on the concrete ``path``; how many."""
        hub = self._runtime.engine.websockets
        return int(self._call(_on_loop(lambda: hub.send(path, message))))

    def token(
        self,
        sub: str = "user",
        scopes: Iterable[str] | str = (),
        expires_in: float | None = None,
        issuer: str = "default",
        claims: Mapping[str, Any] | None = None,
        audience: str | list[str] | None = None,
        kind: TokenKind = "valid",
    ) -> str:
        """A bearer token from the served mock issuer ``issuer``, as a client of this
        server would get it (``iss`` is ``{url}/oauth2/{issuer}``), so the protected
        endpoints accept it without a round trip through the token endpoint::

            token = mock.token(sub="ada", scopes=["read:users"], claims={"role": "admin"})
            httpx.get(mock.url + "/users", headers={"Authorization": f"Bearer {token}"})

        ``scopes`` become the ``scope`` claim; ``audience`` the ``aud`` (default: the
        issuer's ``audience``); ``claims`` are added last and win. ``expires_in`` defaults
        to the issuer's ``token_lifetime_s``. ``kind`` breaks exactly one thing for a
        refusal test: ``expired``, ``not_yet_valid``, ``wrongly_signed``, ``unsigned`` (alg
        none) or ``hs_confused`` (HS256 keyed with the public key). Raises
        ``ApidoubleError`` when the issuer is not served or the server is not running."""
        if self._loop is None:
            raise ApidoubleError("the server is not running")
        plane = self._runtime.auth
        wanted = scopes.split() if isinstance(scopes, str) else list(scopes)

        def mint() -> str:
            try:
                full = plane.access_claims(issuer, sub, wanted, audience, claims)
            except KeyError:
                served = sorted(plane.served.providers) if plane.served is not None else []
                listed = ", ".join(served) or "none"
                raise ApidoubleError(f"no issuer {issuer!r} is served (served: {listed})") from None
            return plane.mint(issuer, self.url, full, kind, expires_in)

        return str(self._call(_on_loop(mint)))

    @property
    def admin(self) -> Admin:
        """The control plane (the same one ``/__admin`` serves)."""
        return self._runtime.admin

    def set_endpoints(self, endpoints: Sequence[Mapping[str, Any]]) -> None:
        """Replace every stub with ``endpoints`` (the config's ``endpoints:`` form)."""
        self._change(self._runtime.admin.set_endpoints, endpoints)

    def add_endpoints(self, endpoints: Sequence[Mapping[str, Any]]) -> None:
        """Add stubs after the ones already served; those keep their state."""
        self._change(self._runtime.admin.add_endpoints, endpoints)

    def _change(
        self,
        change: Callable[[Sequence[Mapping[str, Any]]], None],
        endpoints: Sequence[Mapping[str, Any]],
    ) -> None:
        """Run a change of the served stubs on the server's loop, under the lock its
        admin writes and reloads hold (so none of them can undo it); directly when the
        server is not running."""
        if self._loop is None:
            change(endpoints)
        else:
            self._call(self._runtime.admin.locked(change, endpoints))

    def reset(self) -> None:
        """Forget the journal and every stub's state (sequences, counters, windows)."""
        self._runtime.admin.reset()

    def verify(
        self,
        *,
        times: int | None = None,
        at_least: int | None = None,
        at_most: int | None = None,
        **conditions: Any,
    ) -> int:
        """``requests.verify``: assert how many requests match, listing near misses if not."""
        return self.requests.verify(times=times, at_least=at_least, at_most=at_most, **conditions)

    def wait_for(
        self,
        *,
        timeout: float = 5.0,
        times: int | None = None,
        at_least: int | None = None,
        at_most: int | None = None,
        **conditions: Any,
    ) -> list[dict[str, Any]]:
        """``requests.wait_for``: wait until the requests are there, return their entries."""
        return self.requests.wait_for(
            timeout=timeout, times=times, at_least=at_least, at_most=at_most, **conditions
        )

    def clear(self) -> None:
        """Back to an empty server: no stubs, no journal, no state (between tests)."""
        self.set_endpoints([])
        self._runtime.admin.reset()

    def grpc_calls(
        self, method: str | None = None, status: str | None = None
    ) -> list[dict[str, Any]]:
        """The journal's gRPC calls, newest first: of ``method`` (``shop.Catalog/GetItem``)
        and ending with ``status`` (``NOT_FOUND``) where given. Each entry's
        ``decision.grpc`` has the status, the messages and every streamed one in order."""
        entries = self.requests.find(path=_grpc_path(method)) if method else self.requests.all()
        found = [e for e in entries if "grpc" in (e.get("decision") or {})]
        if status is not None:
            found = [e for e in found if e["decision"]["grpc"]["status"] == status.upper()]
        return found

    def verify_grpc(
        self,
        method: str,
        *,
        times: int | None = None,
        at_least: int | None = None,
        at_most: int | None = None,
        json: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> int:
        """Assert how many calls of ``method`` were made whose message holds ``json`` (a
        partial match; a client stream's: the list of its messages) and whose metadata
        holds ``metadata`` (values or matchers), as a stub's ``match`` would; at least
        one when no count is given. Fails listing the near misses, as ``verify`` does."""
        given: dict[str, Any] = {}
        if json is not None:
            given["json"] = json
        if metadata is not None:
            given["metadata"] = metadata
        pattern = match_pattern(GrpcMatch.model_validate(given), _grpc_path(method))
        return self.requests.verify(
            times=times, at_least=at_least, at_most=at_most, pattern=pattern
        )

    def llm_calls(
        self,
        *,
        provider: str | None = None,
        route: str | None = None,
        model: str | None = None,
        rule: str | None = None,
        tool: str | None = None,
        arguments: Mapping[str, Any] | None = None,
        error: str | None = None,
        last_user_contains: str | None = None,
        stream: bool | None = None,
    ) -> list[dict[str, Any]]:
        """The journal's calls to the ``llm:`` presets, newest first: those of
        ``provider`` and ``route``, for ``model``, answered by ``rule`` (a rule's ``id``, or
        ``rule-N``), whose answer called ``tool`` with ``arguments`` holding the ones given,
        that got the ``error`` kind, whose last user message contains
        ``last_user_contains``, streamed or not, where given. Each entry's
        ``decision.llm`` has the parsed ``conversation``, the ``rule``, the ``usage``, the
        ``stop`` reason and the ``tool_calls`` answered (id, name, arguments)."""
        wanted = CallFilter(provider, route, model, rule, tool, arguments, error,
                            last_user_contains, stream)  # fmt: skip
        return wanted.pick(self.requests.all())

    def verify_llm(
        self,
        *,
        times: int | None = None,
        at_least: int | None = None,
        at_most: int | None = None,
        provider: str | None = None,
        route: str | None = None,
        model: str | None = None,
        rule: str | None = None,
        tool: str | None = None,
        arguments: Mapping[str, Any] | None = None,
        error: str | None = None,
        last_user_contains: str | None = None,
        stream: bool | None = None,
    ) -> int:
        """Assert how many LLM calls match (the conditions of ``llm_calls``): exactly
        ``times``, or ``at_least``/``at_most``; at least one when no count is given::

            mock.verify_llm(tool="get_weather", arguments={"city": "Paris"}, times=1)

        Returns the count. Raises ``AssertionError`` saying what was expected and counted,
        with the LLM calls the journal kept (newest first) and what each was answered."""
        expected = Times.of(times, at_least, at_most)
        wanted = CallFilter(provider, route, model, rule, tool, arguments, error,
                            last_user_contains, stream)  # fmt: skip
        every = CallFilter().pick(self.requests.all())
        counted = len(wanted.pick(every))
        if expected.holds(counted):
            return counted
        shown = ", ".join(f"{k}={v!r}" for k, v in wanted.conditions.items()) or "any"
        noun = "call" if expected.last == 1 else "calls"
        lines = [f"expected {expected.describe()} LLM {noun} with {shown}, counted {counted}"]
        if every:
            lines.append("LLM calls kept (newest first):")
            lines.extend(f"  - {describe(entry)}" for entry in every[:20])
        else:
            lines.append("no LLM calls were made")
        raise AssertionError("\n".join(lines))

    def add_grpc_stubs(self, stubs: Sequence[Mapping[str, Any]]) -> list[str]:
        """Serve more gRPC stubs (the config's ``grpc.stubs`` form), tried before the
        file's from the next call on; their ids. ``ConfigError`` listing every problem
        (then none is added); ``ApidoubleError`` when no ``grpc:`` section is served."""
        server = self._grpc_server()
        added = self._call(_on_loop(lambda: server.add_stubs([dict(s) for s in stubs])))
        return [stub.stub.id for stub in added]

    def remove_grpc_stubs(self) -> int:
        """Drop the gRPC stubs added at run time; how many there were."""
        server = self._grpc_server()
        return int(self._call(_on_loop(server.remove_added_stubs)))

    def _grpc_server(self) -> Any:
        server = self._runtime.grpc_server
        if server is None:
            raise ApidoubleError("no grpc: section is served")
        return server


def _grpc_path(method: str | None) -> str | None:
    """``shop.Catalog/GetItem`` (or ``/shop.Catalog/GetItem``) as the journal's path."""
    return None if method is None else "/" + method.removeprefix("/")


async def _on_loop(work: Callable[[], Any]) -> Any:
    """Run ``work`` on the server's loop (sessions are only touched from there)."""
    return work()
