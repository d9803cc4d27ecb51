"""``--proxy-pass-through``: a proxied request no stub matches goes on to the host it names.

The engine asks ``PassThrough`` for the upstream of each unmatched request (its
``pass_through``). A tunneled request goes to ``https://host:port`` of its CONNECT; a
plain one to ``http://`` and its ``Host``, unless that names apidouble itself (a request
made to the mock directly, not through it). The forwarded request carries a ``Via``
naming this instance (RFC 9110 §7.6.3), and a request that already carries it is never
passed through again: a host that leads back here can't make a loop.
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Collection, Mapping
from typing import Any

from ..model import Request
from ..tls.marks import Peer

_ANY_ADDRESS = ("0.0.0.0", "::", "")


def _is_loopback(name: str) -> bool:
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name.strip("[]")).is_loopback
    except ValueError:
        return False


class PassThrough:
    """The upstream of a proxied request (``Engine.pass_through``)."""

    __slots__ = ("tunnels", "host", "ports", "via")

    def __init__(self, tunnels: Mapping[Peer, str], host: str = "127.0.0.1") -> None:
        self.tunnels = tunnels
        """``host:port`` of the open CONNECT tunnels, by client address."""
        self.host = host
        """The address apidouble listens on."""
        self.ports: Collection[int] = ()
        """Its ports, once bound: a ``Host`` naming one of them on this machine is itself."""
        self.via = f"1.1 apidouble-{secrets.token_hex(4)}"

    def __call__(self, request: Request) -> tuple[str, dict[str, Any]] | None:
        client = request.client
        target = self.tunnels.get(client) if client is not None else None
        if target is not None:
            upstream = f"https://{target}"
        else:
            authority = request.header("host")
            if not authority or self.is_own(authority):
                return None
            upstream = f"http://{authority}"
        via = request.header_values("via") or []
        if any(self.via in value for value in via):
            return None  # it came back: answered here, not sent round again
        return upstream, {"add_headers": {"Via": ", ".join((*via, self.via))}}

    def is_own(self, authority: str) -> bool:
        """Whether ``Host: authority`` names this server (a request sent to it directly)."""
        if authority.startswith("["):
            name, _, rest = authority.partition("]")
            name, port = name + "]", rest.removeprefix(":")
        else:
            name, _, port = authority.partition(":")
        number = int(port) if port.isdigit() else 80
        if number not in self.ports:
            return False
        name = name.lower()
        return self.host in _ANY_ADDRESS or _is_loopback(name) or name == self.host.lower()
