"""``GET /__admin/metrics`` over real sockets: Prometheus text from the server's counts."""

from __future__ import annotations

import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import prometheus_client
import pytest
from prometheus_client.parser import text_string_to_metric_families

from apidouble import MockServer
from apidouble.errors import ConfigError

Serve = Callable[..., MockServer]
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]

STATIC = "endpoints: [{name: hello, path: /hello, response: hi}]"


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Serve]:
    started: list[MockServer] = []

    def start(text: str, **options: object) -> MockServer:
        config = tmp_path / "apidouble.yaml"
        config.write_text(textwrap.dedent(text))
        server = MockServer(config, **options).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def scrape(mock: MockServer, client: httpx.Client | None = None, **headers: str) -> Samples:
    response = (client or httpx).get(mock.url + "/__admin/metrics", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def requests(samples: Samples, stub: str, method: str = "GET", status: str = "200") -> float:
    return value(samples, "apidouble_requests_total", stub=stub, method=method, status=status)


def test_express_and_general_exchanges_count_in_one_series(serve: Serve) -> None:
    mock = serve(STATIC)
    assert mock._runtime.engine.express.routes[b"GET"][b"/hello"]  # served by the express lane
    for _ in range(3):
        assert httpx.get(mock.url + "/hello").text == "hi"
    httpx.get(mock.url + "/hello?x=1")  # a query string takes the general path
    httpx.head(mock.url + "/hello")
    httpx.get(mock.url + "/nowhere")
    samples = scrape(mock)
    assert requests(samples, "hello") == 4
    assert requests(samples, "hello", "HEAD") == 1
    assert requests(samples, "", status="404") == 1
    duration = "apidouble_request_duration_seconds"
    assert value(samples, duration + "_count") == 6
    assert value(samples, duration + "_bucket", le="+Inf") == 6
    # the express lane's three sit in the lowest bucket, as its HELP says
    assert value(samples, duration + "_bucket", le="0.0005") >= 3
    assert value(samples, "apidouble_stubs") == 1


def test_the_metrics_route_is_not_counted_and_servers_do_not_mix(serve: Serve) -> None:
    first, second = serve(STATIC), serve(STATIC)
    httpx.get(first.url + "/hello")
    scrape(first)
    samples = scrape(first)
    assert requests(samples, "hello") == 1
    assert sum(v for (name, _), v in samples.items() if name == "apidouble_requests_total") == 1
    assert requests(scrape(second), "hello") == 0
    names = {metric.name for metric in prometheus_client.REGISTRY.collect()}
    assert not any(name.startswith("apidouble") for name in names)


def test_delay_histogram_holds_the_injected_latency(serve: Serve) -> None:
    mock = serve(
        """
        endpoints:
          - {name: slow, path: /slow, latency_ms: 30, response: ok}
          - {name: fast, path: /fast, response: ok}
        """
    )
    httpx.get(mock.url + "/slow")
    httpx.get(mock.url + "/fast")
    samples = scrape(mock)
    delay = "apidouble_response_delay_seconds"
    assert value(samples, delay + "_count") == 2
    assert value(samples, delay + "_sum") == pytest.approx(0.03)
    assert value(samples, delay + "_bucket", le="0.0005") == 1  # the undelayed one
    assert value(samples, delay + "_bucket", le="0.025") == 1
    assert value(samples, delay + "_bucket", le="0.05") == 2
    # our own time: the 30 ms injected delay is counted apart, in the delay histogram
    assert value(samples, "apidouble_request_duration_seconds_sum") < 0.03


def test_trouble_counts_by_stub(serve: Serve) -> None:
    mock = serve(
        """
        endpoints:
          - {name: pay, path: /pay, fail_first: 2, failure: {status: 503}, response: ok}
          - {name: reset, path: /reset, fault: connection_reset}
          - {name: api, path: /api, rate_limit: {requests: 1, per: 60s}, response: ok}
        """
    )
    statuses = [httpx.get(mock.url + "/pay").status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    with pytest.raises(httpx.TransportError):
        httpx.get(mock.url + "/reset")
    assert [httpx.get(mock.url + "/api").status_code for _ in range(3)] == [200, 429, 429]
    samples = scrape(mock)
    assert value(samples, "apidouble_failures_injected_total", stub="pay") == 2
    assert requests(samples, "pay", status="503") == 2
    assert value(samples, "apidouble_faults_total", stub="reset", fault="connection_reset") == 1
    assert value(samples, "apidouble_rate_limited_total", stub="api") == 2
    assert value(samples, "apidouble_failures_injected_total", stub="api") == 0


def test_counts_outlive_reloads_and_journal_clears(serve: Serve, tmp_path: Path) -> None:
    mock = serve(STATIC)
    httpx.get(mock.url + "/hello")
    httpx.get(mock.url + "/hello")
    mock.requests.clear()
    config = tmp_path / "apidouble.yaml"
    config.write_text(
        "endpoints: [{name: hello, path: /hello, response: hi}, {path: /more, response: m}]"
    )
    mock.reload()
    httpx.get(mock.url + "/hello")  # a new express route, the same count
    samples = scrape(mock)
    assert requests(samples, "hello") == 3
    assert value(samples, "apidouble_journal_entries") == 1
    assert value(samples, "apidouble_reloads_total") == 1
    assert value(samples, "apidouble_reload_errors_total") == 0
    assert value(samples, "apidouble_stubs") == 2
    config.write_text("endpoints: [{path: /broken")  # not YAML
    with pytest.raises(ConfigError):
        mock.reload()
    samples = scrape(mock)
    assert value(samples, "apidouble_reloads_total") == 2
    assert value(samples, "apidouble_reload_errors_total") == 1
    assert value(samples, "apidouble_stubs") == 2  # the last good config serves on


def test_journal_families_read_the_journal(serve: Serve) -> None:
    mock = serve(STATIC, max_request_journal_entries=2)
    for _ in range(5):
        httpx.get(mock.url + "/hello")
    samples = scrape(mock)
    assert value(samples, "apidouble_journal_entries") == 2
    assert value(samples, "apidouble_journal_bytes") > 0
    assert value(samples, "apidouble_journal_evicted_total") == 3
    mock.requests.clear()
    samples = scrape(mock)
    assert value(samples, "apidouble_journal_entries") == 0
    assert value(samples, "apidouble_journal_bytes") == 0
    assert value(samples, "apidouble_journal_evicted_total") == 3  # a counter: never down
    for _ in range(3):
        httpx.get(mock.url + "/hello")
    assert value(scrape(mock), "apidouble_journal_evicted_total") == 4


def test_open_connections_are_read_at_scrape(serve: Serve) -> None:
    mock = serve(STATIC)
    with httpx.Client() as scraper, httpx.Client() as other:
        assert value(scrape(mock, scraper), "apidouble_connections_open") == 1
        other.get(mock.url + "/hello")
        assert value(scrape(mock, scraper), "apidouble_connections_open") == 2


def test_tasks_alive_are_read_at_scrape(serve: Serve) -> None:
    """An event stream is pumped by a task: the gauge counts each while it streams."""
    mock = serve("endpoints: [{path: /slow, sse: {every_ms: 700, events: [{data: a}, {data: b}]}}]")
    with httpx.Client() as scraper:
        quiet = value(scrape(mock, scraper), "apidouble_tasks")
        waiting = [threading.Thread(target=httpx.get, args=(mock.url + "/slow",)) for _ in range(3)]
        for thread in waiting:
            thread.start()
        time.sleep(0.5)
        busy = value(scrape(mock, scraper), "apidouble_tasks")
        for thread in waiting:
            thread.join()
        assert busy >= quiet + 3
        assert value(scrape(mock, scraper), "apidouble_tasks") == quiet


def test_the_admin_token_guards_metrics(serve: Serve) -> None:
    mock = serve(STATIC, admin_token="s3cret")
    assert httpx.get(mock.url + "/__admin/metrics").status_code == 401
    assert value(scrape(mock, authorization="Bearer s3cret"), "apidouble_stubs") == 1


LIMITED = r"""
endpoints:
  - name: redos
    path: /redos
    match: {query: {q: {regex: '(a|aa)+$(?#metrics)'}}}
    response: matched
  - name: slow
    path: /slow
    response: "{% for a in range(99999) %}{% for b in range(99999) %}{% endfor %}{% endfor %}"
  - name: big
    path: /big
    response: "{{ request.path | center(999999999) }}"
"""


def test_resource_limits_count_their_refusals(serve: Serve) -> None:
    """A regex given up on and templates refused by their time or size limit show up as
    counters (per process: the counts start where earlier tests left them)."""
    mock = serve(LIMITED)
    pattern = {"pattern": "(a|aa)+$(?#metrics)"}
    before = scrape(mock)
    with httpx.Client(base_url=mock.url) as http:
        assert http.get("/redos", params={"q": "a" * 40 + "!"}).status_code == 404
        assert http.get("/redos", params={"q": "aaaa"}).text == "matched"
        assert http.get("/slow").status_code == 500
        assert http.get("/big").status_code == 500
        assert http.get("/big").status_code == 500
    after = scrape(mock)
    timeouts = "apidouble_regex_timeouts_total"
    assert value(after, timeouts, **pattern) == value(before, timeouts, **pattern) + 1
    limits = "apidouble_template_limits_total"
    for limit, more in [("render_time", 1), ("render_size", 2)]:
        assert value(after, limits, limit=limit) == value(before, limits, limit=limit) + more
