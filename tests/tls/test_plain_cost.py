"""A server without ``--https-port`` loads none of the TLS code: HTTPS is decided at listen
time, and the plain HTTP path is the one it always was."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import sys, httpx
from apidouble import MockServer
with MockServer(endpoints=[{"path": "/ping", "response": {"ok": True}}]) as mock:
    assert httpx.get(mock.url + "/ping").json() == {"ok": True}
    assert mock._runtime.https_server is None and mock._runtime.tls is None
loaded = sorted(name for name in sys.modules if name.startswith("apidouble.tls"))
print(loaded)
"""


def test_a_plain_server_imports_no_tls_module() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
