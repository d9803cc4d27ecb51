"""Plugins from installed packages: operators, template helpers and importers found
through entry points, once per process.

A package declares entry points (``[project.entry-points."apidouble.matchers"]`` in its
``pyproject.toml``); the entry point's *name* is the name users write in a config:

- ``apidouble.matchers``: an operator for ``match:``. The object is a value operator
  compiler (``matching.values.ValueCompiler``: ``(expected, ValueOptions) ->
  ValueOperator``, raising ``ValueError`` for a bad expectation), used as
  ``headers: {X-Sig: {NAME: expected}}`` (also in ``query``, ``cookies``, and on a
  ``jsonpath`` selection); an optional ``shown_as`` attribute names it in near-miss
  reports. An object whose ``kind`` attribute is ``"body"`` (``@body_operator``) is a
  body operator compiler instead (``matching.body.BodyCompiler``: ``BodySpec ->
  BodyMatcher``, the expectation in ``spec.expected``), used as ``body: {NAME: expected}``.
- ``apidouble.helpers``: a template helper. A callable is a global
  (``{{ NAME(...) }}``); one whose ``kind`` attribute is ``"filter"`` (``@template_filter``)
  is a filter (``{{ value | NAME }}``). Helpers run in the template sandbox.
- ``apidouble.importers``: a converter for another tool's files. The object has
  ``detect(data, path) -> bool`` (is this parsed YAML/JSON document mine?) and
  ``convert(data, path) -> dict`` (the native config document: ``{"endpoints": [...]}``).
  The loader serves a config file no other reader claims through ``plugin_document``, and
  ``apidouble import NAME SOURCE`` writes the converted document as YAML.
- ``apidouble.addons``: addons named in a config by a plain word; the addon loader
  resolves them (``entry_point(group, name)`` loads one).

``load_plugins()`` imports and registers the first three groups; it runs once per
process (later calls return the same report at once), and config validation and
template compilation call it themselves when they meet a name they do not know, so an
installed plugin needs no set-up call. A plugin that cannot be loaded (its import
raises, its object has the wrong shape, its name is already taken: built-in names and
the first plugin of a name win) is logged as a warning naming its group, entry point
and distribution, and skipped: the server still starts, and a config that uses the
name gets the usual "unknown key" error.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any, Protocol, TypeVar, runtime_checkable

from .errors import ApidoubleError

__all__ = [
    "ADDONS",
    "HELPERS",
    "IMPORTERS",
    "MATCHERS",
    "NATIVE_IMPORT_FORMATS",
    "Importer",
    "PluginError",
    "Plugins",
    "body_operator",
    "entry_point",
    "converted",
    "importer",
    "importer_names",
    "imported_sources",
    "load_plugins",
    "plugin_document",
    "plugin_import",
    "template_filter",
    "unload_plugins",
]

log = logging.getLogger("apidouble.plugins")

ADDONS = "apidouble.addons"
MATCHERS = "apidouble.matchers"
HELPERS = "apidouble.helpers"
IMPORTERS = "apidouble.importers"
NATIVE_IMPORT_FORMATS = ("wiremock",)
"""Formats ``apidouble import`` converts itself: no importer may take their names."""

F = TypeVar("F", bound=Callable[..., Any])


class PluginError(ApidoubleError):
    """A plugin failed where its failure cannot be skipped: an importer that claimed a
    file could not convert it, or a named entry point cannot be loaded."""


@runtime_checkable
class Importer(Protocol):
    """What an ``apidouble.importers`` entry point gives (a module, class or instance).

    It may also have ``sources(data, path) -> Sequence[Path]`` (``Sources``): every other
    file ``convert`` reads for ``data`` (parsed from ``path``), relative paths meaning
    relative to ``path``'s folder. The loader stamps them as it stamps ``data:`` files,
    so a reload converts the document again when one of them changed, appeared or went
    (without them, a cached conversion is reused while ``path``'s own text is
    unchanged), and the watcher reloads when one changes. Name a file that may not exist
    yet if ``convert`` would read it once it does. Called after ``convert`` succeeded,
    with the same arguments; a failure is the file's problem, as one of ``convert``."""

    def detect(self, data: Any, path: Path) -> bool: ...

    def convert(self, data: Any, path: Path) -> dict[str, Any]: ...


class Sources(Protocol):
    """The optional part of an ``Importer``: the other files its conversion read."""

    def sources(self, data: Any, path: Path) -> Sequence[Path]: ...


def body_operator(compile: F) -> F:
    """Mark a compiler as a body operator for the ``apidouble.matchers`` group."""
    setattr(compile, "kind", "body")  # noqa: B010 - a function's attribute
    return compile


