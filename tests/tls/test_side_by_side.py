"""HTTP and HTTPS served side by side: the same stubs, the same journal, told apart."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from apidouble import MockServer

from .conftest import PING, trusting

TOKEN = "tls-token"


def test_the_same_stubs_answer_on_both_ports(secure: MockServer) -> None:
    assert secure.https_url.startswith("https://127.0.0.1:")
    assert secure.https_port != secure.port
    plain = httpx.get(secure.url + "/ping")
    over_tls = httpx.get(secure.https_url + "/ping", verify=trusting(secure.ca_path))
    assert plain.json() == over_tls.json() == {"ok": True}
    secure.set_endpoints([{"path": "/changed", "response": {"v": 2}}])  # one stub set
    assert httpx.get(secure.https_url + "/changed", verify=trusting(secure.ca_path)).json() == {
        "v": 2
    }


def test_one_journal_marks_tls_requests_with_the_scheme_and_sni(secure: MockServer) -> None:
    context = trusting(secure.ca_path)
    httpx.get(secure.url + "/ping")
    localhost = secure.https_url.replace("127.0.0.1", "localhost")
    with httpx.Client(verify=context) as client:
        client.get(localhost + "/ping")
        client.get(secure.https_url + "/ping")  # an address: no SNI
    entries = secure.requests.find(path="/ping")
    assert len(entries) == 3
    notes = [entry.get("notes") for entry in reversed(entries)]
    assert notes == [None, ["https", "sni=localhost"], ["https"]]
    assert secure.requests.count(method="GET", path="/ping") == 3


def test_templates_answer_alike_on_both_ports(ca_dir: Path) -> None:
    endpoints = [{"path": "/echo/{id}", "response": {"id": "{{ request.params.id }}"}}]
    with MockServer(endpoints=endpoints, https=True, ca_dir=str(ca_dir)) as mock:
        plain = httpx.get(mock.url + "/echo/7").json()
        secure = httpx.get(mock.https_url + "/echo/7", verify=trusting(mock.ca_path)).json()
    assert plain == secure == {"id": "7"}


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_trusts_the_ca_with_cacert(secure: MockServer) -> None:
    port = secure.https_port
    result = subprocess.run(
        [
            "curl", "-sS", "--fail", "--cacert", str(secure.ca_path),
            "--resolve", f"api.example.com:{port}:127.0.0.1",
            f"https://api.example.com:{port}/ping",
        ],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout == '{"ok":true}'
    notes = secure.requests.find(path="/ping")[0]["notes"]  # curl takes h2 when offered
    assert notes == ["h2", "https", "sni=api.example.com"]
    refused = subprocess.run(
        ["curl", "-sS", f"https://127.0.0.1:{port}/ping"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert refused.returncode == 60  # the system store does not know the CA


def test_the_ca_certificate_is_served_behind_the_admin_token(ca_dir: Path) -> None:
    with MockServer(endpoints=PING, https=True, ca_dir=str(ca_dir), admin_token=TOKEN) as mock:
        assert httpx.get(mock.url + "/__admin/ca.pem").status_code == 401
        for base, verify in ((mock.url, True), (mock.https_url, trusting(mock.ca_path))):
            answer = httpx.get(base + "/__admin/ca.pem", headers={"X-Admin-Token": TOKEN},
                               verify=verify)  # fmt: skip
            assert answer.status_code == 200
            assert answer.headers["content-type"] == "application/x-pem-file"
            assert answer.content == (ca_dir / "ca.pem").read_bytes()


def test_no_ca_is_served_without_https() -> None:
    with MockServer(endpoints=PING) as mock:
        assert mock.https_url == "" and mock.ca_path is None
        answer = httpx.get(mock.url + "/__admin/ca.pem")
    assert answer.status_code == 404
    assert "--https-port" in answer.json()["error"]
