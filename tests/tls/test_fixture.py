"""The ``apidouble_https`` pytest fixture: HTTPS a client can verify, beside HTTP."""

from __future__ import annotations

import ssl

import httpx

from apidouble.testing import MockServer


def test_the_fixture_serves_https_a_client_verifies(apidouble_https: MockServer) -> None:
    apidouble_https.set_endpoints([{"path": "/ping", "response": {"ok": True}}])
    assert apidouble_https.ca_path is not None
    verify = ssl.create_default_context(cafile=str(apidouble_https.ca_path))
    secure = httpx.get(apidouble_https.https_url + "/ping", verify=verify)
    assert secure.json() == {"ok": True}
    assert httpx.get(apidouble_https.url + "/ping").json() == {"ok": True}