def template_filter(fn: F) -> F:
    """Mark a helper as a filter for the ``apidouble.helpers`` group."""
    setattr(fn, "kind", "filter")  # noqa: B010
    return fn


@dataclass(frozen=True, slots=True)
class Plugins:
    """What ``load_plugins`` registered, by name, and what it had to skip."""

    value_operators: tuple[str, ...] = ()
    body_operators: tuple[str, ...] = ()
    globals: tuple[str, ...] = ()
    filters: tuple[str, ...] = ()
    importers: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
    """One message per skipped entry point (also logged)."""


@dataclass(slots=True)
class _State:
    value_operators: list[str] = field(default_factory=list)
    body_operators: list[str] = field(default_factory=list)
    globals: list[str] = field(default_factory=list)
    filters: list[str] = field(default_factory=list)
    importers: dict[str, Importer] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)

    def report(self) -> Plugins:
        return Plugins(
            tuple(self.value_operators),
            tuple(self.body_operators),
            tuple(self.globals),
            tuple(self.filters),
            tuple(self.importers),
            tuple(self.failed),
        )


_lock = threading.RLock()
_state: _State | None = None
_report: Plugins | None = None


def load_plugins() -> Plugins:
    """Register every installed operator, helper and importer (once per process)."""
    global _state, _report
    if _report is not None:
        return _report
    with _lock:
        if _report is not None:
            return _report
        if _state is not None:  # a plugin being loaded made us look again: not twice
            return _state.report()
        state = _State()
        _state = state  # visible while loading, so a plugin's own compile can look up
        importlib.invalidate_caches()
        for ep in _entry_points(MATCHERS):
            _guarded(state, ep, _matcher)
        for ep in _entry_points(HELPERS):
            _guarded(state, ep, _helper)
        for ep in _entry_points(IMPORTERS):
            _guarded(state, ep, _importer)
        _report = state.report()
        return _report


def unload_plugins() -> None:
    """Undo ``load_plugins`` (unregister what it registered), so the next call looks
    again: for tests, and for a process that changed what is installed."""
    global _state, _report
    from .matching.body import unregister_body_operator
    from .matching.values import unregister_value_operator
    from .templating.helpers import unregister_template_filter, unregister_template_global

    with _lock:
        state, _state, _report = _state, None, None
        if state is None:
            return
        for name in state.value_operators:
            unregister_value_operator(name)
        for name in state.body_operators:
            unregister_body_operator(name)
        for name in state.globals:
            unregister_template_global(name)
        for name in state.filters:
            unregister_template_filter(name)


def entry_point(group: str, name: str) -> Any | None:
    """The object of entry point ``name`` in ``group`` (the first one installed), or None
    when there is none; ``PluginError`` naming it when it cannot be loaded."""
    for ep in _entry_points(group):
        if ep.name == name:
            try:
                return ep.load()
            except Exception as exc:  # a plugin's import may raise anything
                raise PluginError(f"{_where(ep)}: cannot load {ep.value}: {_summary(exc)}") from exc
    return None


def importer(name: str) -> Importer | None:
    """The installed importer of format ``name``, or None."""
    load_plugins()
    return _state.importers.get(name) if _state is not None else None


def importer_names() -> tuple[str, ...]:
    """The formats installed importers convert, sorted."""
    return tuple(sorted(load_plugins().importers))


def plugin_document(data: Any, path: Path) -> dict[str, Any] | None:
    """The native document the first importer (by name) that claims ``data`` (the parsed
    file at ``path``) converts it to, or None when no importer claims it.

    An importer whose ``detect`` raises is logged and passed over; one that claims the
    file but cannot convert it raises ``PluginError`` (a problem of that file)."""
    found = plugin_import(data, path)
    return found[0] if found is not None else None


def plugin_import(data: Any, path: Path) -> tuple[dict[str, Any], tuple[Path, ...]] | None:
    """``plugin_document``'s document and the other files the importer read for it
    (``imported_sources``), or None when no importer claims ``data``."""
    load_plugins()
    found = dict(_state.importers) if _state is not None else {}
    for name in sorted(found):
        claimed = _detects(name, found[name], data, path)
        if claimed:
            document = converted(name, found[name], data, path)
            return document, imported_sources(name, found[name], data, path)
    return None


