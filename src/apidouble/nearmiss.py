"""The unmatched-request report: the closest stubs and, per stub, which condition failed.

The same data feeds the 404 body and the log line, so what a user reads in either place
is the same explanation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .matching.near import NearMiss
from .model import Request


def _source(near: NearMiss) -> str:
    src = near.stub.source
    return src.file if src.line is None else f"{src.file}:{src.line}"


def near_miss_report(request: Request, near_misses: Sequence[NearMiss]) -> dict[str, Any]:
    """The JSON body of a 404 for an unmatched request."""
    return {
        "error": "no stub matched this request",
        "request": {"method": request.method, "path": request.path, "query": request.query_string},
        "near_misses": [
            {
                "stub": near.stub.label,
                "id": near.stub.id,
                "source": _source(near),
                "distance": round(near.result.distance, 3),
                "checks": [
                    {
                        "condition": check.condition,
                        "passed": check.passed,
                        "expected": check.expected,
                        "actual": check.actual,
                    }
                    for check in near.result.checks
                ],
            }
            for near in near_misses
        ],
    }


def near_miss_text(request: Request, near_misses: Sequence[NearMiss]) -> str:
    """The same report as a few readable log lines."""
    lines = [f"no stub matched {request.method} {request.url}"]
    if not near_misses:
        lines.append("  (no stubs are loaded)")
    for near in near_misses:
        lines.append(f"  closest: {near.stub.label} ({_source(near)})")
        for check in near.result.checks:
            if not check.passed:
                lines.append(
                    f"    - {check.condition}: expected {check.expected}, got {check.actual}"
                )
    return "\n".join(lines)
