"""``POST /__admin/resources/reset``: the json-server database's data as its file has it,
every write since forgotten."""

from __future__ import annotations

from collections.abc import Callable

from ..compiled import CompiledConfig
from ..model import Request
from ..outcome import Outcome, Respond
from ..responses import json_response

RESOURCES_RESET_PATH = "/__admin/resources/reset"


class ResourcesResetRoute:
    """Resets the database of the config being served (``served`` reads it)."""

    def __init__(self, served: Callable[[], CompiledConfig]) -> None:
        self.served = served

    def __call__(self, request: Request) -> Outcome:
        resources = self.served().resources
        if resources is None:
            body = {"error": "no json-server database is served"}
            return Respond(json_response(404, body))
        resources.reset()
        return Respond(json_response(200, {"reset": True, "resources": list(resources.names)}))
