"""gRPC services mocked from ``.proto`` files, served by ``grpc.aio`` beside the HTTP server.

``load_grpc_config`` reads a file's ``grpc:`` section (load time: protos compiled, stubs
checked against the message types, answers encoded); ``start_grpc`` serves it on the
running event loop and records every call in the journal. Both need the ``grpc`` extra
(``pip install "apidouble[grpc]"``); without it they raise a ``ConfigError`` saying so,
and importing this package costs nothing.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apidouble.grpc.requirement import require_grpc
from apidouble.state.clock import SYSTEM_CLOCK, Clock

if TYPE_CHECKING:
    from apidouble.grpc.server import CallJournal, GrpcServer
    from apidouble.grpc.stubs import GrpcConfig

__all__ = [
    "GrpcConfig",
    "GrpcServer",
    "load_grpc_config",
    "require_grpc",
    "start_grpc",
    "starter_config",
]


def load_grpc_config(path: str | Path) -> GrpcConfig:
    """The ``grpc:`` section of the config file ``path``, compiled; ``ConfigError`` listing
    every problem (or naming the missing extra)."""
    require_grpc(str(path))
    from apidouble.grpc.loading import load_grpc_config as load

    return load(path)


def starter_config(
    proto_paths: Sequence[str | Path], base: Path | None = None, port: int = 50051
) -> dict[str, Any]:
    """A starter config (``{"grpc": {...}}``) for the protos, one stub per method with
    example messages made from the types (``apidouble import grpc PROTO``); the protos
    are relative to ``base`` (default: the current folder). ``ConfigError`` naming the
    extra when grpcio is missing; ``ValueError`` when a proto does not compile."""
    require_grpc()
    from apidouble.grpc.starter import starter_config as starter

    return starter(proto_paths, base, port)


async def start_grpc(
    config: GrpcConfig,
    journal: CallJournal,
    *,
    host: str = "127.0.0.1",
    port: int | None = None,
    clock: Clock = SYSTEM_CLOCK,
    rng: random.Random | None = None,
) -> GrpcServer:
    """Serve ``config`` on ``host:port`` (default: its own port; 0: any free one) on the
    running loop, recording every call in ``journal``; ``rng`` draws latencies and
    failure rates (a seeded one replays them)."""
    from apidouble.grpc.server import start_grpc as start

    return await start(config, journal, host=host, port=port, clock=clock, rng=rng)


def __getattr__(name: str) -> object:
    if name in ("GrpcConfig", "GrpcServer"):
        require_grpc()
        from apidouble.grpc import server, stubs

        return getattr(stubs if name == "GrpcConfig" else server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
