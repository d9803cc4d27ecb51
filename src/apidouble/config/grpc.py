"""The config's ``grpc:`` section: gRPC services mocked from ``.proto`` files.

``grpc: {port: 50051, protos: [protos/], stubs: [...]}`` serves every service of the
protos (or the ``services`` listed) over HTTP/2 beside the HTTP server. A stub names one
method (``shop.Catalog/GetItem``), what the request must hold (``match``: the request
message as JSON, metadata as headers) and what to answer: one message (``response``), a
stream of them (``stream``), or a status with a message; a bidi method holds a scripted
conversation (``on_message`` rules, as a WebSocket's), and any stub may be slowed
(``latency``), made flaky or rate limited (the endpoints' keys) and broken mid-stream
(``fault``). Messages are checked against the
method's types where the section is compiled (``apidouble.grpc``), not here: this module
needs no grpcio, so a config without ``grpc:`` never imports it.
"""

from __future__ import annotations

import difflib
import re
from typing import Annotated, Any, Self

from pydantic import BeforeValidator, Field, WithJsonSchema, model_validator

from apidouble.config.fields import STUB_ID_PATTERN, ConfigModel
from apidouble.config.matchers import BodyMatchers, ValueMatcherField
from apidouble.model import ANY_METHOD, BodySpec, RequestPattern

STATUS_NAMES = (
    *("OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND"),
    *("ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION"),
    *("ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS"),
    "UNAUTHENTICATED",
)
"""gRPC status codes by name, in code order (``STATUS_NAMES[5]`` is ``NOT_FOUND``)."""

DESCRIPTOR_SET_SUFFIXES = (".pb", ".protoset", ".desc", ".binpb")
"""Files in ``protos`` read as compiled ``FileDescriptorSet``s instead of ``.proto`` text."""

_METHOD = re.compile(r"/?([A-Za-z_][\w.]*)/([A-Za-z_]\w*)")
_METADATA_KEY = re.compile(r"[0-9a-z_.-]+")


