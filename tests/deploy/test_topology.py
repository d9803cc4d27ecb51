"""The compose topology run as local processes: nginx with deploy/nginx.conf in front of
two instances started through the entrypoint; with Redis as their state, a sequence
advances across both instances as one."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from .processes import Running, missing, nginx, redis_server, start

STUBS = """\
endpoints:
  - name: order-status
    path: /orders/{id}/status
    mode: sequence
    responses:
      - response: {status: pending}
      - response: {status: shipped}
      - response: {status: delivered}
"""
INSTANCES = ("apidouble-1", "apidouble-2")


@pytest.fixture
def mappings(tmp_path: Path) -> Path:
    folder = tmp_path / "mappings"
    folder.mkdir()
    (folder / "apidouble.yaml").write_text(STUBS)
    return folder


@contextmanager
def balanced(
    mappings: Path, work: Path, extra: Mapping[str, str] | None = None
) -> Iterator[tuple[httpx.Client, set[int]]]:
    """Both compose instances behind nginx: a client of nginx, and the instances' pids."""
    instances: list[Running] = []
    try:
        for name in INSTANCES:
            instances.append(start(mappings, work / f"{name}.log", extra))
        ports = {name: running.port for name, running in zip(INSTANCES, instances, strict=True)}
        with nginx(ports, work) as url, httpx.Client(base_url=url) as client:
            yield client, {running.process.pid for running in instances}
    finally:
        for running in instances:
            running.stop()


def _answered_by(client: httpx.Client, count: int) -> set[int]:
    return {client.get("/__admin/health").json()["pid"] for _ in range(count)}


@pytest.mark.skipif(missing("nginx"), reason="nginx is not installed")
def test_nginx_spreads_requests_over_both_instances(mappings: Path, tmp_path: Path) -> None:
    with balanced(mappings, tmp_path) as (client, pids):
        assert _answered_by(client, 4) == pids


@pytest.mark.skipif(missing("nginx", "redis-server"), reason="nginx or redis is not installed")
def test_a_sequence_advances_across_both_instances_through_redis(
    mappings: Path, tmp_path: Path
) -> None:
    with redis_server(tmp_path) as state:
        with balanced(mappings, tmp_path, {"APIDOUBLE_STATE": state}) as (client, pids):
            statuses = [client.get("/orders/7/status").json()["status"] for _ in range(4)]
            assert _answered_by(client, 2) == pids  # round robin: the four went to both too
    assert statuses == ["pending", "shipped", "delivered", "delivered"]
