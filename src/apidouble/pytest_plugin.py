"""The pytest fixtures: a fresh mock server per test, or one per session cleared per test.

def test_client(apidouble):
    apidouble.set_endpoints([{"path": "/ping", "response": {"ok": True}}])
    assert httpx.get(apidouble.url + "/ping").json() == {"ok": True}
    apidouble.verify(path="/ping", times=1)  # or apidouble.wait_for(...) for async clients

``apidouble_shared`` is the same API on one server started once per session and emptied
before each test (no stubs, no journal, no state), as pytest-httpserver does: faster for
large suites, at the price of one port for all tests.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .testing import MockServer


@pytest.fixture
def apidouble() -> Iterator[MockServer]:
    """A running ``MockServer`` with no stubs; add them with ``set_endpoints``, check the
    traffic with ``verify`` / ``wait_for``."""
    with MockServer(endpoints=[]) as server:
        yield server


@pytest.fixture
def apidouble_https(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockServer]:
    """``apidouble`` serving HTTPS too (``https_url``), with certificates from a local CA
    made for the session's temporary folder (``ca_path``: what the client trusts)."""
    ca_dir = tmp_path_factory.getbasetemp() / "apidouble-ca"
    with MockServer(endpoints=[], https=True, ca_dir=str(ca_dir)) as server:
        yield server


@pytest.fixture(scope="session")
def apidouble_session() -> Iterator[MockServer]:
    """One ``MockServer`` for the whole session (prefer ``apidouble_shared`` in tests)."""
    with MockServer(endpoints=[]) as server:
        yield server


@pytest.fixture
def apidouble_shared(apidouble_session: MockServer) -> MockServer:
    """The session's server, emptied for this test: no stubs, no journal, no state."""
    apidouble_session.clear()
    return apidouble_session
