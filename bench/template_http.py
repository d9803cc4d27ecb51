"""Templated ~1.4 KB JSON vs the very same body static, served over HTTP by wrk.

The issue-level target: a templated response (path param + date + uuid) served at
>= 60% of the rate of the same response static. One apidouble process serves both
stubs; wrk alternates between them (A B A B...) so machine drift hits both alike.

    .venv/bin/python bench/template_http.py [--rounds 3] [--duration 4]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from stubsets import ITEMS

LIMIT = 0.6
TEMPLATED = {
    "id": "{{ request.params.id | int }}",
    "name": "User {{ request.params.id }}",
    "fetched_on": "{{ date }}",
    "request_id": "{{ uuid }}",
    "items": ITEMS,
}
STATIC = {
    "id": 42,
    "name": "User 42",
    "fetched_on": "2026-11-24",
    "request_id": "6f1c2c1e-8a4b-4d53-9b1a-3f2e5d6c7b8a",
    "items": ITEMS,
}


def wrk_rate(url: str, seconds: int) -> float:
    """Requests per second from one bounded wrk run on loopback."""
    out = subprocess.run(
        ["wrk", "-t1", "-c50", f"-d{seconds}s", url],
        capture_output=True,
        text=True,
        timeout=seconds + 30,
    ).stdout
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if found is None:
        raise RuntimeError(f"wrk printed no rate:\n{out}")
    return float(found.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=4)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed (make bench installs it)", file=sys.stderr)
        return 2
    folder = Path(tempfile.mkdtemp(prefix="apidouble-template-http-"))
    config = folder / "apidouble.json"
    endpoints = [
        {"path": "/users/{id}", "response": TEMPLATED},
        {"path": "/same/42", "response": STATIC},
    ]
    config.write_text(json.dumps({"endpoints": endpoints}))
    command = [sys.executable, "-m", "apidouble", "run", str(config), "--port", "0", "--no-watch"]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert server.stdout is not None
        url = server.stdout.readline().split()[-1]
        wrk_rate(url + "/users/42", 1)  # warm-up
        ratios = []
        for _ in range(args.rounds):
            static = wrk_rate(url + "/same/42", args.duration)
            templated = wrk_rate(url + "/users/42", args.duration)
            ratios.append(templated / static)
            print(f"static {static:>9,.0f}/s  templated {templated:>9,.0f}/s", end="")
            print(f"  ratio {ratios[-1]:.2f}")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)
        if server.stdout is not None:
            server.stdout.close()
    median = statistics.median(ratios)
    verdict = "ok" if median >= LIMIT else "TOO SLOW"
    print(f"median ratio {median:.2f} (target >= {LIMIT}): {verdict}")
    return 0 if median >= LIMIT else 1


if __name__ == "__main__":
    sys.exit(main())
