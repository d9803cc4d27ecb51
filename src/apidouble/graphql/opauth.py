"""An ``operations:`` stub's own ``auth``: what the request must present for that
operation, on top of the entry's, in the endpoints' shape (``auth.requirement``).

Load time parses the requirement and compiles its ``Guard`` (``auth.guard``); serve time
asks the guard about the HTTP request (over WebSocket, the upgrade request) and turns a
refusal into the GraphQL-over-HTTP form: ``{"errors": [...]}`` with the guard's status
and ``WWW-Authenticate`` challenges, the code ``UNAUTHENTICATED`` (401), ``FORBIDDEN``
(403) or ``BAD_REQUEST`` (400), and the guard's ``error`` and description.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..auth.guard import Admission, Guard, compile_guard
from ..auth.requirement import AnyOf, JwtRequirement, Requirement, parse_requirement
from ..auth.verify import KeySource
from ..model import Request
from ..outcome import Response

__all__ = ["OperationAuth", "Refused"]

_CODES = {401: "UNAUTHENTICATED", 403: "FORBIDDEN", 400: "BAD_REQUEST"}
_NOBODY = Request("POST", "/", "", ())
"""Who asks when there is no request (a bare service): someone with no credentials."""


@dataclass(frozen=True, slots=True)
class Refused:
    """An operation the guard refused: its body, HTTP status and challenge headers."""

    body: dict[str, Any]
    status: int
    headers: tuple[tuple[str, str], ...]
    error: str
    """The guard's ``error`` (``unauthorized``, ``invalid_token``, ``insufficient_scope``...)."""


@dataclass(frozen=True, slots=True)
class OperationAuth:
    """One stub's requirement and the guard that enforces it."""

    requirement: Requirement
    guard: Guard

    @classmethod
    def from_config(
        cls, value: Any, issuers: Mapping[str, KeySource] | None = None
    ) -> OperationAuth | None:
        """An ``auth`` value as endpoints take it (``false``: nothing of its own); a
        ValueError starting with the key path when it is wrong. ``issuers`` are the
        server's local issuers' keys; without them a jwt requirement must give ``jwks``."""
        requirement = parse_requirement(value, "auth")
        if requirement is None:
            return None
        if issuers is None and _names_local_issuer(requirement):
            raise ValueError(
                "auth.jwt.issuer: an operation cannot name a local issuer yet; give jwks"
                " (a JWKS file or URL), basic or api_key, or put auth on the graphql entry"
            )
        return cls(requirement, compile_guard(requirement, issuers or {}, None))

    def admit(self, request: Request | None) -> Admission | Refused:
        found = self.guard.admit(request or _NOBODY)
        return found if isinstance(found, Admission) else _refused(found)


def _names_local_issuer(requirement: Requirement) -> bool:
    if isinstance(requirement, AnyOf):
        return any(_names_local_issuer(option) for option in requirement.options)
    return isinstance(requirement, JwtRequirement) and requirement.jwks is None


def _refused(response: Response) -> Refused:
    """The guard's ready answer read back: its JSON body and its challenge lines."""
    answer = json.loads(response.body)
    error = str(answer.get("error") or "unauthorized")
    description = str(answer.get("error_description") or error)
    challenges = tuple(
        ("www-authenticate", value.strip())
        for name, _, value in (
            line.partition(":") for line in response.head.decode("latin-1").split("\r\n")[1:]
        )
        if name.strip().lower() == "www-authenticate"
    )
    code = _CODES.get(response.status, "UNAUTHENTICATED")
    extensions = {"code": code, "error": error}
    body = {"errors": [{"message": description, "extensions": extensions}]}
    return Refused(body, response.status, challenges, error)
