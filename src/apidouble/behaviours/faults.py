"""Connection faults: sabotage decided here as data, carried out by the transport.

A ``FaultSpec`` is validated from config at load time (``fault: connection_reset`` or
``fault: {type: random_data_then_close, bytes: 512}``); ``plan`` turns it into a
``FaultPlan`` when a request is served. Everything random (the garbage bytes) is drawn
from the seeded RNG *then*, so a seeded run replays the same bytes. The transport does
the same three things for every fault: write ``data``, wait up to ``hold_s``, close
(with an RST when ``reset``, else a normal FIN).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, get_args

from .durations import parse_duration

FaultName = Literal[
    "connection_reset", "empty_response", "malformed_chunk", "random_data_then_close", "timeout"
]
FAULT_NAMES: tuple[FaultName, ...] = get_args(FaultName)

DEFAULT_RANDOM_BYTES = 256
MAX_RANDOM_BYTES = 1 << 20
DEFAULT_TIMEOUT_S = 30.0
"""How long ``timeout`` holds a connection open without answering, unless told."""
MAX_TIMEOUT_S = 3600.0

MALFORMED_CHUNK = (
    b"HTTP/1.1 200 OK\r\n"
    b"content-type: application/json\r\n"
    b"transfer-encoding: chunked\r\n"
    b"\r\n"
    b'zz\r\n{"partial": tr\r\n'
)
"""A valid head announcing a chunked body, then a chunk whose size is not hex."""


@dataclass(frozen=True, slots=True)
class FaultPlan:
    """What the transport does instead of answering."""

    name: FaultName
    data: bytes = b""
    hold_s: float = 0.0
    reset: bool = False

    def describe(self) -> str:
        """Compact text for the decision header and logs, e.g. ``timeout(30s)``."""
        if self.name == "timeout":
            return f"timeout({self.hold_s:g}s)"
        if self.name == "random_data_then_close":
            return f"random_data_then_close({len(self.data)}B)"
        return self.name


@dataclass(frozen=True, slots=True)
class FaultSpec:
    """A validated ``fault:``; ``size`` is for random data, ``hold_s`` for timeouts."""

    name: FaultName
    size: int = DEFAULT_RANDOM_BYTES
    hold_s: float = DEFAULT_TIMEOUT_S

    @classmethod
    def from_config(cls, config: str | Mapping[str, object]) -> FaultSpec:
        """A fault name, or ``{type: NAME, bytes: N}`` / ``{type: timeout, after: 10s}``."""
        if isinstance(config, str):
            return cls(_name(config))
        if not isinstance(config, Mapping) or "type" not in config:
            raise ValueError(f"fault must be a name or a mapping with type, got {config!r}")
        name = _name(config["type"])
        extra = {"random_data_then_close": {"bytes"}, "timeout": {"after"}}.get(name, set())
        if unknown := sorted(config.keys() - {"type"} - extra):
            takes = f"only {', '.join(sorted(extra))}" if extra else "no options"
            raise ValueError(
                f"unknown key(s) {', '.join(unknown)} for fault {name} (it takes {takes})"
            )
        size = config.get("bytes", DEFAULT_RANDOM_BYTES)
        if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_RANDOM_BYTES:
            raise ValueError(
                f"fault bytes must be a whole number 1-{MAX_RANDOM_BYTES}, got {size!r}"
            )
        hold = parse_duration(config.get("after", DEFAULT_TIMEOUT_S), "fault.after")
        if not 0 < hold <= MAX_TIMEOUT_S:
            raise ValueError(f"fault.after must be above 0 and at most 1h, got {hold:g}s")
        return cls(name, size, hold)

    def plan(self, rng: random.Random) -> FaultPlan:
        """The concrete sabotage for one request (draws from ``rng`` for random data only)."""
        match self.name:
            case "connection_reset":
                return FaultPlan("connection_reset", reset=True)
            case "malformed_chunk":
                return FaultPlan("malformed_chunk", MALFORMED_CHUNK)
            case "random_data_then_close":
                return FaultPlan("random_data_then_close", rng.randbytes(self.size))
            case "timeout":
                return FaultPlan("timeout", hold_s=self.hold_s)
        return FaultPlan("empty_response")


def _name(value: object) -> FaultName:
    for name in FAULT_NAMES:
        if value == name:
            return name
    raise ValueError(f"fault must be one of {', '.join(FAULT_NAMES)}, got {value!r}")
