"""Server options: one definition for CLI flags, ``MockServer`` arguments and the docs."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from .journal import DEFAULT_BODY_CAP_BYTES, DEFAULT_BUDGET_BYTES


def _opt(default: Any, help: str, flag: str | None = None) -> Any:
    return field(default=default, metadata={"help": help, "flag": flag})


@dataclass(frozen=True, slots=True)
class Options:
    """How to serve (not what: that is the stubs)."""

    host: str = _opt("127.0.0.1", "address to bind; 0.0.0.0 exposes the mock to the network")
    port: int = _opt(8000, "port to listen on; 0 picks a free one")
    watch: bool = _opt(True, "reload when a config or body file changes", "--no-watch")
    seed: int | None = _opt(None, "seed for every random choice, so runs repeat exactly")
    admin_token: str | None = _opt(
        None, "token the control routes require (Bearer or X-Admin-Token)"
    )
    log_level: str = _opt("info", "debug, info, warning or error")
    workers: int = _opt(1, "processes serving the same port")
    max_body_bytes: int = _opt(10 * 1024 * 1024, "largest request body accepted (413 past it)")
    max_header_bytes: int = _opt(64 * 1024, "largest request head accepted (431 past it)")
    header_timeout_s: float = _opt(10.0, "seconds a client may take to send a request head or body")
    idle_timeout_s: float = _opt(60.0, "seconds an idle keep-alive connection stays open")
    shutdown_grace_s: float = _opt(10.0, "seconds in-flight requests get to finish on shutdown")
    journal_budget_bytes: int = _opt(DEFAULT_BUDGET_BYTES, "memory the request journal may use")
    journal_body_cap_bytes: int = _opt(
        DEFAULT_BODY_CAP_BYTES, "bytes of each body the journal keeps"
    )


def option_fields() -> list[tuple[str, Any, str, str]]:
    """(name, default, help, flag) of every option, for the CLI and the docs."""
    return [
        (
            f.name,
            f.default,
            f.metadata["help"],
            f.metadata["flag"] or "--" + f.name.replace("_", "-"),
        )
        for f in fields(Options)
    ]
