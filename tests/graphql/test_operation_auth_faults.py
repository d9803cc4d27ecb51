"""An ``operations:`` stub's own ``auth`` and ``fault``, in the endpoints' shapes, against
a served config over real sockets: httpx and raw sockets for HTTP, ``websockets`` for
``graphql-transport-ws``. A REST endpoint with the same fault sits beside them, so a
fault is seen to end the connection as the endpoint's does."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from apidouble import ConfigError
from apidouble.auth.keys import KeyRing
from apidouble.auth.tokens import TokenMinter
from apidouble.testing import MockServer

SDL = """
type Query { secret: String, admin: String, calm: String, reset: String, garbage: String,
  sometimes: String }
"""

ISSUER = "https://idp.example.com/"

CONFIG = """
seed: 11
endpoints:
  - {path: /rest-reset, method: POST, fault: connection_reset}
  - {path: /rest-empty, method: POST, fault: empty_response}
graphql:
  - path: /graphql
    schema: schema.graphql
    operations:
      - id: secret
        operation_name: Secret
        auth: {api_key: {header: X-Api-Key, values: {k1: {sub: ada}}}}
        data: {secret: hidden}
      - id: admin
        operation_name: Admin
        auth: {jwt: {jwks: JWKS, issuer: "ISSUER", audience: api, scopes: [admin]}}
        data: {admin: granted}
      - id: open
        operation_name: Calm
        auth: false
        data: {calm: fine}
      - id: reset
        operation_name: Reset
        fault: connection_reset
      - id: garbage
        operation_name: Garbage
        fault: {type: random_data_then_close, bytes: 64}
      - id: sometimes
        operation_name: Sometimes
        failure_rate: 1
        failure: {fault: empty_response}
        data: {sometimes: never}
