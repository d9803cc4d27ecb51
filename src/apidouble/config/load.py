"""Load time, first step: native config files and folders -> validated ``Stub``s.

Every problem in every file is collected before one ``ConfigError`` is raised, so a user
fixes a config in one round, and each problem says file, line, JSON pointer and stub.
Finding the files is ``discover``; one document's way from text to stubs is
``document``; stub ids are ``ids``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apidouble.addons.assembly import AddonSet
from apidouble.addons.loading import AddonSpec
from apidouble.auth.requirement import Requirement
from apidouble.auth.settings import IssuerSettings
from apidouble.config.cache import (
    DocumentCache,
    LoadedDocument,
    reorder,
    spec_files,
    stamps,
    take_ids,
    variables_of,
)
from apidouble.config.convert import behaviour_key, server_settings, stub_label
from apidouble.config.discover import CONFIG_SUFFIXES, SKIPPED_DIRS, discover, is_config_file
from apidouble.config.document import Document, SpecSource
from apidouble.config.ids import StubIds
from apidouble.config.resources import ResourceSet, looks_like_resources
from apidouble.config.schema import FakerConfig
from apidouble.errors import ConfigError, ConfigProblem
from apidouble.importers.mockoon.detect import is_mockoon_environment
from apidouble.importers.wiremock import (
    MappingDocument,
    files_folder,
    in_mappings_folder,
    is_wiremock,
)
from apidouble.model import Stub
from apidouble.plugins import PluginError, plugin_import

if TYPE_CHECKING:
    from apidouble.grpc.stubs import GrpcConfig

NATIVE_LISTS = ("endpoints", "openapi", "websockets")
"""Top-level keys that make a file a native config (else its shape decides: a json-server
database, WireMock mappings...)."""

__all__ = [
    "CONFIG_SUFFIXES",
    "SKIPPED_DIRS",
    "Config",
    "behaviour_key",
    "discover",
    "is_config_file",
    "is_openapi_spec",
    "load_config",
    "load_data",
    "server_settings",
    "stub_label",
]


@dataclass(frozen=True, slots=True)
class Config:
    """Everything loaded from the given paths: the stubs in global order and the files read;
    ``data`` holds the parsed ``data:`` files by name (read from ``data_files``)."""

    stubs: tuple[Stub, ...]
    files: tuple[Path, ...]
    seed: int | None = None
    data: Mapping[str, Any] = field(default_factory=dict)
    data_files: tuple[Path, ...] = ()
    faker: FakerConfig | None = None
    server: Mapping[str, Any] = field(default_factory=dict)
    """Server-wide behaviour: ``cors``, ``rate_limit``, ``debug_headers``."""
    skipped: tuple[ConfigProblem, ...] = ()
    """Problems that skipped one stub but let the rest serve (a WireMock mapping that
    cannot be read: WireMock folders are served as they are, typos and all)."""
    file_roots: tuple[Path, ...] = ()
    """WireMock ``__files`` folders: unmatched GETs are served from them."""
    wiremock: bool = False
    """Some path is a WireMock root or mapping folder (even one with no mappings yet)."""
    addons: tuple[AddonSpec, ...] = ()
    """The files' ``addons`` entries, in file order (loaded by ``watch.load_files``)."""
    resources: Mapping[str, Any] | None = None
    """The database document: a json-server file's resources and the native ``resources:``
    rows, served behind the stubs (``state.resources``)."""
    resource_ids: Mapping[str, str] = field(default_factory=dict)
    """Resources whose id field is not ``id``."""
    addon_set: AddonSet | None = None
    """The addons loaded for these files and their endpoints (``watch.load_files``)."""
    specs: tuple[SpecSource, ...] = ()
    """OpenAPI specs served behind the stubs: spec files given as paths (``apidouble run
    petstore.yaml``, recognised by shape) and the files' ``openapi`` entries."""
    issuers: Mapping[str, IssuerSettings] = field(default_factory=dict)
    """The mock OAuth2/OIDC issuers of every file's ``auth.issuers``, by name."""
    auth_require: Requirement | None = None
    """``auth.require``: what every endpoint that says no ``auth`` of its own demands."""
    grpc: GrpcConfig | None = None
    """The ``grpc`` section (one file may have it), compiled: served on its own port."""
    express_404: bool = False
    """Some file says ``compat: mockoon`` (a Mockoon environment's conversion does): what
    no stub takes gets Express's 404 page, as mockoon-cli answers it."""


