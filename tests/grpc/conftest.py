"""Fixtures of the gRPC tests (each test module skips itself when grpcio is missing)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(scope="session")
def client(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The client code of the tests' proto, generated once per session."""
    from tests.grpc.support import generate_client

    return generate_client(tmp_path_factory.mktemp("grpc-client"))
