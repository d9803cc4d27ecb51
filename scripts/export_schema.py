"""Write docs/schema.json, the JSON Schema editors use for apidouble configs, and the
``config-*`` components of the admin API's OpenAPI document (the same definitions).

Generated from the pydantic models in ``apidouble.config.schema`` so they never
disagree; ``--check`` exits 1 when a committed file is stale (tests do the same).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from apidouble.config.schema import config_json_schema

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "docs" / "schema.json"
OPENAPI = ROOT / "src" / "apidouble" / "admin" / "openapi.json"


def render() -> str:
    """The schema as committed: indented, newline-terminated."""
    return json.dumps(config_json_schema(), indent=2, ensure_ascii=False) + "\n"


def render_openapi() -> str:
    """The admin API document with its ``config-*`` components made from the schema (in
    place, new ones last) and ``endpoint-input`` as ``config-Endpoint`` plus
    ``persistent``."""
    document = json.loads(OPENAPI.read_text(encoding="utf-8"))
    definitions = json.dumps(config_json_schema()["$defs"])
    definitions = definitions.replace('"#/$defs/', '"#/components/schemas/config-')
    made = {f"config-{name}": value for name, value in json.loads(definitions).items()}
    schemas = document["components"]["schemas"]
    for name in [name for name in schemas if name.startswith("config-") and name not in made]:
        del schemas[name]
    schemas.update(made)
    given = schemas.get("endpoint-input")
    if given is not None:
        endpoint = made["config-Endpoint"]
        properties = {**endpoint["properties"], "persistent": given["properties"]["persistent"]}
        schemas["endpoint-input"] = {
            **endpoint,
            "description": given.get("description", ""),
            "properties": properties,
        }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the file is stale")
    args = parser.parse_args(argv)
    stale = 0
    for target, text in ((TARGET, render()), (OPENAPI, render_openapi())):
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current == text:
            continue
        if args.check:
            print(f"{target} is stale: run python scripts/export_schema.py", file=sys.stderr)
            stale = 1
        else:
            target.write_text(text, encoding="utf-8")
            print(f"wrote {target}")
    return stale


if __name__ == "__main__":
    sys.exit(main())
