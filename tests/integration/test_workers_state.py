"""``--workers N`` and state: refused with memory state when the config keeps state,
shared through ``--state redis://…`` otherwise."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.redis_peer import RedisPeer

APIDOUBLE = [sys.executable, "-m", "apidouble"]
SCENARIO = """
endpoints:
  - method: POST
    path: /pay
    scenario: {name: checkout, when: Started, then: paid}
    response: paid
  - {path: /order, scenario: {name: checkout, when: paid}, response: {order: paid}}
  - {path: /order, scenario: {name: checkout, when: Started}, response: {order: open}}
"""


def run(path: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    command = [*APIDOUBLE, "run", str(path), "--port", "0", "--no-watch", *flags]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(
    ("stub", "named"),
    [
        ("{path: /s, scenario: {name: s, when: Started}, response: ok}", "scenarios"),
        ("{path: /r, rate_limit: {requests: 1, per: 1s}, response: ok}", "rate limits"),
        ("{path: /f, fail_every: 2, response: ok}", "fail_first/fail_every/outage"),
        ("{path: /q, mode: cycle, responses: [{response: a}, {response: b}]}", "sequences"),
    ],
)
def test_workers_with_memory_state_refuse_a_stateful_config(
    write_config: Callable[[str, str], Path], stub: str, named: str
) -> None:
    path = write_config(f"endpoints: [{stub}]", "apidouble.yaml")
    refused = run(path, "--workers", "2")
    assert refused.returncode == 2
    assert named in refused.stderr and "--state redis://" in refused.stderr


def test_an_unknown_state_store_is_refused_with_the_accepted_forms(
    write_config: Callable[[str, str], Path],
) -> None:
    path = write_config("endpoints: [{path: /p, response: ok}]", "apidouble.yaml")
    refused = run(path, "--state", "memcached://db")
    assert refused.returncode == 2
    assert "memory or redis://HOST:PORT/DB" in refused.stderr


def test_two_workers_share_a_scenario_through_redis(
    write_config: Callable[[str, str], Path], redis_peer: RedisPeer
) -> None:
    path = write_config(SCENARIO, "apidouble.yaml")
    command = [*APIDOUBLE, "run", str(path), "--port", "0", "--no-watch", "--workers", "2"]
    command += ["--state", redis_peer.url]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as p:
        try:
            assert p.stdout is not None
            url = p.stdout.readline().strip().rsplit(" ", 1)[1]
            assert httpx.post(url + "/pay").text == "paid"
            pids, orders = set(), set()
            for _ in range(30):  # new connections: the kernel spreads them over both workers
                with httpx.Client() as client:
                    orders.add(client.get(url + "/order").text)
                    pids.add(client.get(url + "/__admin/health").json()["pid"])
            assert len(pids) == 2
            assert orders == {'{"order":"paid"}'}  # whichever worker answered
            p.send_signal(signal.SIGTERM)
            assert p.wait(timeout=30) == 0
        finally:
            p.kill()
