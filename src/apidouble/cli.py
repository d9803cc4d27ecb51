"""The ``apidouble`` command: ``run`` serves stubs, ``validate`` checks config files."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .errors import ConfigError
from .options import Options, option_fields
from .runtime import Runtime, run_workers, serve_until_signal
from .transport.server import install_event_loop_policy
from .watch import build

DEFAULT_CONFIG = Path("apidouble.yaml")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="apidouble", description="A fast HTTP API mock server.")
    parser.add_argument("--version", action="version", version=f"apidouble {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="serve stubs from config files or folders")
    run.add_argument("paths", nargs="*", type=Path, metavar="PATH")
    for name, default, help_text, flag in option_fields():
        if isinstance(default, bool):
            action = "store_false" if default else "store_true"
            run.add_argument(flag, dest=name, action=action, help=help_text)
        else:
            kind = type(default) if default is not None else (int if name == "seed" else str)
            run.add_argument(flag, dest=name, type=kind, default=default, help=help_text)
    validate = commands.add_parser(
        "validate", help="check config files; exit 1 listing every error"
    )
    validate.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    return parser


def _validate(paths: Sequence[Path]) -> int:
    try:
        config = build(paths)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"{len(exc.problems)} error(s)", file=sys.stderr)
        return 1
    if config.skipped:
        for problem in config.skipped:
            print(problem, file=sys.stderr)
        print(f"{len(config.skipped)} error(s); the other stubs would serve", file=sys.stderr)
        return 1
    print(f"ok: {len(config.stubs)} endpoint(s) in {len(config.files)} file(s)")
    return 0


def _run(args: argparse.Namespace) -> int:
    paths: list[Path] = args.paths or ([DEFAULT_CONFIG] if DEFAULT_CONFIG.exists() else [])
    if not paths:
        print(
            "apidouble run: give a config file or folder (no ./apidouble.yaml here)",
            file=sys.stderr,
        )
        return 2
    values = {name: getattr(args, name) for name, *_ in option_fields()}
    options = Options(**values)
    if options.workers < 1:
        print("apidouble run: --workers must be 1 or more", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=options.log_level.upper(),
        format="%(asctime)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    try:
        runtime = Runtime(paths, options, freeze_gc=True)
    except ConfigError as exc:
        print(f"apidouble: the config has {len(exc.problems)} error(s):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    if options.workers > 1:
        # the config loaded once above, so errors print once; each worker loads its own
        return run_workers(paths, options)
    install_event_loop_policy()
    asyncio.run(serve_until_signal(runtime))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script and ``python -m apidouble``."""
    args = _parser().parse_args(argv)
    if args.command == "validate":
        return _validate(args.paths)
    return _run(args)
