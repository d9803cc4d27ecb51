"""The Redis ``StateStore``: one mock across many processes and machines.

Each space keeps its counts, first-seen times and texts in three hashes, and each client
key's rate-limit log in a sorted set that expires with its window; every operation that
reads and writes is one Lua script, so it is atomic however many instances share it.
Times cross machines as Redis time: each instance adds its measured offset to its
monotonic clock going in and subtracts it coming out. Server-side response caches stay
in each process (a cache may differ per instance without changing any answer's meaning).

Keys: ``NAMESPACE:s:SPACE:counts|origins|values`` and ``NAMESPACE:s:SPACE:rl:KEY``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Collection
from typing import Any

from .memory import MemorySpace
from .redis_link import RedisLink, RedisTarget
from .resp import Script
from .store import DEFAULT_MAX_KEYS, StateUnavailable

_COUNT = Script("""
local f = ARGV[1]
if redis.call('HEXISTS', KEYS[1], f) == 0 and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[2]) then
  redis.call('HDEL', KEYS[1], redis.call('HRANDFIELD', KEYS[1]))
end
return redis.call('HINCRBY', KEYS[1], f, 1)
""")
"""Count one more for a key; a full hash forgets one key at random (bounded memory)."""

_ORIGIN = Script("""
local f = ARGV[1]
if redis.call('HEXISTS', KEYS[1], f) == 0 then
  if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then
    redis.call('HDEL', KEYS[1], redis.call('HRANDFIELD', KEYS[1]))
  end
  redis.call('HSET', KEYS[1], f, ARGV[2])
  return ARGV[2]
end
return redis.call('HGET', KEYS[1], f)
""")

_ADMIT = Script("""
local now = tonumber(ARGV[1])
local per = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - per)
local n = redis.call('ZCARD', KEYS[1])
local admitted = 0
if n < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  n = n + 1
  admitted = 1
end
redis.call('PEXPIRE', KEYS[1], math.ceil(per * 1000) + 1000)
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {admitted, n, oldest[2] or ARGV[1]}
""")
"""Sliding-log rate limit: one sorted set of admissions per client key, trimmed to the
window and expiring after it."""

_REPLACE = Script("""
local current = redis.call('HGET', KEYS[1], ARGV[1])
if (ARGV[3] == '1' and current == false) or current == ARGV[2] then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[4])
  return 1
