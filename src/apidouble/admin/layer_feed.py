"""Stubs made at runtime, shared by every instance through Redis.

With ``--state redis://…`` the runtime layer (stubs made, replaced or removed through the
admin API) is kept in Redis as one document with a version number. A write on any
instance stores the new layer with a compare-and-set on that version (a write that lost
a race reads the newer layer and applies its change again, so nothing is lost) and
announces the version on a channel; every instance listens and serves the new layer at
once, and also checks the version every second, so a message missed while Redis was away
is caught up. An instance that starts takes the layer Redis holds, so runtime stubs
survive the restart of any instance; a Redis that holds none is given this instance's
persisted stubs.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..importers.wiremock.problems import MappingError
from ..state.redis_store import RedisStore
from ..state.store import StateUnavailable
from .layer import RuntimeStub, StubLayer, native_stub, wiremock_stub

log = logging.getLogger("apidouble")

_PUSH = """
if (redis.call('GET', KEYS[1]) or '0') ~= ARGV[1] then
  return false
end
redis.call('SET', KEYS[2], ARGV[2])
local version = redis.call('INCR', KEYS[1])
redis.call('PUBLISH', KEYS[3], version)
return version
"""
"""Store the layer if nobody changed it since version ARGV[1], and announce it."""

CHECK_EVERY_S = 1.0
"""How often an instance checks the version, besides listening (a missed message)."""


class LayerFeed:
    """The runtime layer in Redis: pulled when newer, pushed on each admin write."""

    def __init__(
        self,
        store: RedisStore,
        files: Path | None = None,
        templating: bool = False,
        base_dir: Path | None = None,
    ) -> None:
        self._link = store.link
        namespace = store.link.target.namespace
        self._version_key = f"{namespace}:layer:v"
        self._layer_key = f"{namespace}:layer"
        self.channel = f"{namespace}:layer:changed"
        self._push = self._link.client.register_script(_PUSH)
        self._files = files
        self._templating = templating
        self._base_dir = base_dir
        self.version = 0
        """The version of the layer this instance serves (0: none from Redis yet)."""

    async def pull(self) -> tuple[int, StubLayer] | None:
        """The layer Redis holds, with its version, when that is not the one served here.
        The caller serves it and then sets ``version`` (under the composer's lock)."""
        client = self._link.client
        version = int(await self._link.acall(lambda: client.get(self._version_key)) or 0)
        if version == self.version:
            return None
        found = await self._link.acall(lambda: client.mget(self._version_key, self._layer_key))
        version, text = int(found[0] or 0), found[1]
        return version, self.decode(text) if text else StubLayer()

    async def push(self, layer: StubLayer) -> bool:
        """Store ``layer`` as the next version; False when another instance wrote first."""
        keys = [self._version_key, self._layer_key, self.channel]
        args = [str(self.version), encode(layer)]
        stored = await self._link.acall(lambda: self._push(keys=keys, args=args))
        if stored is None:
            return False
        self.version = int(stored)
        return True

    def decode(self, text: str) -> StubLayer:
        """A layer from its stored form; an entry that no longer builds is skipped, logged."""
        payload: dict[str, Any] = json.loads(text)
        entries: dict[str, RuntimeStub] = {}
        source = f"<redis {self._layer_key}>"
        for saved in sorted(payload.get("entries", []), key=lambda e: int(e["seq"])):
            kind, document = saved["kind"], saved["document"]
            try:
                if kind == "wiremock":
                    document, stub = wiremock_stub(document, self._files, self._templating, source)
                else:
                    stub = native_stub(document, self._base_dir)
            except (MappingError, ConfigError) as exc:
                log.error("shared runtime stub skipped: %s", exc)
                continue
            persistent = bool(saved.get("persistent", True))
            entries[stub.id] = RuntimeStub(kind, document, stub, persistent, int(saved["seq"]))
        hidden = frozenset(str(i) for i in payload.get("hidden", []))
        return StubLayer(entries, hidden, int(payload.get("next_seq", 0)))

    async def watch(
        self, apply: Callable[[int, StubLayer], Awaitable[None]], stop: asyncio.Event
    ) -> None:
        """Serve every newer layer as soon as it is announced (and checked each second),
        until ``stop``; Redis being away only delays it."""
        while not stop.is_set():
            pubsub = self._link.client.pubsub()
            try:
                await pubsub.subscribe(self.channel)
                while not stop.is_set():
                    await pubsub.get_message(ignore_subscribe_messages=True, timeout=CHECK_EVERY_S)
                    newer = await self.pull()
                    if newer is not None:
                        await apply(*newer)
            except (StateUnavailable, OSError, ConnectionError) as exc:
                log.debug("runtime stubs feed: %s", exc)
            except Exception as exc:  # redis-py's own errors: keep listening after a pause
                log.warning("runtime stubs feed: %s: %s", type(exc).__name__, exc)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), CHECK_EVERY_S)


def encode(layer: StubLayer) -> str:
    """The layer's stored form: each entry's document as sent, its kind and rank."""
    entries = [
        {
            "kind": entry.kind,
            "document": entry.document,
            "persistent": entry.persistent,
            "seq": entry.seq,
        }
        for entry in layer.entries.values()
    ]
    payload = {"entries": entries, "hidden": sorted(layer.hidden), "next_seq": layer.next_seq}
    return json.dumps(payload, separators=(",", ":"))
