"""Template helpers a user installs: extra globals (``{{ sign(...) }}``) and filters
(``{{ x | hexdigest }}``), for templates compiled afterwards.

A helper is a plain callable the user chose to install; it runs inside the same sandbox
as every template (its arguments and results are checked like any other value). Names
are decided at load time, as the built-in ones are: a template's free names are checked
against ``KNOWN_NAMES`` and the installed globals when it compiles, and a response's
context carries an installed global only when one of its templates uses it, so a
template that uses none pays nothing.

Installing or removing a helper clears the compile cache: a cached template compiled
before must not outlive the names it was checked against. Templates already compiled
(a served config) keep the helpers they were compiled with.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .compile import clear_template_cache
from .environment import INSTALLED_FILTERS, INSTALLED_GLOBALS, KNOWN_NAMES, compiler

__all__ = [
    "register_template_filter",
    "register_template_global",
    "template_filters",
    "template_globals",
    "unregister_template_filter",
    "unregister_template_global",
]

_BUILTIN_FILTERS = frozenset(compiler().filters)
"""Jinja's filters and ours, as the sandbox starts: an installed filter may not hide one."""


def register_template_global(name: str, fn: Callable[..., Any]) -> None:
    """Make ``{{ name(...) }}`` usable in templates compiled from now on; ValueError when
    the name is taken (a built-in name or another installed global) or not callable."""
    _check(name, fn, "global")
    if name in KNOWN_NAMES or name in INSTALLED_GLOBALS:
        raise ValueError(f"template global {name!r} is already defined")
    INSTALLED_GLOBALS[name] = fn
    clear_template_cache()


def register_template_filter(name: str, fn: Callable[..., Any]) -> None:
    """Make ``{{ value | name }}`` usable in templates compiled from now on; ValueError
    when the name is taken (Jinja's, ours or another installed filter)."""
    _check(name, fn, "filter")
    if name in _BUILTIN_FILTERS or name in INSTALLED_FILTERS:
        raise ValueError(f"template filter {name!r} is already defined")
    INSTALLED_FILTERS[name] = fn
    compiler().filters[name] = fn
    clear_template_cache()


def unregister_template_global(name: str) -> None:
    """Remove an installed global (a plugin's teardown, a test's cleanup)."""
    if INSTALLED_GLOBALS.pop(name, None) is None:
        raise ValueError(f"template global {name!r} is not installed")
    clear_template_cache()


def unregister_template_filter(name: str) -> None:
    """Remove an installed filter."""
    if INSTALLED_FILTERS.pop(name, None) is None:
        raise ValueError(f"template filter {name!r} is not installed")
    compiler().filters.pop(name, None)
    clear_template_cache()


def template_globals() -> tuple[str, ...]:
    """The installed globals' names, sorted."""
    return tuple(sorted(INSTALLED_GLOBALS))


def template_filters() -> tuple[str, ...]:
    """The installed filters' names, sorted."""
    return tuple(sorted(INSTALLED_FILTERS))


def _check(name: str, fn: Any, kind: str) -> None:
    if not isinstance(name, str) or not name.isidentifier() or name.startswith("_"):
        raise ValueError(f"template {kind} name {name!r}: use an identifier not starting with _")
    if not callable(fn):
        raise ValueError(f"template {kind} {name!r}: {fn!r} is not callable")
