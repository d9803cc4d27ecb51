"""One journal entry: the flat tuple of atoms that is marshal'd into its blob, and its views.

An exchange the express lane served is kept instead as a ``Compact`` tuple: what varies
per request (the head as received, the times, the client, the query) beside one bytes
object of its route's constant fields, shared by every entry of that route. Nothing is
copied or serialized per request; ``fields_of`` gives both kinds back as the same tuple.

``Journal.record`` builds the tuple inline (it is the hot path); everything here runs
when someone reads: the JSON-ready entry (``parse``), the response summary parsed from
the head bytes as they were sent, and a ``model.Request`` rebuilt for pattern queries.
The positions below are the blob's layout; keep ``Journal.record`` and
``Journal.record_express`` in step with them.
"""

from __future__ import annotations

import base64
import marshal
from typing import Any

from .auth.recorded import ADMITTED, recorded_admission
from .model import Request
from .transport.heads import head_fields

# Positions in an entry's tuple (the order ``Journal.record`` writes them in).
SEQ = 0
RECEIVED = 1
METHOD = 2
PATH = 3
QUERY = 4
HEADERS = 5
CLIENT = 6
LABEL = 7
STUB_ID = 8
STATUS = 9
DURATION = 10
DELAY = 11
FAILURE = 12
NOTES = 13
BODY = 14
BODY_SIZE = 15
DECISION = 16
RESPONSE_HEAD = 17
RESPONSE_BODY = 18
RESPONSE_BODY_SIZE = 19

Fields = tuple[Any, ...]
"""An entry as ``marshal.loads`` gives it back."""

Compact = tuple[int, float, bytes, "str | None", float, str, bytes]
"""An express-lane entry as kept: seq, received at, the head as received, the client's
address, the time taken, the query string and its route's ``route_constants``."""

Entry = bytes | Compact
"""What the journal's deques hold: a blob, or a compact entry."""

MARSHAL_FORMAT = 2
"""Format 2 has no back-references: format 3 and later build a hashtable of every object
on each ``dumps``, which took 0.3 us of the 0.7 us an entry cost (measured on 3.11)."""


def route_constants(
    method: str,
    path: str,
    label: str,
    stub_id: str,
    status: int,
    decision: Any,
    response_head: bytes | None,
    response_body: bytes,
    response_body_size: int,
) -> bytes:
    """The fields every exchange of one express route shares, made once per route."""
    constants = (method, path, label, stub_id, status, decision)
    return marshal.dumps(
        (*constants, response_head, response_body, response_body_size), MARSHAL_FORMAT
    )


def expand(entry: Compact) -> Fields:
    """A compact entry's tuple, in the layout above."""
    seq, received, head, client, elapsed, query, constants = entry
    method, path, label, stub_id, status, decision, *response = marshal.loads(constants)
    return (
        seq, received, method, path, query, head, client, label, stub_id, status, elapsed,
        0.0, False, None, b"", 0, decision, *response,
    )  # fmt: skip


def body_fields(body: bytes, size: int) -> dict[str, Any]:
    """The journal's view of a kept (capped) body of ``size`` bytes."""
    fields: dict[str, Any] = {"body_size": size}
    if size > len(body):
        fields["body_truncated"] = True
    try:
        fields["body"] = body.decode("utf-8")
    except UnicodeDecodeError:
        fields["body"] = base64.b64encode(body).decode("ascii")
        fields["body_encoding"] = "base64"
    return fields


def _headers(headers: Any) -> list[list[str]]:
    """Request headers as kept: the head's bytes, the transport's raw byte pairs or the
    model's str pairs."""
    if isinstance(headers, bytes):
        headers = head_fields(headers)
    return [
        [name, value]
        if isinstance(name, str)
        else [name.decode("latin-1"), value.decode("latin-1").rstrip(" \t")]
        for name, value in headers
    ]


def response_summary(fields: Fields) -> dict[str, Any] | None:
    """What was sent, parsed from the head bytes kept raw; None when nothing was sent."""
    head: bytes | None = fields[RESPONSE_HEAD]
    if not head:
        return None
    status_line, *lines = head.decode("latin-1").split("\r\n")
    parts = status_line.split(" ", 2)
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else fields[STATUS]
    headers = []
    for line in lines:
        if line:
            name, _, value = line.partition(":")
            headers.append([name, value.strip(" \t")])
    summary: dict[str, Any] = {"status": status, "headers": headers}
    summary.update(body_fields(fields[RESPONSE_BODY], fields[RESPONSE_BODY_SIZE]))
    if fields[DELAY]:
        summary["delay_ms"] = round(fields[DELAY] * 1000, 3)
    if fields[DECISION]:
        summary["decision"] = fields[DECISION]
    return summary


def parse(fields: Fields) -> dict[str, Any]:
    """One journal entry as the admin API and ``MockServer.requests`` show it."""
    entry: dict[str, Any] = {
        "id": fields[SEQ],
        "time": fields[RECEIVED],
        "method": fields[METHOD],
        "path": fields[PATH],
        "query": fields[QUERY],
        "headers": _headers(fields[HEADERS]),
        "client": fields[CLIENT],
        "stub": fields[LABEL],
        "stub_id": fields[STUB_ID],
        "status": fields[STATUS],
        "duration_ms": round(fields[DURATION] * 1000, 3),
    }
    if fields[BODY_SIZE]:
        entry.update(body_fields(fields[BODY], fields[BODY_SIZE]))
    if fields[DELAY]:
        entry["delay_ms"] = round(fields[DELAY] * 1000, 3)
    if fields[FAILURE]:
        entry["failure_injected"] = True
    if fields[NOTES]:
        entry["notes"] = list(fields[NOTES])
    if fields[DECISION]:
        decision = fields[DECISION]
        if decision.get("auth") == ADMITTED:  # an express-lane exchange of a protected stub
            decision = {**decision, "auth": recorded_admission(entry["headers"])}
        entry["decision"] = decision
    response = response_summary(fields)
    if response is not None and "decision" in response:
        response["decision"] = entry["decision"]  # the same, with the admission rebuilt
    entry["response"] = response
    return entry


def rebuild_request(fields: Fields) -> Request:
    """The request as a ``model.Request`` for compiled patterns (the body as kept: capped)."""
    headers = fields[HEADERS]
    client = fields[CLIENT]
    peer = (client, 0) if client is not None else None
    if isinstance(headers, bytes):
        return Request(
            fields[METHOD], fields[PATH], fields[QUERY], (), fields[BODY], peer, head=headers
        )
    if headers and not isinstance(headers[0][0], str):
        return Request(
            fields[METHOD], fields[PATH], fields[QUERY], (), fields[BODY], peer, raw_headers=headers
        )
    return Request(fields[METHOD], fields[PATH], fields[QUERY], tuple(headers), fields[BODY], peer)