def imported_sources(name: str, plugin: Importer, data: Any, path: Path) -> tuple[Path, ...]:
    """The absolute paths ``plugin.sources(data, path)`` names (none without the
    method); ``PluginError`` naming the importer when it fails or names no paths."""
    sources = getattr(plugin, "sources", None)
    if not callable(sources):
        return ()
    where = f"importer {name!r} ({IMPORTERS})"
    try:
        given = list(sources(data, path))
        return tuple((path.parent / Path(each)).absolute() for each in given)
    except Exception as exc:  # a plugin may raise anything; a bad entry is a TypeError
        raise PluginError(f"{where} cannot list the files {path} reads: {_summary(exc)}") from exc


def converted(name: str, plugin: Importer, data: Any, path: Path) -> dict[str, Any]:
    """``plugin.convert(data, path)``, checked to be a native document; ``PluginError``
    naming the importer otherwise."""
    where = f"importer {name!r} ({IMPORTERS})"
    try:
        document = plugin.convert(data, path)
    except Exception as exc:  # a plugin may raise anything
        raise PluginError(f"{where} cannot convert {path}: {_summary(exc)}") from exc
    if not isinstance(document, dict) or not isinstance(document.get("endpoints"), list):
        shown = type(document).__name__
        raise PluginError(f"{where} gave {shown}, not a document with an 'endpoints' list")
    return document


def _detects(name: str, plugin: Importer, data: Any, path: Path) -> bool:
    try:
        return bool(plugin.detect(data, path))
    except Exception as exc:  # a plugin may raise anything; others may still claim it
        log.warning("importer %r (%s): detect failed on %s: %s", name, IMPORTERS, path,
                    _summary(exc))  # fmt: skip
        return False


# --- loading one entry point ---------------------------------------------------------


def _entry_points(group: str) -> Iterable[EntryPoint]:
    return sorted(entry_points(group=group), key=lambda ep: ep.name)


def _guarded(state: _State, ep: EntryPoint, install: Callable[[_State, str, Any], None]) -> None:
    try:
        target = ep.load()
    except Exception as exc:  # a plugin's import may raise anything
        _skip(state, ep, f"cannot load {ep.value}: {_summary(exc)}")
        return
    try:
        install(state, ep.name, target)
    except (ValueError, TypeError) as exc:
        _skip(state, ep, str(exc))


def _skip(state: _State, ep: EntryPoint, why: str) -> None:
    message = f"plugin {_where(ep)} skipped: {why}"
    state.failed.append(message)
    log.warning("%s", message)


def _matcher(state: _State, name: str, target: Any) -> None:
    from .config.matchers import CONFIG_KEYS
    from .matching.body import body_operators, register_body_operator
    from .matching.values import register_value_operator, value_operators

    kind = getattr(target, "kind", "value")
    if not callable(target) or inspect.isclass(target):
        raise TypeError(f"{target!r} is not an operator compiler (a function)")
    if kind == "body":
        if name in body_operators():
            raise ValueError(f"body operator {name!r} is already registered")
        _not_a_config_key(name, CONFIG_KEYS)
        register_body_operator(name, target)
        state.body_operators.append(name)
    elif kind == "value":
        if name in value_operators():
            raise ValueError(f"value operator {name!r} is already registered")
        _not_a_config_key(name, CONFIG_KEYS)
        shown_as = getattr(target, "shown_as", None)
        register_value_operator(
            name, target, shown_as=shown_as if isinstance(shown_as, str) else None
        )
        state.value_operators.append(name)
    else:
        raise ValueError(f"kind {kind!r}: a matcher's kind is 'value' (the default) or 'body'")


def _not_a_config_key(name: str, keys: frozenset[str]) -> None:
    if name in keys:
        raise ValueError(f"{name!r} is a matcher's own config key")


def _helper(state: _State, name: str, target: Any) -> None:
    from .templating.helpers import register_template_filter, register_template_global

    kind = getattr(target, "kind", "global")
    if kind == "filter":
        register_template_filter(name, target)
        state.filters.append(name)
    elif kind == "global":
        register_template_global(name, target)
        state.globals.append(name)
    else:
        raise ValueError(f"kind {kind!r}: a helper's kind is 'global' (the default) or 'filter'")


def _importer(state: _State, name: str, target: Any) -> None:
    if name in NATIVE_IMPORT_FORMATS or name in state.importers:
        raise ValueError(f"import format {name!r} is already taken")
    if inspect.isclass(target):
        target = target()
    if not (
        callable(getattr(target, "detect", None)) and callable(getattr(target, "convert", None))
    ):
        raise TypeError(f"{target!r} has no detect(data, path) and convert(data, path)")
    state.importers[name] = target


def _where(ep: EntryPoint) -> str:
    dist = ep.dist
    source = f" from {dist.name} {dist.version}" if dist is not None else ""
    return f"{ep.group}:{ep.name}{source}"


def _summary(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"
