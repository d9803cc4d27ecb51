"""``--tls-cert``/``--tls-key``: every client gets the given certificate; no CA is minted."""

from __future__ import annotations

import datetime
import ssl
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from apidouble import MockServer
from apidouble.tls import TlsError

from .conftest import PING, handshake


def _self_signed(folder: Path, name: str) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / f"{name}.pem", folder / f"{name}-key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def test_the_given_certificate_is_served_for_every_name(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path, "mock.internal")
    with MockServer(endpoints=PING, https=True, tls_cert=str(cert), tls_key=str(key)) as mock:
        assert mock.ca_path is None
        context = ssl.create_default_context(cafile=str(cert))
        for name in ("mock.internal", "other.example.com"):
            context.check_hostname = name == "mock.internal"
            with handshake(mock.https_port, context, name) as tls:
                der = tls.getpeercert(binary_form=True)
            assert der == x509.load_pem_x509_certificate(cert.read_bytes()).public_bytes(
                serialization.Encoding.DER
            )
        answer = httpx.get(mock.https_url + "/ping", verify=context)
        assert answer.json() == {"ok": True}
        assert mock.requests.find(path="/ping")[0]["notes"] == ["https"]
        assert httpx.get(mock.url + "/__admin/ca.pem").status_code == 404


def test_a_key_that_does_not_fit_is_refused_at_start(tmp_path: Path) -> None:
    cert, _ = _self_signed(tmp_path, "one.test")
    _, other_key = _self_signed(tmp_path, "two.test")
    with pytest.raises(TlsError, match="cannot use --tls-cert"):
        MockServer(endpoints=PING, https=True, tls_cert=str(cert), tls_key=str(other_key))


def test_a_certificate_needs_its_key(tmp_path: Path) -> None:
    cert, _ = _self_signed(tmp_path, "one.test")
    with pytest.raises(TlsError, match="together"):
        MockServer(endpoints=PING, https=True, tls_cert=str(cert))
