"""mTLS: ``--tls-client-ca`` with ``--tls-client-auth required|optional``; the client
certificate's subject and SANs reach matchers, templates and the journal."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from apidouble import MockServer
from apidouble.tls import TlsError

from .conftest import get, handshake

SUBJECT = "CN=alice,O=Example Corp"
SANS = "DNS:alice.example, URI:spiffe://example/alice, IP:10.0.0.7"
ENDPOINTS = [
    {
        "path": "/whoami",
        "response": {
            "subject": "{{ request.headers['x-client-cert-subject'] | default('none') }}",
            "sans": "{{ request.headers['x-client-cert-san'] | default('none') }}",
        },
    },
    {
        "path": "/alice-only",
        "match": {"headers": {"x-client-cert-subject": {"contains": "CN=alice"}}},
        "response": {"hello": "alice"},
    },
]


@dataclass
class Pki:
    ca: Path
    cert: Path
    key: Path
    stranger_cert: Path
    stranger_key: Path


def _name(**parts: str) -> x509.Name:
    oids = {"CN": NameOID.COMMON_NAME, "O": NameOID.ORGANIZATION_NAME}
    return x509.Name([x509.NameAttribute(oids[k], v) for k, v in parts.items()])


Key = ec.EllipticCurvePrivateKey


def _issue(
    folder: Path,
    label: str,
    subject: x509.Name,
    issuer: x509.Name,
    signer: Key,
    key: Key,
    ca: bool,
    sans: list[x509.GeneralName] | None = None,
) -> Path:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    path = folder / f"{label}.pem"
    path.write_bytes(builder.sign(signer, hashes.SHA256()).public_bytes(serialization.Encoding.PEM))
    return path


def _key(folder: Path, label: str) -> tuple[ec.EllipticCurvePrivateKey, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    path = folder / f"{label}-key.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return key, path


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    """A client CA of the test's own, a client it signed, and one a stranger CA signed."""
    ca_key, _ = _key(tmp_path, "ca")
    ca_name = _name(CN="Test Client CA")
    ca = _issue(tmp_path, "ca", ca_name, ca_name, ca_key, ca_key, True)
    key, key_path = _key(tmp_path, "alice")
    sans: list[x509.GeneralName] = [
        x509.DNSName("alice.example"),
        x509.UniformResourceIdentifier("spiffe://example/alice"),
        x509.IPAddress(ipaddress.ip_address("10.0.0.7")),
    ]
    cert = _issue(tmp_path, "alice", _name(O="Example Corp", CN="alice"), ca_name, ca_key, key,
                  False, sans)  # fmt: skip
    other_key, _ = _key(tmp_path, "other-ca")
    other_name = _name(CN="Other CA")
    stranger_key, stranger_key_path = _key(tmp_path, "mallory")
    stranger = _issue(tmp_path, "mallory", _name(CN="mallory"), other_name, other_key,
                      stranger_key, False)  # fmt: skip
    return Pki(ca, cert, key_path, stranger, stranger_key_path)


def _client(server: MockServer, pki: Pki, cert: Path | None, key: Path | None) -> ssl.SSLContext:
    assert server.ca_path is not None
    context = ssl.create_default_context(cafile=str(server.ca_path))
    if cert is not None:
        context.load_cert_chain(cert, key)
    return context


@pytest.fixture
def required(pki: Pki, ca_dir: Path, loop_kind: str) -> Iterator[MockServer]:
    with MockServer(endpoints=ENDPOINTS, https=True, ca_dir=str(ca_dir),
                    tls_client_ca=str(pki.ca)) as server:  # fmt: skip
        yield server


def test_required_refuses_a_client_without_a_certificate(required: MockServer, pki: Pki) -> None:
    for cert, key in ((None, None), (pki.stranger_cert, pki.stranger_key)):
        context = _client(required, pki, cert, key)
        try:  # TLS 1.3: the refusal (an alert) comes after the client's Finished
            with handshake(required.https_port, context, "localhost") as tls:
                answer = get(tls, "/whoami")
        except (ssl.SSLError, ConnectionError):
            answer = b""
        assert answer == b""
    assert required.requests.find(path="/whoami") == []


@pytest.mark.parametrize("http2", [False, True])
def test_the_certificate_reaches_templates_matchers_and_the_journal(
    required: MockServer, pki: Pki, http2: bool
) -> None:
    context = _client(required, pki, pki.cert, pki.key)
    base = required.https_url.replace("127.0.0.1", "localhost")
    with httpx.Client(verify=context, http2=http2) as client:
        answer = client.get(base + "/whoami", headers={"X-Client-Cert-Subject": "CN=forged"})
        assert answer.http_version == ("HTTP/2" if http2 else "HTTP/1.1")
        assert answer.json() == {"subject": SUBJECT, "sans": SANS}
        assert client.get(base + "/alice-only").json() == {"hello": "alice"}
    entry = required.requests.find(path="/whoami")[0]
    assert f"client-cert={SUBJECT}" in entry["notes"]
    assert ["x-client-cert-subject", SUBJECT] in entry["headers"]
    assert ["x-client-cert-san", SANS] in entry["headers"]
    assert not any(value == "CN=forged" for _, value in entry["headers"])  # dropped


def test_optional_serves_clients_with_and_without_one(pki: Pki, ca_dir: Path) -> None:
    with MockServer(endpoints=ENDPOINTS, https=True, ca_dir=str(ca_dir),
                    tls_client_ca=str(pki.ca), tls_client_auth="optional") as mock:  # fmt: skip
        anonymous = _client(mock, pki, None, None)
        answer = httpx.get(mock.https_url + "/whoami", verify=anonymous,
                           headers={"x-client-cert-subject": "CN=forged"})  # fmt: skip
        assert answer.json() == {"subject": "none", "sans": "none"}
        assert httpx.get(mock.https_url + "/alice-only", verify=anonymous).status_code == 404
        known = _client(mock, pki, pki.cert, pki.key)
        assert httpx.get(mock.https_url + "/whoami", verify=known).json()["subject"] == SUBJECT
        with pytest.raises(httpx.TransportError):  # sent, so verified: a stranger's fails
            httpx.get(mock.https_url + "/whoami", verify=_client(mock, pki, pki.stranger_cert,
                                                                 pki.stranger_key))  # fmt: skip
        notes = [entry["notes"] for entry in reversed(mock.requests.find(path="/whoami"))]
    assert notes == [["https"], ["https", f"client-cert={SUBJECT}"]]


def test_bad_client_auth_settings_are_refused_at_start(pki: Pki, ca_dir: Path) -> None:
    with pytest.raises(TlsError, match="required or optional"):
        MockServer(https=True, ca_dir=str(ca_dir), tls_client_ca=str(pki.ca),
                   tls_client_auth="sometimes")  # fmt: skip
    with pytest.raises(TlsError, match="cannot use --tls-client-ca"):
        MockServer(https=True, ca_dir=str(ca_dir), tls_client_ca=str(pki.key))
    with pytest.raises(TlsError, match="add --https-port"):
        MockServer(tls_client_ca=str(pki.ca))


def test_the_cli_flags(pki: Pki, ca_dir: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "apidouble", "run", "--help"],
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert "--tls-client-ca" in result.stdout and "--tls-client-auth" in result.stdout
    assert "--no-http2" in result.stdout
