"""What docs/control.md and docs/config.md show as answers: the journal's fields, the
control routes, the 404 near-miss report and the 422 problem, served and compared."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx

from apidouble import MockServer

from .claims import answer
from .configs import serving
from .markdown import block, page
from .test_walkthrough import EXAMPLES

NEAR_MISS = answer("control.md", "no stub matched this request", "json")
PROBLEM = answer("config.md", "does not match the schema", "json")


def _journal_fields() -> tuple[set[str], set[str]]:
    """The fields control.md says are always there, and those there only when they apply."""
    text = page("control.md").read_text()
    always = re.search(r"Every entry has (.*?)\n\n", text, re.S)
    when = re.search(r"The others appear only when they apply: (.*?)\n\n", text, re.S)
    assert always is not None and when is not None, "control.md: the journal fields moved"

    def names(part: str) -> set[str]:
        return {n for n in re.findall(r"`([a-z_]+)`", part) if n != "null"}

    return names(always.group(1).split(";")[0]), names(when.group(1))


def test_journal_entries_have_the_fields_control_md_lists(tmp_path: Path) -> None:
    always, when_set = _journal_fields()
    assert {"id", "status", "stub_id"} <= always and {"delay_ms", "decision"} <= when_set
    config = """
        endpoints:
          - {path: /plain}
          - {path: /busy, method: POST, latency_ms: 5, fail_first: 1}
    """
    with serving(tmp_path, config, journal_body_cap_bytes=4) as mock:
        httpx.get(mock.url + "/plain")
        httpx.post(mock.url + "/busy", content=b"\xff\xfe-not-utf-8")
        httpx.get(mock.url + "/nope")
        unmatched, busy, plain = mock.requests.all()
    assert always <= set(plain) and not set(plain) & when_set
    assert plain["stub"] == "GET /plain" and unmatched["stub"] is unmatched["stub_id"] is None
    assert set(busy) - always <= when_set, "an entry field control.md does not list"
    assert when_set <= set(busy)
    assert busy["body_truncated"] is True and busy["failure_injected"] is True


def test_an_unmatched_request_gets_the_report_control_md_shows(tmp_path: Path) -> None:
    shown = json.loads(NEAR_MISS.text)
    config = block("README.md", "name: get-user", "yaml").text
    with serving(tmp_path, config) as mock:
        response = httpx.get(mock.url + "/api/users/1", headers={"Authorization": "Basic x"})
    report = response.json()
    assert response.status_code == 404
    assert set(report) == set(shown) and report["error"] == shown["error"]
    assert report["request"] == shown["request"]
    miss, shown_miss = report["near_misses"][0], shown["near_misses"][0]
    assert set(miss) == set(shown_miss) and miss["stub"] == shown_miss["stub"]
    assert re.fullmatch(r".*apidouble\.yaml:\d+", miss["source"])
    assert 0 < miss["distance"] < 1
    assert miss["checks"] == shown_miss["checks"]


def test_a_body_failing_the_schema_gets_the_problem_config_md_shows() -> None:
    shown = json.loads(PROBLEM.text)
    with MockServer(EXAMPLES) as mock:
        response = httpx.post(mock.url + "/api/users", json={"name": "", "email": "a@b"})
    problem = response.json()
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert {k: problem[k] for k in shown if k != "errors"} == {
        k: v for k, v in shown.items() if k != "errors"
    }
    assert problem["errors"] == shown["errors"]


def test_every_control_route_in_control_md_answers(tmp_path: Path) -> None:
    table = page("control.md").read_text().split("## The journal")[0]
    routes = re.findall(r"`(GET|POST|DELETE) (/__[a-z/]+)`", table)
    assert len(routes) >= 8
    with serving(tmp_path, "endpoints: [{path: /x}]") as mock:
        for method, path in routes:
            response = httpx.request(method, mock.url + path)
            assert response.status_code == 200, f"{method} {path}: {response.text}"
        health = httpx.get(mock.url + "/__admin/health").json()
    assert {"status", "stubs", "journal"} <= set(health) and health["status"] == "healthy"
