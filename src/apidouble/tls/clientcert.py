"""mTLS: the client certificate a handshake verified, and how requests carry it.

Read once per connection (``--tls-client-ca``), from the DER the handshake verified.
Stubs see it as request headers set by the server, as a TLS-terminating proxy (nginx's
``$ssl_client_s_dn``, Envoy's ``x-forwarded-client-cert``) hands it to the service
behind: ``x-client-cert-subject`` (RFC 4514, ``CN=alice,O=Example``) and
``x-client-cert-san`` (``DNS:alice.example, URI:spiffe://example/alice``). So matchers
(``headers:``) and templates (``request.headers['x-client-cert-subject']``) need nothing
new, and the journal keeps them with the request. A client's own headers of those names
are dropped, so none can claim a certificate it did not present.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from ..model import Request

SUBJECT_HEADER: Final = "x-client-cert-subject"
SAN_HEADER: Final = "x-client-cert-san"
_PREFIX: Final = "x-client-cert-"


@dataclass(frozen=True, slots=True)
class ClientCert:
    """What a verified client certificate says about its holder."""

    subject: str
    """The subject as an RFC 4514 string (``CN=alice,O=Example``)."""
    sans: tuple[str, ...] = ()
    """The subject alternative names, typed as OpenSSL prints them (``DNS:a.example``)."""

    @classmethod
    def from_der(cls, der: bytes) -> ClientCert:
        from cryptography import x509  # only on a listener that asks for certificates

        cert = x509.load_der_x509_certificate(der)
        try:
            names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        except x509.ExtensionNotFound:
            return cls(cert.subject.rfc4514_string())
        sans: list[str] = []
        for name in names:
            if isinstance(name, x509.DNSName):
                sans.append(f"DNS:{name.value}")
            elif isinstance(name, x509.UniformResourceIdentifier):
                sans.append(f"URI:{name.value}")
            elif isinstance(name, x509.RFC822Name):
                sans.append(f"email:{name.value}")
            elif isinstance(name, x509.IPAddress):
                sans.append(f"IP:{name.value}")
        return cls(cert.subject.rfc4514_string(), tuple(sans))

    @property
    def note(self) -> str:
        """The journal's note: ``client-cert=CN=alice``."""
        return f"client-cert={self.subject}"


def with_client_cert(request: Request, cert: ClientCert | None) -> Request:
    """``request`` with the certificate's headers (and none the client sent itself)."""
    headers = request.headers
    own = [(n, v) for n, v in headers if not n.lower().startswith(_PREFIX)]
    if cert is None:
        if len(own) == len(headers):
            return request
        return request.replace(headers=tuple(own))
    own.append((SUBJECT_HEADER, cert.subject))
    if cert.sans:
        own.append((SAN_HEADER, ", ".join(cert.sans)))
    return request.replace(headers=tuple(own))
