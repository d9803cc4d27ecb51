"""A tiny real HTTP server on 127.0.0.1 whose every request goes to ``service.answer``."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from apidouble.graphql import GraphQLService, HttpRequest


@contextmanager
def serving(service: GraphQLService) -> Iterator[str]:
    """The URL of ``/graphql`` on a server answering from ``service``, for the block."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self) -> None:
            target = urlsplit(self.path)
            length = int(self.headers.get("content-length") or 0)
            request = HttpRequest(
                self.command,
                parse_qs(target.query),
                {k.lower(): v for k, v in self.headers.items()},
                self.rfile.read(length),
            )
            answer = service.answer(request)
            self.send_response(answer.status)
            for name, value in answer.headers:
                self.send_header(name, value)
            self.send_header("content-length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        do_GET = do_POST = do_PUT = _answer

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/graphql"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
