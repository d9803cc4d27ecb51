"""The ``signer`` addon: every response leaves with a signature of its body.

Use it in a config: ``addons: [{use: signer, options: {secret: s3cret}}]``.
"""

from __future__ import annotations

from apidouble.addons.flow import Flow
from apidouble_example.signing import sign


class Signer:
    """Adds ``header`` (``X-Signature`` by default): the body's HMAC-SHA256 with ``secret``."""

    def __init__(self, secret: str, header: str = "X-Signature") -> None:
        self.secret = secret
        self.header = header

    def response(self, flow: Flow) -> None:
        if flow.response is not None:
            flow.response.set_header(self.header, sign(self.secret, flow.response.body))
