"""Load time: ``.proto`` files -> one ``DescriptorPool`` and the methods it defines.

The protoc bundled in grpcio-tools compiles each file in memory (``get_protos``): no
generated code is written anywhere and no external ``protoc`` is needed. Its output for a
file carries the file's ``FileDescriptorProto`` as serialized bytes, which is read out
(never executed) and added to a pool of our own, dependencies first, so the default pool
of the host process is never touched. Descriptor set files (``--descriptor_set_out``) are
read as they are.
"""

from __future__ import annotations

import ast
import os
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc_tools  # type: ignore[import-untyped]
from google.protobuf import descriptor_pb2, descriptor_pool  # type: ignore[import-untyped]
from grpc_tools import _protoc_compiler

from apidouble.config.grpc import DESCRIPTOR_SET_SUFFIXES

_WELL_KNOWN = Path(os.path.dirname(grpc_tools.__file__)) / "_proto"


class ProtoProblem(ValueError):
    """A proto could not be read or compiled; ``entry`` is the index in ``protos``."""

    def __init__(self, message: str, entry: int | None = None) -> None:
        super().__init__(message)
        self.entry = entry


@dataclass(frozen=True, slots=True)
class MethodInfo:
    """One RPC method as the descriptors define it."""

    path: str
    """``/package.Service/Method``: the HTTP/2 path a call is sent to."""
    service: str
    name: str
    input: Any
    """The request message's ``Descriptor``."""
    output: Any
    client_streaming: bool
    server_streaming: bool

    @property
    def key(self) -> str:
        """``package.Service/Method``: how stubs name it."""
        return self.path[1:]


@dataclass(frozen=True, slots=True)
class Protos:
    """The compiled files: the pool, and the services of the files that were listed."""

    pool: Any
    services: tuple[str, ...]
    methods: dict[str, MethodInfo]
    """By ``package.Service/Method``."""


def load_protos(entries: Iterable[str], base: Path, import_paths: Iterable[str] = ()) -> Protos:
    """Compile every listed file (folders: every ``.proto`` in them); raise ``ProtoProblem``."""
    found: dict[str, Any] = {}
    origins: dict[str, str] = {}
    """Each file's path as found on disk, for problems (protoc knows the import name)."""
    listed: list[str] = []
    extra = [_resolved(base, p) for p in import_paths]
    for index, entry in enumerate(entries):
        try:
            path = _resolved(base, entry)
            roots = [path if path.is_dir() else path.parent, *extra]
            for name, files in _read_entry(path, extra):
                listed.append(name)
                for proto in files:
                    if found.setdefault(proto.name, proto) is proto:
                        origins[proto.name] = _origin(proto.name, roots)
        except ProtoProblem as exc:
            raise ProtoProblem(str(exc), index) from None
    pool = descriptor_pool.DescriptorPool()
    for name in found:
        _add(pool, name, found, origins, ())
    services: list[str] = []
    for name in dict.fromkeys(listed):
        services.extend(s.full_name for s in pool.FindFileByName(name).services_by_name.values())
    methods = {info.key: info for service in services for info in _methods(pool, service)}
    return Protos(pool, tuple(services), methods)


def _resolved(base: Path, name: str) -> Path:
    """``name`` under ``base``; ``ProtoProblem`` for a name no file can have (a NUL, a
    name longer than the system allows)."""
    try:
        path = (base / name).resolve()
        path.exists()  # the system's own checks (ENAMETOOLONG) happen here
    except (OSError, ValueError) as exc:
        raise ProtoProblem(f"not a usable path: {name[:80]!r} ({exc})") from None
    return path


def _read_entry(path: Path, extra: list[Path]) -> list[tuple[str, list[Any]]]:
    """(file name, its descriptors and its imports') per file of one ``protos`` entry."""
    if path.is_dir():
        files = sorted(path.rglob("*.proto"))
        if not files:
            raise ProtoProblem(f"no .proto file in {path}")
        roots = [path, *extra]
        return [(f.relative_to(path).as_posix(), _compile(f, path, roots)) for f in files]
    if not path.is_file():
        raise ProtoProblem(f"no such file or folder: {path}")
    if path.suffix in DESCRIPTOR_SET_SUFFIXES:
        protos = _descriptor_set(path)
        return [(proto.name, protos) for proto in protos]
    return [(path.name, _compile(path, path.parent, [path.parent, *extra]))]