def load_config(
    *paths: str | Path,
    environ: Mapping[str, str] | None = None,
    cache: DocumentCache | None = None,
    templating: bool = False,
    texts: Mapping[Path, str] | None = None,
    fragments: frozenset[Path] = frozenset(),
) -> Config:
    """Load native YAML/JSON configs (files or folders); raise ``ConfigError`` listing all problems.

    ``environ`` (default ``os.environ``) supplies ``${VAR}`` substitutions. With a
    ``cache`` (a reloader's), files unchanged since the last load are not loaded again.
    WireMock mappings are recognised by their shape; ``templating`` renders all of their
    responses as templates (WireMock's ``--global-response-templating``). ``texts`` are
    files' texts already read (by ``watch.declared_addons``), not read again.
    ``fragments`` are files found in the folders that specs read (their ``$ref``
    targets, an ``openapi:`` entry's spec): they are left out, not loaded as configs.
    """
    env = os.environ if environ is None else environ
    problems: list[ConfigProblem] = []
    files = discover(paths, problems)
    ids = StubIds()
    stubs: list[Stub] = []
    seed: tuple[int, str] | None = None
    faker: tuple[FakerConfig, str] | None = None
    server: dict[str, tuple[Any, str]] = {}
    data: dict[str, tuple[Any, str]] = {}
    data_files: list[Path] = []
    addons: list[AddonSpec] = []
    skipped: list[ConfigProblem] = []
    roots: dict[Path, None] = {}
    wiremock_found = express_found = False
    databases: list[tuple[dict[str, Any], str]] = []
    served = ResourceSet()
    issuers: dict[str, tuple[IssuerSettings, str]] = {}
    require: tuple[Requirement, str] | None = None
    grpc: tuple[GrpcConfig, str] | None = None
    """The native ``resources:`` of every file."""
    owners: dict[str, str] = {}
    specs: list[SpecSource] = []
    spec_reads: list[Path] = []
    for path in files:
        if path.absolute() in fragments:
            continue  # a file a spec's $ref reads: part of the spec, not a config
        key = path.absolute().as_posix()
        text = texts.get(path) if texts is not None else None
        if text is None and cache is not None:
            text = _text(path)
        hit = cache.get(key, text, env) if cache is not None and text is not None else None
        if hit is not None and not _conflicts(hit, data, seed, faker, server):
            if take_ids(ids, hit.stubs):
                stubs.extend(reorder(hit.stubs, len(stubs)))
                for name, value in hit.datasets.items():
                    data[name] = (value, str(path))
                data_files.extend(hit.data_files)
                seed = seed or ((hit.seed, str(path)) if hit.seed is not None else None)
                faker = faker or ((hit.faker, str(path)) if hit.faker is not None else None)
                for name, value in hit.server.items():
                    server.setdefault(name, (value, str(path)))
                continue
        doc = Document(str(path), path.parent, key, problems, ids)
        start, first = len(problems), len(stubs)
        if not doc.read(path, text):
            if in_mappings_folder(path):  # unreadable, in a WireMock root: skip the file
                skipped.extend(problems[start:])
                del problems[start:]
            continue
        if not in_mappings_folder(path) and is_openapi_spec(doc.data, path):
            specs.append(SpecSource(path.absolute()))
            doc.data_files.extend(spec_files(path)[1:])  # the files its $refs read
            spec_reads.extend(doc.data_files)
            data_files.extend(doc.data_files)
            continue
        native = isinstance(doc.data, dict) and (
            any(key in doc.data for key in NATIVE_LISTS)
            or _native_auth(doc.data)
            or _native_graphql(doc.data)
            or _native_grpc(doc.data)
            or _native_llm(doc.data)
        )
        native = native or looks_like_resources(doc.data)
        mockoon = not native and is_mockoon_environment(doc.data)
        if mockoon:  # converted, served as it is: what cannot be is skipped, with a problem
            from apidouble.importers.mockoon import convert_environment

            conversion = convert_environment(doc.data, path, display=doc.display)
            doc.data, doc.lines, native = conversion.document, {}, True
            skipped.extend(conversion.problems)
        if not native and not is_wiremock(doc.data):
            try:
                imported = plugin_import(doc.data, path)
            except PluginError as exc:
                doc.problem(str(exc))
                continue
            if imported is not None:  # positions are the original file's: none apply
                doc.data, doc.lines, native = imported[0], {}, True
                doc.data_files.extend(imported[1])  # stamped and watched as data files
        if not native and not in_mappings_folder(path) and is_json_server_db(doc.data):
            if databases:
                doc.problem(f"a second json-server database (the first is {databases[0][1]})")
            else:
                databases.append((doc.data, doc.display))
            continue
        if not native and not is_wiremock(doc.data) and in_mappings_folder(path):
            message = "not a WireMock mapping: expected an object with 'request', or 'mappings'"
            skipped.append(ConfigProblem(doc.display, message, 1 if doc.lines else None))
            continue
        if is_wiremock(doc.data):
            wiremock_found = True
            folder = files_folder(path)
            if folder is not None:
                roots[folder] = None
            mappings = MappingDocument(
                doc.display, key, doc.lines, skipped, ids, folder, templating
            )
            stubs.extend(mappings.load(doc.data, first_order=len(stubs)))
            continue
        stubs.extend(doc.load(env, first_order=len(stubs)))
        if mockoon:  # an endpoint that does not load skips its route's answer, as above
            skipped.extend(problems[start:])
            del problems[start:]
        if doc.compat == "wiremock":
            wiremock_found = True  # its unmatched requests get WireMock's report
        express_found = express_found or doc.compat == "mockoon"
        for folder in doc.file_roots:
            roots[folder] = None  # document_root: unmatched GETs are served from it
        for name, value in doc.datasets.items():
            if name in data:
                doc.problem(f"data {name!r} is also defined in {data[name][1]}", f"/data/{name}")
            data.setdefault(name, (value, doc.display))
        data_files.extend(doc.data_files)
        specs.extend(doc.specs)
        spec_reads.extend(doc.spec_reads)
        addons.extend(doc.addons)
        for name, settings in doc.issuers.items():
            if name in issuers and issuers[name][0] != settings:
                doc.problem(
                    f"issuer {name!r} is also defined in {issuers[name][1]}",
                    f"/auth/issuers/{name}",
                )
            issuers.setdefault(name, (settings, doc.display))
        require = _one_setting(doc, "auth.require", doc.auth_require, require)
        if doc.grpc is not None:
            if grpc is not None:
                doc.problem(f"a second grpc section (the first is in {grpc[1]})", "/grpc")
            else:
                grpc = (doc.grpc, doc.display)
        if doc.resources is not None:
            for name in doc.resources.document:
                if name in owners:
                    doc.problem(
                        f"resource {name!r} is also defined in {owners[name]}", f"/resources/{name}"
                    )
                owners.setdefault(name, doc.display)
            served.document.update(doc.resources.document)
            served.id_keys.update(doc.resources.id_keys)
        problems[start:] = sorted(problems[start:], key=lambda p: p.line or 0)
        seed = _one_setting(doc, "seed", doc.seed, seed)
        faker = _one_setting(doc, "faker", doc.faker, faker)
        for name, value in doc.server.items():
            if (given := _one_setting(doc, name, value, server.get(name))) is not None:
                server[name] = given
        stamped = stamps(doc.data_files)
        if (
            cache is not None
            and text is not None
            and len(problems) == start
            and stamped is not None
            and not doc.file_roots
            and doc.compat is None
            and not doc.addons
            and doc.resources is None
            and not doc.specs
            and not doc.issuers
            and doc.auth_require is None
            and doc.grpc is None
            and not mockoon
        ):
            loaded = LoadedDocument(
                text,
                variables_of(text, env),
                stamped,
                tuple(stubs[first:]),
                dict(doc.datasets),
                doc.seed,
                doc.faker,
                dict(doc.server),
            )
            cache.put(key, loaded)
    if databases:
        for name in databases[0][0]:
            if name in owners:
                problems.append(
                    ConfigProblem(
                        owners[name],
                        f"resource {name!r} is also in the json-server database {databases[0][1]}",
                    )
                )
    read_by_specs = _fragments(files, spec_reads) if spec_reads else frozenset()
    if read_by_specs - fragments:  # a spec beside the files its $refs read: load again
        return load_config(
            *paths,
            environ=environ,
            cache=cache,
            templating=templating,
            texts=texts,
            fragments=fragments | read_by_specs,
        )
    if problems:
        raise ConfigError(problems)
    for named in map(Path, paths):  # a WireMock root with no mapping yet still has files
        top = named.parent if named.name == "mappings" else named
        if _is_wiremock_root(named) and (top / "__files").is_dir():
            roots.setdefault((top / "__files").absolute(), None)
    if cache is not None:
        cache.retain({p.absolute().as_posix() for p in files})
    return Config(
        tuple(stubs),
        tuple(p.absolute() for p in files),
        seed[0] if seed else None,
        {name: value for name, (value, _) in data.items()},
        tuple(data_files),
        faker[0] if faker else None,
        {name: value for name, (value, _) in server.items()},
        tuple(skipped),
        tuple(roots),
        wiremock_found or any(_is_wiremock_root(Path(p)) for p in paths),
        tuple(addons),
        _database(databases[0][0] if databases else None, served),
        resource_ids=served.id_keys,
        specs=tuple(specs),
        issuers={name: settings for name, (settings, _) in issuers.items()},
        auth_require=require[0] if require else None,
        express_404=express_found,
        grpc=grpc[0] if grpc else None,
    )


