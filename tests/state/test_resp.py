"""The pipelined Redis connection the state calls use, against a real redis-server."""

from __future__ import annotations

import asyncio

import pytest

from apidouble.state.redis_link import RedisLink, RedisTarget
from apidouble.state.resp import Pipe, ReplyError, Script, encode
from tests.redis_peer import RedisPeer


def test_commands_are_encoded_as_resp_arrays() -> None:
    assert (
        encode(("SET", "k", 1, b"\x00"))
        == b"*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\n1\r\n$1\r\n\x00\r\n"
    )


async def test_concurrent_commands_share_one_connection_and_keep_their_order(
    redis_peer: RedisPeer,
) -> None:
    pipe = Pipe()
    await pipe.connect("127.0.0.1", redis_peer.port, 2.0)
    replies = await asyncio.gather(*(pipe.send("INCR", "n") for _ in range(200)))
    assert replies == list(range(1, 201))
    assert await pipe.send("PING") == "PONG"
    with pytest.raises(ReplyError, match="WRONGTYPE|ERR"):
        await pipe.send("HGET", "n", "x")  # an error reply fails its own caller only
    assert await pipe.send("GET", "n") == "200"
    clients = await pipe.send("CLIENT", "LIST")
    assert len([line for line in clients.splitlines() if line]) == 1  # one connection
    pipe.close()


async def test_a_script_unknown_to_redis_is_loaded_again(redis_peer: RedisPeer) -> None:
    link = RedisLink(RedisTarget.parse(redis_peer.url))
    script = Script("return ARGV[1] .. KEYS[1]")
    assert await link.acall(lambda: link.script(script, ["k"], ["v"])) == "vk"
    await link.acall(lambda: link.command("SCRIPT", "FLUSH"))  # as after a restart
    assert await link.acall(lambda: link.script(script, ["k"], ["w"])) == "wk"
    await link.aclose()


async def test_a_silent_server_times_out_instead_of_hanging() -> None:
    done = asyncio.Event()
    handlers: list[asyncio.Future[None]] = []

    async def say_nothing(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        finished = asyncio.get_running_loop().create_future()
        handlers.append(finished)
        await done.wait()
        writer.close()
        await writer.wait_closed()
        finished.set_result(None)

    server = await asyncio.start_server(say_nothing, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    pipe = Pipe()
    pipe.timeout_s = 0.2
    await pipe.connect("127.0.0.1", port, 2.0)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(ConnectionError, match="no reply from Redis within 0.2 s"):
        await pipe.send("PING")
    assert loop.time() - started < 1.0
    assert not pipe.open
    done.set()
    await asyncio.gather(*handlers)
    server.close()
    await server.wait_closed()


async def test_waiters_fail_when_redis_goes_away(redis_peer: RedisPeer) -> None:
    pipe = Pipe()
    await pipe.connect("127.0.0.1", redis_peer.port, 2.0)
    pending = pipe.send("BLPOP", "never", 10)
    await asyncio.sleep(0.05)
    redis_peer.kill()
    with pytest.raises(ConnectionError, match="closed the connection"):
        await pending
    assert not pipe.open
