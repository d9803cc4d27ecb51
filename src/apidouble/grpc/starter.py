"""``apidouble import grpc PROTO``: a starter ``grpc:`` section, one stub per method.

Each stub answers with an example message made from the method's output type: every
field set once (the first field of a oneof), strings naming their field, numbers 1,
enums their first non-zero value, nested messages three levels deep (a type already
being made is left out, so recursive types end), well-known types in their JSON form. A
server stream sends two examples, a bidi stub replies to every message with one. Every
example is checked against its type (``MessageType.encode``), so the file loads as
written and is there to be edited.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from apidouble.grpc.messages import MessageProblem, MessageType
from apidouble.grpc.protos import MethodInfo, Protos, load_protos

_DEPTH = 3
_WELL_KNOWN: dict[str, Any] = {
    "google.protobuf.Timestamp": "2024-01-01T00:00:00Z",
    "google.protobuf.Duration": "1.500s",
    "google.protobuf.Struct": {"key": "value"},
    "google.protobuf.Value": "value",
    "google.protobuf.ListValue": ["value"],
    "google.protobuf.FieldMask": "name",
    "google.protobuf.Empty": {},
    "google.protobuf.StringValue": "text",
    "google.protobuf.BytesValue": "ZXhhbXBsZQ==",
    "google.protobuf.BoolValue": True,
    "google.protobuf.DoubleValue": 1.5,
    "google.protobuf.FloatValue": 1.5,
}
_INTEGERS = {3, 4, 5, 6, 7, 13, 15, 16, 17, 18}
"""FieldDescriptor types of the integers (64-bit ones are numbers here: they fit)."""
_DOUBLE, _FLOAT, _BOOL, _STRING, _MESSAGE, _BYTES, _ENUM = 1, 2, 8, 9, 11, 12, 14


def starter_config(
    proto_paths: Sequence[str | Path], base: Path | None = None, port: int = 50051
) -> dict[str, Any]:
    """The config document (``{"grpc": {...}}``) serving every service of the protos
    (files or folders, as ``grpc.protos`` takes them: relative to ``base``, default the
    current folder), one stub per method; ``ProtoProblem`` when one does not compile."""
    entries = [str(path) for path in proto_paths]
    protos = load_protos(entries, base if base is not None else Path.cwd())
    stubs = [_stub(info, protos) for info in protos.methods.values()]
    return {"grpc": {"port": port, "protos": entries, "stubs": stubs}}


def _stub(info: MethodInfo, protos: Protos) -> dict[str, Any]:
    reply = example(info.output, protos.pool)
    stub: dict[str, Any] = {"name": info.key, "method": info.key}
    if info.client_streaming and info.server_streaming:
        stub["on_message"] = [{"reply": reply}]
    elif info.server_streaming:
        again = example(info.output, protos.pool)  # a copy: YAML writes no anchors
        stub["stream"] = [{"message": reply}, {"message": again, "delay_ms": 100}]
    else:
        stub["response"] = reply
    return stub


def example(descriptor: Any, pool: Any) -> Any:
    """An example of the message type ``descriptor`` as JSON, valid for its type."""
    value = _message(descriptor, ())
    if isinstance(value, dict):
        try:
            MessageType(descriptor, pool).encode(value)
        except MessageProblem:  # pragma: no cover - a type the examples do not cover
            return {}
    return value


def _message(descriptor: Any, chain: tuple[str, ...]) -> Any:
    name = str(descriptor.full_name)
    if name in _WELL_KNOWN:
        return _WELL_KNOWN[name]
    if name.startswith("google.protobuf.") and name.endswith("Value"):
        return 1  # the integer wrappers
    if name == "google.protobuf.Any" or len(chain) >= _DEPTH:
        return {}
    found: dict[str, Any] = {}
    oneofs: set[str] = set()
    for field in descriptor.fields:
        oneof = field.containing_oneof
        if oneof is not None and len(oneof.fields) > 1:
            if oneof.name in oneofs:
                continue
            oneofs.add(oneof.name)
        value = _field(field, (*chain, name))
        if value is not None:
            found[field.name] = value
    return found


def _field(field: Any, chain: tuple[str, ...]) -> Any:
    """A field's example (None: left out, a message type already being made)."""
    if field.type == _MESSAGE:
        inner = field.message_type
        if inner.GetOptions().map_entry:
            value = _field(inner.fields_by_name["value"], chain)
            return None if value is None else {"key": value}
        if inner.full_name in chain:
            return None
        one = _message(inner, chain)
    else:
        one = _scalar(field)
    return [one] if field.is_repeated else one


def _scalar(field: Any) -> Any:
    kind = field.type
    if kind in _INTEGERS:
        return 1
    if kind in (_DOUBLE, _FLOAT):
        return 1.5
    if kind == _BOOL:
        return True
    if kind == _BYTES:
        return "ZXhhbXBsZQ=="
    if kind == _ENUM:
        values = field.enum_type.values
        chosen = next((v for v in values if v.number != 0), values[0])
        return str(chosen.name)
    return str(field.name)
