"""The ``h2`` state machine as our HTTP/2 server uses it: its settings, and the error
codes it gets wrong.

``server_connection`` advertises our limits in the first SETTINGS frame and makes h2
enforce them: the streams a client may open at once, the size of a header list and of
the HPACK table. A stream past the concurrent-stream limit is refused alone, with
``RST_STREAM`` ``REFUSED_STREAM`` (RFC 9113 §5.1.2: the client may retry it), where h2
would end the whole connection with ``PROTOCOL_ERROR``. h2 answers a field block it
cannot decode with ``PROTOCOL_ERROR`` where RFC 9113 §4.3 asks for
``COMPRESSION_ERROR``: ``compression_goaway`` fixes the GOAWAY it queued.
"""

from __future__ import annotations

from typing import Final

from h2.config import H2Configuration
from h2.connection import H2Connection
from h2.errors import ErrorCodes
from h2.events import Event
from h2.exceptions import DenialOfServiceError, ProtocolError
from h2.settings import SettingCodes, Settings
from hpack import HPACKError
from hyperframe.frame import Frame, GoAwayFrame, HeadersFrame

MAX_STREAMS: Final = 100
"""Concurrent streams a client may open (``SETTINGS_MAX_CONCURRENT_STREAMS``)."""
HPACK_TABLE: Final = 4096
"""The HPACK dynamic table kept for a client's headers (``SETTINGS_HEADER_TABLE_SIZE``)."""


class ServerConnection(H2Connection):
    """h2's state machine, refusing a stream past ``MAX_CONCURRENT_STREAMS`` by itself.

    The refused stream's header block is still decoded (HPACK state is the
    connection's: skipping a block would garble every later one) and its stream opened
    and reset at once, so h2 treats its late frames as those of any reset stream; its
    events are dropped: the request is never served."""

    _admitting = False

    @property
    def open_inbound_streams(self) -> int:
        """h2's count, or none while a stream to refuse is let through its check."""
        return 0 if self._admitting else super().open_inbound_streams

    def _receive_headers_frame(self, frame: HeadersFrame) -> tuple[list[Frame], list[Event]]:
        stream_id = frame.stream_id
        limit = self.local_settings.max_concurrent_streams
        if stream_id in self.streams or self.open_inbound_streams < limit:
            return super()._receive_headers_frame(frame)
        self._admitting = True
        try:
            frames, _ = super()._receive_headers_frame(frame)
        finally:
            self._admitting = False
        self.reset_stream(stream_id, ErrorCodes.REFUSED_STREAM)
        return frames, []


def server_connection(max_header_bytes: int) -> ServerConnection:
    """A server-side state machine with our limits (headers as bytes, as HTTP/1.1's)."""
    conn = ServerConnection(H2Configuration(client_side=False, header_encoding=None))
    conn.local_settings = Settings(
        client=False,
        initial_values={
            SettingCodes.MAX_CONCURRENT_STREAMS: MAX_STREAMS,
            SettingCodes.MAX_HEADER_LIST_SIZE: max_header_bytes,
            SettingCodes.HEADER_TABLE_SIZE: HPACK_TABLE,
            SettingCodes.ENABLE_PUSH: 0,
        },
    )
    conn.decoder.max_header_list_size = max_header_bytes
    conn.decoder.max_allowed_table_size = HPACK_TABLE
    return conn


def is_compression_error(exc: ProtocolError) -> bool:
    """A field block HPACK could not decode (a too large one is h2's own
    ``ENHANCE_YOUR_CALM``, and right)."""
    return isinstance(exc.__cause__, HPACKError) and not isinstance(exc, DenialOfServiceError)


def compression_goaway(conn: H2Connection) -> bytes:
    """What h2 queued, its closing GOAWAY's ``PROTOCOL_ERROR`` made ``COMPRESSION_ERROR``."""
    last = conn.highest_inbound_stream_id
    queued = conn.data_to_send()
    wrong = GoAwayFrame(0, last_stream_id=last, error_code=ErrorCodes.PROTOCOL_ERROR).serialize()
    if not queued.endswith(wrong):
        return queued
    right = GoAwayFrame(0, last_stream_id=last, error_code=ErrorCodes.COMPRESSION_ERROR)
    return queued[: -len(wrong)] + right.serialize()
