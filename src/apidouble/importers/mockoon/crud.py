"""A ``crud`` route on a data bucket -> a native CRUD resource, where one fits.

Mockoon's CRUD route answers ``GET|POST|PUT|PATCH|DELETE /path`` and ``/path/:id`` from
its bucket; the native ``resources:`` serve ``/NAME`` and ``/NAME/{id}`` the json-server
way. It fits when the route's whole path is one literal segment and the bucket holds
plain JSON (a list, or an object); ``docs/mockoon.md`` lists what then differs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from apidouble.importers.mockoon.paths import prepared
from apidouble.importers.mockoon.problems import Problems

_NAME = re.compile(r"/([A-Za-z0-9_-]+)/?")


def crud_resource(
    route: Mapping[str, Any],
    pointer: str,
    prefix: str,
    buckets: Mapping[str, str],
    problems: Problems,
) -> tuple[str, dict[str, Any]] | None:
    """The resource's name and native entry; None (with a problem) when none fits."""
    responses = [r for r in route.get("responses") or [] if isinstance(r, dict)]
    default = next((r for r in responses if r.get("default")), responses[0] if responses else {})
    shown = prepared(prefix, str(route.get("endpoint") or ""))
    found = _NAME.fullmatch(shown)
    bucket = buckets.get(str(default.get("databucketID") or ""))
    reason = None
    if found is None:
        reason = f"its path {shown!r} is not one literal segment"
    elif bucket is None:
        reason = "it names no data bucket of the environment"
    elif "{{" in bucket:
        reason = "its data bucket is a template (generated rows: not yet)"
    rows: Any = None
    if reason is None and bucket is not None:
        try:
            rows = json.loads(bucket)
        except ValueError:
            reason = "its data bucket is not JSON"
        else:
            if not isinstance(rows, list | dict):
                reason = "its data bucket is neither a list nor an object"
    if reason is not None or found is None:
        problems.add(f"a CRUD route not served: {reason}", pointer, route)
        return None
    if any(r.get("rules") for r in responses):
        problems.add("the responses with rules of a CRUD route: not yet", pointer, route)
    entry: dict[str, Any] = {"data": rows}
    key = str(default.get("crudKey") or "id")
    if key != "id":
        entry["id"] = key
    return found.group(1), entry
