"""The curl lines of README.md and getting-started.md, against ``examples/`` served as
``make run`` serves it, each checked against the answer its comment promises.

Lines run in page order on one server per page, as a reader would type them. Every curl
line of a page must have a check here, so a new line cannot go untested.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from apidouble import MockServer
from apidouble.cli import main

from .markdown import REPO, block, blocks, page

EXAMPLES = REPO / "examples"
MAKE_RUN_URL = "http://127.0.0.1:8000"
TODAY = datetime.now(UTC).strftime("%Y-%m-%d")


@dataclass
class Curl:
    """One curl line as httpx sends it (``-d`` posts form-encoded, as curl does)."""

    line: str
    method: str
    url: str
    headers: dict[str, str]
    body: str | None

    @classmethod
    def parse(cls, line: str) -> Curl:
        args = shlex.split(line, comments=True)
        assert args[0] == "curl", line
        method, headers, body, url = "GET", {}, None, ""
        words = iter(args[1:])
        for word in words:
            if word == "-X":
                method = next(words)
            elif word == "-H":
                name, _, value = next(words).partition(":")
                headers[name.strip()] = value.strip()
            elif word == "-d":
                body = next(words)
                method = "POST" if method == "GET" else method
                headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
            elif word.startswith("http"):
                url = word
            else:
                assert word == "-i", f"unknown curl option {word!r} in {line!r}"
        return cls(line, method, url, headers, body)

    @property
    def key(self) -> str:
        return f"{self.method} {self.url.removeprefix(MAKE_RUN_URL)}"

    def send(self, base: str) -> httpx.Response:
        url = self.url.replace(MAKE_RUN_URL, base)
        return httpx.request(self.method, url, headers=self.headers, content=self.body)


def curl_lines(doc: str) -> list[Curl]:
    return [
        Curl.parse(line.strip())
        for b in blocks(page(doc))
        if b.lang == "sh"
        for line in b.text.splitlines()
        if line.strip().startswith("curl ")
    ]


Check = Callable[[Curl, MockServer], None]


def answers(status: int, **json: object) -> Check:
    def check(curl: Curl, mock: MockServer) -> None:
        response = curl.send(mock.url)
        assert response.status_code == status
        assert {key: response.json()[key] for key in json} == json

    return check


def near_miss_report(curl: Curl, mock: MockServer) -> None:
    response = curl.send(mock.url)
    assert response.status_code == 404
    near = response.json()["near_misses"]
    assert 1 <= len(near) <= 3 and all(miss["checks"] for miss in near)


def journal(curl: Curl, mock: MockServer) -> None:
    limit = int(curl.url.rsplit("limit=", 1)[1])
    body = curl.send(mock.url).json()
    assert body["total"] == len(mock.requests) > 0
    ids = [entry["id"] for entry in body["logs"]]
    assert len(ids) == min(limit, body["total"]) and ids == sorted(ids, reverse=True)


def user_42(curl: Curl, mock: MockServer) -> None:
    # {"id":42,"name":"User 42","fetched_on":"..."}, and a uuid header
    response = curl.send(mock.url)
    assert response.json() == {"id": 42, "name": "User 42", "fetched_on": TODAY}
    assert re.fullmatch(
        r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", response.headers["x-request-id"]
    )


def file_body(curl: Curl, mock: MockServer) -> None:
    response = curl.send(mock.url)
    assert response.headers["content-type"] == "application/json"
    assert response.json() == json.loads((EXAMPLES / "__files/users.json").read_text())


def problem_json(curl: Curl, mock: MockServer) -> None:
    response = curl.send(mock.url)
    assert (response.status_code, response.headers["content-type"]) == (
        422,
        "application/problem+json",
    )


def order_statuses(curl: Curl, mock: MockServer) -> None:
    seen = [curl.send(mock.url).json()["status"] for _ in range(4)]
    assert seen == ["pending", "shipped", "delivered", "delivered"]


def slow_flaky_payment(curl: Curl, mock: MockServer) -> None:
    # 300 ms, fails 20% of the time (the rate is checked in tests/integration/test_examples.py)
    assert curl.send(mock.url).status_code in (200, 503)
    assert mock.requests.find(path="/api/orders/7/payment")[0]["delay_ms"] == 300


def csv_product(curl: Curl, mock: MockServer) -> None:
    body = curl.send(mock.url).json()
    assert body["product"] == {"sku": "B-200", "name": "Fountain pen", "price": "32.00"}
    assert body["delivery"] == (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%d")


def refund_retry(curl: Curl, mock: MockServer) -> None:
    assert [curl.send(mock.url).status_code for _ in range(3)] == [503, 503, 202]


def reset(curl: Curl, mock: MockServer) -> None:
    with pytest.raises(httpx.TransportError):  # the connection reset, no answer
        curl.send(mock.url)


def dribbled(curl: Curl, mock: MockServer) -> None:
    assert curl.send(mock.url).json() == {"rows": [1, 2, 3, 4, 5, 6, 7, 8]}
    assert mock.requests.find(path="/api/report")[0]["decision"]["pacing_ms"] == 2000


EXPECTED: dict[str, dict[str, Check]] = {
    "README.md": {
        "GET /api/users/42": user_42,
        "GET /api/nope": near_miss_report,
        "GET /__logs?limit=5": journal,
    },
    "getting-started.md": {
        "GET /api/users": file_body,
        "GET /api/users?role=admin": answers(200),
        "GET /api/users/42": user_42,
        "GET /api/users/me": answers(200, id=1, role="admin"),
        "POST /api/users": problem_json,
        "POST /api/orders": answers(201, id="ord-1001", shipping="express"),
        "GET /api/orders/7/status": order_statuses,
        "POST /api/orders/7/payment": slow_flaky_payment,
        "GET /api/nope": near_miss_report,
        "GET /api/products/B-200": csv_product,
        "POST /api/orders/1/refund": refund_retry,
        "GET /api/export": reset,
        "GET /api/report": dribbled,
        "GET /__logs?limit=3": journal,
    },
}


@pytest.fixture
def make_run() -> Iterator[MockServer]:
    """``examples/`` served as ``make run`` serves it (watching is irrelevant here)."""
    with MockServer(EXAMPLES) as mock:
        yield mock


@pytest.mark.parametrize("doc", sorted(EXPECTED))
def test_curl_lines_answer_as_their_comments_say(doc: str, make_run: MockServer) -> None:
    lines = curl_lines(doc)
    assert [curl.key for curl in lines] == list(EXPECTED[doc]), "a curl line has no check"
    failed = []
    for curl in lines:
        try:
            EXPECTED[doc][curl.key](curl, make_run)
        except AssertionError as exc:
            failed.append(f"{curl.line}\n    {exc}")
    assert not failed, "\n".join(failed)


def test_make_run_serves_examples_on_port_8000() -> None:
    script = (REPO / "scripts/run.sh").read_text()
    assert 'apidouble run examples/ --port "${PORT:-8000}"' in script
    assert (
        "serves\n`examples/` on <http://127.0.0.1:8000>" in page("getting-started.md").read_text()
    )


def test_validate_says_ok_as_getting_started_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "api.yaml").write_text(block("getting-started.md", "get-user", "yaml").text)
    shown = block("getting-started.md", "validate api.yaml", "sh").text
    promised = re.search(r"validate api\.yaml\s+# (.*)", shown)
    assert promised is not None
    assert main(["validate", "api.yaml"]) == 0
    assert capsys.readouterr().out.strip() == promised.group(1)
