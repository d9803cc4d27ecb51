"""Fixtures more than one test folder uses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.redis_peer import REDIS_SERVER, RedisPeer


@pytest.fixture
def redis_peer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisPeer]:
    """A fresh redis-server on its own port (skips where redis-server is missing)."""
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed (make test installs it)")
    peer = RedisPeer(Path(tmp_path_factory.mktemp("redis")))
    peer.start()
    try:
        yield peer
    finally:
        peer.kill()