end
return 0
""")


def glob_escape(text: str) -> str:
    """``text`` as a literal inside a Redis MATCH pattern."""
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)


def delete_matching(link: RedisLink, pattern: str) -> None:
    """Delete every key matching ``pattern``, in batches (an admin reset, not a request)."""
    client = link.client

    async def run() -> None:
        batch: list[str] = []
        async for key in client.scan_iter(match=pattern, count=500):
            batch.append(key)
            if len(batch) >= 500:
                await client.unlink(*batch)
                batch.clear()
        if batch:
            await client.unlink(*batch)

    link.call(run)


class RedisSpace:
    """One behaviour's state, in Redis (its response cache stays local)."""

    __slots__ = ("_store", "_link", "_prefix", "max_keys", "_local")

    def __init__(self, store: RedisStore, name: str, max_keys: int) -> None:
        self._store = store
        self._link = store.link
        self._prefix = f"{store.link.target.namespace}:s:{name}:"
        self.max_keys = max_keys
        self._local = MemorySpace(max_keys)
        """The response cache (per process)."""

    def _shared(self, now: float) -> float:
        offset = self._link.offset
        return now + (offset or 0.0)

    def _local_time(self, shared: float) -> float:
        return shared - (self._link.offset or 0.0)

    def count(self, key: str) -> int:
        link, counts = self._link, [self._prefix + "counts"]
        return int(link.call(lambda: link.script(_COUNT, counts, [key, self.max_keys])))

    def origin(self, key: str, now: float) -> float:
        link, origins = self._link, [self._prefix + "origins"]

        async def run() -> Any:
            return await link.script(
                _ORIGIN, origins, [key, repr(self._shared(now)), self.max_keys]
            )

        return self._local_time(float(link.call(run)))

    def admit(self, key: str, now: float, limit: int, per_s: float) -> tuple[bool, int, float]:
        link, log = self._link, [self._prefix + "rl:" + key]

        async def run() -> Any:
            shared, member = self._shared(now), self._store.member(now)
            return await link.script(_ADMIT, log, [repr(shared), repr(per_s), limit, member])

        admitted, logged, oldest = link.call(run)
        return bool(admitted), int(logged), self._local_time(float(oldest)) + per_s

    def release(self, key: str, stamp: float) -> None:
        link, log = self._link, self._prefix + "rl:" + key
        member = self._store.member(stamp)
        link.call(lambda: link.command("ZREM", log, member))

    def cached(self, key: Any, now: float) -> Any:
        return self._local.cached(key, now)

    def cache(self, key: Any, value: Any, until: float) -> None:
        self._local.cache(key, value, until)

    def value(self, key: str) -> str | None:
        link, values = self._link, self._prefix + "values"
        found = link.call(lambda: link.command("HGET", values, key))
        return None if found is None else str(found)

    def set_value(self, key: str, value: str) -> None:
        link, values = self._link, self._prefix + "values"
        link.call(lambda: link.command("HSET", values, key, value))

    def replace(self, key: str, expected: str | None, value: str) -> bool:
        link, values = self._link, [self._prefix + "values"]
        args = [key, expected or "", "1" if expected is None else "0", value]
        return bool(link.call(lambda: link.script(_REPLACE, values, args)))

    def values(self) -> dict[str, str]:
        link, values = self._link, self._prefix + "values"
        flat = link.call(lambda: link.command("HGETALL", values))
        if isinstance(flat, dict):  # redis-py's reply (TLS or a unix socket)
            return {str(k): str(v) for k, v in flat.items()}
        return {str(flat[i]): str(flat[i + 1]) for i in range(0, len(flat), 2)}

    def clear(self) -> None:
        self._local.clear()
        self._store.delete_matching(glob_escape(self._prefix) + "*")


class RedisStore:
    """Spaces by name over one Redis; every instance naming a space shares it."""

    remote = True
    """Requests must run on the bridge (``state.bridge``) to use this store."""

    def __init__(self, target: RedisTarget | str) -> None:
        if isinstance(target, str):
            target = RedisTarget.parse(target)
        self.link = RedisLink(target)
        self._spaces: dict[str, RedisSpace] = {}
        self._instance = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        """Makes this instance's rate-limit entries distinct from every other's."""

    def member(self, stamp: float) -> str:
        """The rate-limit log entry for an admission this instance made at ``stamp``."""
        return f"{self._instance}:{stamp!r}"

    def space(self, name: str, max_keys: int = DEFAULT_MAX_KEYS) -> RedisSpace:
        found = self._spaces.get(name)
        if found is None:
            found = self._spaces[name] = RedisSpace(self, name, max_keys)
        return found

    def reset(self, prefix: str = "") -> None:
        for space in self._spaces.values():
            space._local.clear()
        namespace = glob_escape(self.link.target.namespace)
        self.delete_matching(f"{namespace}:s:{glob_escape(prefix)}*")

    def retain(self, names: Collection[str]) -> None:
        """Forget this process's handles on spaces no stub uses; the data stays in Redis,
        where other instances (on an older or newer config) may still use it."""
        keep = set(names)
        for name in [n for n in self._spaces if n not in keep]:
            del self._spaces[name]

    def names(self) -> list[str]:
        return sorted(self._spaces)

    def delete_matching(self, pattern: str) -> None:
        delete_matching(self.link, pattern)

    def probe(self) -> dict[str, Any]:
        """Reach Redis (a reconnect attempt while it is away, within the backoff) and say
        how it is, for ``/__admin/health``."""
        client = self.link.client
        try:
            self.link.call(client.ping)
        except StateUnavailable:
            pass
        return self.link.status()

    @property
    def retry_after_s(self) -> float:
        """Seconds until a call reaches for Redis again (while it is away)."""
        return self.link.retry_after_s

    async def open(self) -> None:
        await self.link.open()

    async def aclose(self) -> None:
        await self.link.aclose()
