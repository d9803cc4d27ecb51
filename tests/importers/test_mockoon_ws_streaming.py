"""Mockoon's streaming WebSocket routes (``UNICAST``, ``BROADCAST``) served over real
sockets: an answer pushed every ``streamingInterval``, the responses in turn when
``SEQUENTIAL``; and the same pushes from mockoon-cli 9.9 when it is installed.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from apidouble.importers.mockoon import convert_environment
from apidouble.testing import MockServer
from tests.compat.mockoon.peer import available, mockoon
from tests.importers.test_mockoon_serving import environment, response, route, rule, write


def streaming(mode: str, *responses: dict[str, Any], **more: Any) -> dict[str, Any]:
    made = route("ws/s", *responses, streamingMode=mode, streamingInterval=20, **more)
    made["type"] = "ws"
    return made


def streams() -> dict[str, Any]:
    sequential = streaming("UNICAST", response("a"), response("b"), responseMode="SEQUENTIAL")
    sequential["endpoint"] = "ws/seq"
    ticking = streaming("BROADCAST", response("other"), response("tick", default=True))
    ticking["endpoint"] = "ws/tick"
    return environment(sequential, ticking)


async def _pushed(url: str, path: str, count: int, clients: int = 1) -> list[list[str]]:
    from websockets.asyncio.client import connect

    async def one() -> list[str]:
        async with connect(url.replace("http", "ws", 1) + path) as ws:
            return [str(await asyncio.wait_for(ws.recv(), 5)) for _ in range(count)]

    return list(await asyncio.gather(*(one() for _ in range(clients))))


def pushed(url: str) -> list[list[list[str]]]:
    return [
        asyncio.run(_pushed(url, "/ws/seq", 5)),
        asyncio.run(_pushed(url, "/ws/tick", 3, clients=2)),
    ]


WANT = [[["a", "b", "a", "b", "a"]], [["tick"] * 3, ["tick"] * 3]]


def test_streaming_routes_push_every_interval(tmp_path: Path) -> None:
    with MockServer(write(tmp_path, streams())) as mock:
        assert pushed(mock.url) == WANT


def test_the_pushes_are_native_timers(tmp_path: Path) -> None:
    env = streams()
    conversion = convert_environment(env, write(tmp_path, env))
    assert [p.message for p in conversion.problems] == []
    sequential, ticking = (e["websocket"] for e in conversion.document["endpoints"])
    assert sequential == {
        "sequence": {
            "steps": [{"send": "a", "delay_ms": 20}, {"send": "b", "delay_ms": 20}],
            "repeat": "forever",
        }
    }
    assert ticking == {"every": {"ms": 20, "send": "tick"}}


@pytest.mark.parametrize(
    ("made", "reason"),
    [
        (streaming("UNICAST", response("a"), responseMode="RANDOM"), "random responses"),
        (
            streaming("UNICAST", response("a", rules=[rule("header", "x", "1")])),
            "rules on the upgrade request of a streaming route",
        ),
        (streaming("UNICAST", response("{{now}}")), "templated answers"),
    ],
)
def test_what_is_not_there_yet_is_a_problem(
    tmp_path: Path, made: dict[str, Any], reason: str
) -> None:
    env = environment(made)
    (problem,) = convert_environment(env, write(tmp_path, env)).problems
    assert reason in problem.message


@pytest.mark.skipif(available() is not None, reason=str(available()))
def test_pushes_as_mockoon_cli(tmp_path: Path) -> None:
    with MockServer(write(tmp_path, streams())) as mock:
        ours = pushed(mock.url)
    with mockoon(write(tmp_path, streams(), "peer.json")) as url:
        theirs = pushed(url)
    assert ours == theirs
