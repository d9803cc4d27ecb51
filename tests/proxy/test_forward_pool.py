"""The forwarder's pool of upstream clients stays bounded: pass-through can name any
host, and each origin's client holds connections."""

from __future__ import annotations

import asyncio

import pytest

from apidouble.proxy import forward
from apidouble.proxy.forward import HttpForwarder


def test_the_least_recently_used_origin_is_dropped_and_closed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(forward, "MAX_CLIENTS", 2)

    async def run() -> None:
        pool = HttpForwarder()
        first = pool._client("http://a.test", True)
        second = pool._client("http://b.test", True)
        assert pool._client("http://a.test", True) is first  # a is the newest now
        pool._client("http://c.test", True)  # drops b, the least recently used
        assert [origin for origin, _ in pool._clients] == ["http://a.test", "http://c.test"]
        assert len(pool._closing) == 1 and not second.is_closed  # its requests may run on
        await pool.aclose()
        await asyncio.sleep(0)
        assert second.is_closed and first.is_closed and not pool._closing

    asyncio.run(run())
