"""How a journal entry travels through Redis: the Lua scripts that add and remove shared
entries, and the portable text an entry's tuple becomes on the way.

The local blob is marshal. An entry crosses as that blob in base64 (the link's client
decodes every reply as UTF-8) behind a tag naming the Python version: marshal's format
is not promised across versions, so a reader that cannot load a blob skips it rather
than misreading it (marshal of these atoms has read back across CPython 3 releases).
The older form, JSON text with bytes in base64 (``WIRE_FORMAT``), is still read.
"""

from __future__ import annotations

import base64
import json
import marshal
import sys

from .journal_entries import BODY, HEADERS, NOTES, RESPONSE_BODY, RESPONSE_HEAD, SEQ, Fields

WIRE_FORMAT = 1

ADD = """
if not redis.call('SET', KEYS[5], '1', 'NX', 'EX', 600) then return -1 end
local n = tonumber(ARGV[2])
local i = 3
if n > 0 then
  local id = redis.call('INCRBY', KEYS[4], n) - n
  for _ = 1, n do
    id = id + 1
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], id .. '-0', 's', ARGV[i], 'e', ARGV[i + 1])
    i = i + 2
  end
end
local c = tonumber(ARGV[i])
i = i + 1
for _ = 1, c do
  redis.call('HINCRBY', KEYS[2], ARGV[i], ARGV[i + 1])
  i = i + 2
end
local l = tonumber(ARGV[i])
i = i + 1
for _ = 1, l do
  redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1])
  i = i + 2
end
return n
"""
"""One chunk: number and add its entries, move the counters, note the stubs' labels;
skipped (-1) when its token says it was applied already."""

REMOVE = """
local removed = 0
for _, id in ipairs(ARGV) do
  local found = redis.call('XRANGE', KEYS[1], id, id)
  if #found > 0 then
    local values = found[1][2]
    for j = 1, #values, 2 do
      if values[j] == 's' then redis.call('HINCRBY', KEYS[2], values[j + 1], -1) end
    end
    redis.call('XDEL', KEYS[1], id)
    removed = removed + 1
  end
end
return removed
"""
"""Forget entries by id; their stubs' counts drop with them (a removal, not an eviction)."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def encode(fields: Fields) -> str:
    """An entry's tuple as portable JSON text (bytes as base64; headers tagged by form)."""
    out = list(fields)
    headers = fields[HEADERS]
    if isinstance(headers, bytes):
        out[HEADERS] = ["h", _b64(headers)]
    elif headers and not isinstance(headers[0][0], str):
        out[HEADERS] = ["r", [[_b64(name), _b64(value)] for name, value in headers]]
    else:
        out[HEADERS] = ["s", [list(pair) for pair in headers or ()]]
    out[BODY] = _b64(fields[BODY])
    head = fields[RESPONSE_HEAD]
    out[RESPONSE_HEAD] = None if head is None else _b64(head)
    out[RESPONSE_BODY] = _b64(fields[RESPONSE_BODY])
    return json.dumps([WIRE_FORMAT, *out], separators=(",", ":"), default=str)


MARSHAL_TAG = f"M{sys.version_info[0]}.{sys.version_info[1]}:"
"""The prefix of an entry sent as its marshal blob (base64) by this Python version."""


def encode_blob(blob: bytes) -> str:
    """An entry as this instance keeps it (its marshal blob), base64 behind a tag naming
    the Python version: a quarter of a microsecond where the JSON form takes seven."""
    return MARSHAL_TAG + base64.b64encode(blob).decode("ascii")


def decode(stream_id: str, text: str) -> Fields | None:
    """``encode``/``encode_blob``'s inverse, numbered by its stream id; None for a form
    this Python cannot read (another format, or a marshal blob it cannot load)."""
    if text.startswith("M"):
        try:
            fields = list(marshal.loads(base64.b64decode(text.partition(":")[2])))
        except (ValueError, EOFError, TypeError):  # another Python's marshal format
            return None
        fields[SEQ] = int(stream_id.partition("-")[0])
        return tuple(fields)
    wire = json.loads(text)
    if not wire or wire[0] != WIRE_FORMAT:
        return None
    fields = wire[1:]
    fields[SEQ] = int(stream_id.partition("-")[0])
    form, headers = fields[HEADERS]
    if form == "h":
        fields[HEADERS] = base64.b64decode(headers)
    elif form == "r":
        fields[HEADERS] = [(base64.b64decode(n), base64.b64decode(v)) for n, v in headers]
    else:
        fields[HEADERS] = [(name, value) for name, value in headers]
    fields[BODY] = base64.b64decode(fields[BODY])
    head = fields[RESPONSE_HEAD]
    fields[RESPONSE_HEAD] = None if head is None else base64.b64decode(head)
    fields[RESPONSE_BODY] = base64.b64decode(fields[RESPONSE_BODY])
    if fields[NOTES]:
        fields[NOTES] = tuple(fields[NOTES])
    return tuple(fields)
