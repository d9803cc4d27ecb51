"""The users and clients an issuer got through the admin API, over its config's.

`Overrides` holds, per issuer, a `Layer` of runtime users and one of clients: the
documents as given (what is saved to ``{persist}/auth/{issuer}.json``) with their parsed
settings, and the config's entries a delete hid. `Overrides.apply` merges them over the
config's settings; the plane applies them to every generation of the config.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar

from apidouble.auth.settings import ClientSettings, IssuerSettings, UserSettings, parse_issuer

__all__ = ["Kind", "Layer", "Overrides", "entries_of", "entry_key"]

log = logging.getLogger("apidouble.auth")

_FORMAT = 1
"""The version of an overrides file."""
Kind = Literal["users", "clients"]
E = TypeVar("E", UserSettings, ClientSettings)


def entry_key(entry: UserSettings | ClientSettings) -> str:
    """What names an entry: a user's username, a client's client_id."""
    return entry.username if isinstance(entry, UserSettings) else entry.client_id


def entries_of(settings: IssuerSettings, kind: Kind) -> tuple[UserSettings | ClientSettings, ...]:
    """The issuer's users or registered clients (none when any client_id is accepted)."""
    return settings.users if kind == "users" else settings.clients or ()


def _parsed(kind: Kind, documents: Any, single: bool) -> IssuerSettings:
    """``documents`` read by the config parser, as the users or clients of an issuer; a
    mistake is a ValueError starting with its key path in the body (``users[1].password``,
    or ``password`` for a ``single`` one)."""
    try:
        return parse_issuer({kind: documents}, "")
    except ValueError as exc:
        message = str(exc).removeprefix(".")
        first = f"{kind}[0]"
        if single and message.startswith(first):
            message = message[len(first) :].removeprefix(".") or "body"
            message = "body" + message if message.startswith(":") else message
        raise ValueError(message) from None


@dataclass(frozen=True, slots=True)
class Layer(Generic[E]):
    """One issuer's runtime users (or clients): the documents as given, which are what is
    saved, with their settings, by key; and the config's entries hidden by a delete."""

    entries: Mapping[str, tuple[Mapping[str, Any], E]] = field(default_factory=dict)
    hidden: frozenset[str] = frozenset()

    def put(self, key: str, document: Mapping[str, Any], entry: E) -> Layer[E]:
        """With ``entry`` added, or replacing the one (runtime or config) of that key."""
        return Layer({**self.entries, key: (document, entry)}, self.hidden - {key})

    def drop(self, key: str, configured: Iterable[str]) -> Layer[E]:
        """Without ``key``: a runtime entry goes, a config one is hidden."""
        entries = {k: v for k, v in self.entries.items() if k != key}
        hidden = self.hidden | {key} if key in set(configured) else self.hidden
        return Layer(entries, hidden)

    def exactly(
        self, items: Iterable[tuple[str, Mapping[str, Any], E]], configured: Iterable[str]
    ) -> Layer[E]:
        """Only ``items``: every config entry not among them is hidden."""
        entries = {key: (document, entry) for key, document, entry in items}
        return Layer(entries, frozenset(configured) - entries.keys())

    def merge(self, configured: tuple[E, ...]) -> tuple[E, ...]:
        """The config's entries with these over them: replaced in place, hidden ones left
        out, new ones after, in the order they were added."""
        merged: list[E] = []
        for entry in configured:
            key = entry_key(entry)
            if key not in self.hidden:
                merged.append(self.entries[key][1] if key in self.entries else entry)
        known = {entry_key(entry) for entry in configured}
        merged += [entry for key, (_, entry) in self.entries.items() if key not in known]
        return tuple(merged)

    def documents(self) -> list[dict[str, Any]]:
        return [dict(document) for document, _ in self.entries.values()]


