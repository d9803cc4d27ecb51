"""The journal behind a real server: the response summary of what went over the socket."""

from __future__ import annotations

import httpx

from apidouble import MockServer


def test_the_response_sent_is_recorded_with_the_request() -> None:
    endpoints = [
        {
            "name": "hello",
            "method": "POST",
            "path": "/hello",
            "status": 201,
            "headers": {"x-greeting": "hi"},
            "response": {"hello": "world"},
        }
    ]
    with MockServer(endpoints=endpoints) as mock:
        answer = httpx.post(mock.url + "/hello?x=1", content=b"ping")
        entry = mock.requests.find(stub="hello")[0]
    assert (entry["method"], entry["path"], entry["query"], entry["body"]) == (
        "POST",
        "/hello",
        "x=1",
        "ping",
    )
    response = entry["response"]
    assert response is not None, "the engine does not set ServeEvent.response yet"
    assert response["status"] == answer.status_code == 201
    assert response["body"] == answer.text and response["body_size"] == len(answer.content)
    sent = {name.lower(): value for name, value in response["headers"]}
    assert sent["x-greeting"] == "hi" == answer.headers["x-greeting"]
    assert sent["content-length"] == answer.headers["content-length"]
