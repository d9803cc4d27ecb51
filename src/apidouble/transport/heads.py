"""One whole request head per read, parsed with no Python call per header.

A client that waits for each answer sends each request in one read: a head and nothing
else. ``HeadOnly`` parses such a read with a second llhttp parser whose callbacks are C
methods (``list.append``, a counter's ``__next__``) and one Python call when the message
ends, so no header becomes Python objects on the hot path. The head stays the bytes
received; ``head_fields`` splits them (with llhttp again) when someone reads the headers.

It takes only what llhttp (strict) parsed as exactly one complete message with no body
and no chunk: anything else (a body, a second message, an upgrade, an error) is refused,
and ``http1.py``'s full parser parses the same bytes afresh and decides it, so every edge
case keeps one judge. Every framing rule the full parser re-checks is one llhttp already
enforces for a bodyless message (duplicate or invalid ``Content-Length``, a request
``Transfer-Encoding`` not ending in chunked): ``tests/transport/test_heads.py`` holds both
parsers to the same answers.
"""

from __future__ import annotations

from itertools import count
from types import SimpleNamespace

from httptools import HttpParserError, HttpParserUpgrade, HttpRequestParser

END_OF_HEAD = b"\r\n\r\n"
V11_LINE_END = b"HTTP/1.1\r\n"
"""What ends an HTTP/1.1 request line laid out plainly (method, space, target, space)."""


class HeadOnly:
    """A parser for reads holding one bodyless request; ``feed`` says whether it took one.

    After a refusal its state is unknown: drop it (the connection's full parser goes on).
    It holds a cycle (parser -> callback -> self): ``close`` breaks it.
    """

    __slots__ = ("parser", "_parts", "_ticks", "_seen", "_ends", "keep")

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._ticks = count()
        self._seen = 0
        self._ends = 0
        self.keep = True
        """Whether the request taken lets the connection persist (llhttp's rules)."""
        hooks = SimpleNamespace(
            on_url=self._parts.append,
            on_body=self._parts.append,  # any body part makes two parts: refused
            on_message_begin=self._ticks.__next__,
            on_chunk_header=self._ticks.__next__,  # even an empty chunked body ticks
            on_message_complete=self._complete,
        )
        self.parser = HttpRequestParser(hooks)
        """Its ``get_method()`` is the method of the request ``feed`` took."""

    def _complete(self) -> None:
        # llhttp clears its connection flags once this returns: ask now
        self.keep = self.parser.should_keep_alive()
        self._ends += 1

    def feed(self, data: bytes) -> bytes | None:
        """The target of the one bodyless request ``data`` holds, or None (refused)."""
        self._ends = 0
        try:
            self.parser.feed_data(data)
        except (HttpParserError, HttpParserUpgrade):
            return None
        tick = next(self._ticks)
        ticks = tick - self._seen
        self._seen = tick + 1
        parts = self._parts
        if ticks == 1 and self._ends == 1 and len(parts) == 1:
            return parts.pop()
        parts.clear()
        return None

    def close(self) -> None:
        self.parser = None  # type: ignore[assignment]


def head_fields(head: bytes) -> list[tuple[bytes, bytes]]:
    """The header lines of a head llhttp accepted, as its callbacks gave them: the same
    pairs the full parser would have collected from these bytes.

    A plain head (CRLF lines, none folded) is split in Python, about three times faster
    than parsing it again; anything else is left to llhttp itself."""
    lines = head.split(b"\r\n")
    if head.count(b"\n") == len(lines) - 1:  # no bare LF
        pairs: list[tuple[bytes, bytes]] = []
        for line in lines[1:]:
            if not line:
                return pairs
            name, colon, value = line.partition(b":")
            if not colon or line[0] in _FOLD:
                break  # a folded or odd line: llhttp reads it its own way
            pairs.append((name, value.lstrip(b" \t")))  # llhttp keeps trailing space
    return _parsed_fields(head)


_FOLD = frozenset(b" \t")


def _parsed_fields(head: bytes) -> list[tuple[bytes, bytes]]:
    pairs: list[tuple[bytes, bytes]] = []
    parser = HttpRequestParser(SimpleNamespace(on_header=lambda n, v: pairs.append((n, v))))
    try:
        parser.feed_data(head)
    except (HttpParserError, HttpParserUpgrade):  # an upgrade stops after its head: complete
        pass
    return pairs
