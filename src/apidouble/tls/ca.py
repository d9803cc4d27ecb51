"""The local certificate authority: created once per user, reused by every run.

Clients trust one file (``ca.pem``) once, and every leaf this CA signs is then valid,
whatever name a client asks for. The key is an ECDSA P-256 key (fast to sign with, so
leaves can be minted during a handshake); it is written with mode 0600, the certificate
with 0644, each atomically. A lock file serialises creation between processes that start
at the same time (``--workers``, parallel test runs).
"""

from __future__ import annotations

import contextlib
import datetime
import getpass
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from ..atomic import write_atomically
from ..errors import ApidoubleError

CA_CERT = "ca.pem"
CA_KEY = "ca-key.pem"
CA_YEARS = 10

SigningKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


class TlsError(ApidoubleError, ValueError):
    """A certificate, key or CA folder that cannot be used; the message says which."""


def default_ca_dir() -> Path:
    """``$XDG_DATA_HOME/apidouble/ca``, or ``~/.local/share/apidouble/ca`` (the XDG
    default; a relative ``XDG_DATA_HOME`` is ignored, as the spec says)."""
    base = os.environ.get("XDG_DATA_HOME", "")
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".local" / "share"
    return root / "apidouble" / "ca"


@dataclass(frozen=True, slots=True)
class LocalCA:
    """The CA's certificate and key, and where they are kept."""

    folder: Path
    certificate: x509.Certificate
    key: SigningKey

    @property
    def cert_path(self) -> Path:
        return self.folder / CA_CERT

    @property
    def pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the certificate, as ``AB:CD:...`` (what browsers and keytool show)."""
        return self.certificate.fingerprint(hashes.SHA256()).hex(":").upper()


def load_or_create(folder: Path | None = None) -> LocalCA:
    """The CA kept in ``folder`` (default: ``default_ca_dir()``), created there first if
    it holds none."""
    folder = folder if folder is not None else default_ca_dir()
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        with _locked(folder):
            if (folder / CA_CERT).exists():  # written last: the key is there too
                return _load(folder)
            return _create(folder)
    except OSError as exc:
        raise TlsError(f"cannot use the CA folder {folder}: {exc}") from exc


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """An exclusive lock on ``folder/.lock`` where the platform has ``flock``."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock; creation is still atomic per file
        yield
        return
    with open(folder / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _load(folder: Path) -> LocalCA:
    cert_file, key_file = folder / CA_CERT, folder / CA_KEY
    try:
        certificate = x509.load_pem_x509_certificate(cert_file.read_bytes())
        key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise TlsError(
            f"the CA in {folder} is unreadable ({exc}); remove {cert_file.name} and"
            f" {key_file.name} to make a new one (clients must trust it again)"
        ) from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise TlsError(f"{key_file}: the CA key must be an EC or RSA key")
    if _spki(certificate.public_key()) != _spki(key.public_key()):
        raise TlsError(f"{cert_file} and {key_file} do not belong together")
    return LocalCA(folder, certificate, key)


def _spki(public: Any) -> bytes:
    return bytes(
        public.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def _create(folder: Path) -> LocalCA:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "apidouble local CA"),
            x509.NameAttribute(NameOID.COMMON_NAME, _common_name()),
        ]
    )
    now = datetime.datetime.now(datetime.UTC)
    public = key.public_key()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365 * CA_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    write_atomically(folder / CA_KEY, key_pem)  # mkstemp: 0600, kept by the rename
    cert_file = folder / CA_CERT
    write_atomically(cert_file, certificate.public_bytes(serialization.Encoding.PEM))
    cert_file.chmod(0o644)
    return LocalCA(folder, certificate, key)


def _common_name() -> str:
    """``apidouble CA user@host``: which machine's CA a trust store holds (as mkcert)."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "user"
    return f"apidouble CA {user}@{socket.gethostname()}"[:64]
