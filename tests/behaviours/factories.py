"""Requests and clocks for behaviour tests: no server, no sleeping."""

from __future__ import annotations

from apidouble.model import Request


def req(
    method: str = "GET",
    path: str = "/x",
    query: str = "",
    headers: dict[str, str] | None = None,
    ip: str = "10.0.0.1",
) -> Request:
    """A request as the transport would hand it over."""
    return Request(method, path, query, tuple((headers or {}).items()), b"", (ip, 5000))


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now