def _status(value: Any) -> str:
    """A status as its name: ``NOT_FOUND``, ``not_found`` or ``5``."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(STATUS_NAMES):
        return STATUS_NAMES[value]
    if isinstance(value, str) and value.strip().upper() in STATUS_NAMES:
        return value.strip().upper()
    close = difflib.get_close_matches(str(value).upper(), STATUS_NAMES, n=1)
    hint = f"did you mean {close[0]}?" if close else "expected a code 0-16 or a name (NOT_FOUND)"
    raise ValueError(f"unknown gRPC status {value!r}; {hint}")


def _method(value: Any) -> str:
    """``package.Service/Method`` (a leading slash, as on the wire, is dropped)."""
    if not isinstance(value, str) or _METHOD.fullmatch(value.strip()) is None:
        raise ValueError(f"method must read package.Service/Method, got {value!r}")
    return value.strip().removeprefix("/")


def _metadata(value: Any) -> Any:
    """Metadata keys as gRPC sends them: lower case, ``0-9 a-z _ . -`` (not ``-bin``)."""
    if not isinstance(value, dict):
        return value
    found: dict[str, Any] = {}
    for key, item in value.items():
        name = str(key).lower()
        if _METADATA_KEY.fullmatch(name) is None or name.startswith("grpc-"):
            raise ValueError(f"{key!r} is not a metadata key (0-9 a-z _ . -, not grpc-*)")
        if name.endswith("-bin"):
            raise ValueError(f"{key!r}: binary (-bin) metadata is not supported here")
        found[name] = str(item) if isinstance(item, int | float | bool) else item
    return found


StatusName = Annotated[
    str,
    BeforeValidator(_status),
    WithJsonSchema(
        {"anyOf": [{"type": "string", "enum": list(STATUS_NAMES)}, {"type": "integer"}]}
    ),
]
MethodName = Annotated[
    str, BeforeValidator(_method), WithJsonSchema({"type": "string", "pattern": _METHOD.pattern})
]
MetadataOut = Annotated[dict[str, str], BeforeValidator(_metadata)]


class GrpcMessageMatch(ConfigModel):
    """What one message must hold (a client stream's each, a bidi rule's)."""

    json_: dict[str, Any] | None = Field(
        None,
        alias="json",
        description="A partial match on the message as JSON (proto field names).",
    )
    body: BodyMatchers = Field(
        default_factory=list,
        description="Body matchers (jsonpath, regex, schema...) on the message as JSON.",
    )


class GrpcMatch(ConfigModel):
    """What a call must carry; all conditions must hold."""

    json_: dict[str, Any] | list[dict[str, Any]] | None = Field(
        None,
        alias="json",
        description="A partial match on the request message as JSON (proto field names;"
        " 64-bit integers as numbers, enums by name); for a client stream, a list: the"
        " messages received, in order.",
    )
    body: BodyMatchers = Field(
        default_factory=list,
        description="Body matchers (jsonpath, regex, schema...) on the request message as"
        " JSON (a client stream's: the list of its messages).",
    )
    each: GrpcMessageMatch | None = Field(
        None, description="A client stream: what every message received must hold."
    )
    metadata: dict[str, ValueMatcherField] = Field(
        default_factory=dict,
        description="Request metadata by key (any case): a value or a matcher.",
    )


class GrpcStreamMessage(ConfigModel):
    """One message of a server stream."""

    message: dict[str, Any] = Field(
        default_factory=dict, description="The message as JSON (the method's output type)."
    )
    delay_ms: float = Field(0, ge=0, description="Wait this long before sending it.")


class GrpcClose(ConfigModel):
    """How a bidi rule ends the call."""

    status: StatusName = Field("OK", description="The status the call ends with.")
    message: str | None = Field(None, description="The status message (grpc-message).")


class GrpcRule(ConfigModel):
    """One rule of a bidi conversation: the first whose ``match`` holds answers a message."""

    match: GrpcMessageMatch | None = Field(None, description="What the message must hold.")
    reply: dict[str, Any] | list[dict[str, Any]] | None = Field(
        None, description="The message (or list of messages) sent back, as JSON."
    )
    delay_ms: float = Field(0, ge=0, description="Wait this long before replying.")
    close: GrpcClose | None = Field(None, description="End the call after the reply.")


class GrpcFault(ConfigModel):
    """A call broken on purpose: ended with a status (or left hanging) after some messages."""

    after: int = Field(
        0, ge=0, description="Messages sent before it strikes (a stream's; 0: at once)."
    )
    status: StatusName = Field("UNAVAILABLE", description="The status the call is aborted with.")
    message: str | None = Field(None, description="The status message (grpc-message).")
    hang: bool = Field(
        False, description="Send nothing more and never end: the client's deadline ends it."
    )


class GrpcStub(ConfigModel):
    """One gRPC stub: a method, conditions, and the answer."""

    id: str | None = Field(None, pattern=STUB_ID_PATTERN, description="A stable id.")
    name: str | None = Field(None, min_length=1, description="How logs and reports name it.")
    method: MethodName = Field(description="The method, as package.Service/Method.")
    match: GrpcMatch | None = Field(None, description="Conditions on the call.")
    response: dict[str, Any] | None = Field(
        None, description="The reply of a unary method as JSON (default: an empty message)."
    )
    stream: list[GrpcStreamMessage] | None = Field(
        None, description="The messages of a server-streaming method, in order."
    )
    status: StatusName = Field(
        "OK", description="The status the call ends with (after any streamed messages)."
    )
    message: str | None = Field(None, description="The status message (grpc-message).")
    details: list[dict[str, Any]] | None = Field(
        None,
        description="Rich error details of an error status: messages in the JSON form of"
        ' google.protobuf.Any ({"@type": "google.rpc.ErrorInfo", "reason": ...}), sent as a'
        " google.rpc.Status in grpc-status-details-bin.",
    )
    metadata: MetadataOut = Field(
        default_factory=dict, description="Initial metadata sent before the reply."
    )
    trailing_metadata: MetadataOut = Field(
        default_factory=dict, description="Trailing metadata sent with the status."
    )
    delay_ms: float = Field(0, ge=0, description="Wait this long before answering.")
    latency: float | dict[str, Any] | None = Field(
        None,
        description="A sampled delay before answering, as an endpoint's latency"
        " (milliseconds, or {min_ms, max_ms}, {p50_ms, p95_ms}...).",
    )
    on_message: list[GrpcRule] | None = Field(
        None, description="A bidi method: the rules answering each message received."
    )
    fault: GrpcFault | None = Field(
        None,
        description="Break the call: every call, or with a flaky key only the calls it fails.",
    )
    fail_first: int | None = Field(
        None, ge=0, description="Fail a client's first N calls (with fault, or UNAVAILABLE)."
    )
    fail_every: int | None = Field(None, ge=0, description="Fail every N-th call.")
    outage: dict[str, Any] | None = Field(
        None, description="Fail every call during recurring windows: {every: 60s, for: 10s}."
    )
    failure_rate: float | None = Field(
        None, ge=0, le=1, description="Fail this fraction of calls at random."
    )
    per_client: str | None = Field(
        None, description="Count the flaky keys per client: ip, header:NAME (metadata)."
    )
    rate_limit: dict[str, Any] | None = Field(
        None,
        description="{requests, per, key}: calls over it end RESOURCE_EXHAUSTED.",
    )

    @property
    def flaky_keys(self) -> dict[str, Any]:
        """The flaky settings given, as the endpoints' behaviour keys."""
        keys = ("fail_first", "fail_every", "outage", "failure_rate", "per_client")
        return {key: getattr(self, key) for key in keys if getattr(self, key) is not None}

    @model_validator(mode="after")
    def _one_answer(self) -> Self:
        if self.response is not None and self.stream is not None:
            raise ValueError("give response (one message) or stream (several), not both")
        if self.details is not None and self.status == "OK":
            raise ValueError("details are an error's: give an error status with them")
        return self


