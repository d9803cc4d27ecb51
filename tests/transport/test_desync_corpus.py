"""Request-smuggling cases from aws/http-desync-guardian, sent over a raw socket.

Each case is followed on the same connection by a harmless ``GET /canary``. Whatever the
tier, the server must not crash and must never answer the canary with a response that
belongs to bytes smuggled inside the case. Severe cases must get 400 (or a close), never
a 2xx; Compliant and Acceptable cases get the normal answer, except the few listed in
``REFUSED`` that this server deliberately refuses with 400 (the safe side).
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from . import connect, read_response, read_rest, serving

CORPUS = Path(__file__).resolve().parent / "corpus" / "http1-desync-guardian"
"""Vendored with its LICENSE and NOTICE (aws/http-desync-guardian, Apache-2.0), so the
test runs on every clean clone instead of silently skipping."""

REFUSED = {
    # Whitespace before the colon or control characters in a field name: the brief asks
    # for 400 (RFC 9112 5.1 says a server MUST reject whitespace before the colon).
    "acceptable-no-te-cl-headers-some-others-are-non-compliant",
    "acceptable-te-and-some-others-are-non-compliant",
    "acceptable-a-non-essential-header-with-a-non-printable-character-x01",
    "acceptable-cl-and-some-others-are-non-compliant",
    # Versions llhttp does not know: HTTP/1.2 is refused rather than guessed at.
    "acceptable-unknown-but-ok-http-1-2",
    # Raw non-ASCII bytes and an empty target are not a valid request-target.
    "rfc-compliant-international-in-uri",
    "rfc-compliant-empty-uri",
    # "chunked" with transfer-parameters: llhttp can't frame it, so it is refused.
    "rfc-compliant-transfer-encoding-with-a-param-chunked-custom-param",
    "more-compliant-tests-te-with-custom-parameters-ok",
}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _raw(value: Any) -> bytes:
    text = str(value)
    return text.encode("latin-1") if all(ord(c) < 256 for c in text) else text.encode()


def _cases() -> list[Any]:
    files = sorted(CORPUS.glob("*.yaml"))
    if not files:
        raise FileNotFoundError(f"the desync corpus is missing: {CORPUS}")
    params: list[Any] = []
    seen: set[str] = set()
    for file in files:
        for case in yaml.safe_load(file.read_text(encoding="utf-8")) or []:
            case_id = f"{file.stem}-{_slug(case['name'])}"
            while case_id in seen:
                case_id += "-again"
            seen.add(case_id)
            params.append(pytest.param(case, id=case_id))
    return params


def _build(case: dict[str, Any]) -> tuple[bytes, bool]:
    """Request bytes with a body that follows the declared framing; True if framed."""
    version = case["version"]
    head = _raw(case["method"]) + b" " + _raw(case["uri"])
    head += (b" " + _raw(version) if version else b"") + b"\r\n"
    length: int | None = None
    chunked = False
    for header in case.get("headers") or []:
        name, value = _raw(header["name"]), _raw(header["value"])
        head += name + b":" + value + b"\r\n"
        if name.lower() == b"content-length" and value.strip().isdigit():
            length = int(value.strip()) if length is None else length
        if name.lower() == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    body = b"0\r\n\r\n" if chunked else b"x" * (length if length and length < 10**8 else 0)
    return head + b"\r\n" + body, chunked or length is not None


@pytest.mark.parametrize("case", _cases())
async def test_case(case: dict[str, Any], request: pytest.FixtureRequest) -> None:
    case_id = request.node.callspec.id
    tier = case["expected"]["tier"]
    raw, _ = _build(case)
    async with serving(header_timeout_s=2.0) as (server, handler):
        reader, writer = await connect(server)
        writer.write(raw + b"GET /canary HTTP/1.1\r\nHost: canary\r\n\r\n")
        responses: list[tuple[int, dict[str, str], bytes]] = []
        while len(responses) < 2:
            bodyless = not responses and case["method"] == "HEAD"
            try:
                responses.append(await read_response(reader, bodyless=bodyless))
            except (asyncio.IncompleteReadError, ConnectionResetError):
                break
            if responses[-1][1].get("connection") == "close":
                assert await read_rest(reader) == b""
                break
        served = [(r.method, r.path) for r in handler.requests]

    # Never a response for bytes smuggled inside the case: only the case and the canary.
    assert set(served) <= {(case_method(case), case_path(case)), ("GET", "/canary")}
    assert served.count(("GET", "/canary")) <= 1 and len(served) <= 2
    canary_answers = [r for r in responses if r[0] == 200 and _path(r[2]) == "/canary"]
    assert len(canary_answers) <= 1

    if tier == "Severe" or case_id in REFUSED:
        assert not any(200 <= status < 300 for status, _, _ in responses)
        assert [status for status, _, _ in responses] in ([], [400])
        assert ("GET", "/canary") not in served
    elif tier in ("Compliant", "Acceptable"):
        status, _, body = responses[0]
        assert status == 200
        assert case["method"] == "HEAD" or _path(body) == case_path(case)
        if case["version"] in ("HTTP/1.1",):
            assert len(responses) == 2 and _path(responses[1][2]) == "/canary"
    else:  # Ambiguous: either refused, or served with consistent framing
        statuses = [status for status, _, _ in responses]
        assert statuses in ([400], [], [200, 200])


def case_method(case: dict[str, Any]) -> str:
    return str(case["method"])


def case_path(case: dict[str, Any]) -> str:
    return str(case["uri"]).split("?")[0].split("#")[0]


def _path(body: bytes) -> str | None:
    try:
        return str(json.loads(body)["path"])
    except (ValueError, KeyError):
        return None


def test_every_refused_id_is_a_real_case() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"no {CORPUS}")
    ids = {p.id for p in _cases()}
    assert ids >= REFUSED, REFUSED - ids
