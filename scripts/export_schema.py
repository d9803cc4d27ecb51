"""Write docs/schema.json, the JSON Schema editors use for apidouble configs.

Generated from the pydantic models in ``apidouble.config.schema`` so the two never
disagree; ``--check`` exits 1 when the committed file is stale (a test does the same).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from apidouble.config.schema import config_json_schema

TARGET = Path(__file__).resolve().parent.parent / "docs" / "schema.json"


def render() -> str:
    """The schema as committed: indented, newline-terminated."""
    return json.dumps(config_json_schema(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the file is stale")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != text:
            print(f"{TARGET} is stale: run python scripts/export_schema.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
