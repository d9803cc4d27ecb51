"""The failure a stub answers with when it has none of its own (``flaky.py`` decides when)."""

from __future__ import annotations

from ..model import ResponseSpec

DEFAULT_FAILURE_STATUS = 500


def default_failure(label: str) -> ResponseSpec:
    """What a stub with ``failure_rate`` and no ``failure:`` answers when it fails."""
    body = {"error": "injected failure", "stub": label, "status": DEFAULT_FAILURE_STATUS}
    return ResponseSpec(status=DEFAULT_FAILURE_STATUS, body_kind="json", body=body)
