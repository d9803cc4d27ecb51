"""A certificate per SNI name, minted on demand, each valid under the local CA."""

from __future__ import annotations

import ipaddress
import ssl
from pathlib import Path

from cryptography import x509

from apidouble import MockServer
from apidouble.tls import load_or_create
from apidouble.tls.contexts import ServerContexts
from apidouble.tls.leaf import server_name

from .conftest import get, handshake, trusting


def _peer_certificate(tls: ssl.SSLSocket) -> x509.Certificate:
    der = tls.getpeercert(binary_form=True)
    assert der is not None
    return x509.load_der_x509_certificate(der)


def _names(certificate: x509.Certificate) -> list[str]:
    alt = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return [str(name.value) for name in alt]


def test_two_names_get_two_certificates_both_valid_under_the_ca(secure: MockServer) -> None:
    context = trusting(secure.ca_path)  # verifies the chain and the host name
    seen = {}
    for name in ("api.example.com", "billing.vendor.test"):
        with handshake(secure.https_port, context, name) as tls:
            certificate = _peer_certificate(tls)
            assert _names(certificate) == [name]
            assert get(tls).startswith(b"HTTP/1.1 200 OK")
            seen[name] = certificate
    first, second = seen.values()
    assert first.serial_number != second.serial_number
    ca = x509.load_pem_x509_certificate(Path(str(secure.ca_path)).read_bytes())
    for certificate in seen.values():
        certificate.verify_directly_issued_by(ca)


def test_a_name_asked_again_gets_the_same_certificate(secure: MockServer) -> None:
    context = trusting(secure.ca_path)
    serials = set()
    for _ in range(3):
        with handshake(secure.https_port, context, "cached.example.com") as tls:
            serials.add(_peer_certificate(tls).serial_number)
    assert len(serials) == 1


def test_no_sni_gets_the_default_certificate_for_loopback(secure: MockServer) -> None:
    context = trusting(secure.ca_path)
    context.check_hostname = False  # an address: clients send no SNI, check it ourselves
    with handshake(secure.https_port, context, None) as tls:
        names = _names(_peer_certificate(tls))
        assert tls.version() in ("TLSv1.2", "TLSv1.3")
    assert names == ["localhost", "127.0.0.1", "::1"]
    for address in ("127.0.0.1", "::1"):
        assert ipaddress.ip_address(address).compressed in names


def test_tls_1_2_is_the_least_served(secure: MockServer) -> None:
    context = trusting(secure.ca_path)
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    with handshake(secure.https_port, context, "old.example.com") as tls:
        assert tls.version() == "TLSv1.2"  # the minted context too
        assert get(tls).startswith(b"HTTP/1.1 200 OK")
    tls_contexts = secure._runtime.tls
    assert tls_contexts is not None
    served = (tls_contexts.context, tls_contexts.for_name("old.example.com"))
    assert all(c.minimum_version == ssl.TLSVersion.TLSv1_2 for c in served)


def test_an_unmintable_name_gets_the_default_certificate(tmp_path: Path) -> None:
    contexts = ServerContexts.from_ca(load_or_create(tmp_path))
    assert contexts.for_name("localhost") is contexts.context
    assert server_name("Bad Name!") is None
    assert server_name("API.Example.COM.") == "api.example.com"
    assert server_name("::1") == "::1"
    assert server_name("x" * 254) is None


def test_minted_contexts_are_bounded_least_recent_first(tmp_path: Path) -> None:
    contexts = ServerContexts.from_ca(load_or_create(tmp_path), limit=2)
    a = contexts.for_name("a.test")
    b = contexts.for_name("b.test")
    assert contexts.for_name("a.test") is a  # a is now the most recent
    contexts.for_name("c.test")  # evicts b
    assert contexts.for_name("a.test") is a
    assert contexts.for_name("b.test") is not b
