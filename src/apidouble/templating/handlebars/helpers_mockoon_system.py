"""Mockoon's system, token and query helpers: ``getEnvVar``, ``jwtHeader``,
``jwtPayload``, ``jmesPath``.

``{{getEnvVar 'NAME' 'default'}}`` reads the server's environment variable
``MOCKOON_NAME`` (the name gets mockoon-cli's default ``--env-vars-prefix``,
``MOCKOON_``, unless it starts with it), so a template sees only the variables meant for
it. ``{{jwtPayload token 'key'}}`` and ``{{jwtHeader token 'key'}}`` decode a JWT's
payload or header (``Bearer `` removed) without checking its signature, as Mockoon does:
the whole object, or one top-level key; a token that does not decode gives nothing.
``{{jmesPath data 'expression' 'default'}}`` queries an object or array with JMESPath
(the community edition, as ``@jmespath-community/jmespath`` in Mockoon: the ``mockoon``
extra); a bad expression or no match gives the default, and anything but an object or
array comes back as it is.
"""

from __future__ import annotations

import base64
import json
import os
import re
from typing import Any

from .helpers_mockoon_request import js_text
from .registry import Helper, arg
from .request import Root

__all__ = ["ENV_PREFIX", "SYSTEM_HELPERS"]

P = tuple[Any, ...]
H = dict[str, Any]
ENV_PREFIX = "MOCKOON_"
"""``defaultEnvironmentVariablesPrefix`` of ``@mockoon/commons`` 9.9."""
_NOT_BASE64 = re.compile(r"[^A-Za-z0-9+/]")


def _env_var(p: P, h: H, r: Root) -> Any:
    if not p:
        return None
    name = js_text(p[0])
    if not name.startswith(ENV_PREFIX):
        name = ENV_PREFIX + name
    default = arg(p, 1)
    return os.environ.get(name, "" if default is None else default)


def _node_base64(part: str) -> bytes:
    """``Buffer.from(part, 'base64')``: either alphabet, up to the first ``=``, other
    characters skipped."""
    kept = _NOT_BASE64.sub("", part.split("=", 1)[0].replace("-", "+").replace("_", "/"))
    kept = kept[: len(kept) - len(kept) % 4] if len(kept) % 4 == 1 else kept
    return base64.b64decode(kept + "=" * (-len(kept) % 4))


def _jwt(index: int) -> Any:
    def run(p: P, h: H, r: Root) -> Any:
        token = arg(p, 0)
        if not isinstance(token, str):
            return None
        parts = token.removeprefix("Bearer ").split(".")
        if index >= len(parts):
            return None
        try:
            decoded = json.loads(_node_base64(parts[index]).decode("utf-8", "replace"))
        except ValueError:
            return None
        if len(p) < 2 or p[1] is None:
            return decoded
        key = js_text(p[1])
        if isinstance(decoded, dict):
            return decoded.get(key)
        if isinstance(decoded, list) and key.isdigit() and int(key) < len(decoded):
            return decoded[int(key)]
        return None

    return run


def _jmes_path(p: P, h: H, r: Root) -> Any:
    """``getValueFromPath.jmesPath`` of ``@mockoon/commons-server`` 9.9."""
    if len(p) < 2:
        return None
    data, path = p[0], p[1]
    default = p[2] if len(p) > 2 and p[2] is not None else ""
    if not isinstance(data, dict | list) or not isinstance(path, str) or not path:
        return data
    try:
        import jmespath
    except ImportError:
        raise ValueError(
            "jmesPath needs the mockoon extra: pip install 'apidouble[mockoon]'"
        ) from None
    try:
        found = jmespath.search(path, data)
    except Exception:  # an expression it cannot read: silently nothing, as Mockoon
        found = None
    return default if found is None else found


SYSTEM_HELPERS = {
    "jmesPath": Helper(_jmes_path),
    "getEnvVar": Helper(_env_var),
    "jwtHeader": Helper(_jwt(0)),
    "jwtPayload": Helper(_jwt(1)),
}
