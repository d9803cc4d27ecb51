"""Leaf certificates signed by the local CA, for the names a client asks for.

One ECDSA P-256 key per process serves every leaf (a fresh key per name would only cost
time); a leaf is valid for 397 days at most (what browsers accept for a server
certificate) and never past the CA. Minting is one signature: quick enough to run inside
the handshake that asked for the name.
"""

from __future__ import annotations

import datetime
import ipaddress
import re
from collections.abc import Sequence

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .ca import LocalCA

LEAF_DAYS = 397
DEFAULT_NAMES = ("localhost", "127.0.0.1", "::1")
"""What the certificate served without SNI (or for these names) is valid for."""

_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_HOSTNAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")


def server_name(sent: str) -> str | None:
    """The name a client sent in SNI, normalised (lower case, no trailing dot), or None
    when no certificate can be made for it (not a host name or an address)."""
    name = sent.lower().rstrip(".")
    if not name or len(name) > 253:
        return None
    try:
        return str(ipaddress.ip_address(name))
    except ValueError:
        pass
    return name if _HOSTNAME.fullmatch(name) else None


def _alt_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


class LeafMinter:
    """Signs leaf certificates for names with the CA; one private key for all of them."""

    __slots__ = ("_ca", "_key", "_key_pem")

    def __init__(self, ca: LocalCA) -> None:
        self._ca = ca
        self._key = ec.generate_private_key(ec.SECP256R1())
        self._key_pem = self._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def certificate(self, names: Sequence[str]) -> x509.Certificate:
        """A server certificate valid for ``names`` (host names or IP addresses)."""
        ca = self._ca.certificate
        now = datetime.datetime.now(datetime.UTC)
        until = min(now + datetime.timedelta(days=LEAF_DAYS), ca.not_valid_after_utc)
        subject = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "apidouble")]
        if len(names[0]) <= 64:  # the longest a common name may be
            subject.append(x509.NameAttribute(NameOID.COMMON_NAME, names[0]))
        public = self._key.public_key()
        ca_key = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        return (
            x509.CertificateBuilder()
            .subject_name(x509.Name(subject))
            .issuer_name(ca.subject)
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(until)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.SubjectAlternativeName([_alt_name(name) for name in names]), critical=False
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_key),
                critical=False,
            )
            .sign(self._ca.key, hashes.SHA256())
        )

    def chain_pem(self, names: Sequence[str]) -> bytes:
        """The leaf for ``names``, then its key: what ``SSLContext.load_cert_chain`` reads."""
        leaf = self.certificate(names).public_bytes(serialization.Encoding.PEM)
        return leaf + self._key_pem