class GrpcSection(ConfigModel):
    """A gRPC server beside the HTTP one, mocking the services of some ``.proto`` files."""

    port: int = Field(50051, ge=0, le=65535, description="The port to listen on (0: any free).")
    protos: list[Annotated[str, Field(min_length=1)]] = Field(
        min_length=1,
        description=".proto files or folders of them (relative to this file; a folder is an"
        " import root), or descriptor set files (.pb, .protoset, .desc, .binpb).",
    )
    import_paths: list[Annotated[str, Field(min_length=1)]] = Field(
        default_factory=list,
        description="More folders imports are looked up in (the well-known types are built in).",
    )
    services: list[Annotated[str, Field(min_length=1)]] | None = Field(
        None, description="Serve only these services (full names); default: every one."
    )
    reflection: bool = Field(True, description="Serve gRPC server reflection (grpcurl, Postman).")
    health: bool = Field(True, description="Serve grpc.health.v1.Health (SERVING per service).")
    stubs: list[GrpcStub] = Field(
        default_factory=list, description="The stubs, tried in file order per method."
    )


def match_pattern(match: GrpcMatch | None, path: str | None = None) -> RequestPattern:
    """The ``RequestPattern`` a call's ``match`` is (the message as the JSON body, metadata
    as headers; ``each`` aside): how stubs match calls and ``MockServer.verify_grpc``
    counts them. ``ValueError`` on a matcher that does not compile."""
    from apidouble.config.convert import native_body_spec, native_value_spec

    methods = frozenset({"POST"}) if path is not None else ANY_METHOD
    if match is None:
        return RequestPattern(methods, path)
    body: list[BodySpec] = []
    if match.json_ is not None:
        body.append(BodySpec("json", match.json_))
    body.extend(
        native_body_spec(m.model_dump(by_alias=True, exclude_unset=True)) for m in match.body
    )
    headers = tuple(
        (key.lower(), native_value_spec(m.model_dump(by_alias=True, exclude_unset=True)))
        for key, m in match.metadata.items()
    )
    return RequestPattern(methods, path, headers=headers, body=tuple(body))
