"""``GET /__admin/ca.pem``: the local CA's certificate, for clients to trust.

Served behind the admin token like every control route. A server whose HTTPS uses the
given ``--tls-cert`` (or that serves no HTTPS) has no CA of its own to hand out: 404,
saying so. The answer is built once, when the route is made.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..model import Request
from ..outcome import Outcome, Respond, Response
from ..responses import json_response

if TYPE_CHECKING:
    from ..tls.ca import LocalCA  # cryptography: imported only where HTTPS is served

CA_PATH = "/__admin/ca.pem"
PEM_TYPE = "application/x-pem-file"


class CaRoute:
    """Answers with ``ca``'s certificate in PEM, or 404 when there is none."""

    __slots__ = ("_answer",)

    def __init__(self, ca: LocalCA | None) -> None:
        if ca is None:
            body = {
                "error": "no local CA in use: start with --https-port and without --tls-cert"
                " (apidouble ca prints the CA's path)"
            }
            self._answer = Respond(json_response(404, body))
        else:
            headers = [
                ("content-type", PEM_TYPE),
                ("content-disposition", 'attachment; filename="apidouble-ca.pem"'),
            ]
            self._answer = Respond(Response.build(200, headers, ca.pem))

    def __call__(self, request: Request) -> Outcome:
        return self._answer
