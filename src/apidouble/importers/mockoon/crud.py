"""A ``crud`` route on a data bucket -> a native CRUD resource, where one fits.

Mockoon's CRUD route answers ``GET|POST|PUT|PATCH|DELETE /path`` and ``/path/:id`` from
its bucket; the native ``resources:`` serve ``/NAME`` and ``/NAME/{id}`` the json-server
way. It fits when the route's whole path is one literal segment and the bucket holds
JSON (a list, or an object). A bucket that is a template is rendered here, once, as
Mockoon renders it once when it starts (with the seed ``GENERATED_SEED``: the same rows
on every load), and its rows are the resource's; ``docs/mockoon.md`` lists what then
differs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from apidouble.importers.mockoon.paths import prepared
from apidouble.importers.mockoon.problems import Problems
from apidouble.importers.mockoon.responses import bucket_named, objects

_NAME = re.compile(r"/([A-Za-z0-9_-]+)/?")
GENERATED_SEED = 0
"""The seed a templated bucket's rows are generated with."""


def crud_resource(
    route: Mapping[str, Any],
    pointer: str,
    prefix: str,
    buckets: Mapping[str, str],
    problems: Problems,
) -> tuple[str, dict[str, Any]] | None:
    """The resource's name and native entry; None (with a problem) when none fits."""
    responses = objects(route.get("responses"))
    default = next((r for r in responses if r.get("default")), responses[0] if responses else {})
    shown = prepared(prefix, str(route.get("endpoint") or ""))
    found = _NAME.fullmatch(shown)
    bucket = bucket_named(buckets, default)
    reason = None
    if found is None:
        reason = f"its path {shown!r} is not one literal segment"
    elif default.get("bodyType") != "DATABUCKET":
        reason = "its response is not a DATABUCKET body (Mockoon answers the body as it is)"
    elif bucket is None:
        reason = "it names no data bucket of the environment"
    rows: Any = None
    if reason is None and bucket is not None:
        try:
            rows = json.loads(generated(bucket) if "{{" in bucket else bucket)
        except ValueError as exc:
            reason = f"its data bucket is not JSON ({exc})"
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


def generated(template: str) -> str:
    """A bucket's template rendered with Mockoon's helpers, as Mockoon renders it at
    start: no request (request helpers give nothing), no other bucket's value.
    ``ValueError`` when it does not compile or render."""
    from apidouble.templating.compile import RENDER_ERRORS
    from apidouble.templating.environment import TemplateEnvironment
    from apidouble.templating.handlebars import (
        MOCKOON_HELPERS,
        check_faker_names,
        compile_handlebars,
    )

    env = TemplateEnvironment(seed=GENERATED_SEED)
    check_faker_names(template)
    compiled = compile_handlebars(env, template, MOCKOON_HELPERS)
    try:
        return str(compiled.run(env.context_maker(compiled.names)(None, {})))
    except RENDER_ERRORS as exc:
        raise ValueError(f"its template does not render: {exc}") from None
