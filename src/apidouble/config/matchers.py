"""Config models of request conditions: value matchers, body matchers, ``match``.

A plain scalar where a matcher goes means ``{equals: scalar}``; a single body matcher
where a list goes means a list of one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Self

from pydantic import BeforeValidator, Field, field_validator, model_validator

from apidouble.config.fields import ConfigModel, JsonSchema, Regex, Text
from apidouble.model import RequestPattern


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

    equals: Text | None = Field(None, description="The value equals this text.")
    contains: Text | None = Field(None, description="The value contains this text.")
    regex: Regex | None = Field(None, description="The value matches this regex (full match).")
    present: bool | None = Field(None, description="true: must be present; false: absent.")
    one_of: list[Text] | None = Field(None, description="The value equals one of these.")
    case_insensitive: bool = Field(False, description="Compare ignoring case.")
    not_: bool = Field(False, alias="not", description="Negate the condition.")

    @model_validator(mode="after")
    def _one_op(self) -> Self:
        ops = self.given(*_VALUE_OPS)
        if len(ops) != 1:
            raise ValueError(f"use exactly one of {', '.join(_VALUE_OPS)} (got {ops or 'none'})")
        return self


class BodyMatcher(ConfigModel):
    """One condition on the request body; a list of them means all must hold."""

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

    @model_validator(mode="after")
    def _one_op(self) -> Self:
        if self.jsonpath is not None:
            extra = self.given("json_", "schema_")
            ops = self.given(*_VALUE_OPS)
            if extra or len(ops) > 1:
                raise ValueError(
                    f"jsonpath takes at most one of {', '.join(_VALUE_OPS)}"
                    f" (got {', '.join(extra + ops)})"
                )
            return self
        ops = self.given("equals", "contains", "regex", "json_", "jsonpath", "schema_")
        if len(ops) != 1:
            raise ValueError(
                "use exactly one of equals, contains, regex, json, jsonpath, schema"
                f" (got {ops or 'none'})"
            )
        if only := self.given("present", "one_of", "case_insensitive", "not_"):
            raise ValueError(f"{', '.join(only)} only apply with jsonpath")
        return self


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
    body: BodyMatchers = Field(
        default_factory=list, description="A body matcher, or a list that must all hold."
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
