"""The ``apidouble`` pytest fixture: a fresh mock server per test, on a free port.

def test_client(apidouble):
    apidouble.set_endpoints([{"path": "/ping", "response": {"ok": True}}])
    assert httpx.get(apidouble.url + "/ping").json() == {"ok": True}
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .testing import MockServer


@pytest.fixture
def apidouble() -> Iterator[MockServer]:
    """A running ``MockServer`` with no stubs; add them with ``set_endpoints``."""
    with MockServer(endpoints=[]) as server:
        yield server
