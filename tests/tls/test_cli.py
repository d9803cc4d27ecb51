"""``apidouble ca`` and ``apidouble run --https-port`` as a user runs them (uvloop)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .conftest import trusting

APIDOUBLE = [sys.executable, "-m", "apidouble"]


def test_ca_path_prints_the_path_alone_and_makes_the_ca(tmp_path: Path) -> None:
    folder = tmp_path / "ca"
    result = subprocess.run(
        [*APIDOUBLE, "ca", "--path", "--ca-dir", str(folder)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{folder / 'ca.pem'}\n"
    assert (folder / "ca.pem").is_file()


def test_ca_says_how_to_trust_it_everywhere(tmp_path: Path) -> None:
    env = {"XDG_DATA_HOME": str(tmp_path / "data"), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([*APIDOUBLE, "ca"], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    path = tmp_path / "data" / "apidouble" / "ca" / "ca.pem"
    text = result.stdout
    assert text.startswith(f"apidouble local CA: {path}\n")
    for needle in (
        "update-ca-certificates",
        "security add-trusted-cert",
        "certutil",
        "keytool -importcert",
        f"NODE_EXTRA_CA_CERTS={path}",
        f"SSL_CERT_FILE={path}",
        f"REQUESTS_CA_BUNDLE={path}",
        "SHA-256 fingerprint: ",
    ):
        assert needle in text


def test_ca_reports_an_unusable_folder(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    result = subprocess.run(
        [*APIDOUBLE, "ca", "--ca-dir", str(tmp_path / "file" / "ca")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "cannot use the CA folder" in result.stderr


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    config = tmp_path / "api.yaml"
    config.write_text("endpoints:\n  - path: /ping\n    response: {ok: true}\n")
    folder = tmp_path / "ca"
    args = [*APIDOUBLE, "run", str(config), "--port", "0", "--https-port", "0"]
    with subprocess.Popen(
        [*args, "--ca-dir", str(folder), "--no-watch"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        try:
            assert process.stdout is not None
            plain = process.stdout.readline().split()[-1]
            secure = process.stdout.readline().split()[-1]
            yield plain, secure, folder / "ca.pem"
        finally:
            process.terminate()
            _, errors = process.communicate(timeout=30)
    assert process.returncode == 0
    assert "Traceback" not in errors


def test_run_serves_https_beside_http(served: tuple[str, str, Path]) -> None:
    plain, secure, ca = served
    assert plain.startswith("http://127.0.0.1:") and secure.startswith("https://127.0.0.1:")
    port = int(secure.rsplit(":", 1)[1])
    for garbage in (b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n", b"\x16\x03\x01\x00\x01\x00"):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            raw.sendall(garbage)
            raw.shutdown(socket.SHUT_WR)
            while raw.recv(4096):
                pass
    assert httpx.get(secure + "/ping", verify=trusting(ca)).json() == {"ok": True}
    assert httpx.get(plain + "/ping").json() == {"ok": True}
    if shutil.which("curl") is not None:
        named = secure.replace("127.0.0.1", "localhost") + "/ping"
        result = subprocess.run(
            ["curl", "-sS", "--cacert", str(ca), named], capture_output=True, text=True, timeout=30
        )
        assert result.stdout == '{"ok":true}', result.stderr


def test_run_refuses_a_certificate_without_its_key(tmp_path: Path) -> None:
    config = tmp_path / "api.yaml"
    config.write_text("endpoints: []\n")
    cert = tmp_path / "cert.pem"
    cert.write_text("")
    result = subprocess.run(
        [*APIDOUBLE, "run", str(config), "--https-port", "0", "--tls-cert", str(cert)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "--tls-cert and --tls-key together" in result.stderr


def test_workers_share_the_https_port(tmp_path: Path) -> None:
    config = tmp_path / "api.yaml"
    config.write_text("endpoints:\n  - path: /ping\n    response: {ok: true}\n")
    folder = tmp_path / "ca"
    args = [*APIDOUBLE, "run", str(config), "--port", "0", "--https-port", "0", "--no-watch"]
    with subprocess.Popen(
        [*args, "--workers", "2", "--ca-dir", str(folder)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        try:
            assert process.stdout is not None
            process.stdout.readline()
            secure = process.stdout.readline().split()[-1]
            assert secure.startswith("https://127.0.0.1:")
            with httpx.Client(verify=trusting(folder / "ca.pem")) as client:
                for _ in range(4):  # new connections: the kernel spreads them
                    answer = client.get(secure + "/ping", headers={"Connection": "close"})
                    assert answer.json() == {"ok": True}
        finally:
            process.terminate()
            process.communicate(timeout=30)
    assert process.returncode == 0