def _fragments(files: Sequence[Path], reads: Sequence[Path]) -> frozenset[Path]:
    """The discovered files that specs read (an ``openapi:`` entry's spec, a ``$ref``
    target): parts of a spec, not configs of their own."""
    found = {path.absolute() for path in files}
    return frozenset(path for path in reads if path in found)


def _native_auth(data: dict[str, Any]) -> bool:
    """A file of issuers alone (``auth: {issuers: ...}``): native, though a Postman
    collection has a top-level ``auth`` too (of another shape)."""
    auth = data.get("auth")
    return isinstance(auth, dict) and bool(auth) and auth.keys() <= {"issuers", "require"}


def _native_graphql(data: dict[str, Any]) -> bool:
    """A file of GraphQL endpoints alone (``graphql: [{schema: ...}]``), told from a
    json-server database that happens to have a ``graphql`` table by the ``schema`` key."""
    entries = data.get("graphql")
    return (
        isinstance(entries, list)
        and bool(entries)
        and all(isinstance(entry, dict) and "schema" in entry for entry in entries)
    )


def _native_llm(data: dict[str, Any]) -> bool:
    """A file of LLM presets alone (``llm: [{provider: openai}]``), told from a json-server
    database with an ``llm`` table by the ``provider`` key."""
    entries = data.get("llm")
    return (
        isinstance(entries, list)
        and bool(entries)
        and all(isinstance(entry, dict) and "provider" in entry for entry in entries)
    )


