"""grpcio is an optional extra: a config with ``grpc:`` says how to get it when it is missing."""

from __future__ import annotations

import importlib.util

from apidouble.errors import ConfigError, ConfigProblem

EXTRA = "grpc"
PACKAGES = ("grpc", "grpc_tools", "grpc_reflection", "grpc_health")
"""The import names the ``grpc`` extra provides (grpcio, grpcio-tools, -reflection,
-health-checking)."""


def missing() -> list[str]:
    """The import names of the extra that cannot be imported here."""
    absent = []
    for name in PACKAGES:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):  # a module set to None, or without a spec
            found = False
        if not found:
            absent.append(name)
    return absent


def require_grpc(file: str = "<config>", pointer: str = "/grpc") -> None:
    """Raise a ``ConfigError`` naming the extra when grpcio is not installed."""
    absent = missing()
    if absent:
        message = (
            f"the grpc: section needs grpcio ({', '.join(absent)} not installed):"
            f' pip install "apidouble[{EXTRA}]"'
        )
        raise ConfigError([ConfigProblem(file, message, None, pointer)])
