"""Config models of request conditions: value matchers, body matchers, ``match``.

A plain scalar where a matcher goes means ``{equals: scalar}``; a single body matcher
where a list goes means a list of one.

Besides the native operators, a matcher takes an *added* operator: one registered in
``matching`` after apidouble's own (by a plugin or ``register_value_operator``), written
as its name (``{hmac_sha256: secret}``). apidouble's other registered operators (WireMock's
``equals_json``, ``before``...) are not config keys: their expectations are not config
data, and ``match.wiremock`` spells them as WireMock does.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Annotated, Any, Literal, Self, TypeVar

from pydantic import (
    BeforeValidator,
    Field,
    ModelWrapValidatorHandler,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails, InitErrorDetails, PydanticCustomError

import apidouble.matching  # noqa: F401  (every built-in operator registered before the snapshot)
from apidouble.config.fields import ConfigModel, JsonSchema, Regex, Text
from apidouble.matching.body import body_operators
from apidouble.matching.template import TemplateSpec
from apidouble.matching.values import value_operators
from apidouble.model import RequestPattern, ValueSpec

M = TypeVar("M")
_BUILTIN_VALUE_OPS = frozenset(value_operators())
_BUILTIN_BODY_OPS = frozenset(body_operators())


def as_value_matcher(value: Any) -> Any:
    if value is None:
        raise ValueError("null is not a matcher; use {present: false} to require absence")
    if isinstance(value, str | int | float | bool):
        return {"equals": value}
    return value


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, dict) else value


_VALUE_OPS = ("equals", "contains", "regex", "present", "one_of")


class ValueMatcher(ConfigModel):
    """One condition on a text value; a plain scalar means ``{equals: scalar}``."""

    __slots__ = ("_added",)  # set only for an added operator (a private attribute costs more)

    equals: Text | None = Field(None, description="The value equals this text.")
    contains: Text | None = Field(None, description="The value contains this text.")
    regex: Regex | None = Field(None, description="The value matches this regex (full match).")
    present: bool | None = Field(None, description="true: must be present; false: absent.")
    one_of: list[Text] | None = Field(None, description="The value equals one of these.")
    case_insensitive: bool = Field(False, description="Compare ignoring case.")
    not_: bool = Field(False, alias="not", description="Negate the condition.")

    @model_validator(mode="wrap")
    @classmethod
    def _one_op(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        added: list[tuple[str, Any]] = []
        if isinstance(data, dict) and data.keys() <= _VALUE_KEYS:  # the usual case: fast
            model = handler(data)
        else:
            model, added = _validated(cls, data, handler, added_value_operators(data, cls))
        ops = model.given(*_VALUE_OPS) + [name for name, _ in added]
        if len(ops) != 1:
            known = ", ".join((*_VALUE_OPS, *added_value_operators()))
            raise ValueError(f"use exactly one of {known} (got {ops or 'none'})")
        if added:
            object.__setattr__(model, "_added", added[0])
        return model

    @property
    def added(self) -> tuple[str, Any] | None:
        """The added operator given, with its expectation (None: a native one)."""
        return _added(self)


class BodyMatcher(ConfigModel):
    """One condition on the request body; a list of them means all must hold."""

    __slots__ = ("_added",)  # set only for an added operator (a private attribute costs more)

    equals: Any = Field(None, description="Body equals this text, or this JSON value.")
    contains: Text | None = Field(None, description="Body text contains this.")
    regex: Regex | None = Field(
        None, description="Body text matches this regex (full match; . matches newlines)."
    )
    json_: Any = Field(
        None, alias="json", description="Partial JSON: every given key present and equal."
    )
    jsonpath: str | None = Field(
        None,
        pattern=r"^\$",
        description="JSONPath ($...) into the JSON body; alone it requires a match, or"
        " add equals, contains, regex, present or one_of to check the selected value.",
    )
    schema_: JsonSchema | None = Field(
        None, alias="schema", description="Body must be JSON valid against this JSON Schema."
    )
    present: bool | None = Field(None, description="With jsonpath: selection exists or not.")
    one_of: list[Any] | None = Field(None, description="With jsonpath: value is one of these.")
    case_insensitive: bool = Field(False, description="With jsonpath: compare ignoring case.")
    not_: bool = Field(False, alias="not", description="With jsonpath: negate the check.")

    @model_validator(mode="wrap")
    @classmethod
    def _one_op(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        added: list[tuple[str, Any]] = []
        value_ops: tuple[str, ...] = ()
        body_ops: tuple[str, ...] = ()
        if isinstance(data, dict) and data.keys() <= _BODY_KEYS:  # the usual case: fast
            model = handler(data)
        else:
            value_ops = added_value_operators(data, cls)
            body_ops = added_body_operators(data, cls)
            model, added = _validated(cls, data, handler, (*body_ops, *value_ops))
        names = [name for name, _ in added]
        if model.jsonpath is not None:
            extra = model.given("json_", "schema_") + [n for n in names if n not in value_ops]
            ops = model.given(*_VALUE_OPS) + [n for n in names if n in value_ops]
            if extra or len(ops) > 1:
                known = ", ".join((*_VALUE_OPS, *added_value_operators()))
                raise ValueError(
                    f"jsonpath takes at most one of {known} (got {', '.join(extra + ops)})"
                )
        else:
            ops = model.given("equals", "contains", "regex", "json_", "jsonpath", "schema_")
            ops += [n for n in names if n in body_ops]
            if len(ops) != 1:
                natives = ("equals", "contains", "regex", "json", "jsonpath", "schema")
                known = ", ".join(natives + added_body_operators())
                raise ValueError(f"use exactly one of {known} (got {ops or 'none'})")
            only = model.given("present", "one_of", "case_insensitive", "not_")
            only += [n for n in names if n not in body_ops]
            if only:
                raise ValueError(f"{', '.join(only)} only apply with jsonpath")
        if added:
            object.__setattr__(model, "_added", added[0])
        return model

    @property
    def added(self) -> tuple[str, Any] | None:
        """The added operator given, with its expectation (None: a native one)."""
        return _added(self)


def _added(model: ConfigModel) -> tuple[str, Any] | None:
    """An added operator and its expectation (for a body matcher: a body operator, or
    with ``jsonpath`` a value operator on the selection); None for a native one."""
    try:
        found: tuple[str, Any] = object.__getattribute__(model, "_added")
    except AttributeError:
        return None
    return found


def _keys(model: type[ConfigModel]) -> frozenset[str]:
    return frozenset(field.alias or name for name, field in model.model_fields.items())


_VALUE_KEYS = _keys(ValueMatcher)
_BODY_KEYS = _keys(BodyMatcher)
CONFIG_KEYS = _VALUE_KEYS | _BODY_KEYS
"""Every key a matcher already has: no added operator may take one of these names."""


def added_value_operators(
    data: Any = None, model: type[ConfigModel] | None = None
) -> tuple[str, ...]:
    """The value operators registered after apidouble's own, usable as config keys.

    Given the raw ``data`` of a matcher with a key its ``model`` does not know, installed
    plugins are loaded first (once per process), so their operators need no set-up call.
    """
    _load_plugins_for(data, model)
    return tuple(
        n for n in value_operators() if n not in _BUILTIN_VALUE_OPS and n not in CONFIG_KEYS
    )


def added_body_operators(
    data: Any = None, model: type[ConfigModel] | None = None
) -> tuple[str, ...]:
    """The body operators registered after apidouble's own, usable as config keys."""
    _load_plugins_for(data, model)
    return tuple(n for n in body_operators() if n not in _BUILTIN_BODY_OPS and n not in CONFIG_KEYS)


