"""Rich error details: a ``google.rpc.Status`` sent as ``grpc-status-details-bin``.

A stub's ``details`` are ``google.protobuf.Any`` messages in their JSON form (``{"@type":
"type.googleapis.com/google.rpc.ErrorInfo", "reason": ...}``); they are packed into a
``google.rpc.Status`` with the stub's code and message and encoded once, at load time.
Clients decode the trailer as ``grpcio-status`` (``rpc_status.from_call``) or any gRPC
library's rich-error API does.

``google.rpc.Status`` and the standard detail types of ``google/rpc/error_details.proto``
(ErrorInfo, RetryInfo, DebugInfo, QuotaFailure, PreconditionFailure, BadRequest,
RequestInfo, ResourceInfo, Help, LocalizedMessage) are described here, field for field as
googleapis defines them, and added to the served pool unless the protos define them
already: no googleapis-common-protos needed, and reflection describes them to clients.
A detail may also be any message type of the protos.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from google.protobuf import any_pb2, descriptor_pb2, duration_pb2  # type: ignore[import-untyped]

from apidouble.grpc.messages import MessageProblem, MessageType

STATUS_TRAILER = "grpc-status-details-bin"
TYPE_PREFIX = "type.googleapis.com/"

_STRING, _INT32, _MESSAGE = 9, 5, 11  # FieldDescriptorProto.Type
_OPTIONAL, _REPEATED = 1, 3  # FieldDescriptorProto.Label

Field = tuple[str, int, int, int, str]
"""(name, number, type, label, message type name or "")."""


def _string(name: str, number: int) -> Field:
    return (name, number, _STRING, _OPTIONAL, "")


def _many(name: str, number: int, type_name: str) -> Field:
    return (name, number, _MESSAGE, _REPEATED, type_name)


_STATUS_FILE = "google/rpc/status.proto"
_DETAILS_FILE = "google/rpc/error_details.proto"

_STATUS: dict[str, list[Field]] = {
    "Status": [
        ("code", 1, _INT32, _OPTIONAL, ""),
        _string("message", 2),
        _many("details", 3, ".google.protobuf.Any"),
    ],
}
_DETAILS: dict[str, list[Field]] = {
    "ErrorInfo": [
        _string("reason", 1),
        _string("domain", 2),
        _many("metadata", 3, ".google.rpc.ErrorInfo.MetadataEntry"),
    ],
    "RetryInfo": [("retry_delay", 1, _MESSAGE, _OPTIONAL, ".google.protobuf.Duration")],
    "DebugInfo": [("stack_entries", 1, _STRING, _REPEATED, ""), _string("detail", 2)],
    "QuotaFailure": [_many("violations", 1, ".google.rpc.QuotaFailure.Violation")],
    "PreconditionFailure": [_many("violations", 1, ".google.rpc.PreconditionFailure.Violation")],
    "BadRequest": [_many("field_violations", 1, ".google.rpc.BadRequest.FieldViolation")],
    "RequestInfo": [_string("request_id", 1), _string("serving_data", 2)],
    "ResourceInfo": [
        _string("resource_type", 1),
        _string("resource_name", 2),
        _string("owner", 3),
        _string("description", 4),
    ],
    "Help": [_many("links", 1, ".google.rpc.Help.Link")],
    "LocalizedMessage": [_string("locale", 1), _string("message", 2)],
}
_NESTED: dict[str, dict[str, list[Field]]] = {
    "ErrorInfo": {"MetadataEntry": [_string("key", 1), _string("value", 2)]},
    "QuotaFailure": {"Violation": [_string("subject", 1), _string("description", 2)]},
    "PreconditionFailure": {
        "Violation": [_string("type", 1), _string("subject", 2), _string("description", 3)]
    },
    "BadRequest": {
        "FieldViolation": [
            _string("field", 1),
            _string("description", 2),
            _string("reason", 3),
            ("localized_message", 4, _MESSAGE, _OPTIONAL, ".google.rpc.LocalizedMessage"),
        ]
    },
    "Help": {"Link": [_string("description", 1), _string("url", 2)]},
}


def _describe(message: Any, name: str, fields: list[Field]) -> None:
    message.name = name
    for field_name, number, kind, label, type_name in fields:
        field = message.field.add(name=field_name, number=number, type=kind, label=label)
        if type_name:
            field.type_name = type_name
        field.json_name = _json_name(field_name)


def _json_name(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _file(name: str, types: dict[str, list[Field]], imports: Sequence[str]) -> Any:
    proto = descriptor_pb2.FileDescriptorProto(name=name, package="google.rpc", syntax="proto3")
    proto.dependency.extend(imports)
    for type_name, fields in types.items():
        message = proto.message_type.add()
        _describe(message, type_name, fields)
        for nested_name, nested_fields in _NESTED.get(type_name, {}).items():
            nested = message.nested_type.add()
            _describe(nested, nested_name, nested_fields)
            if nested_name == "MetadataEntry":
                nested.options.map_entry = True
    return proto


def add_status_types(pool: Any) -> Any:
    """Load time: make sure ``pool`` describes ``google.rpc.Status`` and the standard detail
    types (its own definitions win); the Status descriptor."""
    for dependency in (any_pb2.DESCRIPTOR, duration_pb2.DESCRIPTOR):
        _ensure(pool, dependency.name, lambda d=dependency: _copied(d))
    _ensure(pool, _STATUS_FILE, lambda: _file(_STATUS_FILE, _STATUS, [any_pb2.DESCRIPTOR.name]))
    if not _has_message(pool, "google.rpc.ErrorInfo"):
        imports = [duration_pb2.DESCRIPTOR.name]
        _ensure(pool, _DETAILS_FILE, lambda: _file(_DETAILS_FILE, _DETAILS, imports))
    return pool.FindMessageTypeByName("google.rpc.Status")


def _ensure(pool: Any, name: str, make: Any) -> None:
    try:
        pool.FindFileByName(name)
    except KeyError:
        pool.Add(make())


def _has_message(pool: Any, name: str) -> bool:
    try:
        pool.FindMessageTypeByName(name)
    except KeyError:
        return False
    return True


def _copied(file: Any) -> Any:
    proto = descriptor_pb2.FileDescriptorProto()
    file.CopyToProto(proto)
    return proto


def encode_status(pool: Any, code: int, message: str | None, details: list[Any]) -> bytes:
    """Load time: the ``google.rpc.Status`` bytes of a stub's status and details;
    ``MessageProblem`` naming a detail whose type is unknown or does not fit."""
    status = MessageType(add_status_types(pool), pool)
    given = []
    for number, detail in enumerate(details):
        if not isinstance(detail, dict) or not isinstance(detail.get("@type"), str):
            raise MessageProblem(f"details/{number}: give the detail's type as @type")
        name = detail["@type"]
        if "/" not in name:  # google.rpc.ErrorInfo: the usual prefix is implied
            detail = {**detail, "@type": TYPE_PREFIX + name}
        if not _has_message(pool, detail["@type"].rsplit("/", 1)[-1]):
            raise MessageProblem(f"details/{number}: no message type {name!r} in the protos")
        given.append(detail)
    value = {"code": code, "message": message or "", "details": given}
    try:
        payload, _ = status.encode(value)
    except MessageProblem as exc:
        raise MessageProblem(f"details: {exc}") from None
    return payload
