"""An example apidouble plugin: one extension of each kind, around HMAC-SHA256 signatures.

- ``signer`` (``apidouble.addons``): signs every response body in a header;
- ``hmac_sha256`` and ``body_sha256`` (``apidouble.matchers``): a value operator that
  accepts ``PAYLOAD.SIGNATURE`` tokens signed with a secret, and a body operator on the
  body's digest;
- ``signed_token`` and ``hmac_hex`` (``apidouble.helpers``): a template global that makes
  such tokens and a filter that signs a value;
- ``mockfile`` (``apidouble.importers``): converts ``{"mockfile": 1, "routes": [...]}``.
"""

from apidouble_example.signing import sign, signed, verify

__all__ = ["sign", "signed", "verify"]
