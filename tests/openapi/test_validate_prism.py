"""Prism's own black-box scenarios (validate-*, security, serialization, violations), run
straight through the validator: the answer we would give must be Prism's.

Each scenario's spec is read with ``load_spec``'s reader, its curl command turned into
request parts for the operation it addresses, and the verdict compared with
``====expect====``: the status always; the body (JSON-equal) and listed headers when
Prism generated the error itself. Where Prism answers with one of the spec's responses
(a valid request, or a 401/415/422 the spec defines) the response itself is the spec
server's business, so only the status class is compared: we must let a valid request
through and stop an invalid one. Scenarios that cannot agree are listed in ``KNOWN``
with the reason.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
import yaml

from apidouble.openapi import problems
from apidouble.openapi.model import Operation, Spec
from apidouble.openapi.spec import read_spec
from apidouble.openapi.validate import RequestParts, Validation, validate_request

from .scenario_text import sections as scenario_sections

DATA = Path(__file__).parent / "data_prism"
FOLDERS = (
    "security",
    "serialization",
    "validate-body-params",
    "validate-path-params",
    "validate-query-params",
    "violations",
)
"""The scenarios about validating requests (the spec server's tests run every folder)."""
SCENARIOS = sorted(path for folder in FOLDERS for path in (DATA / folder).glob("*.txt"))

KNOWN: dict[str, str] = {}
"""Scenario file name → why it does not agree (strict xfail: fixed ones must be removed)."""


@dataclass
class Scenario:
    name: str
    spec_text: str
    server: str
    command: str
    expect: str
    loose: bool


def parse(path: Path) -> Scenario:
    sections = scenario_sections(path)
    expect = sections.get("expect", sections.get("expect-loose", ""))
    return Scenario(
        path.name,
        sections["spec"],
        sections.get("server", "").strip(),
        sections["command"].strip(),
        expect,
        "expect-loose" in sections,
    )


@dataclass
class Curl:
    method: str = "GET"
    url: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


BOUNDARY = "------------------------prismscenario"


def curl(command: str) -> Curl:
    """The request a curl command line sends (the options these scenarios use)."""
    words = shlex.split(command.replace("\\\n", " "))[1:]
    out = Curl()
    data: list[str] = []
    forms: list[tuple[str, str]] = []
    explicit = None
    head = False
    index = 0
    while index < len(words):
        word = words[index]
        if word.startswith("-") and not word.startswith("--") and len(word) > 2 and "X" in word:
            flags, _, rest = word[1:].partition("X")  # -sIXGET
            head = head or "I" in flags
            explicit = rest or words[index + 1]
            index += 1 if rest else 2
            continue
        if word in ("-X", "--request"):
            explicit = words[index + 1]
            index += 2
            continue
        if word in ("-H", "--header"):
            name, _, value = words[index + 1].partition(":")
            out.headers.append((name.strip(), value.strip()))
            index += 2
            continue
        if word in ("-d", "--data", "--data-raw", "--data-binary"):
            data.append(words[index + 1])
            index += 2
            continue
        if word == "--data-urlencode":
            name, _, value = words[index + 1].partition("=")
            data.append(f"{name}={quote(value, safe='')}")
            index += 2
            continue
        if word in ("-F", "--form"):
            name, _, value = words[index + 1].partition("=")
            forms.append((name, value))
            index += 2
            continue
        if word == "--url":
            out.url = words[index + 1]
            index += 2
            continue
        if word in ("-I", "--head"):
            head = True
        elif not word.startswith("-"):
            out.url = word
        index += 1
    names = {n.lower(): i for i, (n, _) in enumerate(out.headers)}
    if forms:
        parts = b"".join(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{n}"\r\n\r\n{v}\r\n'.encode()
            for n, v in forms
        )
        out.body = parts + f"--{BOUNDARY}--\r\n".encode()
        kind = f"multipart/form-data; boundary={BOUNDARY}"
        if "content-type" in names:
            out.headers[names["content-type"]] = ("Content-Type", kind)
        else:
            out.headers.append(("Content-Type", kind))
        out.method = "POST"
    elif data:
        out.body = "&".join(data).encode()
        if "content-type" not in names:
            out.headers.append(("Content-Type", "application/x-www-form-urlencoded"))
        out.method = "POST"
    elif head:
        out.method = "HEAD"
    if explicit:
        out.method = explicit.upper()
    return out


def expected(text: str) -> tuple[int, dict[str, str], str]:
    head, _, body = text.strip("\n").partition("\n\n")
    lines = head.splitlines()
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, body.strip()


def _template(path: str) -> re.Pattern[str]:
    pattern = re.sub(r"\\\{([^}]+)\\\}", r"(?P<\1>[^/]+)", re.escape(path))
    return re.compile(f"^{pattern}$")


def route(spec: Spec, method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
    """The operation a request addresses (literal paths before templated ones)."""
    hits = []
    for op in spec.operations:
        found = _template(op.path).match(path)
        if found and (op.method == method or (method == "HEAD" and op.method == "GET")):
            hits.append((op.path.count("{"), op, found.groupdict()))
    if not hits:
        return None
    hits.sort(key=lambda hit: hit[0])
    return hits[0][1], hits[0][2]


def load(text: str) -> Spec:
    data = yaml.safe_load(text)
    return read_spec(data, DATA / "scenario.yaml")


def answer(spec: Spec, request: Curl) -> tuple[int, dict[str, str], Any, Validation | None, bool]:
    """(status, headers, body, validation, generated): what we would answer; generated
    is False when the spec's own response answers (its content is not ours to check)."""
    url = urlsplit(request.url)
    hit = route(spec, request.method, url.path)
    if hit is None:
        status, headers, body = problems.no_path_matched(url.path)
        return status, dict(headers), json.loads(body), None, True
    operation, path_params = hit
    parts = RequestParts(request.method, path_params, url.query, request.headers, request.body)
    verdict = validate_request(
        operation, parts, dialect=spec.dialect, security_schemes=spec.security_schemes
    )
    if verdict.ok:
        return 200, {}, None, verdict, False
    wanted = problems.expected_statuses(verdict)
    for code in wanted:
        if any(r.status == str(code) for r in operation.responses):
            return code, {}, None, verdict, False
    if any(r.status == "default" for r in operation.responses):
        return wanted[0], {}, None, verdict, False  # Prism answers its `default` so
    status, headers, body = problems.violation_answer(verdict)
    return status, {k.lower(): v for k, v in headers}, json.loads(body), verdict, True


@pytest.mark.parametrize("path", SCENARIOS, ids=[f"{p.parent.name}/{p.name}" for p in SCENARIOS])
def test_scenario(path: Path) -> None:
    scenario = parse(path)
    if path.name.endswith(".pc.txt"):
        pytest.skip("Postman collection: no OpenAPI operation to validate against")
    if path.name in KNOWN:
        pytest.xfail(KNOWN[path.name])
    spec = load(scenario.spec_text)
    request = curl(scenario.command)
    want_status, want_headers, want_body = expected(scenario.expect)
    status, headers, body, verdict, generated = answer(spec, request)
    errors = (400, 401, 404, 405, 415, 422)
    if not generated:
        # The spec's own response answers: only "let through" vs "stopped with code".
        if want_status in errors:
            assert status == want_status, verdict
        else:
            assert status not in errors, verdict
        if "sl-violations" in want_headers:
            assert verdict is not None
            header = problems.violations_header(verdict)
            assert json.loads(header or "[]") == json.loads(want_headers["sl-violations"])
        return
    assert status == want_status, (body, verdict)
    if "content-type" in want_headers:
        assert headers.get("content-type") == want_headers["content-type"]
    if "www-authenticate" in want_headers:
        assert headers.get("www-authenticate") == want_headers["www-authenticate"]
    if want_body and want_body.startswith("{"):
        assert body == json.loads(want_body)


def test_curl_reading() -> None:
    """The runner's own reading of curl lines (so a scenario cannot pass by misreading)."""
    got = curl('curl -sIXGET http://h/pet?a=1 -H "X-API-Key: k"')
    assert (got.method, got.url, got.headers) == ("GET", "http://h/pet?a=1", [("X-API-Key", "k")])
    got = curl('curl -i -X POST http://h/p -H "Content-Type: multipart/form-data" -F "id=1"')
    assert got.headers[0][1].startswith("multipart/form-data; boundary=")
    assert b'name="id"\r\n\r\n1\r\n' in got.body
    assert curl('curl -X POST http://h/p --data-urlencode "id=%"').body == b"id=%25"
