"""Guard: every answer (status, body, WWW-Authenticate) for jwt, basic, api_key and any_of, key
rotation, JWKS files, and JWKS URLs fetched from a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from apidouble.auth.guard import Admission, Guard, RemoteJwks, compile_guard
from apidouble.auth.keys import KeyRing
from apidouble.auth.requirement import (
    AnyOf,
    ApiKeyRequirement,
    BasicRequirement,
    JwtRequirement,
    Requirement,
    parse_requirement,
)
from apidouble.auth.tokens import TokenMinter
from apidouble.auth.verify import JwtPolicy, KeySource, Verified, Verifier
from apidouble.model import Request
from apidouble.outcome import Response
from tests.auth.doubles import Clock, CountingKeys

LOCAL = "http://mock.test:8080/oauth2/default"
EXTERNAL = "https://idp.example.com/"
BEARER = 'Bearer realm="apidouble"'
GOOD = {"sub": "alice", "aud": "api", "scope": "read:users write:users", "role": ["admin", "dev"]}
STRICT = {"jwt": {"issuer": "default", "audience": "api", "scopes": ["read:users"]}}
ADMIN = {"jwt": {**STRICT["jwt"], "claims": {"role": "admin"}}}


@dataclass
class Reply:
    """A refusal read back: status, every WWW-Authenticate line, the JSON body."""

    status: int
    challenges: list[str]
    body: dict[str, Any]


def refusal(found: Admission | Response) -> Reply:
    assert isinstance(found, Response), found
    lines = found.head.decode("latin-1").split("\r\n")
    assert lines[0].startswith(f"HTTP/1.1 {found.status} ")
    challenges = []
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.lower() == "www-authenticate":
            challenges.append(value.strip())
    assert "content-type: application/json" in [line.lower() for line in lines]
    return Reply(found.status, challenges, json.loads(found.body))


def admitted(found: Admission | Response) -> Admission:
    assert isinstance(found, Admission), found.body if isinstance(found, Response) else found
    return found


def request(*headers: tuple[str, str], query: str = "") -> Request:
    return Request("GET", "/x", query, headers)


def bearer(token: str) -> Request:
    return request(("authorization", f"Bearer {token}"))


def basic(user: str, password: str) -> Request:
    raw = base64.b64encode(f"{user}:{password}".encode()).decode()
    return request(("Authorization", f"Basic {raw}"))


@pytest.fixture(scope="module")
def ring() -> KeyRing:
    return KeyRing()


@pytest.fixture
def clock() -> Clock:
    return Clock()


class AccessMinter(TokenMinter):
    """Mints as the provider's token endpoint does: access tokens are typed ``at+jwt``
    (a local issuer's guard refuses any other typ, as RFC 9068 §4 asks)."""

    def mint(self, claims: Mapping[str, Any], **options: Any) -> str:
        headers = {"typ": "at+jwt", **(options.pop("headers", None) or {})}
        return super().mint(claims, headers=headers, **options)


@pytest.fixture
def minter(ring: KeyRing, clock: Clock) -> TokenMinter:
    return AccessMinter(ring, LOCAL, clock=clock)


def test_a_local_issuers_guard_refuses_a_token_that_is_not_typed_at_jwt(
    ring: KeyRing, clock: Clock
) -> None:
    id_token = TokenMinter(ring, LOCAL, clock=clock).mint(GOOD)  # typ JWT, as ID tokens are
    reply = refusal(guard_for(STRICT, ring, clock).admit(bearer(id_token)))
    assert reply.status == 401
    assert "not an access token" in reply.challenges[0]


def guard_for(
    config: Any, ring: KeyRing, clock: Clock, base_dir: Path | None = None, **kwargs: Any
) -> Guard:
    requirement = parse_requirement(config)
    assert requirement is not None
    return compile_guard(requirement, {"default": ring}, base_dir, clock, **kwargs)


# -- jwt: a local issuer ---------------------------------------------------------------------


def test_a_good_token_is_admitted(ring: KeyRing, clock: Clock, minter: TokenMinter) -> None:
    guard = guard_for(ADMIN, ring, clock)
    token = minter.mint(GOOD)
    found = admitted(guard.admit(bearer(token)))
    assert found.scheme == "jwt" and found.subject == "alice"
    assert found.scopes == {"read:users", "write:users"}
    assert found.claims["role"] == ["admin", "dev"]
    assert guard.passes(bearer(token))
    journal = found.as_dict()
    assert journal["scheme"] == "jwt" and journal["subject"] == "alice"
    assert journal["scopes"] == ["read:users", "write:users"]
    assert token not in json.dumps(journal)
    es = minter.mint(GOOD, alg="ES256")
    assert admitted(guard.admit(request(("AUTHORIZATION", f"bearer  {es} ")))).subject == "alice"


@pytest.mark.parametrize(
    "iss",
    ["http://127.0.0.1:8080/oauth2/default", "https://mock.example/base/oauth2/default"],
)
def test_a_local_issuer_is_whatever_host_the_client_used(
    ring: KeyRing, clock: Clock, iss: str
) -> None:
    token = AccessMinter(ring, iss, clock=clock).mint(GOOD)
    assert guard_for(STRICT, ring, clock).passes(bearer(token))


@pytest.mark.parametrize(
    "iss",
    [
        "http://mock.test/oauth2/other",
        "http://mock.test/oauth2/defaultx",
        "/oauth2/default",
        "ftp://mock.test/oauth2/default",
        "http:///oauth2/default",
    ],
)
def test_a_token_of_another_issuer_is_refused(ring: KeyRing, clock: Clock, iss: str) -> None:
    token = AccessMinter(ring, iss, clock=clock).mint(GOOD)
    reply = refusal(guard_for(STRICT, ring, clock).admit(bearer(token)))
    description = f"wrong issuer: expected a URL ending in /oauth2/default, got {iss}"
    assert (reply.status, reply.body) == (
        401,
        {"error": "invalid_token", "error_description": description},
    )
    assert reply.challenges == [
        f'{BEARER}, error="invalid_token", error_description="{description}"'
    ]


def test_missing_credentials_get_a_bare_challenge(ring: KeyRing, clock: Clock) -> None:
    guard = guard_for(STRICT, ring, clock)
    for sent in (request(), basic("ada", "pw"), request(("authorization", "Token abc"))):
        reply = refusal(guard.admit(sent))
        assert reply.status == 401
        assert reply.challenges == [BEARER], "RFC 6750 §3.1: no error attribute"
        assert reply.body == {"error": "unauthorized", "error_description": "credentials required"}
        assert not guard.passes(sent)


@pytest.mark.parametrize("header", ["Bearer", "Bearer   ", "Bearer a b", "Bearer a\tb"])
def test_a_malformed_bearer_header_is_a_bad_request(
    ring: KeyRing, clock: Clock, header: str
) -> None:
    reply = refusal(guard_for(STRICT, ring, clock).admit(request(("authorization", header))))
    assert reply.status == 400
    assert reply.body == {
        "error": "invalid_request",
        "error_description": "malformed Authorization header",
    }
    assert reply.challenges == [
        f'{BEARER}, error="invalid_request", error_description="malformed Authorization header"'
    ]


@pytest.mark.parametrize(
    ("make", "description"),
    [
        (lambda m: m.expired(GOOD), "token expired"),
        (lambda m: m.not_yet_valid(GOOD), "token not yet valid"),
        (lambda m: m.wrongly_signed(GOOD), "bad signature"),
        (lambda m: m.unsigned(GOOD), "alg none refused"),
        (lambda m: m.hs_confused(GOOD), "algorithm HS256 not allowed"),
        (lambda m: m.mint({**GOOD, "aud": "other"}), "wrong audience"),
        (lambda m: m.mint(GOOD, headers={"kid": "nobody"}), "unknown key id"),
        (lambda m: "not.a.jwt", "malformed token"),
    ],
)
def test_a_bad_token_is_invalid_token(
    ring: KeyRing, clock: Clock, minter: TokenMinter, make: Any, description: str
) -> None:
    guard = guard_for(ADMIN, ring, clock)
    token = make(minter)
    reply = refusal(guard.admit(bearer(token)))
    assert reply.status == 401
    assert reply.body == {"error": "invalid_token", "error_description": description}
    assert reply.challenges == [
        f'{BEARER}, error="invalid_token", error_description="{description}"'
    ]
    assert not guard.passes(bearer(token))


@pytest.mark.parametrize(
    ("claims", "description", "scope"),
    [
        ({**GOOD, "scope": "write:users"}, "missing scope read:users", ', scope="read:users"'),
        ({**GOOD, "role": "viewer"}, "claim role: expected admin", ""),
        ({k: v for k, v in GOOD.items() if k != "role"}, "claim role: expected admin", ""),
    ],
)
def test_a_missing_scope_or_claim_is_forbidden(
    ring: KeyRing,
    clock: Clock,
    minter: TokenMinter,
    claims: dict[str, Any],
    description: str,
    scope: str,
) -> None:
    reply = refusal(guard_for(ADMIN, ring, clock).admit(bearer(minter.mint(claims))))
    assert reply.status == 403
    assert reply.body == {"error": "insufficient_scope", "error_description": description}
    assert reply.challenges == [
        f'{BEARER}, error="insufficient_scope", error_description="{description}"{scope}'
    ]


def test_leeway_applies_to_expiry(ring: KeyRing, clock: Clock, minter: TokenMinter) -> None:
    token = minter.mint(GOOD, expires_in=-10)  # expired 10 s ago, typed as access tokens are
    assert guard_for({"jwt": {"issuer": "default", "leeway_s": 30}}, ring, clock).passes(
        bearer(token)
    )
    assert not guard_for({"jwt": {"issuer": "default", "leeway_s": 0}}, ring, clock).passes(
        bearer(token)
    )


def test_a_cached_token_still_expires(ring: KeyRing, clock: Clock, minter: TokenMinter) -> None:
    guard = guard_for({"jwt": {"issuer": "default", "leeway_s": 0}}, ring, clock)
    token = bearer(minter.mint(GOOD, expires_in=60))
    assert guard.passes(token)
    clock.now += 61
    assert not guard.passes(token)
    assert refusal(guard.admit(token)).body["error_description"] == "token expired"


def test_passes_on_a_known_token_touches_no_key(
    ring: KeyRing, clock: Clock, minter: TokenMinter
) -> None:
    keys = CountingKeys(ring)
    requirement = parse_requirement(STRICT)
    assert requirement is not None
    guard = compile_guard(requirement, {"default": keys}, None, clock)
    token = bearer(minter.mint(GOOD))
    assert guard.passes(token)
    for _ in range(50):
        assert guard.passes(token)
    admitted(guard.admit(token))
    assert keys.lookups == 1


def test_rotation_keeps_old_tokens_within_grace(clock: Clock) -> None:
    ring = KeyRing(("RS256",), grace_s=600, clock=clock)
    minter = AccessMinter(ring, LOCAL, clock=clock)
    guard = guard_for(STRICT, ring, clock)
    old = bearer(minter.mint(GOOD, expires_in=7200))
    old_kid = ring.current("RS256").kid
    assert guard.passes(old)
    ring.rotate("RS256")
    new_kid = ring.current("RS256").kid
    new = bearer(minter.mint(GOOD, expires_in=7200))
    assert new_kid != old_kid
    assert guard.passes(old), "a retired key still verifies within its grace"
    assert guard.passes(new)
    clock.now += 601
    assert not guard.passes(old)
    assert refusal(guard.admit(old)).body["error_description"] == "unknown key id"
    assert guard.passes(new)


def test_an_unknown_local_issuer_is_a_load_time_error(ring: KeyRing, clock: Clock) -> None:
    with pytest.raises(ValueError) as caught:
        guard_for({"jwt": {"issuer": "x"}}, ring, clock)
    assert str(caught.value) == "auth.jwt.issuer: no issuer 'x' (configured: default)"
    nested = {"any_of": [{"basic": {"users": {"a": "b"}}}, {"jwt": {"issuer": "x"}}]}
    with pytest.raises(ValueError, match=r"^auth\.any_of\[1\]\.jwt\.issuer: no issuer 'x'"):
        guard_for(nested, ring, clock)
    with pytest.raises(ValueError, match=r"\(configured: none\)$"):
        compile_guard(JwtRequirement(issuer="x"), {}, None, clock)


def test_programmatic_requirements_are_checked_too(ring: KeyRing, clock: Clock) -> None:
    issuers: dict[str, KeySource] = {"default": ring}
    cases: list[tuple[Requirement, str]] = [
        (JwtRequirement(), "auth.jwt: give issuer"),
        (JwtRequirement(issuer="default", algorithms=("HS256",)), "auth.jwt: algorithm HS256"),
        (JwtRequirement(jwks="http://example.com/jwks"), "auth.jwt.jwks: 'http://example.com"),
        (BasicRequirement({}), "auth.basic.users: give at least one user"),
        (ApiKeyRequirement({"k": {}}), "auth.api_key: give exactly one of"),
        (ApiKeyRequirement({}, header="X-K"), "auth.api_key.values: give at least one key"),
        (AnyOf(()), "auth.any_of: give at least one requirement"),
    ]
    for requirement, message in cases:
        with pytest.raises(ValueError) as caught:
            compile_guard(requirement, issuers, None, clock)
        assert str(caught.value).startswith(message), str(caught.value)


def test_the_policy_takes_an_issuer_or_a_suffix() -> None:
    with pytest.raises(ValueError, match="not both"):
        JwtPolicy(issuer="https://a", issuer_suffix="/oauth2/a")
    with pytest.raises(ValueError, match="must not be empty"):
        JwtPolicy(issuer_suffix="")


# -- jwt: an external issuer from a JWKS file --------------------------------------------------


@pytest.fixture
def jwks_file(tmp_path: Path, ring: KeyRing) -> Path:
    (tmp_path / "keys").mkdir()
    path = tmp_path / "keys" / "jwks.json"
    path.write_text(json.dumps(ring.jwks()))
    return path


def test_an_external_issuer_from_a_jwks_file(ring: KeyRing, clock: Clock, jwks_file: Path) -> None:
    config = {"jwt": {"jwks": "keys/jwks.json", "issuer": EXTERNAL, "audience": "api"}}
    guard = guard_for(config, ring, clock, base_dir=jwks_file.parent.parent)
    ours = TokenMinter(ring, EXTERNAL, clock=clock).mint(GOOD)
    assert admitted(guard.admit(bearer(ours))).subject == "alice"
    near = TokenMinter(ring, EXTERNAL.rstrip("/"), clock=clock).mint(GOOD)
    reply = refusal(guard.admit(bearer(near)))
    assert reply.body["error_description"] == (
        "wrong issuer: expected https://idp.example.com/, got https://idp.example.com"
    )
    anyone = guard_for({"jwt": {"jwks": str(jwks_file)}}, ring, clock)
    assert anyone.passes(bearer(near)), "no issuer given: any iss"


@pytest.mark.parametrize("name", ["../jwks.json", "keys/../../jwks.json", "/etc/jwks.json"])
def test_a_jwks_file_outside_the_config_folder_is_refused(
    ring: KeyRing, clock: Clock, jwks_file: Path, name: str
) -> None:
    (jwks_file.parent.parent.parent / "jwks.json").write_text(jwks_file.read_text())
    with pytest.raises(ValueError, match=r"^auth\.jwt\.jwks: .* is outside the config's folder"):
        guard_for({"jwt": {"jwks": name}}, ring, clock, base_dir=jwks_file.parent.parent)


def test_a_jwks_file_that_cannot_be_read_names_the_key(
    ring: KeyRing, clock: Clock, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match=r"^auth\.jwt\.jwks: .*missing\.json: cannot use"):
        guard_for({"jwt": {"jwks": "missing.json"}}, ring, clock, base_dir=tmp_path)
    (tmp_path / "empty.json").write_text('{"keys": []}')
    with pytest.raises(ValueError, match="no usable signing key"):
        guard_for({"jwt": {"jwks": "empty.json"}}, ring, clock, base_dir=tmp_path)


# -- basic -------------------------------------------------------------------------------------

SHOP = 'Basic realm="shop", charset="UTF-8"'


def basic_guard(clock: Clock) -> Guard:
    users = {"ada": "secret", "jürgen": "pässwort", "colon": "a:b:c"}
    return guard_for({"basic": {"users": users, "realm": "shop"}}, KeyRing(), clock)


def test_basic_admits_the_right_password(clock: Clock) -> None:
    guard = basic_guard(clock)
    found = admitted(guard.admit(basic("ada", "secret")))
    assert (found.scheme, found.subject, found.scopes) == ("basic", "ada", frozenset())
    assert "secret" not in json.dumps(found.as_dict())
    assert admitted(guard.admit(basic("jürgen", "pässwort"))).subject == "jürgen"
    assert admitted(guard.admit(basic("colon", "a:b:c"))).subject == "colon"
    assert guard.passes(basic("ada", "secret"))


@pytest.mark.parametrize(
    ("sent", "description"),
    [
        (basic("ada", "wrong"), "wrong username or password"),
        (basic("ada", "secre"), "wrong username or password"),
        (basic("bob", "secret"), "wrong username or password"),
        (basic("jürgen", "pässwort".encode().decode("latin-1")), "wrong username or password"),
        (request(("authorization", "Basic !!!")), "malformed Basic credentials"),
        (request(("authorization", "Basic ü")), "malformed Basic credentials"),
        (request(("authorization", "Basic")), "malformed Basic credentials"),
        (
            request(("authorization", "Basic " + base64.b64encode(b"no-colon").decode())),
            "malformed Basic credentials",
        ),
    ],
)
def test_basic_refuses_wrong_or_malformed_credentials(
    clock: Clock, sent: Request, description: str
) -> None:
    guard = basic_guard(clock)
    reply = refusal(guard.admit(sent))
    assert reply.status == 401
    assert reply.body == {"error": "invalid_credentials", "error_description": description}
    assert reply.challenges == [SHOP]
    assert not guard.passes(sent)


def test_basic_without_credentials(clock: Clock) -> None:
    for sent in (request(), request(("authorization", "Bearer abc"))):
        reply = refusal(basic_guard(clock).admit(sent))
        assert reply.status == 401 and reply.challenges == [SHOP]
        assert reply.body["error"] == "unauthorized"
    plain = guard_for({"basic": {"users": {"a": "b"}}}, KeyRing(), clock)
    assert refusal(plain.admit(request())).challenges == [
        'Basic realm="apidouble", charset="UTF-8"'
    ]


# -- api_key -----------------------------------------------------------------------------------

KEYS = {"k1": {"sub": "svc-a", "scope": "read write", "tier": 2}, "k2": None}


@pytest.mark.parametrize(
    ("place", "sent", "challenge"),
    [
        ("header", request(("x-api-key", "k1")), 'ApiKey header="X-Api-Key"'),
        ("query", request(query="api_key=k1&x=1"), 'ApiKey query="api_key"'),
        ("cookie", request(("cookie", "a=1; api_key=k1")), 'ApiKey cookie="api_key"'),
    ],
)
def test_an_api_key_in_its_place(clock: Clock, place: str, sent: Request, challenge: str) -> None:
    name = "X-Api-Key" if place == "header" else "api_key"
    guard = guard_for({"api_key": {place: name, "values": KEYS}}, KeyRing(), clock)
    found = admitted(guard.admit(sent))
    assert (found.scheme, found.subject, found.scopes) == (
        "api_key",
        "svc-a",
        frozenset({"read", "write"}),
    )
    assert found.claims["tier"] == 2
    assert "k1" not in json.dumps(found.as_dict())
    assert guard.passes(sent)
    missing = refusal(guard.admit(request(("authorization", "Bearer k1"))))
    assert missing.status == 401 and missing.challenges == [challenge]
    assert missing.body == {"error": "unauthorized", "error_description": "credentials required"}


def test_an_unknown_api_key_is_refused(clock: Clock) -> None:
    guard = guard_for(
        {"api_key": {"header": "X-Api-Key", "values": ["k1", "k2"]}}, KeyRing(), clock
    )
    assert admitted(guard.admit(request(("X-API-KEY", "k2")))).subject is None
    for wrong in ("k3", "k", "k1 ", "K1"):
        sent = request(("x-api-key", wrong), ("x-api-key", "k1"))  # only the first counts
        reply = refusal(guard.admit(sent))
        assert reply.status == 401 and reply.challenges == ['ApiKey header="X-Api-Key"']
        assert reply.body == {
            "error": "invalid_credentials",
            "error_description": "unknown API key",
        }
        assert not guard.passes(sent)


# -- any_of ------------------------------------------------------------------------------------

EITHER = {"any_of": [STRICT, {"api_key": {"header": "X-Api-Key", "values": ["k1"]}}]}


def test_any_of_admits_by_any_option(ring: KeyRing, clock: Clock, minter: TokenMinter) -> None:
    guard = guard_for(EITHER, ring, clock)
    assert admitted(guard.admit(request(("x-api-key", "k1")))).scheme == "api_key"
    assert admitted(guard.admit(bearer(minter.mint(GOOD)))).scheme == "jwt"
    both = request(("authorization", "Bearer not-a-jwt"), ("x-api-key", "k1"))
    assert admitted(guard.admit(both)).scheme == "api_key"
    assert guard.passes(both) and not guard.passes(request())


def test_any_of_without_credentials_challenges_every_option(ring: KeyRing, clock: Clock) -> None:
    reply = refusal(guard_for(EITHER, ring, clock).admit(request()))
    assert reply.status == 401
    assert reply.challenges == [BEARER, 'ApiKey header="X-Api-Key"']
    assert reply.body == {"error": "unauthorized", "error_description": "credentials required"}


def test_any_of_reports_the_credentials_it_saw(
    ring: KeyRing, clock: Clock, minter: TokenMinter
) -> None:
    guard = guard_for(EITHER, ring, clock)
    reply = refusal(guard.admit(bearer(minter.expired(GOOD))))
    assert reply.status == 401
    assert reply.body == {"error": "invalid_token", "error_description": "token expired"}
    assert reply.challenges == [
        f'{BEARER}, error="invalid_token", error_description="token expired"',
        'ApiKey header="X-Api-Key"',
    ]
    wrong_key = refusal(guard.admit(request(("x-api-key", "nope"))))
    assert wrong_key.body["error_description"] == "unknown API key"
    assert len(wrong_key.challenges) == 2


def test_any_of_answers_a_403_before_anything_else(
    ring: KeyRing, clock: Clock, minter: TokenMinter
) -> None:
    weak = minter.mint({**GOOD, "scope": "write:users"})
    reply = refusal(guard_for(EITHER, ring, clock).admit(bearer(weak)))
    assert reply.status == 403
    assert reply.body == {
        "error": "insufficient_scope",
        "error_description": "missing scope read:users",
    }
    assert len(reply.challenges) == 1 and 'error="insufficient_scope"' in reply.challenges[0]
    malformed = refusal(guard_for(EITHER, ring, clock).admit(request(("authorization", "Bearer"))))
    assert malformed.status == 400 and malformed.body["error"] == "invalid_request"


# -- jwt: an external issuer from a JWKS URL ---------------------------------------------------


@dataclass
class JwksServer:
    """A JWKS document served on 127.0.0.1, changeable by the test, counting its requests."""

    url: str = ""
    document: dict[str, Any] = field(default_factory=dict)
    status: int = 200
    requests: int = 0
    hold: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def jwks_server(ring: KeyRing) -> Iterator[JwksServer]:
    state = JwksServer(document=ring.jwks())
    state.hold.set()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests += 1
            state.hold.wait(10)
            body = json.dumps(state.document).encode()
            self.send_response(state.status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    yield state
    state.hold.set()
    server.shutdown()
    server.server_close()
    thread.join(5)


class Monotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def remote_guard(
    server: JwksServer, ring: KeyRing, clock: Clock, monotonic: Monotonic
) -> tuple[Guard, RemoteJwks]:
    remote = RemoteJwks(server.url, clock=monotonic)
    config = {"jwt": {"jwks": server.url, "issuer": EXTERNAL, "audience": "api"}}
    guard = guard_for(config, ring, clock, remote_jwks={server.url: remote})
    assert guard.remotes == (remote,)
    return guard, remote


def test_a_jwks_url_is_fetched_at_compile_time(
    jwks_server: JwksServer, ring: KeyRing, clock: Clock
) -> None:
    config = {"jwt": {"jwks": jwks_server.url, "issuer": EXTERNAL}}
    guard = guard_for(config, ring, clock)
    (remote,) = guard.remotes
    assert remote.wait(10)
    assert remote.ready and remote.revision == 1 and remote.error is None
    token = TokenMinter(ring, EXTERNAL, clock=clock).mint(GOOD)
    assert admitted(guard.admit(bearer(token))).subject == "alice"
    assert jwks_server.requests == 1
    shared: dict[str, RemoteJwks] = {}
    first = guard_for(config, ring, clock, remote_jwks=shared)
    second = guard_for({"any_of": [config]}, ring, clock, remote_jwks=shared)
    assert first.remotes == second.remotes == (shared[jwks_server.url],)


def test_tokens_wait_for_the_keys_without_blocking(
    jwks_server: JwksServer, ring: KeyRing, clock: Clock
) -> None:
    jwks_server.hold.clear()  # the JWKS server answers only when the test lets it
    monotonic = Monotonic()
    guard, remote = remote_guard(jwks_server, ring, clock, monotonic)
    token = bearer(TokenMinter(ring, EXTERNAL, clock=clock).mint(GOOD))
    started = time.monotonic()
    reply = refusal(guard.admit(token))
    assert time.monotonic() - started < 1.0, "admit must not wait for the fetch"
    assert reply.status == 401
    assert reply.body == {
        "error": "invalid_token",
        "error_description": "signing keys not yet available",
    }
    assert not guard.passes(token) and not remote.ready
    jwks_server.hold.set()
    assert remote.wait(10)
    assert guard.passes(token)


def test_a_failed_fetch_is_retried_on_the_next_unknown_kid(
    jwks_server: JwksServer, ring: KeyRing, clock: Clock
) -> None:
    jwks_server.status = 503
    monotonic = Monotonic()
    guard, remote = remote_guard(jwks_server, ring, clock, monotonic)
    assert remote.wait(10)
    assert not remote.ready and remote.error == "ValueError: HTTP 503"
    token = bearer(TokenMinter(ring, EXTERNAL, clock=clock).mint(GOOD))
    jwks_server.status = 200
    monotonic.now += 5
    assert refusal(guard.admit(token)).body["error_description"] == (
        "signing keys not yet available"
    )
    assert remote.wait(10) and jwks_server.requests == 1, "at most one fetch per 10 s"
    monotonic.now += 5
    guard.admit(token)
    assert remote.wait(10) and jwks_server.requests == 2
    assert remote.ready and remote.error is None
    assert guard.passes(token)


def test_a_key_change_bumps_the_revision(
    jwks_server: JwksServer, ring: KeyRing, clock: Clock
) -> None:
    monotonic = Monotonic()
    guard, remote = remote_guard(jwks_server, ring, clock, monotonic)
    assert remote.wait(10) and remote.revision == 1
    old = bearer(TokenMinter(ring, EXTERNAL, clock=clock).mint(GOOD))
    assert guard.passes(old)

    fresh = KeyRing(("ES256",))
    new = bearer(TokenMinter(fresh, EXTERNAL, clock=clock).mint(GOOD, alg="ES256"))
    jwks_server.document = fresh.jwks()
    monotonic.now += 3
    assert refusal(guard.admit(new)).body["error_description"] == "unknown key id"
    assert remote.wait(10) and jwks_server.requests == 1, "too soon to fetch again"

    monotonic.now += 10
    assert not guard.passes(new)  # the unknown kid asks for a fetch, answered later
    assert remote.wait(10) and jwks_server.requests == 2
    assert remote.revision == 2
    assert guard.passes(new)
    assert refusal(guard.admit(old)).body["error_description"] == "unknown key id"

    monotonic.now += 10
    remote.start()
    assert remote.wait(10) and jwks_server.requests == 3
    assert remote.revision == 2, "the same keys again are no change"


def test_remote_keys_feed_a_verifier_directly(jwks_server: JwksServer, ring: KeyRing) -> None:
    remote = RemoteJwks(jwks_server.url)
    remote.start()
    assert remote.wait(10)
    token = TokenMinter(ring, EXTERNAL).mint(GOOD)
    assert isinstance(Verifier(remote, JwtPolicy(issuer=EXTERNAL)).check(token), Verified)
    assert remote.verification_key("nobody") is None


# -- jwt: the express lane's test of the head as received ------------------------------------


def head_with(*lines: str) -> bytes:
    return ("GET /x HTTP/1.1\r\nHost: a\r\n" + "".join(f"{x}\r\n" for x in lines) + "\r\n").encode()


def test_the_head_test_follows_the_token_each_head_carries(
    ring: KeyRing, clock: Clock, minter: TokenMinter
) -> None:
    guard = guard_for(ADMIN, ring, clock)
    test = guard.head_test
    assert test is not None
    good = minter.mint(GOOD)
    other = minter.mint({**GOOD, "role": ["dev"]})  # verifies, but is not an admin
    assert test(head_with(f"Authorization: Bearer {good}"))
    assert test(head_with(f"Authorization: Bearer {good}"))  # the remembered token
    assert not test(head_with(f"Authorization: Bearer {other}"))
    assert test(head_with(f"Authorization: Bearer {good}"))
    assert not test(head_with(f"Authorization: Bearer {good[:20]} {good[20:]}"))
    assert not test(head_with("authorization: basic x", f"Authorization: Bearer {good}"))
    assert not test(head_with("Authorization: Bearer "))
    clock.now += 7200
    assert not test(head_with(f"Authorization: Bearer {good}"))  # expired meanwhile
