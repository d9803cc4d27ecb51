"""A TCP forwarder between a browser and a server that a test can cut and mend.

The live stream must survive a real drop, so the browser talks to the server through
this: ``cut`` resets every connection it carries and refuses new ones (the browser sees
a network error, as when a laptop leaves the Wi-Fi), ``mend`` lets connections through
again. The server is never touched: it serves what reaches it, as always.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_RESET = struct.pack("ii", 1, 0)
"""``SO_LINGER`` on with a zero timeout: ``close`` sends a reset, not a polite FIN."""


class Cable:
    """Forwards ``127.0.0.1:port`` to ``target``, one thread per direction per connection."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.port: int = self.listener.getsockname()[1]
        self._up = True
        self._closed = False
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self._threads: list[threading.Thread] = [threading.Thread(target=self._accept)]
        self._threads[0].start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cut(self) -> None:
        """Reset every carried connection; refuse new ones until ``mend``."""
        with self._lock:
            self._up = False
            carried, self._open = self._open, []
        for conn in carried:
            _reset(conn)

    def mend(self) -> None:
        with self._lock:
            self._up = True

    def close(self) -> None:
        self.cut()
        self._closed = True
        for thread in self._threads:
            thread.join(5)
        self.listener.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            with self._lock:
                up = self._up
            if not up:
                _reset(client)
                continue
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                _reset(client)
                continue
            server.settimeout(None)
            client.settimeout(None)
            with self._lock:
                self._open += [client, server]
            for source, sink in ((client, server), (server, client)):
                pump = threading.Thread(target=_pump, args=(source, sink), daemon=True)
                pump.start()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    """Copy one direction until either side ends (or ``cut`` resets them)."""
    try:
        while chunk := source.recv(65536):
            sink.sendall(chunk)
    except OSError:
        pass
    finally:
        for conn in (source, sink):
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _reset(conn: socket.socket) -> None:
    try:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _RESET)
        conn.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    conn.close()


@contextmanager
def cable_to(url: str) -> Iterator[Cable]:
    """A ``Cable`` to the server at ``url`` (``http://host:port``), closed afterwards."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    cable = Cable((host, int(port)))
    try:
        yield cable
    finally:
        cable.close()
