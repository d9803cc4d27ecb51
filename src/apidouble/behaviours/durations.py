"""Durations as config writes them: ``"1s"``, ``"500ms"``, ``"2m"``, ``"1h"`` or seconds.

One parser for every behaviour (outage windows, rate-limit periods, cache TTLs, fault
bounds) so the same spelling works everywhere and errors read the same.
"""

from __future__ import annotations

import math
import re

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
DURATION_PATTERN = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|s|m|h)?\s*$")


def parse_duration(value: object, what: str = "duration") -> float:
    """Seconds from a number (seconds) or a string with a unit (ms, s, m, h).

    ``what`` names the setting in the error message, e.g. ``"rate_limit.per"``.
    Negative, infinite and NaN values are refused: no behaviour means them.
    """
    if isinstance(value, bool):
        raise ValueError(f"{what} must be a duration like '500ms', '1s', '2m' or '1h', got {value}")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        found = DURATION_PATTERN.match(value)
        if found is None:
            raise ValueError(
                f"{what} must be a duration like '500ms', '1s', '2m' or '1h', got {value!r}"
            )
        seconds = float(found.group(1)) * _UNITS[found.group(2) or "s"]
    else:
        raise ValueError(
            f"{what} must be a duration like '500ms', '1s', '2m' or '1h', "
            f"got {type(value).__name__}"
        )
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"{what} must be a finite, non-negative duration, got {value!r}")
    return seconds


def format_duration(seconds: float) -> str:
    """The shortest exact-enough spelling, for messages and docs (``1.5s``, ``250ms``)."""
    if seconds < 1:
        return f"{seconds * 1000:g}ms"
    return f"{seconds:g}s"