def _load_plugins_for(data: Any, model: type[ConfigModel] | None) -> None:
    if model is None or not isinstance(data, dict):
        return
    if not data.keys() <= _keys(model):
        from apidouble.plugins import load_plugins

        load_plugins()


def _validated(
    cls: type[ConfigModel],
    data: Any,
    handler: ModelWrapValidatorHandler[M],
    added_ops: tuple[str, ...],
) -> tuple[M, list[tuple[str, Any]]]:
    """The model of ``data`` without its added operators, and those operators.

    Unknown keys stay pydantic's errors (with their pointer); once some operators are
    added, their message is ours, so a typo of an added name gets its suggestion too."""
    added: list[tuple[str, Any]] = []
    if isinstance(data, dict) and added_ops:
        added = [(key, value) for key, value in data.items() if key in added_ops]
        data = {key: value for key, value in data.items() if key not in added_ops}
    try:
        return handler(data), added
    except ValidationError as exc:
        if not added_ops:
            raise
        keys = [f.alias or n for n, f in cls.model_fields.items()]
        errors = [_unknown_key(error, keys, added_ops) for error in exc.errors()]
        raise ValidationError.from_exception_data(exc.title, errors) from None


def _unknown_key(error: ErrorDetails, keys: list[str], added_ops: tuple[str, ...]) -> Any:
    """An error raised again as it was, or an unknown key's with added operators offered."""
    loc = error["loc"]
    if error["type"] != "extra_forbidden" or len(loc) != 1:  # kept as it reads
        kept = PydanticCustomError(error["type"], error["msg"])
        return InitErrorDetails(type=kept, loc=loc, input=error["input"])
    key = str(loc[0])
    allowed = [*keys, *added_ops]
    close = difflib.get_close_matches(key, allowed, n=1)
    if close:
        message = f"unknown key {key!r} (did you mean {close[0]!r}?)"
    else:
        message = f"unknown key {key!r}; expected one of: {', '.join(allowed)}"
    return InitErrorDetails(
        type="value_error", loc=loc, input=error["input"], ctx={"error": ValueError(message)}
    )


ValueMatcherField = Annotated[
    ValueMatcher,
    BeforeValidator(
        as_value_matcher, json_schema_input_type=str | int | float | bool | ValueMatcher
    ),
]
BodyMatchers = Annotated[
    list[BodyMatcher],
    BeforeValidator(_as_list, json_schema_input_type=BodyMatcher | list[BodyMatcher]),
]


