"""The ``apidouble`` command: ``run`` serves stubs, ``validate`` checks config files,
``import``/``export`` convert other tools' stubs to native config and back, ``mcp``
serves the MCP tools on stdio."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .atomic import write_atomically
from .errors import ConfigError
from .options import Options, option_fields, option_kind
from .plugins import NATIVE_IMPORT_FORMATS, PluginError, load_plugins
from .runtime import Runtime, run_workers, serve_until_signal
from .state.select import is_remote
from .stateful import shared_state_uses
from .transport.server import install_event_loop_policy
from .watch import build

if TYPE_CHECKING:
    from .config.load import Config

DEFAULT_CONFIG = Path("apidouble.yaml")
IMPORT_FORMATS = NATIVE_IMPORT_FORMATS
"""``apidouble import FORMAT SOURCE``: one converter per format, plus each importer's
(``plugins``: har, openapi and postman are built in that way); graphql and mockoon have
their own commands below."""
EXPORT_FORMATS = ("wiremock", "har", "mockoon")
RECORD_FORMATS = ("yaml", "wiremock")
RECORD_OUTPUTS = {"yaml": "recording.yaml", "wiremock": "recording"}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="apidouble", description="A fast HTTP API mock server.")
    parser.add_argument("--version", action="version", version=f"apidouble {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser(
        "run", help="serve stubs from config files or folders, or OpenAPI specs"
    )
    run.add_argument("paths", nargs="*", type=Path, metavar="PATH")
    for name, default, help_text, flag in option_fields():
        if isinstance(default, bool):
            action = "store_false" if default else "store_true"
            run.add_argument(flag, dest=name, action=action, help=help_text)
        elif isinstance(default, tuple):  # repeatable: each use adds one
            run.add_argument(flag, dest=name, action="append", default=[], help=help_text)
        else:
            run.add_argument(
                flag, dest=name, type=option_kind(name), default=default, help=help_text
            )
    run.add_argument(
        "--root-dir",
        dest="root_dirs",
        action="append",
        type=Path,
        default=[],
        metavar="DIR",
        help="a WireMock root to serve (WireMock's flag; the same as giving it as a PATH)",
    )
    run.add_argument(
        "--postman-env",
        type=Path,
        metavar="FILE",
        help="the Postman environment every collection served resolves {{variables}} from"
        " (default: the NAME.postman_environment.json beside each)",
    )
    run.add_argument(
        "--verbose",
        action="store_true",
        help="log more (WireMock's flag; the same as --log-level debug)",
    )
    validate = commands.add_parser(
        "validate", help="check config files; exit 1 listing every error"
    )
    validate.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    imports = commands.add_parser("import", help="convert another tool's stubs to a native config")
    imports.add_argument(
        "format",
        metavar="FORMAT",
        help="wiremock, graphql (an SDL schema: a starter config), grpc (a .proto file or"
        " folder: a starter config), mockoon (an environment), or the format of an"
        " installed importer",
    )
    imports.add_argument(
        "source", type=Path, metavar="SOURCE", help="a WireMock root or folder, or a file"
    )
    imports.add_argument(
        "-o", "--output", type=Path, help="the YAML file to write (default: stdout)"
    )
    imports.add_argument(
        "--env",
        type=Path,
        metavar="FILE",
        help="postman: the environment to resolve {{variables}} from (default: the"
        " NAME.postman_environment.json beside the collection)",
    )
    imports.add_argument(
        "--global-response-templating",
        action="store_true",
        help="every response is a template (as WireMock's flag of that name)",
    )
    record = commands.add_parser(
        "record", help="proxy a real API and record what it answers as stubs"
    )
    record.add_argument("--target", required=True, help="the API to record (its base URL)")
    record.add_argument(
        "--format",
        choices=RECORD_FORMATS,
        default="yaml",
        help="yaml: native stubs in one file (the default); wiremock: a WireMock root"
        " (mappings/ and __files/)",
    )
    record.add_argument(
        "-o",
        "--output",
        help="the YAML file (default: recording.yaml) or, with --format wiremock, the"
        " WireMock root folder (default: recording/) to write",
    )
    record.add_argument("--port", default="8000", help="port to listen on; 0 picks a free one")
    record.add_argument("--host", default="127.0.0.1", help="address to bind")
    record.add_argument(
        "--record-latency", action="store_true", help="record how long the API took, as latency_ms"
    )
    record.add_argument(
        "--record-header",
        dest="record_headers",
        action="append",
        default=[],
        metavar="NAME",
        help="a request header the recorded stubs match on; repeatable",
    )
    ca = commands.add_parser(
        "ca", help="print the local CA's path (made on first use) and how to trust it"
    )
    ca.add_argument("--path", action="store_true", help="print only the CA certificate's path")
    ca.add_argument(
        "--ca-dir",
        help="the CA's folder (default: $XDG_DATA_HOME/apidouble/ca, else"
        " ~/.local/share/apidouble/ca)",
    )
    mcp = commands.add_parser(
        "mcp",
        help="an MCP server on stdio for coding agents: drives a running server (--url),"
        " or starts one for the config files given",
    )
    mcp.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="config files or folders to serve, when no --url is given (none: no stubs yet)",
    )
    mcp.add_argument("--url", help="a running server's base URL, e.g. http://127.0.0.1:8080")
    mcp.add_argument(
        "--admin-token",
        help=f"the server's admin token (default: ${ADMIN_TOKEN_VARIABLE}); a server"
        " started here asks for it too",
    )
    mcp.add_argument(
        "--port", type=int, default=0, help="the port of a server started here (0: a free one)"
    )
    mcp.add_argument("--host", default="127.0.0.1", help="the address a server started here binds")
    exports = commands.add_parser("export", help="write a config in another tool's format")
    exports.add_argument(
        "format", choices=EXPORT_FORMATS, metavar="FORMAT", help="wiremock, har or mockoon"
    )
    exports.add_argument("paths", nargs="*", type=Path, metavar="CONFIG")
    exports.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        help="the folder (wiremock) or file (har, mockoon) to write",
    )
    source = exports.add_mutually_exclusive_group()
    source.add_argument("--url", help="har: a running server's base URL, to read its journal")
    source.add_argument(
        "--from", dest="from_file", type=Path, help="har: a saved journal (GET /__admin/logs)"
    )
    exports.add_argument(
        "--keep-secrets",
        action="store_true",
        help="har: keep Authorization, cookies and secret-looking headers and query"
        " parameters as they were (default: REDACTED, as recordings are)",
    )
    return parser


def _import(args: argparse.Namespace) -> int:
    from .importers.wiremock.native import ImportFailed, import_wiremock

    if args.env is not None and args.format != "postman":
        print("apidouble import: --env is for postman collections", file=sys.stderr)
        return 2
    if args.format == "graphql":
        return _import_graphql(args)
    if args.format == "grpc":
        return _import_grpc(args)
    if args.format == "mockoon":
        return _import_mockoon(args)
    if args.format not in IMPORT_FORMATS:
        return _import_plugin(args)
    out_dir = args.output.parent if args.output is not None else Path.cwd()
    try:
        document = import_wiremock(args.source, out_dir, args.global_response_templating)
    except ImportFailed as exc:
        print(f"apidouble import: {exc}", file=sys.stderr)
        return 1
    return _write_document(document, args.output)


def _import_graphql(args: argparse.Namespace) -> int:
    """``apidouble import graphql SCHEMA``: a starter config serving the schema, with one
    ``operations:`` stub per root field (their data mocked from the schema, to edit)."""
    import os

    from .graphql import load_schema, starter_config

    source: Path = args.source
    try:
        loaded = load_schema([source])
    except (OSError, ValueError) as exc:
        print(f"apidouble import: {exc}", file=sys.stderr)
        return 1
    for problem in loaded.problems:
        print(f"apidouble import: left out: {problem}", file=sys.stderr)
    out_dir = args.output.parent if args.output is not None else Path.cwd()
    relative = os.path.relpath(source.resolve(), out_dir.resolve())
    document = starter_config(loaded.schema, schema_file=relative)
    count = sum(len(entry.get("operations", [])) for entry in document["graphql"])
    return _write_starter(document, args.output, f"{count} operation stub(s)")


def _import_grpc(args: argparse.Namespace) -> int:
    """``apidouble import grpc PROTO``: a starter config serving the protos' services, one
    stub per method answering an example message made from its output type."""
    import os

    from .grpc import starter_config

    source: Path = args.source
    out_dir = args.output.parent if args.output is not None else Path.cwd()
    relative = os.path.relpath(source.resolve(), out_dir.resolve())
    try:
        document = starter_config([relative], base=out_dir)
    except (ConfigError, ValueError) as exc:
        print(f"apidouble import: {exc}", file=sys.stderr)
        return 1
    return _write_starter(document, args.output, f"{len(document['grpc']['stubs'])} gRPC stub(s)")


def _write_starter(document: dict[str, Any], output: Path | None, made: str) -> int:
    """A starter config as YAML, to ``output`` or stdout (saying what was ``made``)."""
    from .importers.wiremock.native import to_yaml

    text = to_yaml(document)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        print(f"wrote {made} to {output}", file=sys.stderr)
    return 0


def _import_mockoon(args: argparse.Namespace) -> int:
    """``apidouble import mockoon ENV.json``: the native config the environment is served
    as (``apidouble run ENV.json`` serves the same); what is left out is listed."""
    from .importers.mockoon import import_environment, is_mockoon_environment

    source: Path = args.source
    data = _read_source(source)
    if data is _UNREADABLE:
        return 1
    if not is_mockoon_environment(data):
        print(f"apidouble import: {source} is not a Mockoon environment", file=sys.stderr)
        return 1
    out_dir = args.output.parent if args.output is not None else Path.cwd()
    document, problems = import_environment(data, source, out_dir, args.output)
    for problem in problems:
        print(f"apidouble import: left out: {problem}", file=sys.stderr)
    return _write_document(document, args.output)


def _write_document(document: dict[str, Any], output: Path | None) -> int:
    """An imported document as YAML, to ``output`` or stdout."""
    from .importers.wiremock.native import to_yaml

    text = to_yaml(document)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        count = len(document["endpoints"])
        print(f"wrote {count} endpoint(s) to {output}", file=sys.stderr)
    return 0


def _import_plugin(args: argparse.Namespace) -> int:
    """``apidouble import NAME FILE`` with an installed importer: its document as YAML."""
    from .plugins import converted, importer, importer_names

    plugin = importer(args.format)
    if plugin is not None and args.env is not None:
        from .importers.postman import with_environment

        if not args.env.is_file():
            print(f"apidouble import: no environment file {args.env}", file=sys.stderr)
            return 1
        plugin = with_environment(args.env)
    if plugin is None:
        known = ", ".join((*IMPORT_FORMATS, *importer_names()))
        print(f"apidouble import: unknown format {args.format!r} (known: {known})", file=sys.stderr)
        return 2
    source: Path = args.source
    data = _read_source(source)
    if data is _UNREADABLE:
        return 1
    try:
        document = converted(args.format, plugin, data, source)
    except PluginError as exc:
        print(f"apidouble import: {exc}", file=sys.stderr)
        return 1
    return _write_document(document, args.output)


_UNREADABLE = object()


def _read_source(source: Path) -> Any:
    """An import's input file, parsed (JSON or YAML); ``_UNREADABLE`` once the reason it
    could not be read or parsed is printed."""
    from .config.positions import SyntaxProblem, parse

    try:
        text = source.read_text(encoding="utf-8-sig")
        return parse(text, as_json=source.suffix.lower() == ".json").data
    except (OSError, UnicodeDecodeError) as exc:
        print(f"apidouble import: cannot read {source}: {exc}", file=sys.stderr)
    except SyntaxProblem as exc:
        line = f":{exc.line}" if exc.line else ""
        print(f"apidouble import: {source}{line}: {exc.message}", file=sys.stderr)
    return _UNREADABLE


def _export_mockoon(args: argparse.Namespace, config: Config) -> int:
    """``apidouble export mockoon``: the config as one Mockoon environment file."""
    import json

    from .importers.mockoon.export import export_mockoon

    out: Path = args.output
    environment, notes = export_mockoon(config.stubs, folder=out.parent)
    out.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(environment, indent=2, ensure_ascii=False) + "\n"
    write_atomically(out, text.encode("utf-8"))
    for note in notes:
        print(f"apidouble export: {note}", file=sys.stderr)
    for key in (*config.server, *(["data"] if config.data else [])):
        print(f"apidouble export: top-level {key!r} has no Mockoon equivalent", file=sys.stderr)
    print(f"wrote {len(environment['routes'])} route(s) to {out}", file=sys.stderr)
    return 0


def _export_har(args: argparse.Namespace) -> int:
    """``apidouble export har``: a running server's journal, or a saved one, as HAR 1.2."""
    import json
    import urllib.request

    from .har_export import har_document, journal_entries

    try:
        if args.from_file is not None:
            data = json.loads(args.from_file.read_text(encoding="utf-8-sig"))
        else:
            token = os.environ.get(ADMIN_TOKEN_VARIABLE)
            headers = {"X-Admin-Token": token} if token else {}
            url = str(args.url).rstrip("/") + "/__admin/logs"
            asked = urllib.request.Request(url, headers=headers)
            with urllib.request.urlopen(asked, timeout=30) as answer:
                data = json.loads(answer.read())
        document = har_document(journal_entries(data), redact=not args.keep_secrets)
    except (OSError, ValueError) as exc:  # URLError is an OSError
        print(f"apidouble export har: {exc}", file=sys.stderr)
        return 1
    args.output.write_text(json.dumps(document, indent=1, ensure_ascii=False), encoding="utf-8")
    print(f"wrote {len(document['log']['entries'])} entries to {args.output}", file=sys.stderr)
    return 0


