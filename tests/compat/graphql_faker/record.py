"""Record graphql-faker's answers (validity and shape only) into ``answers.json``.

python -m tests.compat.graphql_faker.record   (needs scripts/peers/graphql-faker.sh)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .test_graphql_faker_live import INVALID, VALID, _free_port, _shape, _typed, peer

ANSWERS = Path(__file__).with_name("answers.json")


def summary(body: dict[str, Any]) -> dict[str, Any]:
    """What is compared: errors or not, the shape, and each typed object's shape."""
    seen: dict[str, set[str]] = {}
    _typed(body.get("data"), seen)
    return {
        "valid": not body.get("errors") and body.get("data") is not None,
        "shape": _shape(body.get("data")),
        "typed": {name: sorted(shapes) for name, shapes in sorted(seen.items())},
    }


def main() -> None:
    import httpx

    with peer(_free_port()) as url:
        answers = {
            name: summary(httpx.post(url, json={"query": query}, timeout=10).json())
            for name, query in sorted({**VALID, **INVALID}.items())
        }
    ANSWERS.write_text(json.dumps({"peer": "graphql-faker 2.0.0-rc.25", **answers}, indent=1))


if __name__ == "__main__":
    main()
