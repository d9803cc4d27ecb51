"""JSONPath expressions compiled for matchers: python-jsonpath with its ``=~`` bounded.

python-jsonpath compiles a filter's ``=~ /pattern/`` with ``re``, which has no timeout, so
``$[?@.a =~ /(a+)+$/]`` against a long value would hold the event loop for every client.
Here ``=~`` runs through ``regexbound.bounded_pattern`` like every other matcher regex:
a risky pattern gets a time bound, and a value it gives up on does not match (the
filter drops that node). The meaning stays the library's (and Jayway's): a full match.

A separate environment, not the library's default, so a host process that uses
python-jsonpath itself keeps its own behaviour.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from apidouble.openapi.regexbound import bounded_pattern

if TYPE_CHECKING:
    from jsonpath import CompoundJSONPath, JSONPath, JSONPathEnvironment

__all__ = ["compile_jsonpath", "find_in_document"]

_ENVIRONMENT: list[JSONPathEnvironment] = []


def compile_jsonpath(expression: str) -> JSONPath | CompoundJSONPath:
    """``jsonpath.compile(expression)`` on the bounded environment; raises what it
    raises (``JSONPathError``, and ``re.error`` for a filter's broken ``=~`` regex)."""
    if not _ENVIRONMENT:
        _ENVIRONMENT.append(_bounded_environment())
    return _ENVIRONMENT[0].compile(expression)


def find_in_document(path: JSONPath | CompoundJSONPath, document: Any) -> list[Any]:
    """``path.findall(document)`` for a parsed JSON document. python-jsonpath takes a
    ``str`` for JSON text and parses it again, so a body that is a JSON string (``"[1]"``)
    was read as a list, and one such as ``"["`` raised. A string has no members, as a
    number has none: the path selects it exactly when it selects the root of ``0``."""
    if isinstance(document, str):
        return [document] if path.findall(0) == [0] else []
    found: list[Any] = path.findall(document)
    return found


def _bounded_environment() -> JSONPathEnvironment:
    import jsonpath  # here, not at the top: only configs that use it pay for its import

    class BoundedEnvironment(jsonpath.JSONPathEnvironment):
        """``=~`` through ``bounded_pattern``; every other operator as the library has it."""

        def compare(self, left: object, operator: str, right: object) -> bool:
            if operator == "=~" and isinstance(right, re.Pattern) and isinstance(left, str):
                return bounded_pattern(right.pattern, right.flags).fullmatch(left)
            return super().compare(left, operator, right)

    return BoundedEnvironment()
