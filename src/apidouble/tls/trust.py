"""What ``apidouble ca`` prints: where the local CA is, and how each client trusts it."""

from __future__ import annotations

from .ca import LocalCA


def trust_instructions(ca: LocalCA) -> str:
    """The CA's path and fingerprint, then one recipe per trust store."""
    path = ca.cert_path
    return f"""\
apidouble local CA: {path}
SHA-256 fingerprint: {ca.fingerprint}

Trust it once; every certificate apidouble serves over HTTPS is then valid.

Debian, Ubuntu (system store; curl, wget, most tools):
  sudo cp {path} /usr/local/share/ca-certificates/apidouble-ca.crt
  sudo update-ca-certificates

macOS (system keychain; Safari, Chrome, curl):
  sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain {path}

Firefox, and Chrome on Linux (NSS; certutil is in libnss3-tools):
  certutil -d sql:$HOME/.pki/nssdb -A -t "C,," -n apidouble -i {path}
  (Firefox: use the profile folder for -d, or Settings > Certificates > Import)

Java (a keystore; run with -Djavax.net.ssl.trustStore=apidouble.jks):
  keytool -importcert -noprompt -alias apidouble -file {path} \\
    -keystore apidouble.jks -storepass changeit

One process at a time, no system change:
  NODE_EXTRA_CA_CERTS={path}   # Node.js
  SSL_CERT_FILE={path}         # OpenSSL-based tools, Python's ssl, httpx
  REQUESTS_CA_BUNDLE={path}    # Python requests
  curl --cacert {path} https://localhost:8443/

The key beside it ({ca.folder / "ca-key.pem"}) signs for any name: keep it private.
To start over, remove the folder; clients must then trust the new CA.
"""
