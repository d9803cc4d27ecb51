"""Messages as JSON: checked and encoded at load time, decoded per call.

A request is matched as the JSON ``json_format`` writes with proto field names, every
field shown (a proto3 default is a value, not an absence) and 64-bit integers as numbers
where they fit, so ``match: {json: {id: 42}}`` reads as the user wrote it.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from typing import Any

from google.protobuf import json_format, message_factory  # type: ignore[import-untyped]

_MESSAGE = 11  # FieldDescriptor.TYPE_MESSAGE


class MessageProblem(ValueError):
    """A message given as JSON does not fit its type."""


_SEEN_MAX = 256
"""Received messages whose JSON is kept, per type (the same request sent again, as test
suites and load tests do, costs no decoding)."""
_SEEN_BYTES = 1024
"""Only messages this small are kept."""


class MessageType:
    """One message type of the pool: JSON in, bytes out, and back."""

    __slots__ = ("descriptor", "pool", "_cls", "_seen")

    def __init__(self, descriptor: Any, pool: Any) -> None:
        self.descriptor = descriptor
        self.pool = pool
        self._cls = message_factory.GetMessageClass(descriptor)
        self._seen: dict[bytes, tuple[dict[str, Any], bytes]] = {}

    @property
    def name(self) -> str:
        return str(self.descriptor.full_name)

    def encode(self, value: Mapping[str, Any]) -> tuple[bytes, dict[str, Any]]:
        """The wire bytes of a message given as JSON, and its canonical JSON (for the
        journal); ``MessageProblem`` naming the field that does not fit."""
        try:
            message = json_format.ParseDict(dict(value), self._cls(), descriptor_pool=self.pool)
        except json_format.ParseError as exc:
            raise MessageProblem(_first_line(str(exc))) from None
        return message.SerializeToString(), self.to_json(message)

    def parse(self, text: str) -> tuple[bytes, dict[str, Any]]:
        """``encode`` for a message given as JSON text (a rendered template)."""
        try:
            message = json_format.Parse(text, self._cls(), descriptor_pool=self.pool)
        except json_format.ParseError as exc:
            raise MessageProblem(_first_line(str(exc))) from None
        return message.SerializeToString(), self.to_json(message)

    def received(self, data: bytes) -> tuple[dict[str, Any], bytes]:
        """A received message as JSON and as the JSON bytes the journal keeps (shared by
        every call that sends the same bytes: neither is changed by anyone);
        ``MessageProblem`` if it does not parse."""
        seen = self._seen.get(data)
        if seen is not None:
            return seen
        message = self.decode(data)
        found = message, json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode()
        if len(data) <= _SEEN_BYTES:
            if len(self._seen) >= _SEEN_MAX:
                self._seen.clear()
            self._seen[data] = found
        return found

    def decode(self, data: bytes) -> dict[str, Any]:
        """A received message as the JSON matchers see; ``MessageProblem`` if it does not parse."""
        try:
            message = self._cls.FromString(data)
        except Exception as exc:  # protobuf's DecodeError
            raise MessageProblem(f"not a valid {self.name}: {exc}") from None
        return self.to_json(message)

    def to_json(self, message: Any) -> dict[str, Any]:
        found: dict[str, Any] = json_format.MessageToDict(
            message,
            always_print_fields_with_no_presence=True,
            preserving_proto_field_name=True,
            descriptor_pool=self.pool,
            unquote_int64_if_possible=True,
        )
        return found


def check_fields(value: Any, descriptor: Any, where: str = "") -> None:
    """Every key of a partial message (``match.json``) names a field of its type, by its
    proto name, recursively; ``MessageProblem`` with a suggestion otherwise. Well-known
    types and maps are not walked (their JSON is not field by field)."""
    if not isinstance(value, dict) or descriptor.full_name.startswith("google.protobuf."):
        return
    fields = descriptor.fields_by_name
    for key, item in value.items():
        field = fields.get(key)
        if field is None:
            hint = _suggestion(str(key), fields)
            raise MessageProblem(f"{descriptor.full_name} has no field {key!r}{where}{hint}")
        if field.type != _MESSAGE or field.message_type.GetOptions().map_entry:
            continue
        inner = f" in {key}" + where
        items = item if isinstance(item, list) else [item]
        for part in items:
            check_fields(part, field.message_type, inner)


def _suggestion(key: str, fields: Mapping[str, Any]) -> str:
    """The proto name meant: the same in another case, the JSON (camelCase) name, or a
    close spelling."""
    spellings = {f.json_name.lower(): name for name, f in fields.items()}
    spellings.update((name.lower(), name) for name in fields)
    meant = spellings.get(key.lower())
    if meant is None:
        close = difflib.get_close_matches(key, list(fields), n=1)
        meant = close[0] if close else None
    return f" (did you mean {meant!r}?)" if meant else ""


def _first_line(text: str) -> str:
    return text.splitlines()[0].strip() if text else text