@dataclass(frozen=True, slots=True)
class Overrides:
    """The users and clients one issuer got through the admin API, over its config's.

    With no ``clients`` in the config (any client_id accepted), adding one makes the list
    explicit: then only the registered clients are accepted.
    """

    users: Layer[UserSettings] = field(default_factory=Layer)
    clients: Layer[ClientSettings] = field(default_factory=Layer)

    @property
    def empty(self) -> bool:
        """Nothing over the config: the issuer serves its config's users and clients."""
        return not any(layer.entries or layer.hidden for layer in (self.users, self.clients))

    def apply(self, settings: IssuerSettings) -> IssuerSettings:
        """``settings`` with these users and clients merged in."""
        if self.empty:
            return settings
        clients = settings.clients
        if clients is not None or self.clients.entries:
            clients = self.clients.merge(clients or ())
        return dataclasses.replace(
            settings, users=self.users.merge(settings.users), clients=clients
        )

    def layer(self, kind: Kind) -> Layer[Any]:
        return self.users if kind == "users" else self.clients

    def put(self, kind: Kind, document: Any) -> tuple[str, Overrides]:
        """With one user or client added (or replacing the one of its key): its key and the
        new overrides. ValueError, starting with the key path, when the parser refuses it."""
        settings = _parsed(kind, [document], single=True)
        if kind == "users":
            user = settings.users[0]
            return user.username, self._with(kind, self.users.put(user.username, document, user))
        client = (settings.clients or ())[0]
        return client.client_id, self._with(
            kind, self.clients.put(client.client_id, document, client)
        )

    def exactly(self, kind: Kind, documents: Any, configured: IssuerSettings) -> Overrides:
        """The issuer's users (or clients) made exactly ``documents``: the config's others
        hidden. ValueError, starting with the key path, when the parser refuses one."""
        settings = _parsed(kind, documents, single=False)
        keys = [entry_key(entry) for entry in entries_of(configured, kind)]
        if kind == "users":
            users = [
                (user.username, doc, user)
                for doc, user in zip(documents, settings.users, strict=True)
            ]
            return self._with(kind, self.users.exactly(users, keys))
        clients = settings.clients or ()
        items = [
            (client.client_id, doc, client) for doc, client in zip(documents, clients, strict=True)
        ]
        return self._with(kind, self.clients.exactly(items, keys))

    def drop(self, kind: Kind, key: str, configured: IssuerSettings) -> Overrides:
        """Without the user (or client) ``key``: the runtime one goes, the config's is hidden."""
        keys = [entry_key(entry) for entry in entries_of(configured, kind)]
        return self._with(kind, self.layer(kind).drop(key, keys))

    def cleared(self, kind: Kind) -> Overrides:
        """The config's users (or clients) again, and no runtime ones."""
        return self._with(kind, Layer())

    def _with(self, kind: Kind, layer: Layer[Any]) -> Overrides:
        if kind == "users":
            return dataclasses.replace(self, users=layer)
        return dataclasses.replace(self, clients=layer)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": _FORMAT,
            "users": self.users.documents(),
            "clients": self.clients.documents(),
            "hidden": {"users": sorted(self.users.hidden), "clients": sorted(self.clients.hidden)},
        }

    @classmethod
    def from_json(cls, data: Any, where: str) -> Overrides:
        """What ``to_json`` wrote; an entry the parser refuses now is skipped, with a log line."""
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            raise ValueError(f"not an overrides file of format {_FORMAT}")
        found = cls()
        kinds: tuple[Kind, ...] = ("users", "clients")
        for kind in kinds:
            for index, document in enumerate(data.get(kind) or []):
                try:
                    _, found = found.put(kind, document)
                except ValueError as exc:
                    log.error("auth: %s: %s[%d] skipped: %s", where, kind, index, exc)
        hidden = data.get("hidden")
        hidden = hidden if isinstance(hidden, dict) else {}
        return cls(
            Layer(found.users.entries, frozenset(map(str, hidden.get("users") or ()))),
            Layer(found.clients.entries, frozenset(map(str, hidden.get("clients") or ()))),
        )
