"""Finding addons: files, modules and entry points, loaded once per change.

An addon is named in the config (``addons: ["hooks.py", "mypkg.hooks:Signer"]``), per
endpoint, or with ``--addons FILE``. A name is, in this order of recognition:

- a Python file (ends with ``.py``, optionally ``:Attr``), relative to the config file
  that names it: executed as a fresh module whenever it changed, so an edit is served on
  the next reload (the file is watched with the config);
- ``module:Attr`` or a dotted module path: imported (once per process, as Python does);
- a plain word: the entry point of that name in the ``apidouble.addons`` group.

What it names becomes the addon: a module (its functions named after the phases are the
hooks; a module-level ``middleware`` function is a middleware), a class (instantiated,
with the entry's ``options`` as keywords), a function (a middleware), or any object.
Every failure is a ``ConfigProblem`` with the file and line that caused it, so a broken
addon is a load error and the last good config keeps serving.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.machinery
import importlib.util
import inspect
import json
import sys
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

from ..errors import ConfigProblem
from ..templating.files import resolved, shown_name

GROUP = "apidouble.addons"
"""The entry-point group addons are installed under."""

Scope = Literal["all", "listed"]


@dataclass(frozen=True, slots=True)
class AddonSpec:
    """One addon as the config names it."""

    use: Any
    """A file (``hooks.py[:Attr]``), ``module:Attr``, a module, an entry-point name, or
    (from Python) the addon object itself."""
    base: Path
    """The folder a relative file is found in (the naming config file's)."""
    name: str | None = None
    scope: Scope = "all"
    """``all``: every request; ``listed``: only endpoints that list it in ``addons``."""
    options: Mapping[str, Any] = field(default_factory=dict)
    file: str = "<command line>"
    line: int | None = None
    pointer: str = ""

    def problem(self, message: str) -> ConfigProblem:
        shown = self.use if isinstance(self.use, str) else type(self.use).__name__
        quoted = shown_name(shown)  # a hostile name may be long
        return ConfigProblem(self.file, f"addon {quoted}: {message}", self.line, self.pointer)


@dataclass(slots=True, eq=False)
class LoadedAddon:
    """An addon object, ready for its hooks to be looked up."""

    name: str
    addon: Any
    spec: AddonSpec
    path: Path | None = None
    """The Python file it came from, when it came from one (watched for changes)."""
    middleware: Any = None
    """Its ``middleware(request, call_next)`` function, when it has one."""


_Stamp = str


class AddonLoader:
    """Loads specs; keeps what came from files unchanged since the last load (their
    objects, and so their own state), and re-executes a file that changed."""

    def __init__(self) -> None:
        self._modules: dict[Path, tuple[_Stamp, ModuleType]] = {}
        self._made: dict[tuple[str, _Stamp], LoadedAddon] = {}

    def load(self, spec: AddonSpec, problems: list[ConfigProblem]) -> LoadedAddon | None:
        """The addon ``spec`` names, or None with the reason in ``problems``."""
        try:
            return self._load(spec)
        except _Failed as failed:
            problems.append(failed.problem)
            return None

    def _load(self, spec: AddonSpec) -> LoadedAddon:
        if not isinstance(spec.use, str):  # an object handed over in Python
            return self._made_from(spec, spec.use, "", type(spec.use).__name__, None)
        use = spec.use.strip()
        target, _, attr = use.partition(":") if not _drive_letter(use) else (use, "", "")
        if target.endswith(".py"):
            try:
                path = resolved(spec.base, target, "file")
            except ValueError as exc:  # a name no file system can hold
                raise _Failed(spec.problem(str(exc))) from None
            stamp = _stamp(path, spec)
            key = (_identity(spec), stamp)
            kept = self._made.get(key)
            if kept is not None:
                return kept
            module = self._module_from_file(path, stamp, spec)
            made = self._made_from(spec, module, attr, path.stem, path)
            self._made = {k: v for k, v in self._made.items() if k[0] != key[0]}
            self._made[key] = made
            return made
        if attr or "." in target:
            try:
                module = importlib.import_module(target)
            except Exception as exc:  # an addon's import may raise anything
                raise _Failed(spec.problem(f"cannot import {target}: {_summary(exc)}")) from exc
            return self._made_from(spec, module, attr, target.rsplit(".", 1)[-1], None)
        return self._from_entry_point(spec, target)

    def _module_from_file(self, path: Path, stamp: _Stamp, spec: AddonSpec) -> ModuleType:
        kept = self._modules.get(path)
        if kept is not None and kept[0] == stamp:
            return kept[1]
        name = f"apidouble_addon_{abs(hash(path)):x}_{stamp[:12]}"
        try:
            source = path.read_bytes()
        except OSError as exc:
            raise _Failed(spec.problem(f"cannot read {path}: {exc.strerror}")) from None
        # Compiled from the bytes just read, never from __pycache__: a cached .pyc is
        # trusted by mtime and size, which an edit within one clock tick keeps.
        module = importlib.util.module_from_spec(importlib.machinery.ModuleSpec(name, None))
        module.__file__ = str(path)
        sys.modules[name] = module  # dataclasses and pickling look modules up by name
        try:
            exec(compile(source, str(path), "exec"), module.__dict__)
        except SyntaxError as exc:
            sys.modules.pop(name, None)
            problem = ConfigProblem(
                str(path), f"addon {spec.use!r}: {exc.msg}", exc.lineno, stub=None
            )
            raise _Failed(problem) from exc
        except Exception as exc:  # an addon's top level may raise anything
            sys.modules.pop(name, None)
            raise _Failed(_raised_in(path, spec, exc)) from exc
        if kept is not None:
            sys.modules.pop(kept[1].__name__, None)
        self._modules[path] = (stamp, module)
        return module

    def _from_entry_point(self, spec: AddonSpec, name: str) -> LoadedAddon:
        from importlib.metadata import entry_points  # only when an addon is named so

        found = [ep for ep in entry_points(group=GROUP) if ep.name == name]
        if not found:
            raise _Failed(
                spec.problem(
                    f"no such addon: not a .py file, a module, or an installed entry point"
                    f" in the {GROUP} group"
                )
            )
        try:
            loaded = found[0].load()
        except Exception as exc:  # an installed package may raise anything
            raise _Failed(spec.problem(f"entry point {name}: {_summary(exc)}")) from exc
        return self._made_from(spec, loaded, "", name, None)

    def _made_from(
        self, spec: AddonSpec, found: Any, attr: str, default_name: str, path: Path | None
    ) -> LoadedAddon:
        """The addon from what ``spec`` resolved to (an attribute of it with ``attr``)."""
        if attr:
            if not hasattr(found, attr):
                where = path if path is not None else getattr(found, "__name__", spec.use)
                raise _Failed(spec.problem(f"{where} has no attribute {attr!r}"))
            found = getattr(found, attr)
            default_name = attr
        middleware = None
        if inspect.isclass(found):
            try:
                addon = found(**dict(spec.options))
            except Exception as exc:  # the addon's constructor may raise anything
                raise _Failed(_raised_in(path, spec, exc)) from exc
        elif inspect.isfunction(found) or inspect.ismethod(found):
            addon, middleware = _MiddlewareOnly(), found
        else:
            if spec.options and not isinstance(found, ModuleType):
                raise _Failed(spec.problem("options are given to a class, not to an object"))
            addon = found
        if middleware is None:
            candidate = getattr(addon, "middleware", None)
            middleware = candidate if callable(candidate) else None
        name = spec.name or _own_name(addon) or default_name
        return LoadedAddon(name, addon, spec, path, middleware)


class _MiddlewareOnly:
    """The addon a bare middleware function is: no phase hooks of its own."""


class _Failed(Exception):
    def __init__(self, problem: ConfigProblem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def _identity(spec: AddonSpec) -> str:
    """What makes two specs load the same addon (where they are written aside)."""
    options = json.dumps(spec.options, sort_keys=True, default=repr)
    return f"{spec.use}\0{spec.base}\0{spec.name}\0{spec.scope}\0{options}"


def _own_name(addon: Any) -> str | None:
    given = getattr(addon, "name", None)
    return given if isinstance(given, str) and given else None


def _drive_letter(use: str) -> bool:
    """``C:\\hooks.py``: a Windows path, not ``module:attr``."""
    return len(use) > 2 and use[1] == ":" and use[0].isalpha() and use[2] in "\\/"


def _stamp(path: Path, spec: AddonSpec) -> _Stamp:
    """What tells an edited file from the one loaded: its bytes' digest (an edit of the
    same size within one clock tick keeps the mtime)."""
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise _Failed(spec.problem(f"cannot read {path}: {exc.strerror}")) from None
    return hashlib.blake2b(content, digest_size=16).hexdigest()


def _summary(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _raised_in(path: Path | None, spec: AddonSpec, exc: BaseException) -> ConfigProblem:
    """The problem at the deepest line of ``path`` in the traceback (the spec's own place
    when the file is not in it)."""
    if path is not None:
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename) == path]
        if frames:
            return ConfigProblem(
                str(path), f"addon {spec.use!r}: {_summary(exc)}", frames[-1].lineno
            )
    return spec.problem(_summary(exc))


def unique_names(loaded: Sequence[LoadedAddon], problems: list[ConfigProblem]) -> None:
    """Two addons may not share a name (endpoints name them): report the second."""
    seen: dict[str, LoadedAddon] = {}
    for addon in loaded:
        key = addon.name.casefold()
        if key in seen:
            first = seen[key].spec
            problems.append(
                addon.spec.problem(
                    f"another addon is already called {addon.name!r} ({first.file}"
                    f"{'' if first.line is None else f':{first.line}'}); give one a name"
                )
            )
        else:
            seen[key] = addon
