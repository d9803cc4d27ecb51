"""A spec, read: the parts of an OpenAPI 3.x (or Swagger 2.0, normalised) document the mock
needs, as plain frozen records.

The loader (``spec.py``) builds these once; the generator, the validator, the importer and
the spec server only read them. Schemas stay the spec's own dicts with every ``$ref``
replaced by the object it names (the same object each time, so a recursive schema is a
cycle of dicts, never an endless copy): code that walks them bounds its depth.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

__all__ = [
    "NO_EXAMPLE",
    "MediaType",
    "Operation",
    "Parameter",
    "ParameterLocation",
    "RequestBody",
    "ResponseSpec",
    "Schema",
    "Spec",
    "SpecProblem",
]

Schema = dict[str, Any]
"""A JSON Schema object as the spec writes it (OpenAPI 3.0's dialect or 3.1's 2020-12),
``$ref``s resolved in place."""

ParameterLocation = Literal["path", "query", "header", "cookie"]


class _NoExample:
    """The absence of an ``example`` (``None`` is a legal example value)."""

    _instance: _NoExample | None = None

    def __new__(cls) -> _NoExample:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NO_EXAMPLE"

    def __bool__(self) -> bool:
        return False


NO_EXAMPLE: Final = _NoExample()


@dataclass(frozen=True, slots=True)
class SpecProblem:
    """Something wrong in a spec, located the way an editor can jump to it."""

    file: Path
    pointer: str
    """A JSON pointer into ``file`` (``/paths/~1pets/get/responses/200``)."""
    message: str
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        return f"{self.file}#{self.pointer}: {self.message}"


@dataclass(frozen=True, slots=True)
class MediaType:
    """One entry of a ``content`` map: ``application/json`` and what it holds."""

    name: str
    """The media range as written (``application/json``, ``text/*``, ``*/*``)."""
    schema: Schema | None = None
    example: Any = NO_EXAMPLE
    """The single ``example`` (the media type's, else its schema's), or ``NO_EXAMPLE``."""
    examples: dict[str, Any] = field(default_factory=dict)
    """Named examples, name → value (the ``value`` of each Example Object, external
    ``externalValue`` ones left out), in the spec's order."""
    encoding: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Encoding Objects by property name (``contentType``, ``style``, ``explode``,
    ``allowReserved``): how a form body's fields are written."""


@dataclass(frozen=True, slots=True)
class Parameter:
    """A path, query, header or cookie parameter (path-level ones merged in)."""

    name: str
    location: ParameterLocation
    required: bool = False
    schema: Schema | None = None
    style: str = ""
    """As written, or the default for the location (``simple`` for path and header,
    ``form`` for query and cookie)."""
    explode: bool = False
    """As written, or the default (true for ``form``, false otherwise)."""
    content: dict[str, MediaType] = field(default_factory=dict)
    """The ``content`` form of a parameter (a JSON-encoded query value), instead of a
    schema."""
    example: Any = NO_EXAMPLE
    allow_empty: bool = False
    deprecated: bool = False


@dataclass(frozen=True, slots=True)
class RequestBody:
    """What an operation accepts as its body (Swagger 2.0's ``in: body`` and
    ``in: formData`` parameters become one of these)."""

    required: bool = False
    content: dict[str, MediaType] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ResponseSpec:
    """One response of an operation."""

    status: str
    """``"200"``, a range (``"2XX"``) or ``"default"``, as the spec's key says."""
    description: str = ""
    headers: dict[str, Parameter] = field(default_factory=dict)
    """Response headers by name (as ``header`` parameters)."""
    content: dict[str, MediaType] = field(default_factory=dict)
    """Empty for a response without a body."""


@dataclass(frozen=True, slots=True)
class Operation:
    """One method on one path."""

    method: str
    """Upper case: ``GET``."""
    path: str
    """The path template as the spec writes it, with the server's base path in front
    (``/v2/pets/{petId}``)."""
    operation_id: str = ""
    summary: str = ""
    parameters: tuple[Parameter, ...] = ()
    request_body: RequestBody | None = None
    responses: tuple[ResponseSpec, ...] = ()
    """In the spec's order."""
    security: tuple[dict[str, tuple[str, ...]], ...] | None = None
    """Alternatives, any one of which must hold (each maps scheme name → scopes); the
    document's top-level ``security`` when the operation has none; None when neither says
    (no security); ``()`` when the operation opts out with ``security: []``."""
    deprecated: bool = False
    pointer: str = ""
    """Where the operation is: ``/paths/~1pets~1{petId}/get``."""


@dataclass(frozen=True, slots=True)
class Spec:
    """A loaded spec: its operations and what went wrong reading it."""

    file: Path
    version: str
    """``"2.0"``, ``"3.0.3"``, ``"3.1.0"``…: the document's own ``swagger``/``openapi``."""
    title: str = ""
    base_path: str = ""
    """The first server's path (``/v1``; Swagger 2.0's ``basePath``), "" for the root."""
    operations: tuple[Operation, ...] = ()
    security_schemes: dict[str, dict[str, Any]] = field(default_factory=dict)
    """``components.securitySchemes`` (Swagger 2.0's ``securityDefinitions``, normalised
    to the 3.x form: ``type`` of ``apiKey``/``http``/``oauth2``/``openIdConnect``)."""
    problems: tuple[SpecProblem, ...] = ()
    """Operations with problems are left out of ``operations`` (the rest still serve)."""

    @property
    def dialect(self) -> Literal["3.0", "3.1"]:
        """The schema dialect: 3.1 speaks JSON Schema 2020-12; 2.0 and 3.0 their subset."""
        return "3.1" if self.version.startswith("3.1") else "3.0"
