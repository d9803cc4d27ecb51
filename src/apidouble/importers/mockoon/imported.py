"""``apidouble import mockoon``: the document the environment is served as.

The loader serves a converted environment and skips the endpoints that do not load; the
import does the same before writing, so the YAML holds what ``apidouble run ENV.json``
serves, no more.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from apidouble.errors import ConfigError, ConfigProblem
from apidouble.importers.mockoon.environment import convert_environment

_ENDPOINT = re.compile(r"^/endpoints/(\d+)(?:/|$)")


def import_environment(
    data: dict[str, Any], path: Path, out_dir: Path
) -> tuple[dict[str, Any], list[ConfigProblem]]:
    """The native document for a config written in ``out_dir``, and what is left out."""
    from apidouble.config.load import load_data

    conversion = convert_environment(data, path, base=out_dir, display=str(path))
    document, problems = conversion.document, list(conversion.problems)
    try:
        load_data(document, source=str(path), base_dir=out_dir)
    except ConfigError as exc:
        problems.extend(exc.problems)
        bad = {int(m.group(1)) for p in exc.problems if (m := _ENDPOINT.match(p.pointer))}
        endpoints = document["endpoints"]
        document["endpoints"] = [e for i, e in enumerate(endpoints) if i not in bad]
    return document, problems
