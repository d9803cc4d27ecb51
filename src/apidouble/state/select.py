"""``--state``: the store a runtime keeps its state in."""

from __future__ import annotations

from .memory import MemoryStore
from .store import StateStore

MEMORY = "memory"


def open_store(spec: str) -> StateStore:
    """``memory`` (this process only) or ``redis://HOST:PORT/DB`` (shared by every instance
    pointed at it); raises ValueError with the fix for anything else."""
    if spec == MEMORY:
        return MemoryStore()
    from .redis_link import RedisTarget

    target = RedisTarget.parse(spec)  # ValueError names what is accepted
    try:
        from .redis_store import RedisStore

        return RedisStore(target)
    except ImportError as exc:  # redis or greenlet missing
        raise ValueError(
            f"--state {target.shown} needs the redis extra: pip install 'apidouble[redis]' ({exc})"
        ) from None


def is_remote(store: StateStore) -> bool:
    """Whether requests must run on the bridge to use ``store``."""
    return bool(getattr(store, "remote", False))
