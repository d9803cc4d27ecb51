"""Server options: one definition for CLI flags, ``MockServer`` arguments and the docs."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from .journal import DEFAULT_BODY_CAP_BYTES, DEFAULT_BUDGET_BYTES
from .transport.server import DEFAULT_LIMITS, ServerLimits

_L = DEFAULT_LIMITS


def _opt(default: Any, help: str, flag: str | None = None, kind: type | None = None) -> Any:
    """An option: its default, help and flag; ``kind`` parses a flag whose default is None."""
    return field(default=default, metadata={"help": help, "flag": flag, "kind": kind})


@dataclass(frozen=True, slots=True)
class Options:
    """How to serve (not what: that is the stubs)."""

    host: str = _opt("127.0.0.1", "address to bind; 0.0.0.0 exposes the mock to the network")
    port: int = _opt(8000, "port to listen on; 0 picks a free one")
    https_port: int | None = _opt(
        None,
        "also serve HTTPS on this port (0 picks a free one), beside HTTP, with --tls-cert"
        " and --tls-key or certificates from the local CA (apidouble ca --path prints the"
        " file clients trust: curl --cacert FILE)",
        kind=int,
    )
    grpc_port: int | None = _opt(
        None,
        "the port of the config's grpc: services (0 picks a free one; default: the"
        " section's own port)",
        kind=int,
    )
    tls_cert: str | None = _opt(
        None, "the certificate (chain, PEM) HTTPS serves, instead of the local CA's", kind=str
    )
    tls_key: str | None = _opt(None, "the private key (PEM) of --tls-cert", kind=str)
    tls_client_ca: str | None = _opt(
        None,
        "mTLS: ask HTTPS clients for a certificate signed by a CA in this PEM file; its"
        " subject and SANs reach stubs as the x-client-cert-subject and x-client-cert-san"
        " headers and the journal",
        kind=str,
    )
    tls_client_auth: str = _opt(
        "required",
        "with --tls-client-ca: required (no certificate, no connection) or optional (a"
        " certificate sent is verified; none is fine)",
    )
    http2: bool = _opt(
        True,
        "serve HTTP/1.1 alone: no ALPN h2 over TLS, no h2c (prior knowledge or Upgrade:"
        " h2c) over plain HTTP",
        "--no-http2",
    )
    ca_dir: str | None = _opt(
        None,
        "the local CA's folder (default: $XDG_DATA_HOME/apidouble/ca, else"
        " ~/.local/share/apidouble/ca); made on first use",
        kind=str,
    )
    watch: bool = _opt(True, "do not reload when a config or body file changes", "--no-watch")
    seed: int | None = _opt(None, "seed for every random choice, so runs repeat exactly", kind=int)
    admin_token: str | None = _opt(
        None, "token the control routes require (Bearer or X-Admin-Token)"
    )
    persist_dir: str | None = _opt(
        None, "folder for stubs made through the admin API (default: CONFIG/.apidouble)"
    )
    log_level: str = _opt("info", "debug, info, warning or error")
    workers: int = _opt(1, "processes serving the same port")
    state: str = _opt(
        "memory",
        "where state lives: memory (this process), or redis://HOST:PORT/DB to share"
        " scenarios, counters and rate limits across processes and machines",
    )
    max_body_bytes: int = _opt(_L.max_body_bytes, "largest request body accepted (413 past it)")
    stream_body_bytes: int = _opt(
        _L.stream_body_bytes,
        "request bodies larger than this stream to the upstream when only a proxy can take them",
    )
    max_header_bytes: int = _opt(_L.max_header_bytes, "largest request head accepted (431 past it)")
    header_timeout_s: float = _opt(
        _L.header_timeout_s, "seconds a client may take to send a request head or body"
    )
    idle_timeout_s: float = _opt(
        _L.idle_timeout_s, "seconds an idle keep-alive connection stays open"
    )
    shutdown_grace_s: float = _opt(
        _L.shutdown_grace_s, "seconds in-flight requests get to finish on shutdown"
    )
    max_connections: int = _opt(
        _L.max_connections,
        "connections each listener holds at once (HTTP/1.1, HTTP/2 and WebSockets); one"
        " more gets 503 and is closed",
    )
    journal_budget_bytes: int = _opt(DEFAULT_BUDGET_BYTES, "memory the request journal may use")
    journal_body_cap_bytes: int = _opt(
        DEFAULT_BODY_CAP_BYTES, "bytes of each body the journal keeps"
    )
    request_journal: bool = _opt(
        True, "keep no journal entries (the per-stub counts stay exact)", "--no-request-journal"
    )
    max_request_journal_entries: int | None = _opt(
        None, "keep at most this many journal entries (the oldest go first)", kind=int
    )
    global_response_templating: bool = _opt(
        False, "render every WireMock response as a template (WireMock's flag)"
    )
    proxy_to: str | None = _opt(
        None, "forward the requests no stub matches to this API (its base URL)", kind=str
    )
    proxy_mode: bool = _opt(
        False,
        "be a forward proxy: clients set HTTP_PROXY/HTTPS_PROXY to this port; CONNECT"
        " tunnels get TLS with a certificate per host from the local CA (or --tls-cert),"
        " and stubs answer what comes through them (match: {host: ...})",
    )
    proxy_pass_through: bool = _opt(
        False,
        "with --proxy-mode: send proxied requests no stub matches on to the host they"
        " name (recorded with --record-to)",
    )
    record_to: str | None = _opt(
        None,
        "record every proxied exchange (--proxy-to, proxy: stubs) as stubs in this YAML file",
        kind=str,
    )
    record_latency: bool = _opt(False, "record how long the upstream took, as latency_ms")
    record_headers: tuple[Any, ...] = _opt(
        (),
        "a request header recorded stubs match on (beside method, path, query and body);"
        " repeatable",
        "--record-header",
    )
    addons: tuple[Any, ...] = _opt(
        (),
        "a Python addon over every request: a file, module:Attr or an installed entry"
        " point's name; repeatable",
        "--addons",
    )
    openapi_dynamic: bool = _opt(
        False, "generate OpenAPI answers from their schemas instead of the examples (Prism's -d)"
    )
    openapi_errors: bool = _opt(
        False,
        "Prism's --errors for OpenAPI specs: 500 for an answer that does not fit its schema,"
        " Prism's 404/405 for requests outside the spec even beside native stubs",
    )
    validate_responses: bool = _opt(
        False,
        "check proxied answers against the OpenAPI specs (drift in the journal, the metrics"
        " and sl-violations); with --proxy-to the specs' own requests go upstream too,"
        " as through Prism's validation proxy",
    )
    cors: bool = _opt(
        True, "send no CORS headers from OpenAPI specs (on by default, as in Prism)", "--no-cors"
    )
    auth: bool = _opt(
        False,
        "serve a mock OAuth2/OIDC issuer named default at /oauth2/default (the config's"
        " auth.issuers can define it and others)",
    )
    wiremock_404: bool = _opt(
        True,
        "answer unmatched requests in a WireMock root with the JSON near-miss report"
        " instead of WireMock's plain-text one",
        "--no-wiremock-404",
    )


def server_limits(options: Options) -> ServerLimits:
    """The transport's caps, from the options that set them."""
    return ServerLimits(
        max_body_bytes=options.max_body_bytes,
        stream_body_bytes=options.stream_body_bytes,
        max_header_bytes=options.max_header_bytes,
        header_timeout_s=options.header_timeout_s,
        idle_timeout_s=options.idle_timeout_s,
        shutdown_grace_s=options.shutdown_grace_s,
        max_connections=options.max_connections,
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


def option_kind(name: str) -> type:
    """How a flag's text becomes the option's value (``int`` for ``--port``)."""
    found = next(f for f in fields(Options) if f.name == name)
    kind: type | None = found.metadata["kind"]
    return kind if kind is not None else type(found.default) if found.default is not None else str
