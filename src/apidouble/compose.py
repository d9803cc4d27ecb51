"""What is served, composed: the last good load of the files, under the runtime layer.

Two things change the served config: a reload of the files (``watch.Reloader``) and a
write through the admin API (``admin.local``). Both go through one ``Composer``, under
one lock, so neither can install a config that lacks the other's latest change, and
both keep the server-wide settings the files gave (CORS, rate limit, data, faker, the
WireMock 404 and ``__files``), which a config rebuilt from stubs alone would lose.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .addons.callback_log import CallbackSender
from .admin.layer import StubLayer
from .admin.settings import GlobalSettings
from .auth.plane import AuthPlane, IssuerSet
from .auth.settings import IssuerSettings
from .behaviours.keys import compile_key
from .compiled import CompiledConfig, compile_config
from .config.auth import key_path_pointer
from .config.cache import spec_files, stamps
from .config.load import Config
from .errors import ConfigError, ConfigProblem
from .importers.wiremock.unmatched import wiremock_report
from .state.clock import SYSTEM_CLOCK, Clock
from .state.resource_server import ResourceServer, shared_databases
from .state.store import StateStore

if TYPE_CHECKING:
    from .openapi.server import SpecOptions, SpecServer, SpecSet

log = logging.getLogger("apidouble.openapi")


@dataclass(frozen=True, slots=True)
class Formats:
    """How files of other tools' formats are served (WireMock's flags)."""

    global_templating: bool = False
    """Every WireMock response is a template (``--global-response-templating``)."""
    wiremock_404: bool = True
    """A WireMock root answers unmatched requests with WireMock's plain-text report."""
    openapi_dynamic: bool = False
    """Specs generate their bodies from the schemas (``--openapi-dynamic``)."""
    openapi_errors: bool = False
    """Specs answer in Prism's ``--errors`` mode (``--openapi-errors``)."""
    openapi_cors: bool = True
    """Specs send Prism's CORS headers (off with ``--no-cors``)."""
    openapi_validate_responses: bool = False
    """Specs check proxied answers (``--validate-responses``)."""


DEFAULT_FORMATS = Formats()


@dataclass(frozen=True, slots=True)
class _BuiltSpec:
    server: SpecServer
    files: tuple[Path, ...]
    stamps: tuple[tuple[Path, int], ...] | None


def _build_spec(path: Path, options: SpecOptions) -> _BuiltSpec:
    """Read and serve the spec at ``path``: its problems are logged (file and pointer),
    a file that is not a spec at all is a ``ConfigError`` naming it."""
    from .openapi.server import SpecServer  # here: only configs with specs pay the import
    from .openapi.spec import SpecError, load_spec

    files = tuple(spec_files(path))
    before = stamps(files)
    try:
        spec = load_spec(path)
    except SpecError as exc:
        message = str(exc).removeprefix(f"{path}: ")
        raise ConfigError([ConfigProblem(str(path), message)]) from None
    for problem in spec.problems:
        log.warning("%s", problem)
    return _BuiltSpec(SpecServer(spec, options), files, before)