def _compile(file: Path, root: Path, roots: list[Path]) -> list[Any]:
    """One ``.proto`` compiled in memory: its ``FileDescriptorProto`` and its imports'."""
    name = file.relative_to(root).as_posix()
    _check_nesting(file, roots)
    include = [str(r).encode() for r in (*roots, _WELL_KNOWN)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # protoc's warnings (an unused import) are not errors
        try:
            generated = _protoc_compiler.get_protos(name.encode(), include)
        except _protoc_compiler.ProtocErrors as exc:
            raise ProtoProblem(_protoc_text(exc, root)) from None
    return [_serialized(code, module.decode()) for module, code in generated]


MAX_NESTING = 200
"""Brackets (``{`` ``[`` ``<`` ``(``) a ``.proto`` may nest. protoc parses an option's
aggregate value (``option (x) = {a {a {...}}}``) recursively with no depth bound, and
some thousands of levels overflow the C stack, which kills the whole process; protoc's
own bound on nested messages is 32, so real files stay far below this."""

_TOKENS = re.compile(
    r"//[^\n]*|/\*.*?(?:\*/|\Z)|\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'|[{\[<(]|[}\]>)]",
    re.DOTALL,
)
_OPENERS, _CLOSERS = frozenset("{[<("), frozenset("}]>)")
_IMPORT = re.compile(rb'\bimport\s+(?:public\s+|weak\s+)?"([^"\\\n]*)"')
_UNSAFE_IMPORT = re.compile(r"^/|\\|//|(^|/)\.\.?(/|$)|\x00")
"""Names protoc refuses (or would find under no root): they are not read ahead."""


def _check_nesting(file: Path, roots: list[Path]) -> None:
    """``ProtoProblem`` when ``file`` or a file it imports (found in ``roots``, as protoc
    looks) nests brackets deeper than ``MAX_NESTING``: checked before protoc reads them."""
    pending, seen = [file], set()
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        try:
            data = path.read_bytes()
        except OSError:
            continue  # protoc says what is wrong with it
        _check_depth(data.decode("utf-8", errors="replace"), path)
        for match in _IMPORT.finditer(data):
            name = match.group(1).decode("utf-8", errors="replace")
            if _UNSAFE_IMPORT.search(name):
                continue
            found = next((r / name for r in roots if _is_file(r / name)), None)
            if found is not None:
                pending.append(found)


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def _check_depth(text: str, path: Path) -> None:
    depth = 0
    for token in _TOKENS.finditer(text):
        mark = token.group()
        if mark in _OPENERS:
            depth += 1
            if depth > MAX_NESTING:
                line = text.count("\n", 0, token.start()) + 1
                column = token.start() - text.rfind("\n", 0, token.start())
                raise ProtoProblem(
                    f"{path}:{line}:{column}: brackets nested more than {MAX_NESTING} deep"
                )
        elif mark in _CLOSERS:
            depth = max(depth - 1, 0)


def _protoc_text(exc: Any, root: Path) -> str:
    """protoc's errors as ``file:line:column: message`` (1-based), one per line. protoc
    quotes the source's bytes as they are, so bytes that are not UTF-8 are shown escaped."""
    lines = []
    for error in exc.errors():
        where = str(root / error.filename.decode(errors="backslashreplace"))
        if error.line >= 0:
            where += f":{error.line + 1}:{error.column + 1}"
        lines.append(f"{where}: {error.message.decode(errors='backslashreplace')}")
    return "; ".join(lines) or f"protoc failed on {root}"


def _serialized(code: bytes, module: str) -> Any:
    """The ``FileDescriptorProto`` a generated module registers: the bytes literal given to
    ``AddSerializedFile``, found in its syntax tree (the code is never run)."""
    for node in ast.walk(ast.parse(code)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "AddSerializedFile"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, bytes)
        ):
            return descriptor_pb2.FileDescriptorProto.FromString(node.args[0].value)
    raise ProtoProblem(f"protoc gave no descriptor for {module}")  # pragma: no cover


def _descriptor_set(path: Path) -> list[Any]:
    try:
        protos = descriptor_pb2.FileDescriptorSet.FromString(path.read_bytes()).file
    except Exception as exc:  # protobuf's DecodeError, or an unreadable file
        raise ProtoProblem(f"{path}: not a FileDescriptorSet ({exc})") from None
    if not protos:
        raise ProtoProblem(f"{path}: the descriptor set is empty")
    return list(protos)


def _origin(name: str, roots: list[Path]) -> str:
    """Where protoc found the import ``name``: the first root that has it (the name
    alone for a well-known proto, or one no root has)."""
    return next((str(r / name) for r in roots if _is_file(r / name)), name)


def _add(
    pool: Any, name: str, found: dict[str, Any], origins: dict[str, str], chain: tuple[str, ...]
) -> None:
    """Add a file after its dependencies (each once)."""
    try:
        pool.FindFileByName(name)
        return
    except KeyError:
        pass
    proto = found.get(name)
    if proto is None:
        raise ProtoProblem(f"{chain[-1] if chain else name} imports {name}, which is not given")
    if name in chain:
        raise ProtoProblem(f"import cycle: {' -> '.join((*chain, name))}")  # pragma: no cover
    for dependency in proto.dependency:
        _add(pool, dependency, found, origins, (*chain, name))
    try:
        pool.Add(proto)
    except TypeError as exc:  # a conflicting definition of the same symbol
        raise ProtoProblem(f"{origins.get(name, name)}: {exc}") from None


def _methods(pool: Any, service: str) -> list[MethodInfo]:
    descriptor = pool.FindServiceByName(service)
    return [
        MethodInfo(
            f"/{service}/{method.name}",
            service,
            method.name,
            method.input_type,
            method.output_type,
            method.client_streaming,
            method.server_streaming,
        )
        for method in descriptor.methods
    ]
