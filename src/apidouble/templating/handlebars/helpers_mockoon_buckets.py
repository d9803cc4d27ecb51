"""Mockoon's data bucket helpers: ``data``, ``dataRaw`` and ``setData`` (``set``, ``push``,
``del``, ``inc``, ``dec``, ``invert``, ``merge``), on the buckets of the served
environment's state (``helpers_mockoon_state``).

Buckets are defined by a Mockoon environment read as a ``data:`` set named ``mockoon`` or
``mockoon:...`` (its ``data`` list of ``{id, name, value}``; a bare list of buckets works
too), which the render finds in its root under ``DATA``; environments served together
share one list of buckets, in load order.

On the first use of any bucket, each value is rendered when it is a template (in bucket
order: a bucket may read those before it) and parsed as JSON (text that is not JSON
stays text), as Mockoon does at start; a template that fails leaves its error message as
the value, as there. A template that reads the request (``body``, ``queryParam``...) is
rendered by the first render that looks its bucket up, with that request (Mockoon: the
first request whose route names it). Paths are object-path's, as Mockoon's.
"""

from __future__ import annotations

import copy
import json
import math
import random
import re
from collections.abc import Mapping
from typing import Any

from ..compile import RENDER_ERRORS
from .helpers_mockoon_request import get_path, js_text
from .helpers_mockoon_state import Bucket, ServerState, filling, server_state
from .registry import Helper, arg
from .request import Root

__all__ = ["BUCKET_HELPERS", "BUCKET_NEEDS", "DATA", "DATASET"]

P = tuple[Any, ...]
H = dict[str, Any]
DATA = "@data"
"""Where a render's root holds the config's ``data:`` sets (as ``@vars`` holds ``setVar``'s)."""
DATASET = "mockoon"
"""The ``data:`` set (or prefix of sets, ``mockoon:...``) whose ``data`` list defines the
buckets."""
OPERATORS = ("push", "del", "inc", "dec", "invert", "set", "merge")
REQUEST_HELPERS = re.compile(
    r"\{{2,3}[#(~\s\w ]*((?<!\w)bodyRaw|body|method|ip|urlParam|urlParams|queryParam"
    r"|queryParamRaw|queryParams|header|headers|cookie|baseUrl|hostname)[)} ~]+"
)
"""Mockoon's test for a bucket made from the request: it is rendered when first used."""
_UNSET = object()


def _name(value: Any) -> str:
    return js_text(value)


def _definitions(root: Root) -> list[Any]:
    """The bucket definitions of every ``data:`` set named ``mockoon`` or ``mockoon:...``
    (one per environment served), in the config's order."""
    sets = root.get(DATA)
    found: list[Any] = []
    for name, given in sets.items() if isinstance(sets, Mapping) else ():
        if name == DATASET or str(name).startswith(DATASET + ":"):
            listed = given.get("data") if isinstance(given, Mapping) else given
            found.extend(listed if isinstance(listed, list) else [])
    return found


def _rendered(source: str, root: Root) -> str:
    """A bucket's template rendered once, with this render's request."""
    from ..environment import TemplateEnvironment
    from .compiler import compile_handlebars
    from .helpers_mockoon import MOCKOON_HELPERS
    from .helpers_mockoon_faker import check_faker_names

    rng = root.rng if root.rng is not None else random.Random()
    env = TemplateEnvironment(rng.getrandbits(32), data=root.get(DATA) or {})
    model = root.get("request")
    request, params = getattr(model, "_request", None), getattr(model, "_params", None)
    try:
        check_faker_names(source)
        template = compile_handlebars(env, source, MOCKOON_HELPERS)
        return str(template.run(env.context_maker(template.names)(request, params or {})))
    except RENDER_ERRORS as exc:  # anything a template raises (see RENDER_ERRORS)
        return str(exc)  # Mockoon keeps the error's message as the value


def _parsed(value: Any, root: Root, state: ServerState) -> Any:
    if not isinstance(value, str):
        return copy.deepcopy(value)
    if "{{" in value:
        token = filling.set(state)
        try:
            value = _rendered(value, root)
        finally:
            filling.reset(token)
    try:
        return json.loads(value)
    except ValueError:
        return value


def _buckets(root: Root) -> list[Bucket]:
    state = server_state(root)
    if state.buckets is None:
        state.buckets = []
        for given in _definitions(root):
            if not isinstance(given, Mapping):
                continue
            made = Bucket(str(given.get("id") or ""), str(given.get("name") or ""), "")
            value = given.get("value", "")
            if isinstance(value, str) and REQUEST_HELPERS.search(value):
                made.value, made.parsed = value, False
            else:
                made.value = _parsed(value, root, state)
            state.buckets.append(made)
    return state.buckets