def _export(args: argparse.Namespace) -> int:
    if args.format == "har":
        if args.paths or (args.url is None) == (args.from_file is None):
            print(
                "apidouble export har: give --url URL or --from FILE (no CONFIG)", file=sys.stderr
            )
            return 2
        return _export_har(args)
    if not args.paths:
        print(f"apidouble export {args.format}: give the CONFIG paths", file=sys.stderr)
        return 2
    from .config.load import load_config
    from .importers.wiremock.export import export_wiremock

    try:
        config = load_config(*args.paths)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1
    if config.skipped:
        for problem in config.skipped:
            print(problem, file=sys.stderr)
        print("apidouble export: fix the mappings above first", file=sys.stderr)
        return 1
    if args.format == "mockoon":
        return _export_mockoon(args, config)
    written = export_wiremock(config.stubs, args.output)
    for key in (*config.server, *(["data"] if config.data else [])):
        print(f"apidouble export: top-level {key!r} has no WireMock equivalent", file=sys.stderr)
    print(f"wrote {len(written)} mapping(s) to {args.output / 'mappings'}", file=sys.stderr)
    return 0


def _ca(args: argparse.Namespace) -> int:
    """``apidouble ca``: the local CA (created now if there is none yet), and how to
    trust it; ``--path`` prints the certificate's path alone, for scripts."""
    from .tls.ca import TlsError, load_or_create
    from .tls.trust import trust_instructions

    try:
        ca = load_or_create(Path(args.ca_dir) if args.ca_dir else None)
    except TlsError as exc:
        print(f"apidouble ca: {exc}", file=sys.stderr)
        return 1
    sys.stdout.write(f"{ca.cert_path}\n" if args.path else trust_instructions(ca))
    return 0


