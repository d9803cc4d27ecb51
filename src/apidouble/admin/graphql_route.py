"""``POST /__admin/graphql/publish``: an event for the GraphQL subscriptions running on a
path, over ``graphql-transport-ws``.

``{"path": "/graphql", "field": "priceChanged", "data": {...}}`` sends ``next`` with that
``data`` (and/or ``errors``) to every subscription on the path whose root field is
``field`` (every one when it is left out); ``"complete": true`` ends them after it (or
alone). The answer says how many it reached. A stub with ``hold: true`` keeps its
subscriptions open for these.
"""

from __future__ import annotations

from typing import Any

from ..model import Request
from ..outcome import Outcome, Respond
from ..realtime.websocket import Hub
from ..responses import json_response

PUBLISH_PATH = "/__admin/graphql/publish"

_KEYS = frozenset({"path", "field", "data", "errors", "complete"})


class PublishRoute:
    """Publishes one event to the GraphQL sessions on a path through the hub."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    def __call__(self, request: Request) -> Outcome:
        body: Any = request.json
        if not isinstance(body, dict) or not isinstance(body.get("path"), str):
            return _bad("send a JSON object with path (a string) and data, errors or complete")
        if unknown := sorted(body.keys() - _KEYS):
            return _bad(
                f"unknown key(s): {', '.join(unknown)} (it takes {', '.join(sorted(_KEYS))})"
            )
        field = body.get("field")
        if field is not None and not isinstance(field, str):
            return _bad("field must be a string: the subscription's root field")
        errors = body.get("errors")
        if errors is not None and not (
            isinstance(errors, list) and errors and all(isinstance(e, dict) for e in errors)
        ):
            return _bad("errors must be a list of error objects")
        complete = body.get("complete", False)
        if not isinstance(complete, bool):
            return _bad("complete must be true or false")
        payload: dict[str, Any] | None = None
        if "data" in body or errors is not None:
            payload = {"data": body.get("data")} if "data" in body else {}
            if errors is not None:
                payload["errors"] = errors
        if payload is None and not complete:
            return _bad("nothing to publish: give data, errors or complete: true")
        from ..graphql.socket import GraphQLSession  # here: only a publish pays for graphql

        reached = sum(
            session.publish(field, payload, complete)
            for session in self.hub.sessions(body["path"])
            if isinstance(session, GraphQLSession)
        )
        return Respond(json_response(200, {"reached": reached}))


def _bad(message: str) -> Outcome:
    return Respond(json_response(400, {"error": message}))
