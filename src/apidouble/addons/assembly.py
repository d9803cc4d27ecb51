"""The addons of one load, and the hook chains each stub runs, decided at load time.

``load_addons`` turns the config's specs (and ``--addons``) into an ``AddonSet`` when
the files are read; ``AddonSet.bind`` gives, for a compiled config, the server-wide
hooks (None when no addon looks at every request: then the express lane stays open)
and one ``Chain`` per stub that some addon touches (the rest get none).
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigProblem
from ..model import Stub
from .hooks import MESSAGE_PHASE, Chain, Hook, ServerHooks, hooks_of, is_async_callable
from .loading import AddonLoader, AddonSpec, LoadedAddon, unique_names

if TYPE_CHECKING:
    from ..state.store import StateSpace, StateStore

STATE_PREFIX = "addon:"
"""Store spaces of addons are named ``addon:NAME``."""
STATE_KEYS = 10_000
"""Keys one addon's state space remembers before forgetting the least recently seen."""


@dataclass(frozen=True, slots=True)
class LoadContext:
    """What an addon's ``load(context)`` hook is told when the config is (re)loaded."""

    stubs: tuple[Stub, ...]
    options: Mapping[str, Any]
    name: str


@dataclass(slots=True)
class AddonSet:
    """Every addon of one load: those over all requests, and those endpoints list."""

    loaded: tuple[LoadedAddon, ...] = ()
    refs: Mapping[tuple[str, str], LoadedAddon] = field(default_factory=dict)
    """(stub id, reference as written) -> the addon it names."""

    @property
    def files(self) -> tuple[Path, ...]:
        """The Python files addons came from (watched like config files)."""
        return tuple(sorted({a.path for a in self._every() if a.path is not None}))

    def _every(self) -> Iterable[LoadedAddon]:
        yield from self.loaded
        yield from self.refs.values()

    def __bool__(self) -> bool:
        return bool(self.loaded or self.refs)

    def bind(self, store: StateStore) -> BoundAddons:
        """The hooks for a config compiled against ``store`` (each addon's state space
        is there, so it is shared as the store is)."""
        states: dict[str, StateSpace] = {}
        hooks: dict[int, dict[str, Hook]] = {}
        for addon in self._every():
            if id(addon) in hooks:
                continue
            state = states.get(addon.name)
            if state is None:
                state = states[addon.name] = store.space(STATE_PREFIX + addon.name, STATE_KEYS)
            hooks[id(addon)] = hooks_of(addon.addon, addon.name, state)
        everywhere = [a for a in self.loaded if a.spec.scope == "all"]
        request = tuple(hooks[id(a)]["request"] for a in everywhere if "request" in hooks[id(a)])
        middlewares = tuple(
            Hook(
                a.name, "middleware", a.middleware, is_async_callable(a.middleware), states[a.name]
            )
            for a in everywhere
            if a.middleware is not None
        )
        server_chain = _chain([hooks[id(a)] for a in everywhere], [a.name for a in everywhere])
        server = None
        if request or middlewares or server_chain:
            server = ServerHooks(request, middlewares, server_chain)
        return BoundAddons(
            server,
            server_chain or None,
            tuple(sorted(STATE_PREFIX + name for name in states)),
            states,
            everywhere,
            {a.name.casefold(): a for a in self.loaded},
            self.refs,
            hooks,
        )


def _chain(hooks: Sequence[dict[str, Hook]], names: Sequence[str]) -> Chain:
    return Chain(
        tuple(h["matched"] for h in hooks if "matched" in h),
        tuple(h["response"] for h in hooks if "response" in h),
        tuple(h["served"] for h in hooks if "served" in h),
        tuple(names),
    )


