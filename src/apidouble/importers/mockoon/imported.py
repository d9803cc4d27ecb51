"""``apidouble import mockoon``: the document the environment is served as.

The loader serves a converted environment and skips the endpoints that do not load; the
import does the same before writing, so the YAML holds what ``apidouble run ENV.json``
serves, no more. A config written where it cannot name the environment file (outside
its folder) reads the data buckets from a copy written beside it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from apidouble.errors import ConfigError, ConfigProblem
from apidouble.importers.mockoon.environment import convert_environment

_ENDPOINT = re.compile(r"^/endpoints/(\d+)(?:/|$)")


def buckets_path(output: Path) -> Path:
    """Where the buckets go for a config written to ``output``: beside it."""
    return output.with_name(f"{output.stem}.buckets.json")


def import_environment(
    data: dict[str, Any], path: Path, out_dir: Path, output: Path | None = None
) -> tuple[dict[str, Any], list[ConfigProblem]]:
    """The native document for a config written in ``out_dir``, and what is left out.

    With ``output`` (the file in ``out_dir`` the document is written to), an environment
    the document cannot name has its buckets written to ``buckets_path(output)``, which
    it names.
    """
    from apidouble.config.load import load_data

    copy = buckets_path(output) if output is not None else None
    named = copy.name if copy is not None else None
    conversion = convert_environment(
        data, path, base=out_dir, display=str(path), buckets_file=named
    )
    document, problems = conversion.document, list(conversion.problems)
    if copy is not None and named in (document.get("data") or {}).values():
        copy.write_text(json.dumps(data.get("data"), indent=2) + "\n", encoding="utf-8")
    try:
        load_data(document, source=str(path), base_dir=out_dir)
    except ConfigError as exc:
        problems.extend(exc.problems)
        bad = {int(m.group(1)) for p in exc.problems if (m := _ENDPOINT.match(p.pointer))}
        endpoints = document["endpoints"]
        document["endpoints"] = [e for i, e in enumerate(endpoints) if i not in bad]
    return document, problems
