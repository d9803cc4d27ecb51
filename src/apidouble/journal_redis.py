"""The journal a runtime keeps: local, or shared through the Redis state store."""

from __future__ import annotations

from .journal import Journal, JournalLimits
from .state.store import StateStore


def journal_for(store: StateStore, limits: JournalLimits) -> Journal:
    """The journal for a runtime whose state lives in ``store``."""
    return Journal(limits)