def _validate(paths: Sequence[Path]) -> int:
    load_plugins()  # a broken plugin is logged (to stderr) before the config's problems
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
    served = config.specs.servers if config.specs is not None else ()
    operations = sum(len(server.spec.operations) for server in served)
    specs = f", {operations} operation(s) of {len(served)} spec(s)" if served else ""
    print(f"ok: {len(config.stubs)} endpoint(s){specs} in {len(config.files)} file(s)")
    return 0


ADMIN_TOKEN_VARIABLE = "APIDOUBLE_ADMIN_TOKEN"
"""Where ``--admin-token`` is read from when the flag is not given (keeps it out of ``ps``)."""


def _record(args: argparse.Namespace) -> int:
    """``apidouble record``: ``run`` with nothing of its own, proxying and recording all.
    A WireMock root is made first: the recorder writes one where its target is a folder."""
    output = Path(args.output or RECORD_OUTPUTS[args.format])
    if args.format == "wiremock":
        if output.suffix.lower() in (".yaml", ".yml") or output.is_file():
            print(f"apidouble record: {output} is a file; a WireMock root is a folder",
                  file=sys.stderr)  # fmt: skip
            return 2
        for folder in ("mappings", "__files"):
            (output / folder).mkdir(parents=True, exist_ok=True)
    elif output.is_dir():
        print(f"apidouble record: {output} is a folder (--format wiremock writes one)",
              file=sys.stderr)  # fmt: skip
        return 2
    argv = ["run", "--proxy-to", args.target, "--record-to", str(output)]
    argv += ["--port", str(args.port), "--host", args.host, "--no-watch"]
    if args.record_latency:
        argv.append("--record-latency")
    for name in args.record_headers:
        argv += ["--record-header", name]
    run_args = _parser().parse_args(argv)
    print(f"apidouble: recording {args.target} into {output}", file=sys.stderr)
    return _run(run_args)


