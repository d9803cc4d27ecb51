"""Bring an environment of migration 29..32 up to 33, the shape the converter reads.

Migrations 30-33 of ``@mockoon/commons`` 9.9 only add defaults (callbacks, streaming)
and move ``route.enabled: false`` out of the file (the app keeps disabled routes in its
settings); older files rewrote faker calls and bodies, which is left to Mockoon itself.
"""

from __future__ import annotations

import copy
from typing import Any

from apidouble.importers.mockoon.problems import Problems
from apidouble.importers.mockoon.responses import objects

OLDEST = 29
NEWEST = 33


def migrated(data: dict[str, Any], problems: Problems) -> tuple[dict[str, Any], set[str]] | None:
    """The environment at migration 33 and the uuids of its disabled routes; None (with
    a problem) when it is older than 29, which Mockoon's own migrations must upgrade."""
    given = data.get("lastMigration")
    if not isinstance(given, int) or given < OLDEST:
        first = given + 1 if isinstance(given, int) else OLDEST
        problems.add(
            f"lastMigration {given!r} is older than {OLDEST}: migration {first}"
            f" onwards (up to {NEWEST}) is needed; open and save the environment in Mockoon 9"
            " (or run it once with mockoon-cli 9), then load it again",
            "/lastMigration",
        )
        return None
    if given > NEWEST:
        problems.add(
            f"lastMigration {given} is newer than {NEWEST} (@mockoon/commons 9.9): read as"
            f" {NEWEST}; settings added since are ignored",
            "/lastMigration",
        )
    env = copy.copy(data)
    routes = objects(env.get("routes"))
    disabled = {str(r.get("uuid")) for r in routes if r.get("enabled") is False}
    if given < 30:
        env.setdefault("callbacks", [])
    if given < 33:
        routes = [{"streamingMode": None, "streamingInterval": 0, **route} for route in routes]
    env["routes"] = routes
    return env, disabled
