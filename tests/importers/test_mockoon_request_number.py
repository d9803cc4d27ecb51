"""Mockoon's ``request_number`` rules served over real sockets: the route's endpoints
share one count of the requests the route answered, a ``FALLBACK`` route that hands a
request on does not count it, and the same requests get what mockoon-cli 9.9 answers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.compat.mockoon.peer import available, mockoon
from tests.importers.test_mockoon_rules_state import converted, served
from tests.importers.test_mockoon_serving import environment, response, route, rule, write


def numbered_routes() -> list[dict[str, Any]]:
    fallback = {"responseMode": "FALLBACK"}
    return [
        route(
            "n",
            response("first", rules=[rule("request_number", "", "1")]),
            response("2 or 3", rules=[rule("request_number", "", "^[23]$", "regex")]),
            response("empty?", rules=[rule("request_number", "", "", "null")]),
            response(
                "not 5, odd",
                rules=[
                    rule("request_number", "", "5", invert=True),
                    rule("request_number", "", "[13579]$", "regex"),
                ],
                rulesOperator="AND",
            ),
            response("other", default=True),
        ),
        route(
            "f",
            response("header", rules=[rule("header", "x", "y")]),
            response("second", rules=[rule("request_number", "", "2")]),
            **fallback,
        ),
        route("f", response("next route")),
        route(
            "raw",
            response("{{raw}} once", rules=[rule("request_number", "", "1")]),
            response("{{urlParam 'x'}}again", default=True),
            disableTemplating=False,
        ),
        route(
            "empty",
            response("", 204, rules=[rule("request_number", "", "1")]),
            response("then", default=True),
        ),
    ]


NUMBERED_ASKS = [("GET", "/n")] * 7
NUMBERED_ASKS += [("GET", "/f"), ("GET", "/f?x"), ("GET", "/f"), ("GET", "/f"), ("GET", "/f")]
NUMBERED_ASKS += [("GET", "/raw"), ("GET", "/raw"), ("GET", "/empty"), ("GET", "/empty")]
NUMBERED_WANT = ["first", "2 or 3", "2 or 3", "other", "other", "other", "not 5, odd"]
NUMBERED_WANT += ["next route", "header", "second", "next route", "next route"]
NUMBERED_WANT += ["{{raw}} once", "again", "", "then"]
"""``/f`` hands the first request on uncounted, so its second rule holds on the third."""


def _disable_templating(routes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    routes[3]["responses"][0]["disableTemplating"] = True
    return routes


def asked(client: httpx.Client) -> list[tuple[int, str]]:
    """The answers to ``NUMBERED_ASKS``, ``/f?x`` sent as ``/f`` with the header ``x: y``."""
    found = []
    for method, url in NUMBERED_ASKS:
        headers = {"x": "y"} if url.endswith("?x") else {}
        answer = client.request(method, url.removesuffix("?x"), headers=headers)
        found.append((answer.status_code, answer.text))
    return found


def test_the_route_counts_its_answers_across_its_endpoints(tmp_path: Path) -> None:
    with served(tmp_path, environment(*_disable_templating(numbered_routes()))) as client:
        got = asked(client)
    assert [text for _, text in got] == NUMBERED_WANT
    assert got[-2][0] == 204


def test_each_endpoint_counts_in_its_status(tmp_path: Path) -> None:
    document, problems = converted(tmp_path, environment(*_disable_templating(numbered_routes())))
    assert problems == []
    ns = [e for e in document["endpoints"] if e["path"] == "/n"]
    statuses = {e["status"] for e in ns}
    assert len(statuses) == 1
    (status,) = statuses
    assert status.startswith("{{countRouteRequest ") and status.endswith("}}200")
    first = ns[0]["match"]["template"][0]
    assert first["source"].startswith("{{routeRequestNumber ")
    assert first["equals"] == "1"
    raw = next(e for e in document["endpoints"] if e["path"] == "/raw")
    assert "response_base64" in raw and raw["templating"] == "mockoon"


def test_a_file_sent_as_it_is_is_not_counted(tmp_path: Path) -> None:
    (tmp_path / "a.bin").write_bytes(b"\x00\x01")
    env = environment(
        route(
            "b",
            response(bodyType="FILE", filePath="a.bin", rules=[rule("request_number", "", "1")]),
            response("then", default=True),
        )
    )
    _, problems = converted(tmp_path, env)
    assert len(problems) == 1
    assert "a file sent as it is cannot count" in problems[0]


@pytest.mark.parametrize(
    ("mode", "ruled"),
    [("RANDOM", False), ("SEQUENTIAL", False), ("DISABLE_RULES", False), ("FALLBACK", True)],
)
def test_only_modes_that_read_rules_count(tmp_path: Path, mode: str, ruled: bool) -> None:
    env = environment(
        route(
            "m",
            response("a", rules=[rule("request_number", "", "1")]),
            response("b", default=True),
            responseMode=mode,
        )
    )
    document, _ = converted(tmp_path, env)
    counted = ["countRouteRequest" in str(e.get("status")) for e in document["endpoints"]]
    assert counted and all(c == ruled for c in counted)


@pytest.mark.skipif(available() is not None, reason=str(available()))
def test_answers_as_mockoon_cli(tmp_path: Path) -> None:
    env = environment(*_disable_templating(numbered_routes()))
    with served(tmp_path, env) as client:
        ours = asked(client)
    with mockoon(write(tmp_path, env, "peer.json")) as url, httpx.Client(base_url=url) as client:
        theirs = asked(client)
    assert ours == theirs


def test_a_counted_204_sends_no_body_headers(tmp_path: Path) -> None:
    with served(tmp_path, environment(numbered_routes()[-1])) as client:
        first, then = client.get("/empty"), client.get("/empty")
    assert first.status_code == 204
    assert "content-type" not in first.headers and "content-length" not in first.headers
    assert (then.status_code, then.text) == (200, "then")
