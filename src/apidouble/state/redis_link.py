"""The connection to Redis: one client per process, a circuit that fails fast while Redis
is away, and the clock offset that lets instances share time-based state.

Every remote operation goes through ``RedisLink.call``: from a bridged request it waits
on the event loop (``await_state``); from another thread (a test calling
``MockServer.reset()``) it is handed to the loop the client lives on. While Redis is
unreachable the circuit is open: calls raise ``StateUnavailable`` at once instead of
waiting on a timeout each, and the next call after a backoff (0.1 s doubling to 5 s)
tries again, so the instance reconnects by itself.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .bridge import await_state, in_bridge
from .resp import Pipe, ReplyError, Script
from .store import StateUnavailable

log = logging.getLogger("apidouble")

T = TypeVar("T")

DEFAULT_NAMESPACE = "apidouble"
TIMEOUT_S = 2.0
"""How long one command may take before Redis counts as away."""
FIRST_BACKOFF_S = 0.1
MAX_BACKOFF_S = 5.0
_THREAD_WAIT_S = 10.0


@dataclass(frozen=True, slots=True)
class RedisTarget:
    """Where the state lives: the client's URL, and the key prefix (``?namespace=``)."""

    url: str
    namespace: str = DEFAULT_NAMESPACE

    @classmethod
    def parse(cls, spec: str) -> RedisTarget:
        """``redis://host:port/db`` (or ``rediss://``, ``unix://``), with an optional
        ``namespace=NAME`` query parameter that is ours, not the client's."""
        parts = urlsplit(spec)
        if parts.scheme not in ("redis", "rediss", "unix"):
            raise ValueError(f"--state: expected memory or redis://HOST:PORT/DB, got {spec!r}")
        query = parse_qsl(parts.query, keep_blank_values=True)
        namespace = next((v for k, v in query if k == "namespace"), DEFAULT_NAMESPACE)
        rest = urlencode([(k, v) for k, v in query if k != "namespace"])
        return cls(urlunsplit(parts._replace(query=rest)), namespace or DEFAULT_NAMESPACE)

    @property
    def shown(self) -> str:
        """The URL without its password, for logs, health and error bodies."""
        parts = urlsplit(self.url)
        if parts.password is None:
            return self.url
        host = parts.hostname or ""
        netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit(parts._replace(netloc=netloc))