class Composer:
    """Compiles ``base`` (the files' stubs and settings) with ``layer`` and installs it."""

    def __init__(
        self,
        base: Config,
        install: Callable[[CompiledConfig], None],
        seed: int | None = None,
        *,
        store: StateStore | None = None,
        clock: Clock = SYSTEM_CLOCK,
        formats: Formats = DEFAULT_FORMATS,
        layer: StubLayer | None = None,
        sender: CallbackSender | None = None,
        auth: AuthPlane | None = None,
    ) -> None:
        self.base = base
        self.auth = auth if auth is not None else AuthPlane(clock=clock.time)
        """The mock issuers' keys and grants, for every generation."""
        self.default_issuer = False
        """``--auth``: serve an issuer named ``default`` when the files define none by that name."""
        self.sender = sender
        """Sends the stubs' callbacks (the runtime's, for every generation)."""
        self._resources: tuple[object, str | None, ResourceServer] | None = None
        self._specs: dict[tuple[Path, SpecOptions], _BuiltSpec] = {}
        """Spec servers by file and options, reused while their files are unchanged."""
        self.layer = layer or StubLayer()
        self.settings = GlobalSettings()
        """WireMock's global settings (a delay for stubs that set none)."""
        self.seed = seed
        self.store = store
        self.clock = clock
        self.formats = formats
        self.served: CompiledConfig | None = None
        """The last config installed (lends its unchanged compiled stubs)."""
        self._install = install
        self.lock = asyncio.Lock()
        """Held while a new config is built and installed: reloads and admin writes."""

    def compose(
        self,
        base: Config | None = None,
        layer: StubLayer | None = None,
        previous: CompiledConfig | None = None,
        settings: GlobalSettings | None = None,
    ) -> CompiledConfig:
        """Compile ``base`` under ``layer`` (default: the current ones); raises
        ``ConfigError``. Nothing is installed: see ``commit``."""
        base = self.base if base is None else base
        layer = self.layer if layer is None else layer
        settings = self.settings if settings is None else settings
        seed = self.seed if self.seed is not None else base.seed
        faker = base.faker
        wiremock = self.formats.wiremock_404 and base.wiremock
        stubs = settings.apply(layer.apply(base.stubs))
        compiled = compile_config(
            stubs,
            (*base.files, *base.data_files),
            seed,
            data=base.data,
            faker_locale=faker.locale if faker else None,
            faker_seed=faker.seed if faker else None,
            server=base.server,
            store=self.store,
            clock=self.clock,
            previous=previous if previous is not None else self.served,
            file_roots=base.file_roots,
            not_found=wiremock_report if wiremock else None,
            express_404=base.express_404,
            addons=base.addon_set,
            sender=self.sender,
            resources=self._resource_server(base),
            specs=self._spec_set(base, seed, alone=not stubs and base.resources is None),
            issuers=self._issuers(base),
            auth_require=base.auth_require,
        )
        compiled.skipped = base.skipped
        return compiled

    def _issuers(self, base: Config) -> IssuerSet:
        """The issuers ``base`` serves (a ``ConfigError`` naming the issuer when its keys or
        claim templates cannot be used)."""
        issuers = base.issuers
        if self.default_issuer and "default" not in issuers:
            issuers = {**issuers, "default": IssuerSettings()}
        try:
            return self.auth.prepare(issuers)
        except ValueError as exc:
            where, message = key_path_pointer(str(exc))
            raise ConfigError([ConfigProblem("<config>", message, pointer=where)]) from None

    def _resource_server(self, base: Config) -> ResourceServer | None:
        """The database of ``base``'s json-server file: the same one (with its writes) for
        as long as the files are not read again, a fresh one when they are."""
        document = base.resources
        if document is None:
            return None
        state_key = base.server.get("state_key")
        kept = self._resources
        if kept is not None and kept[0] is document and kept[1] == state_key:
            return kept[2]
        session = compile_key(state_key) if state_key else None
        server = ResourceServer(document, base.resource_ids, session, shared_databases(self.store))
        self._resources = (document, state_key, server)
        return server

    def _spec_set(self, base: Config, seed: int | None, *, alone: bool) -> SpecSet | None:
        """The spec servers of ``base``: each built once, then reused for as long as the
        spec's files (the spec and every file its ``$ref``s read) are unchanged."""
        if not base.specs:
            if self._specs:
                self._specs.clear()
            return None
        from .openapi.server import SpecOptions, SpecSet  # only configs with specs

        formats = self.formats
        servers: list[SpecServer] = []
        kept: dict[tuple[Path, SpecOptions], _BuiltSpec] = {}
        for source in base.specs:
            options = SpecOptions(
                dynamic=formats.openapi_dynamic if source.dynamic is None else source.dynamic,
                errors=formats.openapi_errors if source.errors is None else source.errors,
                cors=formats.openapi_cors and source.cors is not False,
                validate=source.validate is not False,
                seed=seed,
                alone=alone,
                validate_responses=formats.openapi_validate_responses,
            )
            key = (source.path, options)
            built = self._specs.get(key)
            if built is None or stamps(built.files) != built.stamps:
                built = _build_spec(source.path, options)
            kept[key] = built
            servers.append(built.server)
        self._specs = kept
        return SpecSet(servers)

    def commit(
        self,
        config: CompiledConfig,
        base: Config | None = None,
        layer: StubLayer | None = None,
        *,
        install: bool = True,
    ) -> None:
        """Serve ``config``, built from ``base`` and ``layer``, which become the current ones
        (``install=False``: the first config, which the engine is made with)."""
        if base is not None:
            self.base = base
        if layer is not None:
            self.layer = layer
        self.served = config
        if config.issuers is not None:
            self.auth.install(config.issuers)
        if install:
            self._install(config)

    def change_settings(self, settings: GlobalSettings) -> None:
        """Serve the same stubs under new global settings (hold ``lock``)."""
        config = self.compose(settings=settings)
        self.settings = settings
        self.commit(config)