def _native_grpc(data: dict[str, Any]) -> bool:
    """A file of a gRPC section alone (``grpc: {protos: [...]}``): a mapping, which no
    json-server table is."""
    section = data.get("grpc")
    return isinstance(section, dict) and "protos" in section


def is_openapi_spec(data: Any, path: Path) -> bool:
    """An OpenAPI 3.x or Swagger 2.0 document by its shape (``openapi: 3.x`` or
    ``swagger: "2.0"`` beside ``paths``), not a native config's ``openapi:`` key."""
    from apidouble.importers.openapi import detect

    return detect(data, path)


def _database(json_server: dict[str, Any] | None, native: ResourceSet) -> Mapping[str, Any] | None:
    """One database document: a json-server file's resources, then the native ones."""
    if json_server is None and not native.document:
        return None
    return {**(json_server or {}), **native.document}


def is_json_server_db(data: Any) -> bool:
    """A json-server database by its shape: an object (no ``endpoints``, no WireMock
    ``request``/``mappings``) whose every value but ``$schema`` is an array or an object."""
    if not isinstance(data, dict) or any(key in data for key in NATIVE_LISTS) or is_wiremock(data):
        return False
    if not all(isinstance(key, str) for key in data):  # YAML's ~, 1...: no resource names
        return False
    values = [value for key, value in data.items() if key != "$schema"]
    return bool(values) and all(isinstance(value, list | dict) for value in values)