class AuthMatch(ConfigModel):
    """Conditions on who is calling: the bearer token's claims."""

    claims: dict[str, ValueMatcherField] = Field(
        default_factory=dict,
        description="Claims of the bearer token by name: a value or a matcher (a list"
        " claim matches when one of its items does). The endpoint's auth verifies it.",
    )


class TemplateMatcher(ConfigModel):
    """A template rendered for the request, its text compared like a value."""

    source: str = Field(
        min_length=1,
        description="The template: it sees what a response's templates see (request,"
        " path params, the server's state).",
    )
    templating: Literal["jinja", "handlebars", "mockoon"] = Field(
        "jinja", description="The template language of source."
    )
    equals: Text | None = Field(None, description="The text equals this.")
    contains: Text | None = Field(None, description="The text contains this.")
    regex: Regex | None = Field(None, description="The text matches this regex (full match).")
    one_of: list[Text] | None = Field(None, description="The text equals one of these.")
    case_insensitive: bool = Field(False, description="Compare ignoring case.")
    not_: bool = Field(False, alias="not", description="Negate the condition.")

    @model_validator(mode="after")
    def _one_op(self) -> Self:
        ops = self.given(*_TEMPLATE_OPS)
        if len(ops) != 1:
            raise ValueError(f"use exactly one of {', '.join(_TEMPLATE_OPS)} (got {ops or 'none'})")
        return self

    def spec(self) -> TemplateSpec:
        """The matcher as the request pattern holds it."""
        op = next(name for name in _TEMPLATE_OPS if self.given(name))
        expected = getattr(self, op)
        expected = tuple(expected) if op == "one_of" else expected
        value = ValueSpec(op, expected, self.case_insensitive, self.not_)
        return TemplateSpec(self.source, value, self.templating)


_TEMPLATE_OPS = ("equals", "contains", "regex", "one_of")

TemplateMatchers = Annotated[
    list[TemplateMatcher],
    BeforeValidator(_as_list, json_schema_input_type=TemplateMatcher | list[TemplateMatcher]),
]


class Match(ConfigModel):
    """Further conditions on the request; all must hold."""

    query: dict[str, ValueMatcherField] = Field(
        default_factory=dict, description="Query parameters by name: a value or a matcher."
    )
    headers: dict[str, ValueMatcherField] = Field(
        default_factory=dict, description="Request headers by name (any case)."
    )
    cookies: dict[str, ValueMatcherField] = Field(
        default_factory=dict, description="Cookies by name."
    )
    host: ValueMatcherField | None = Field(
        None,
        description="The host the request names (its Host header, without the port): a"
        " value or a matcher; with --proxy-mode, the host a client reached through the"
        " mock (api.example.com).",
    )
    body: BodyMatchers = Field(
        default_factory=list, description="A body matcher, or a list that must all hold."
    )
    template: TemplateMatchers = Field(
        default_factory=list,
        description="A template matcher ({source: '{{...}}', equals: ...}), or a list that"
        " must all hold: the template is rendered for the request and its text compared.",
    )
    auth: AuthMatch | None = Field(
        None,
        description="Conditions on the caller's token ({claims: {role: admin}}); the"
        " endpoint needs an auth: {jwt: ...} of its own (or auth.require) to verify it.",
    )
    wiremock: dict[str, Any] | None = Field(
        None,
        description="A WireMock request-pattern fragment, as WireMock writes it (headers,"
        " bodyPatterns, cookies, queryParameters, formParameters, multipartPatterns,"
        " basicAuthCredentials, pathParameters, url, urlPattern, host, port, scheme);"
        " its conditions are added to the others.",
    )

    @field_validator("wiremock")
    @classmethod
    def _wiremock_fragment(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None:  # its mistakes are this key's problems
            fragment_pattern(value)
        return value


def fragment_pattern(fragment: Mapping[str, Any], path: str | None = None) -> RequestPattern:
    """A ``match.wiremock`` fragment compiled by WireMock's own request-pattern reader
    (``pathParameters`` name the parameters of the endpoint's ``path``); ValueError
    naming the fragment's key at fault."""
    from apidouble.importers.wiremock import MappingError
    from apidouble.importers.wiremock.request import request_pattern

    if any(key in fragment for key in _NOT_IN_FRAGMENT):
        given = ", ".join(k for k in _NOT_IN_FRAGMENT if k in fragment)
        raise ValueError(f"wiremock: {given} go in the endpoint's own keys (method, path)")
    if "pathParameters" in fragment:
        fragment = {**fragment, "urlPathTemplate": path or "/"}
    try:
        return request_pattern(fragment)
    except MappingError as exc:
        where = f" (at {exc.pointer})" if exc.pointer else ""
        raise ValueError(f"{exc.message}{where}") from None


_NOT_IN_FRAGMENT = ("method", "urlPath", "urlPathPattern", "urlPathTemplate")
