"""Callbacks and WireMock webhooks from config, fired after serving, to a second mock as
the receiver (its journal shows what arrived)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from apidouble import MockServer
from apidouble.errors import ConfigError


def receiver(*responses: int) -> MockServer:
    """A mock that answers ``/hook`` with these statuses in turn (the last repeats)."""
    answers = [{"status": status, "response": {"n": i}} for i, status in enumerate(responses)]
    endpoint: dict[str, Any] = {"name": "hook", "method": "ANY", "path": "/hook"}
    endpoint["responses"] = answers
    return MockServer(endpoints=[endpoint])


def order_stub(url: str, **callback: Any) -> dict[str, Any]:
    return {
        "name": "order",
        "method": "POST",
        "path": "/orders/{id}",
        "status": 201,
        "response": {"id": "{{ request.params.id }}", "state": "created"},
        "callbacks": [
            {
                "url": url + "/hook?order={{ request.params.id }}",
                "headers": {"X-Order": "{{ request.params.id }}"},
                "body": {"order": "{{ request.params.id }}", "status": "{{ response.status }}"},
                **callback,
            }
        ],
    }


def test_a_callback_fires_after_the_answer_templated_from_request_and_response() -> None:
    with receiver(200) as hook, MockServer(endpoints=[order_stub(hook.url)]) as mock:
        answer = httpx.post(mock.url + "/orders/42", json={"item": 1})
        [arrived] = hook.wait_for(stub="hook", times=1)
        log = httpx.get(mock.url + "/__admin/callbacks").json()
    assert answer.status_code == 201
    assert arrived["method"] == "POST" and arrived["query"] == "order=42"
    assert dict((k.lower(), v) for k, v in arrived["headers"])["x-order"] == "42"
    assert json.loads(arrived["body"]) == {"order": "42", "status": 201}
    [attempt] = log["callbacks"]
    assert attempt["stub"] == "order" and attempt["status"] == 200 and attempt["attempt"] == 1
    assert attempt["url"] == hook.url + "/hook?order=42"


def test_a_failing_receiver_is_retried_and_every_attempt_is_logged() -> None:
    with receiver(500, 503, 200) as hook, MockServer(endpoints=[order_stub(hook.url)]) as mock:
        httpx.post(mock.url + "/orders/7")
        hook.wait_for(stub="hook", times=3, timeout=10)
        log = httpx.get(mock.url + "/__admin/callbacks").json()
        assert httpx.delete(mock.url + "/__admin/callbacks").status_code == 200
        cleared = httpx.get(mock.url + "/__admin/callbacks").json()
    statuses = [(a["attempt"], a["status"]) for a in reversed(log["callbacks"])]
    assert statuses == [(1, 500), (2, 503), (3, 200)]
    assert cleared["callbacks"] == [] and cleared["total"] == 0


def test_a_callback_waits_its_delay_without_holding_the_answer() -> None:
    with receiver(200) as hook:
        stub = order_stub(hook.url, delay_ms=300)
        with MockServer(endpoints=[stub]) as mock:
            answer = httpx.post(mock.url + "/orders/1")
            assert answer.elapsed.total_seconds() < 0.3
            assert hook.requests.count(stub="hook") == 0
            hook.wait_for(stub="hook", times=1)


def test_a_stub_with_callbacks_stays_off_the_express_lane() -> None:
    stub = {"name": "ping", "path": "/ping", "response": {"ok": True}}
    stub["callbacks"] = [{"url": "http://127.0.0.1:9/never"}]
    plain = {"name": "plain", "path": "/plain", "response": {"ok": True}}
    with MockServer(endpoints=[stub, plain]) as mock:
        routes = mock._runtime.engine.express.routes.get(b"GET", {})
        assert b"/plain" in routes and b"/ping" not in routes


def test_a_bad_callback_is_a_load_error_at_its_key(tmp_path: Path) -> None:
    config = tmp_path / "apidouble.yaml"
    config.write_text(
        "endpoints:\n"
        "  - path: /x\n"
        "    response: {ok: true}\n"
        "    callbacks:\n"
        "      - url: not-a-url\n"
    )
    with pytest.raises(ConfigError) as caught:
        MockServer(config).start()
    [problem] = caught.value.problems
    assert problem.pointer == "/endpoints/0/callbacks"
    assert problem.message.startswith("callbacks[0].url")


def test_a_wiremock_webhook_fires_as_wiremock_sends_it(tmp_path: Path) -> None:
    with receiver(200) as hook:
        mappings = tmp_path / "mappings"
        mappings.mkdir()
        mapping = {
            "request": {"method": "POST", "url": "/pay"},
            "response": {"status": 200, "body": "paid"},
            "serveEventListeners": [
                {
                    "name": "webhook",
                    "parameters": {
                        "method": "POST",
                        "url": hook.url + "/hook",
                        "headers": {"Content-Type": "application/json"},
                        "body": '{"paid": "{{jsonPath originalRequest.body \'$.amount\'}}"}',
                    },
                }
            ],
        }
        (mappings / "pay.json").write_text(json.dumps(mapping))
        with MockServer(tmp_path) as mock:
            assert httpx.post(mock.url + "/pay", json={"amount": 12}).text == "paid"
            [arrived] = hook.wait_for(stub="hook", times=1)
    assert json.loads(arrived["body"]) == {"paid": "12"}