def _bucket(root: Root, wanted: Any) -> Bucket | None:
    """Mockoon's ``getDataBucket``: the first whose id is ``wanted`` or whose name holds it
    (any case)."""
    target = _name(wanted)
    for bucket in _buckets(root):
        if bucket.id == target or target.lower() in bucket.name.lower():
            if not bucket.parsed:
                bucket.parsed = True
                bucket.value = _parsed(bucket.value, root, server_state(root))
            return bucket
    return None


def _read(p: P, r: Root) -> Any:
    bucket = _bucket(r, p[0]) if p else None
    if bucket is None:
        return _UNSET
    path = arg(p, 1)
    return get_path(bucket.value, path, "") if isinstance(path, str) else bucket.value


def _data(p: P, h: H, r: Root) -> Any:
    """The value printed: JSON for objects, lists and null, ``undefined`` where a
    ``setData 'del'`` took the whole value (as Mockoon prints them)."""
    if not p or _bucket(r, p[0]) is None:
        return None
    value = _read(p, r)
    if value is _UNSET:
        return "undefined"
    return "null" if value is None else js_text(value)


def _data_raw(p: P, h: H, r: Root) -> Any:
    value = _read(p, r)
    return None if value is _UNSET else value


def _keys(path: str) -> list[str]:
    if "\\." in path:
        return [part.replace("%#%", ".") for part in path.replace("\\.", "%#%").split(".")]
    return path.split(".")


def _index(key: str) -> int | None:
    return int(key) if key.isdigit() else None


def _get(value: Any, keys: list[str]) -> Any:
    """object-path's ``get``: ``_UNSET`` where nothing is."""
    for key in keys:
        if isinstance(value, dict) and key in value:
            value = value[key]
        elif isinstance(value, list) and (i := _index(key)) is not None and i < len(value):
            value = value[i]
        else:
            return _UNSET
    return value


def _put(container: Any, key: str, value: Any) -> None:
    if isinstance(container, dict):
        container[key] = value
    elif isinstance(container, list) and (i := _index(key)) is not None:
        container.extend([None] * (i + 1 - len(container)))
        container[i] = value


def _set(value: Any, keys: list[str], new: Any) -> None:
    """object-path's ``set``: missing objects on the way are made."""
    for position, key in enumerate(keys[:-1]):
        inner = _get(value, [key])
        if inner is _UNSET or inner is None:
            inner = [] if keys[position + 1].isdigit() else {}
            _put(value, key, inner)
        value = inner
    _put(value, keys[-1], new)


def _delete(value: Any, keys: list[str]) -> None:
    parent = _get(value, keys[:-1])
    if isinstance(parent, dict):
        parent.pop(keys[-1], None)
    elif isinstance(parent, list) and (i := _index(keys[-1])) is not None:
        if i < len(parent):
            del parent[i]


def _js_number(value: Any) -> float:
    """JavaScript's ``Number(value)`` (NaN where it gives NaN)."""
    if value is None:
        return 0.0
    if value is _UNSET:
        return math.nan
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        stripped = value.strip()
        if not stripped:
            return 0.0
        try:
            return float(stripped)
        except ValueError:
            return math.nan
    return math.nan


def _number(value: float) -> int | float:
    return int(value) if value.is_integer() else value


def _set_data(p: P, h: H, r: Root) -> None:
    if len(p) < 2:
        return
    operator = _name(p[0])
    operator = operator if operator in OPERATORS else "set"
    bucket = _bucket(r, p[1])
    if bucket is None:
        return
    given = arg(p, 2)
    path = "" if given is None else _name(given)
    keys = _keys(path) if path else []
    new = arg(p, 3)
    current = _get(bucket.value, keys) if keys else bucket.value
    if operator == "merge" and isinstance(current, dict) and isinstance(new, dict):
        new = {**current, **new}
        operator = "set"
    if operator in ("set", "merge"):
        _replace(bucket, keys, new)
    elif operator == "push":
        if isinstance(current, list):
            current.append(new)
    elif operator == "del":
        if keys:
            _delete(bucket.value, keys)
        else:
            bucket.value = _UNSET
    elif operator in ("inc", "dec"):
        step = _js_number(new)
        if new and math.isnan(step):
            return
        base = _js_number(current)
        if not math.isnan(base):
            sign = 1 if operator == "inc" else -1
            _replace(bucket, keys, _number(base + (step or 1) * sign))
    elif operator == "invert" and isinstance(current, bool):
        _replace(bucket, keys, not current)


def _replace(bucket: Bucket, keys: list[str], value: Any) -> None:
    if keys:
        _set(bucket.value, keys, value)
    else:
        bucket.value = value


BUCKET_NEEDS = frozenset({"random", "data"})
"""The server's random source (its state's key) and the config's ``data:`` sets (under
``DATA`` in the render's root)."""
BUCKET_HELPERS = {
    "data": Helper(_data, needs=BUCKET_NEEDS),
    "dataRaw": Helper(_data_raw, needs=BUCKET_NEEDS),
    "setData": Helper(_set_data, needs=BUCKET_NEEDS),
}
"""Part of ``MOCKOON_HELPERS``."""
