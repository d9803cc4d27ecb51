"""Every Mockoon environment of the corpus loads, with only the problems expected, and
the generated ones answer every route."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import httpx
import pytest

from apidouble.config.load import load_config
from apidouble.importers.mockoon import convert_environment, is_mockoon_environment
from apidouble.testing import MockServer

CORPUS = Path("/work/shared/corpus/mockoon")
if not CORPUS.is_dir():  # the corpus sits beside the repository
    CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "mockoon"
FILES = sorted(CORPUS.glob("**/*.json"))

EXPECTED = {
    "demo-environment.commons-9.9.0.json": [],
    "mock-apis/httpbinorg.json": [
        (f"/routes/{index}/responses/0", "statusCode 100 is informational")
        for index in range(63, 68)
    ],
    "tutorials/advanced-data-bucket-manipulation.json": [
        ("/routes/1/responses/1/rules/0", "a rule whose modifier or value is a template"),
        ("/routes/2/responses/1/rules/0", "a rule whose modifier or value is a template"),
        ("/routes/3/responses/1/rules/0", "a rule whose modifier or value is a template"),
    ],
}
"""What is not served yet, by file: templated rules; and
httpbin's ``/status/:codes`` whose default answer is a 100."""


def _name(path: Path) -> str:
    return path.relative_to(CORPUS).as_posix()


pytestmark = pytest.mark.skipif(not FILES, reason="the Mockoon corpus is not here")


@pytest.mark.parametrize("path", FILES, ids=_name)
def test_every_environment_loads_with_the_expected_problems(path: Path) -> None:
    assert is_mockoon_environment(json.loads(path.read_text(encoding="utf-8")))
    config = load_config(path)
    found = [(p.pointer, p.message) for p in config.skipped]
    expected = EXPECTED.get(_name(path), [])
    assert len(found) == len(expected), found
    for (pointer, message), (want_pointer, want) in zip(found, expected, strict=True):
        assert pointer == want_pointer and want in message
    assert all(p.file == str(path) and "(route " in (p.stub or "") for p in config.skipped)
    assert config.stubs


def _concrete(prefix: str, endpoint: str) -> str:
    """A request path for a generated route: each parameter filled in."""
    path = re.sub(r":[A-Za-z_$][\w$]*", "p1", f"{prefix}/{endpoint}")
    return re.sub("/+", "/", "/" + path.replace("*", "x"))


GENERATED = [p for p in FILES if p.parent.name == "mock-apis"]


@pytest.mark.parametrize("path", GENERATED, ids=_name)
def test_generated_environments_answer_every_route(path: Path) -> None:
    env = json.loads(path.read_text(encoding="utf-8"))
    with MockServer(path) as mock, httpx.Client(base_url=mock.url) as client:
        agree = 0
        routes = [r for r in env["routes"] if "#" not in r["endpoint"]]  # no request reaches them
        for route in routes:
            answer = client.request(
                route["method"].upper(), _concrete(env["endpointPrefix"], route["endpoint"])
            )
            assert (
                answer.status_code < 500
                or answer.status_code == route["responses"][0]["statusCode"]
            )
            default = next((r for r in route["responses"] if r["default"]), route["responses"][0])
            agree += answer.status_code == default["statusCode"]
            if "json" in answer.headers.get("content-type", "") and answer.content:
                json.loads(answer.content)  # faker templates render valid JSON
        assert agree >= 0.9 * len(routes)


def test_the_largest_environment_loads_fast() -> None:
    """Not a timed assertion (the machine is shared): the time is printed."""
    path = CORPUS / "mock-apis" / "stripecom.json"
    started = time.perf_counter()
    with MockServer(path):
        elapsed = time.perf_counter() - started
    print(f"\n{_name(path)} ({path.stat().st_size // 1024} KB) served in {elapsed:.2f} s")
    assert elapsed < 30


def test_conversion_is_the_same_every_time() -> None:
    path = CORPUS / "demo-environment.commons-9.9.0.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    first = convert_environment(data, path).document
    assert convert_environment(data, path).document == first
    assert {e["templating"] for e in first["endpoints"] if "websocket" not in e} == {"mockoon"}
