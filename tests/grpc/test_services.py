"""Server reflection and the health service, as grpcurl and Postman use them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

grpc = pytest.importorskip("grpc", reason="the grpc extra is not installed")

from google.protobuf import descriptor_pb2  # noqa: E402
from grpc_health.v1 import health_pb2, health_pb2_grpc  # noqa: E402
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc  # noqa: E402

from tests.grpc.support import serving  # noqa: E402


async def _reflect(
    channel: grpc.aio.Channel, request: reflection_pb2.ServerReflectionRequest
) -> reflection_pb2.ServerReflectionResponse:
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    responses = [r async for r in stub.ServerReflectionInfo(iter([request]))]
    assert len(responses) == 1
    return responses[0]


async def test_reflection_lists_the_services(tmp_path: Path) -> None:
    async with serving(tmp_path, []) as running:
        found = await _reflect(
            running.channel, reflection_pb2.ServerReflectionRequest(list_services="")
        )
    names = {s.name for s in found.list_services_response.service}
    assert names == {
        "shop.Catalog",
        "grpc.health.v1.Health",
        "grpc.reflection.v1alpha.ServerReflection",
    }


async def test_reflection_gives_the_file_of_a_symbol_with_its_imports(tmp_path: Path) -> None:
    async with serving(tmp_path, []) as running:
        request = reflection_pb2.ServerReflectionRequest(file_containing_symbol="shop.Catalog")
        found = await _reflect(running.channel, request)
    files = [descriptor_pb2.FileDescriptorProto.FromString(b)
             for b in found.file_descriptor_response.file_descriptor_proto]  # fmt: skip
    catalog = next(f for f in files if f.name == "catalog.proto")
    assert [m.name for m in catalog.service[0].method] == ["GetItem", "ListItems", "Upload", "Talk"]
    assert "google/protobuf/timestamp.proto" in catalog.dependency


async def test_reflection_describes_the_health_service_too(tmp_path: Path) -> None:
    async with serving(tmp_path, []) as running:
        request = reflection_pb2.ServerReflectionRequest(
            file_containing_symbol="grpc.health.v1.Health"
        )
        found = await _reflect(running.channel, request)
    [data] = found.file_descriptor_response.file_descriptor_proto
    assert descriptor_pb2.FileDescriptorProto.FromString(data).service[0].name == "Health"


async def test_reflection_and_health_can_be_turned_off(tmp_path: Path) -> None:
    async with serving(tmp_path, [], reflection=False, health=False) as running:
        health = health_pb2_grpc.HealthStub(running.channel)
        with pytest.raises(grpc.aio.AioRpcError) as missing:
            await health.Check(health_pb2.HealthCheckRequest(service=""))
    assert missing.value.code() == grpc.StatusCode.UNIMPLEMENTED


async def test_health_says_serving_for_the_server_and_each_service(tmp_path: Path) -> None:
    async with serving(tmp_path, []) as running:
        health = health_pb2_grpc.HealthStub(running.channel)
        whole = await health.Check(health_pb2.HealthCheckRequest(service=""))
        catalog = await health.Check(health_pb2.HealthCheckRequest(service="shop.Catalog"))
        with pytest.raises(grpc.aio.AioRpcError) as unknown:
            await health.Check(health_pb2.HealthCheckRequest(service="shop.Nope"))
    assert whole.status == catalog.status == health_pb2.HealthCheckResponse.SERVING
    assert unknown.value.code() == grpc.StatusCode.NOT_FOUND


async def test_stopping_tells_health_watchers_not_serving(tmp_path: Path) -> None:
    async with serving(tmp_path, []) as running:
        health = health_pb2_grpc.HealthStub(running.channel)
        watch = health.Watch(health_pb2.HealthCheckRequest(service="shop.Catalog"))
        first = await watch.read()
        stopping = asyncio.ensure_future(running.server.stop(1.0))
        second = await watch.read()
        await stopping
    assert first.status == health_pb2.HealthCheckResponse.SERVING
    assert second.status == health_pb2.HealthCheckResponse.NOT_SERVING
