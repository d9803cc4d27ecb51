"""Send a streamed body (``Respond.stream``): chunked on HTTP/1.1, close-delimited on 1.0.

The stream is pulled one chunk at a time and only while the transport takes writes, so a
slow reader holds the producer instead of our memory; it is always closed (``aclose``),
whether it ran out, failed, or the client went away (the task is cancelled then).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Final

_log = logging.getLogger("apidouble.transport")

LAST_CHUNK: Final = b"0\r\n\r\n"


def frame(chunk: bytes) -> bytes:
    """One chunk of chunked transfer-coding (RFC 9112 §7.1)."""
    return b"%x\r\n%b\r\n" % (len(chunk), chunk)


async def send_stream(
    transport: asyncio.WriteTransport,
    stream: AsyncIterator[bytes],
    chunked: bool,
    writable: Callable[[], Awaitable[None] | None],
) -> bool:
    """Write every chunk, then the last-chunk when ``chunked``; True if the body completed.

    ``writable()`` returns something to await while the transport's buffer is full, or
    None. False means the stream failed or the connection went: the caller must not frame
    another message on this connection.
    """
    try:
        async for chunk in stream:
            if not chunk:
                continue  # an empty chunk would end a chunked body early
            if not _write(transport, frame(chunk) if chunked else chunk):
                return False
            wait = writable()
            if wait is not None:
                await wait
        return _write(transport, LAST_CHUNK) if chunked else not transport.is_closing()
    except Exception:
        _log.exception("response stream failed")
        return False
    finally:
        await close_stream(stream)


def _write(transport: asyncio.WriteTransport, data: bytes) -> bool:
    """Write unless the connection is gone (uvloop raises once the handle is closed)."""
    if transport.is_closing():
        return False
    try:
        transport.write(data)
    except RuntimeError:
        return False
    return True


async def close_stream(stream: AsyncIterator[bytes]) -> None:
    """``aclose`` the stream if it has one (async generators do), logging its failures."""
    aclose = getattr(stream, "aclose", None)
    if aclose is None:
        return
    try:
        await aclose()
    except Exception:
        _log.exception("closing a response stream failed")
