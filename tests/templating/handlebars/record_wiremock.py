"""Record what WireMock answers for each Handlebars case (run by hand, needs Java).

    .venv/bin/python tests/templating/handlebars/record_wiremock.py [--port 18100]

Starts the WireMock jar on a temporary root with one mapping per case (matched by the
``X-Case`` header, ``"transformers": ["response-template"]``), sends each case's request
with httpx and writes ``wiremock_answers.json`` beside this file. The tests read that file,
so they run without Java.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from cases import CASES  # noqa: E402

JAR = Path(
    "/root/.cache/apidouble-bench/npm/node_modules/wiremock/build/wiremock-standalone-3.13.2.jar"
)


def mapping(case: dict[str, Any]) -> dict[str, Any]:
    request: dict[str, Any] = {"method": "ANY", "headers": {"X-Case": {"equalTo": case["name"]}}}
    if case.get("path_template"):
        request["urlPathTemplate"] = case["path_template"]
    return {
        "request": request,
        "response": {
            "status": 200,
            "body": case["template"],
            "transformers": ["response-template"],
        },
    }


def start(root: Path, port: int) -> subprocess.Popen[bytes]:
    args = ["java", "-jar", str(JAR), "--port", str(port), "--bind-address", "127.0.0.1"]
    args += ["--disable-banner", "--root-dir", str(root)]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/__admin/health", timeout=1)
            return process
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("WireMock did not start")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=18100)
    parser.add_argument("--only", default="")
    options = parser.parse_args()
    cases = [c for c in CASES if options.only in c["name"]]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "mappings").mkdir()
        (root / "__files").mkdir()
        for index, case in enumerate(cases):
            text = json.dumps(mapping(case))
            (root / "mappings" / f"case{index:04}.json").write_text(text)
        process = start(root, options.port)
        answers = []
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{options.port}") as client:
                for case in cases:
                    req = case["request"]
                    headers = {"X-Case": case["name"], **req.get("headers", {})}
                    sent = client.request(
                        req.get("method", "GET"),
                        req["url"],
                        headers=headers,
                        content=req.get("body", "").encode(),
                    )
                    answer = {**case, "status": sent.status_code, "answer": sent.text}
                    shape = case.get("shape")
                    if shape is not None:
                        answer["wiremock_matches_shape"] = bool(re.fullmatch(shape, sent.text))
                    answers.append(answer)
        finally:
            process.kill()
            process.wait()
    if options.only:
        for answer in answers:
            print(f"{answer['name']}: {answer['status']} {answer['answer']!r}")
        return
    out = HERE / "wiremock_answers.json"
    recorded = {"wiremock": "3.13.2", "port": options.port, "cases": answers}
    out.write_text(json.dumps(recorded, indent=1) + "\n")
    print(f"wrote {len(answers)} answers to {out}")


if __name__ == "__main__":
    main()
