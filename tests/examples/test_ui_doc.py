"""docs/ui.md's live stream: the stats event it shows has the fields a real stream sends."""

from __future__ import annotations

import json

import httpx

from apidouble.testing import MockServer

from . import claims

STATS = claims.answer("ui.md", '"streams": 1', "json")


def test_the_stats_event_has_the_fields_the_doc_shows() -> None:
    shown = json.loads(STATS.text)
    endpoints = [{"id": "hello", "path": "/hello", "response": "hi"}]
    with MockServer(endpoints=endpoints) as mock:
        httpx.get(mock.url + "/hello")
        headers = {"accept": "text/event-stream"}
        with httpx.stream("GET", mock.url + "/__admin/ui/live", headers=headers, timeout=5) as live:
            for line in live.iter_lines():
                if line.startswith("data:"):
                    sent = json.loads(line.removeprefix("data:"))
                    break
    assert sent.keys() == shown.keys()
    assert sent["journal"].keys() == shown["journal"].keys()
    assert sent["hits"] == {"hello": 1}
