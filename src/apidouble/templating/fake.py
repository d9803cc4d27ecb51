"""The ``faker`` name: the Faker library, imported only when a template uses it.

Importing Faker costs a noticeable fraction of a second, so it happens at load time and
only for configs that say ``faker``. The instance is seeded from the config's seed (or
``faker: {seed: N}``), so fake values repeat with the same seed and request sequence.
Templates reach it through ``FakerView``, which exposes data providers and hides the
instance's controls (seeding, provider registration, its ``random``).
"""

from __future__ import annotations

from typing import Any

HIDDEN = frozenset(
    {
        "add_provider",
        "cache_pattern",
        "factories",
        "generator_attrs",
        "get_arguments",
        "get_formatter",
        "get_providers",
        "items",
        "locales",
        "parse",
        "provider",
        "providers",
        "random",
        "seed",
        "seed_instance",
        "seed_locale",
        "set_arguments",
        "set_formatter",
        "weights",
        "del_arguments",
        "format",
    }
)
"""Faker attributes that control the instance rather than produce data."""


class FakerView:
    """What templates see as ``faker``: ``faker.name()``, ``faker.unique.email()``..."""

    __slots__ = ("_faker",)

    def __init__(self, faker: Any) -> None:
        self._faker = faker

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name in HIDDEN:
            raise AttributeError(name)
        return getattr(self._faker, name)

    def __repr__(self) -> str:
        return "<faker>"


def make_faker(locale: str | None, seed: int) -> FakerView:
    """A seeded Faker for ``locale`` (default en_US); ValueError for an unknown locale."""
    from faker import Faker  # lazy: only configs whose templates use faker pay for it

    try:
        faker = Faker(locale or "en_US")
    except AttributeError as exc:
        raise ValueError(f"unknown faker locale {locale!r}") from exc
    faker.seed_instance(seed)
    return FakerView(faker)