class RedisLink:
    """One process's client for one Redis, with its circuit and clock offset."""

    def __init__(self, target: RedisTarget) -> None:
        from redis.asyncio import Redis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        self.target = target
        # one retry: a pooled connection Redis closed while restarting fails once
        self.client: Any = Redis.from_url(
            target.url,
            socket_timeout=TIMEOUT_S,
            socket_connect_timeout=TIMEOUT_S,
            retry=Retry(NoBackoff(), 1),
            decode_responses=True,
        )
        self.pipe = Pipe()
        """The pipelined connection the state calls use (``command``, ``script``)."""
        self._piped = urlsplit(target.url).scheme == "redis"
        """TLS and unix sockets go through redis-py instead."""
        self._connecting: asyncio.Future[None] | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.offset: float | None = None
        """Redis time minus this process's monotonic clock (measured once connected)."""
        self.error: str | None = None
        """Why the last call failed, while the circuit is open."""
        self.down_since: float | None = None
        self._retry_at = 0.0
        self._backoff = FIRST_BACKOFF_S

    # --- health ---------------------------------------------------------------------

    @property
    def up(self) -> bool:
        return self.error is None

    def status(self) -> dict[str, Any]:
        """What ``/__admin/health`` says about the store."""
        shown: dict[str, Any] = {"backend": "redis", "url": self.target.shown}
        shown["namespace"] = self.target.namespace
        shown["status"] = "up" if self.up else "down"
        if self.error is not None:
            shown["error"] = self.error
            if self.down_since is not None:
                shown["down_for_s"] = round(time.monotonic() - self.down_since, 3)
        return shown

    # --- calls ----------------------------------------------------------------------

    def call(self, make: Callable[[], Awaitable[T]]) -> T:
        """Run one remote operation (``make`` builds its awaitable) and return its result,
        or raise ``StateUnavailable``."""
        if self.error is not None and time.monotonic() < self._retry_at:
            raise StateUnavailable(self._unavailable())
        if in_bridge():
            return await_state(self._guarded(make))
        loop = self.loop
        if loop is None or not loop.is_running():
            raise RuntimeError("the Redis state store is used before its server started")
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            future = asyncio.run_coroutine_threadsafe(self._guarded(make), loop)
            return future.result(_THREAD_WAIT_S)
        raise RuntimeError("a remote state call on the event loop outside a bridged request")

    async def acall(self, make: Callable[[], Awaitable[T]]) -> T:
        """``call`` for async callers on the client's loop (start-up, health probes)."""
        if self.error is not None and time.monotonic() < self._retry_at:
            raise StateUnavailable(self._unavailable())
        return await self._guarded(make)

    async def _guarded(self, make: Callable[[], Awaitable[T]]) -> T:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError

        self.loop = asyncio.get_running_loop()
        try:
            if self.offset is None:
                await self._measure_offset()
            result = await make()
        except (TimeoutError, RedisConnectionError, RedisTimeoutError, OSError) as exc:
            self._opened(exc)
            raise StateUnavailable(self._unavailable()) from exc
        if self.error is not None:
            log.warning("state store %s is back", self.target.shown)
            self.error = None
            self.down_since = None
            self._backoff = FIRST_BACKOFF_S
        return result

    async def _measure_offset(self) -> None:
        before = time.monotonic()
        seconds, micros = await self.command("TIME")
        after = time.monotonic()
        self.offset = int(seconds) + int(micros) / 1e6 - (before + after) / 2

    # --- the pipelined connection ---------------------------------------------------

    async def command(self, *args: Any) -> Any:
        """One command on the pipelined connection (connected on first use, and again
        after Redis closed it)."""
        if not self._piped:
            return await self.client.execute_command(*args)
        pipe = self.pipe
        if not pipe.open:
            await self._connect()
        return await pipe.send(*args)

    async def script(self, script: Script, keys: list[str], args: list[Any]) -> Any:
        """Run a Lua script by its SHA1, loading it when Redis does not know it."""
        from redis.exceptions import ResponseError

        try:
            return await self.command("EVALSHA", script.sha, len(keys), *keys, *args)
        except (ReplyError, ResponseError) as exc:
            if not str(exc).startswith("NOSCRIPT"):
                raise
        return await self.command("EVAL", script.source, len(keys), *keys, *args)

    async def _connect(self) -> None:
        """Open the pipe once, however many callers ask at the same time."""
        if self._connecting is None:
            loop = asyncio.get_running_loop()
            self._connecting = loop.create_future()
            try:
                await self._open_pipe()
            except BaseException as exc:
                self._connecting.set_exception(exc)
                self._connecting.exception()  # retrieved: the callers see it below
                raise
            else:
                self._connecting.set_result(None)
            finally:
                self._connecting = None
        else:
            await asyncio.shield(self._connecting)

    async def _open_pipe(self) -> None:
        kwargs = self.client.connection_pool.connection_kwargs
        host, port = kwargs.get("host", "127.0.0.1"), int(kwargs.get("port", 6379))
        await self.pipe.connect(host, port, TIMEOUT_S)
        password, username = kwargs.get("password"), kwargs.get("username")
        if password:
            await self.pipe.send(
                *(("AUTH", username, password) if username else ("AUTH", password))
            )
        db = int(kwargs.get("db", 0) or 0)
        if db:
            await self.pipe.send("SELECT", db)

    def _opened(self, exc: BaseException) -> None:
        """Open the circuit (or keep it open, backing off further)."""
        now = time.monotonic()
        reason = f"{type(exc).__name__}: {exc}".strip()
        if self.error is None:
            log.error("state store %s is unreachable: %s", self.target.shown, reason)
            self.down_since = now
        else:
            self._backoff = min(MAX_BACKOFF_S, self._backoff * 2)
        self.error = reason
        self._retry_at = now + self._backoff

    def _unavailable(self) -> str:
        return f"the state store {self.target.shown} is unreachable ({self.error})"

    @property
    def retry_after_s(self) -> float:
        """When a caller may usefully try again."""
        return max(0.0, self._retry_at - time.monotonic())

    async def open(self) -> None:
        """Connect and measure the clock offset; Redis being away is logged, not fatal: the
        requests that need no state are served meanwhile."""
        try:
            await self.acall(self.client.ping)
        except StateUnavailable:
            pass

    async def aclose(self) -> None:
        self.pipe.close()
        await self.client.aclose()