@dataclass(slots=True)
class BoundAddons:
    """The hooks of one compiled config."""

    server: ServerHooks | None
    """What every request runs (None: no addon looks at every request)."""
    everywhere: Chain | None
    """The chain of every stub that lists no addon of its own (and of 404s)."""
    state_names: tuple[str, ...]
    states: Mapping[str, StateSpace]
    _everywhere: list[LoadedAddon]
    _by_name: Mapping[str, LoadedAddon]
    _refs: Mapping[tuple[str, str], LoadedAddon]
    _hooks: Mapping[int, dict[str, Hook]]
    _chains: dict[tuple[int, ...], Chain] = field(default_factory=dict)

    def chain_for(self, stub: Stub) -> Chain | None:
        """The chain ``stub`` runs, or None: then it pays nothing. ``LookupError`` when
        it lists an addon that is not loaded."""
        if not stub.addons:
            return self.everywhere
        every = self._addons_of(stub)
        key = tuple(id(a) for a in every)
        chain = self._chains.get(key)
        if chain is None:
            chain = _chain([self._hooks[id(a)] for a in every], [a.name for a in every])
            self._chains[key] = chain
        return chain or None

    def message_hooks_for(self, stub: Stub) -> tuple[Hook, ...]:
        """The ``websocket_message`` hooks of ``stub``'s sessions, in the chain's order."""
        try:
            every = self._addons_of(stub) if stub.addons else self._everywhere
        except LookupError:  # chain_for reports it
            return ()
        hooks = (self._hooks[id(a)].get(MESSAGE_PHASE) for a in every)
        return tuple(hook for hook in hooks if hook is not None)

    def _addons_of(self, stub: Stub) -> list[LoadedAddon]:
        """The server-wide addons, then those ``stub`` lists (``LookupError`` for one
        that is not loaded)."""
        own: list[LoadedAddon] = []
        for ref in stub.addons:
            found = self._refs.get((stub.id, ref)) or self._by_name.get(ref.casefold())
            if found is None:
                known = ", ".join(sorted(a.name for a in self._by_name.values())) or "none"
                raise LookupError(f"addons: no addon named {ref!r} is loaded (loaded: {known})")
            if all(found.addon is not a.addon for a in (*self._everywhere, *own)):
                own.append(found)
        return [*self._everywhere, *own]


def load_addons(
    specs: Sequence[AddonSpec],
    stubs: Sequence[Stub],
    loader: AddonLoader,
    problems: list[ConfigProblem],
) -> AddonSet:
    """Load the config's addons and those endpoints name (by an addon's name, or by a
    spec of their own, relative to their file); then run each one's ``load`` hook."""
    loaded = [a for a in (loader.load(spec, problems) for spec in specs) if a is not None]
    unique_names(loaded, problems)
    by_name = {a.name.casefold(): a for a in loaded}
    refs: dict[tuple[str, str], LoadedAddon] = {}
    own: dict[tuple[str, Path], LoadedAddon | None] = {}
    for stub in stubs:
        for index, ref in enumerate(stub.addons):
            found = by_name.get(ref.casefold())
            if found is None:
                base = Path(stub.source.file).parent
                if (ref, base) not in own:
                    spec = AddonSpec(
                        ref,
                        base,
                        scope="listed",
                        file=stub.source.file,
                        line=stub.source.line,
                        pointer=f"{stub.source.pointer}/addons/{index}",
                    )
                    own[(ref, base)] = loader.load(spec, problems)
                found = own[(ref, base)]
            if found is not None:
                refs[(stub.id, ref)] = found
    made = AddonSet(tuple(loaded), refs)
    if not problems:
        for addon in {id(a): a for a in made._every()}.values():
            _run_load_hook(addon, stubs, problems)
    return made


def _run_load_hook(
    addon: LoadedAddon, stubs: Sequence[Stub], problems: list[ConfigProblem]
) -> None:
    hook = getattr(addon.addon, "load", None)
    if hook is None or not callable(hook):
        return
    context = LoadContext(tuple(stubs), dict(addon.spec.options), addon.name)
    try:
        result = hook(context)
        if inspect.isawaitable(result):
            _wait(result)
    except Exception as exc:  # an addon's load hook may raise anything
        problems.append(addon.spec.problem(f"load hook failed: {type(exc).__name__}: {exc}"))


def _wait(awaitable: Any) -> None:
    """Run an async ``load`` hook to its end from load time (a worker thread, or the
    main thread before serving): on a fresh loop, in a thread of its own when this
    thread already runs one."""

    async def run() -> None:
        await awaitable

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(run())
        return
    failure: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(run())
        except BaseException as exc:  # handed back to the caller below
            failure.append(exc)

    thread = threading.Thread(target=target, name="apidouble-addon-load")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