"""


@pytest.fixture(scope="module")
def ring() -> KeyRing:
    return KeyRing()


@pytest.fixture(scope="module")
def mock(tmp_path_factory: pytest.TempPathFactory, ring: KeyRing) -> Iterator[MockServer]:
    folder: Path = tmp_path_factory.mktemp("graphql-auth-faults")
    (folder / "schema.graphql").write_text(SDL)
    jwks = folder / "jwks.json"
    jwks.write_text(json.dumps(ring.jwks()))
    # relative: read from the config's folder, whatever the working directory
    config = CONFIG.replace("JWKS", jwks.name).replace("ISSUER", ISSUER)
    (folder / "api.yaml").write_text(config)
    with MockServer(folder / "api.yaml") as server:
        yield server


def _token(ring: KeyRing, scope: str) -> str:
    claims = {"sub": "grace", "aud": "api", "scope": scope}
    return TokenMinter(ring, ISSUER).mint(claims)


def _post(mock: MockServer, body: Any, **headers: str) -> httpx.Response:
    return httpx.post(mock.url + "/graphql", json=body, headers=headers, timeout=5)


def _facts(mock: MockServer, operation: str) -> list[dict[str, Any]]:
    return [
        fact
        for entry in mock.requests.find(path="/graphql")
        for fact in (entry.get("decision") or {}).get("graphql") or ()
        if fact["operation"] == operation
    ]


# --- auth ---------------------------------------------------------------------------------


def test_an_operation_with_auth_refuses_without_credentials(mock: MockServer) -> None:
    refused = _post(
        mock,
        {"query": "query Secret { secret }"},
        accept="application/graphql-response+json",
    )
    assert refused.status_code == 401
    assert refused.headers["content-type"].startswith("application/graphql-response+json")
    assert refused.headers["www-authenticate"] == 'ApiKey header="X-Api-Key"'
    assert refused.json() == {
        "errors": [
            {
                "message": "credentials required",
                "extensions": {"code": "UNAUTHENTICATED", "error": "unauthorized"},
            }
        ]
    }
    wrong = _post(mock, {"query": "query Secret { secret }"}, **{"x-api-key": "nope"})
    assert wrong.status_code == 401
    assert wrong.json()["errors"][0]["extensions"]["error"] == "invalid_credentials"
    refusals = {fact.get("auth_refused") for fact in _facts(mock, "Secret")}
    assert {"unauthorized", "invalid_credentials"} <= refusals


def test_an_operation_with_auth_answers_with_credentials(mock: MockServer) -> None:
    answer = _post(mock, {"query": "query Secret { secret }"}, **{"x-api-key": "k1"})
    assert answer.status_code == 200
    assert answer.json() == {"data": {"secret": "hidden"}}
    admitted = [f for f in _facts(mock, "Secret") if "auth" in f]
    assert admitted[0]["auth"]["subject"] == "ada"  # the newest first


def test_a_jwt_operation_wants_a_valid_token_with_its_scope(
    mock: MockServer, ring: KeyRing
) -> None:
    query = {"query": "query Admin { admin }"}
    assert _post(mock, query).status_code == 401
    bad = _post(mock, query, authorization="Bearer not.a.token")
    assert bad.status_code == 401
    assert bad.json()["errors"][0]["extensions"]["error"] == "invalid_token"
    assert bad.headers["www-authenticate"].startswith("Bearer ")
    narrow = _post(mock, query, authorization=f"Bearer {_token(ring, 'read')}")
    assert narrow.status_code == 403
    assert narrow.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    granted = _post(mock, query, authorization=f"Bearer {_token(ring, 'read admin')}")
    assert granted.status_code == 200
    assert granted.json() == {"data": {"admin": "granted"}}


def test_in_a_batch_only_the_refused_operation_gets_the_error(mock: MockServer) -> None:
    batch = _post(mock, [{"query": "query Secret { secret }"}, {"query": "query Calm { calm }"}])
    assert batch.status_code == 200
    secret, calm = batch.json()
    assert secret["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert calm == {"data": {"calm": "fine"}}


async def _over_socket(mock: MockServer, query: str, **headers: str) -> dict[str, Any]:
    url = mock.url.replace("http://", "ws://") + "/graphql"
    async with websockets.connect(
        url,
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        additional_headers=headers,
    ) as ws:
        await ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await ws.recv()) == {"type": "connection_ack"}
        await ws.send(json.dumps({"type": "subscribe", "id": "1", "payload": {"query": query}}))
        message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 3))
        return message


def test_over_the_socket_the_upgrade_request_is_what_auth_checks(mock: MockServer) -> None:
    refused = asyncio.run(_over_socket(mock, "query Secret { secret }"))
    assert refused["type"] == "error"
    assert refused["payload"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    answered = asyncio.run(_over_socket(mock, "query Secret { secret }", **{"X-Api-Key": "k1"}))
    assert answered == {"type": "next", "id": "1", "payload": {"data": {"secret": "hidden"}}}


def test_a_local_issuer_per_operation_is_refused_at_load(tmp_path: Path) -> None:
    (tmp_path / "schema.graphql").write_text(SDL)
    (tmp_path / "api.yaml").write_text(
        "graphql:\n  - schema: schema.graphql\n    operations:\n"
        "      - {id: mine, operation_name: Calm, auth: {jwt: {issuer: default}}}\n"
    )
    with pytest.raises(ConfigError, match="operation mine: auth.jwt.issuer"):
        MockServer(tmp_path / "api.yaml").start()


def test_an_operation_may_name_a_local_issuer(tmp_path: Path) -> None:
    (tmp_path / "schema.graphql").write_text(SDL)
    (tmp_path / "api.yaml").write_text(
        "auth:\n  issuers:\n    default: {}\n"
        "graphql:\n  - schema: schema.graphql\n    operations:\n"
        "      - {id: mine, operation_name: Calm, auth: {jwt: {issuer: default}},"
        " data: {calm: admitted}}\n"
    )
    query = {"query": "query Calm { calm }"}
    with MockServer(tmp_path / "api.yaml") as mock:
        refused = httpx.post(mock.url + "/graphql", json=query, timeout=5)
        minted = httpx.post(mock.url + "/__admin/auth/tokens", json={"sub": "ada"}, timeout=5)
        bearer = {"Authorization": f"Bearer {minted.json()['access_token']}"}
        admitted = httpx.post(mock.url + "/graphql", json=query, headers=bearer, timeout=5)
    assert refused.status_code == 401
    assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert admitted.status_code == 200, admitted.text
    assert admitted.json() == {"data": {"calm": "admitted"}}


def test_a_bad_auth_names_the_operation(tmp_path: Path) -> None:
    (tmp_path / "schema.graphql").write_text(SDL)
    (tmp_path / "api.yaml").write_text(
        "graphql:\n  - schema: schema.graphql\n    operations:\n"
        "      - {id: odd, operation_name: Calm, auth: {password: x}}\n"
    )
    with pytest.raises(ConfigError, match=r"api\.yaml:4: .* /graphql/0/operations/0/auth/password"):
        MockServer(tmp_path / "api.yaml").start()


# --- faults -------------------------------------------------------------------------------


def _raw(mock: MockServer, path: str, body: bytes = b"") -> bytes | str:
    """What a raw client reads until the server ends the connection: the bytes, or the
    name of the error that ended it."""
    host, port = mock.url.removeprefix("http://").split(":")
    head = (
        f"POST {path} HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection((host, int(port)), timeout=5) as client:
        client.sendall(head + body)
        got = b""
        try:
            while chunk := client.recv(65536):
                got += chunk
        except ConnectionResetError:
            return "reset"
        return got


def _query(name: str) -> bytes:
    return json.dumps({"query": f"query {name} {{ {name.lower()} }}"}).encode()


def test_a_fault_resets_the_connection_as_an_endpoints_fault_does(mock: MockServer) -> None:
    assert _raw(mock, "/rest-reset") == "reset"
    assert _raw(mock, "/graphql", _query("Reset")) == "reset"


def test_a_failure_fault_ends_the_connection_with_nothing_sent(mock: MockServer) -> None:
    assert _raw(mock, "/rest-empty") == b""
    assert _raw(mock, "/graphql", _query("Sometimes")) == b""


def test_a_fault_is_journaled_with_the_operation(mock: MockServer) -> None:
    _raw(mock, "/graphql", _query("Garbage"))
    _raw(mock, "/graphql", _query("Sometimes"))
    assert _facts(mock, "Garbage")[0]["fault"] == "random_data_then_close(64B)"
    sometimes = _facts(mock, "Sometimes")[0]
    assert sometimes["fault"] == "empty_response"
    assert sometimes["failure"] is True


async def _socket_ends(mock: MockServer, query: str) -> tuple[bytes | None, int | None]:
    """Subscribe, then read until the connection ends: what the close frame said (None:
    there was none) and its code."""
    url = mock.url.replace("http://", "ws://") + "/graphql"
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await ws.recv()) == {"type": "connection_ack"}
        await ws.send(json.dumps({"type": "subscribe", "id": "1", "payload": {"query": query}}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 3)
        frame = closed.value.rcvd
        return (None, None) if frame is None else (frame.reason.encode(), frame.code)


@pytest.mark.parametrize("operation", ["Reset", "Garbage", "Sometimes"])
def test_over_the_socket_a_fault_drops_the_connection_without_a_close_frame(
    mock: MockServer, operation: str
) -> None:
    assert asyncio.run(_socket_ends(mock, f"query {operation} {{ {operation.lower()} }}")) == (
        None,
        None,
    )


def test_over_the_socket_an_operation_without_a_fault_still_answers(mock: MockServer) -> None:
    answered = asyncio.run(_over_socket(mock, "query Calm { calm }"))
    assert answered == {"type": "next", "id": "1", "payload": {"data": {"calm": "fine"}}}


def test_a_bad_fault_names_the_operation(tmp_path: Path) -> None:
    (tmp_path / "schema.graphql").write_text(SDL)
    (tmp_path / "api.yaml").write_text(
        "graphql:\n  - schema: schema.graphql\n    operations:\n"
        "      - {id: odd, operation_name: Calm, fault: explode}\n"
    )
    with pytest.raises(ConfigError, match="operation odd: fault must be one of"):
        MockServer(tmp_path / "api.yaml").start()