def _mcp(args: argparse.Namespace) -> int:
    """``apidouble mcp``: MCP on stdio, over a running server's admin API or one started
    here (stdout is the protocol's: every other word goes to stderr)."""
    if args.url is not None and args.paths:
        print("apidouble mcp: give --url or config paths, not both", file=sys.stderr)
        return 2
    try:
        from .mcp.stdio import serve_remote, serve_started
    except ImportError as exc:
        print(f"apidouble mcp: {exc}; install the extra: pip install 'apidouble[mcp]'",
              file=sys.stderr)  # fmt: skip
        return 2
    token = args.admin_token or os.environ.get(ADMIN_TOKEN_VARIABLE) or None
    logging.basicConfig(level="WARNING", format="%(levelname)s %(message)s", stream=sys.stderr)
    try:
        if args.url is not None:
            asyncio.run(serve_remote(args.url, token))
            return 0
        load_plugins()
        asyncio.run(serve_started(args.paths, token, args.host, args.port))
    except ConfigError as exc:
        print(f"apidouble: the config has {len(exc.problems)} error(s):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


def _run(args: argparse.Namespace) -> int:
    paths: list[Path] = [*args.paths, *args.root_dirs]
    upstream = args.proxy_to or args.proxy_pass_through  # a proxy needs no stubs
    if not paths and DEFAULT_CONFIG.exists() and not upstream:
        paths = [DEFAULT_CONFIG]
    if not paths and not upstream:
        print(
            "apidouble run: give a config file or folder (no ./apidouble.yaml here)",
            file=sys.stderr,
        )
        return 2
    values = {name: getattr(args, name) for name, *_ in option_fields()}
    values["addons"] = tuple(values["addons"])
    values["record_headers"] = tuple(values["record_headers"])
    if args.verbose:
        values["log_level"] = "debug"
    if args.postman_env is not None:
        from .importers.postman import ENVIRONMENT_VARIABLE

        if not args.postman_env.is_file():
            print(f"apidouble run: no Postman environment {args.postman_env}", file=sys.stderr)
            return 2
        os.environ[ENVIRONMENT_VARIABLE] = str(args.postman_env.absolute())  # workers too
    if values.get("admin_token") is None and os.environ.get(ADMIN_TOKEN_VARIABLE):
        values["admin_token"] = os.environ[ADMIN_TOKEN_VARIABLE]
    options = Options(**values)
    if options.workers < 1:
        print("apidouble run: --workers must be 1 or more", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=options.log_level.upper(),
        format="%(asctime)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    load_plugins()  # once, before the config: a broken plugin is logged at start-up
    try:
        runtime = Runtime(paths, options, freeze_gc=True)
    except ValueError as exc:  # --state names no store we know
        print(f"apidouble run: {exc}", file=sys.stderr)
        return 2
    except ConfigError as exc:
        print(f"apidouble: the config has {len(exc.problems)} error(s):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    if options.workers > 1:
        if not is_remote(runtime.store):
            uses = shared_state_uses(runtime.engine.config, len(runtime.composer.layer.entries))
            if uses:
                print(
                    f"apidouble run: --workers {options.workers} with memory state would give"
                    f" each process its own {', '.join(uses)}; pass --state"
                    " redis://HOST:PORT/DB to share them (or run one worker)",
                    file=sys.stderr,
                )
                return 2
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
    if args.command == "import":
        return _import(args)
    if args.command == "export":
        return _export(args)
    if args.command == "record":
        return _record(args)
    if args.command == "ca":
        return _ca(args)
    if args.command == "mcp":
        return _mcp(args)
    return _run(args)
