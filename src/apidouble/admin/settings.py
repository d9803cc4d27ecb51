"""WireMock's global settings: a delay for every stub that sets none, and ``extended``.

``fixedDelay`` (ms) and ``delayDistribution`` (WireMock's lognormal, uniform or fixed)
become one ``Latency`` that the composer gives, at load time, to each stub whose own
responses set no delay (WireMock's rule: a stub's delay wins over the global one). A
stub that gets it is no longer a static stub, so the static path pays only while a
global delay is set. ``extended`` is kept as given, for extensions to read. Settings
live as long as the process, as WireMock's do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ..importers.wiremock.problems import MappingError, at
from ..importers.wiremock.response import delay_latency
from ..model import Latency, Stub

KEYS = ("fixedDelay", "delayDistribution", "extended", "proxyPassThrough")


@dataclass(frozen=True, slots=True)
class GlobalSettings:
    """The settings as last set (``document``) and the delay they give."""

    document: Mapping[str, Any] = field(default_factory=dict)
    latency: Latency | None = None

    def apply(self, stubs: Sequence[Stub]) -> Sequence[Stub]:
        """``stubs`` with the global delay given to those that set none of their own."""
        latency = self.latency
        if latency is None:
            return stubs
        return [replace(stub, latency=latency) if _no_delay(stub) else stub for stub in stubs]


def _no_delay(stub: Stub) -> bool:
    return stub.latency is None and all(r.latency is None for r in stub.responses)


def read_settings(document: Any) -> GlobalSettings:
    """Settings as ``POST /__admin/settings`` sends them; raises ``MappingError`` (with a
    pointer) for what WireMock would refuse."""
    if not isinstance(document, Mapping):
        raise MappingError("settings must be a JSON object", "")
    for key in document:
        if key not in KEYS:
            raise at(f"unknown setting {key!r}: expected one of {', '.join(KEYS)}", key)
    fixed = document.get("fixedDelay")
    if fixed is not None and (isinstance(fixed, bool) or not isinstance(fixed, int) or fixed < 0):
        raise at("fixedDelay must be a whole number of milliseconds >= 0", "fixedDelay")
    passthrough = document.get("proxyPassThrough")
    if passthrough is not None and not isinstance(passthrough, bool | int | float):
        raise at("proxyPassThrough must be true or false", "proxyPassThrough")
    distribution = document.get("delayDistribution")
    if isinstance(distribution, Mapping):
        for key, value in distribution.items():
            if key == "type":
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise at(f"{key} must be a number >= 0", "delayDistribution", key)
    extended = document.get("extended")
    if extended is not None and not isinstance(extended, Mapping):
        raise at("extended must be a JSON object", "extended")
    latency = delay_latency(
        {"fixedDelayMilliseconds": fixed, "delayDistribution": document.get("delayDistribution")}
    )
    if latency is not None and latency.distribution == "fixed" and not latency.params.get("ms"):
        latency = None  # a delay of 0 is none: static stubs stay static
    kept = {key: value for key, value in document.items() if value is not None}
    if passthrough is not None:
        kept["proxyPassThrough"] = bool(passthrough)  # WireMock reads a number as a boolean
    return GlobalSettings(kept, latency)


def extend(settings: GlobalSettings, extended: Any) -> GlobalSettings:
    """``PATCH /__admin/settings/extended``: keys merged into ``extended``."""
    if not isinstance(extended, Mapping):
        raise MappingError("extended settings must be a JSON object", "")
    merged = {**settings.document.get("extended", {}), **extended}
    return replace(settings, document={**settings.document, "extended": merged})
