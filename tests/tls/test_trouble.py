"""Trouble over TLS: latency and connection faults act on the TLS connection alone."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from apidouble import MockServer

from .conftest import trusting

ENDPOINTS = [
    {"path": "/ok", "response": {"ok": True}},
    {"path": "/slow", "response": {"slow": True}, "latency_ms": 50},
    {"path": "/reset", "fault": "connection_reset"},
    {"path": "/garbage", "fault": {"type": "random_data_then_close", "bytes": 64}},
]


@pytest.mark.usefixtures("loop_kind")
def test_faults_break_one_tls_connection_and_the_server_serves_on(ca_dir: Path) -> None:
    with MockServer(endpoints=ENDPOINTS, https=True, ca_dir=str(ca_dir)) as mock:
        verify = trusting(mock.ca_path)
        for path in ("/reset", "/garbage"):
            with pytest.raises(httpx.TransportError):
                httpx.get(mock.https_url + path, verify=verify)
        slow = httpx.get(mock.https_url + "/slow", verify=verify)
        assert slow.json() == {"slow": True}
        assert slow.elapsed.total_seconds() >= 0.05
        assert httpx.get(mock.https_url + "/ok", verify=verify).json() == {"ok": True}
        entries = {entry["path"]: entry for entry in mock.requests.all()}
        assert set(entries) == {"/reset", "/garbage", "/slow", "/ok"}
        assert all(entry["notes"][0] == "https" for entry in entries.values())