def _is_wiremock_root(path: Path) -> bool:
    """A folder laid out the WireMock way (``mappings/`` inside), or that folder itself."""
    return path.is_dir() and (path.name == "mappings" or (path / "mappings").is_dir())


def _text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None  # the full load reports it


def _conflicts(
    hit: LoadedDocument,
    data: Mapping[str, Any],
    seed: tuple[Any, str] | None,
    faker: tuple[Any, str] | None,
    server: Mapping[str, tuple[Any, str]],
) -> bool:
    """Whether merging a cached document would be a problem (the full load reports it)."""
    if any(name in data for name in hit.datasets):
        return True
    if hit.seed is not None and seed is not None and seed[0] != hit.seed:
        return True
    if hit.faker is not None and faker is not None and faker[0] != hit.faker:
        return True
    return any(name in server and server[name][0] != value for name, value in hit.server.items())


def load_data(
    data: Any,
    *,
    source: str = "<memory>",
    base_dir: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
    existing: Sequence[Stub] = (),
) -> Config:
    """Load a config already in memory (``{"endpoints": [...]}``), as from Python or the API.

    ``response_file`` resolves inside ``base_dir`` (default: the working directory);
    ``${VAR}`` is substituted only when ``environ`` is given. Stub ids follow the same
    rules as in files, with ``source`` standing for the file: the same data gives the
    same ids. Stubs to be served alongside (``existing``) keep theirs: a new endpoint
    whose ``id`` or ``name`` one of them holds is a problem.
    """
    problems: list[ConfigProblem] = []
    ids = StubIds()
    for stub in existing:
        ids.reserve(stub)
    doc = Document(source, Path(base_dir or "."), source, problems, ids)
    doc.data = data
    stubs = doc.load(environ)
    if problems:
        raise ConfigError(problems)
    return Config(
        tuple(stubs),
        (),
        doc.seed,
        doc.datasets,
        tuple(doc.data_files),
        doc.faker,
        doc.server,
        file_roots=tuple(doc.file_roots),
        wiremock=doc.compat == "wiremock",
        express_404=doc.compat == "mockoon",
    )


def _one_setting(
    doc: Document, key: str, value: Any, first: tuple[Any, str] | None
) -> tuple[Any, str] | None:
    """A top-level setting (``seed``, ``faker``) that several files may give only alike."""
    if value is None:
        return first
    if first is not None and first[0] != value:
        doc.problem(f"{key} {value!r} conflicts with {key} {first[0]!r} in {first[1]}", f"/{key}")
    return first or (value, doc.display)
