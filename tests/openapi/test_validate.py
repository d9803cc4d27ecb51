"""Request validation against an OpenAPI operation: parameters by style/explode, coercion,
each location, bodies, security, Prism's answers, and the bound on hostile patterns."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from apidouble.model import Request
from apidouble.openapi import params as p
from apidouble.openapi import problems, regexbound
from apidouble.openapi.model import Operation, Parameter, RequestBody
from apidouble.openapi.validate import (
    RequestParts,
    Validation,
    Violation,
    compile_operation,
    validate_request,
)

INT_ARRAY = {"type": "array", "items": {"type": "integer"}}
OBJ = {"type": "object", "properties": {"R": {"type": "integer"}, "G": {"type": "integer"}}}


def param(name: str, where: Any, schema: Any = None, **kw: Any) -> Parameter:
    style = kw.pop("style", {"path": "simple", "header": "simple"}.get(where, "form"))
    explode = kw.pop("explode", style == "form")
    return Parameter(name, where, schema=schema, style=style, explode=explode, **kw)


# --- the OpenAPI style/explode table, row by row -----------------------------------------
# (style, explode, schema, raw as serialised, value) from the OpenAPI 3 "Style Examples"
# table; color = blue / [blue, black, brown] / {R: 100, G: 200} (integers here).

PATH_ROWS = [
    ("simple", False, {"type": "string"}, "blue", "blue"),
    ("simple", True, {"type": "string"}, "blue", "blue"),
    ("simple", False, INT_ARRAY, "3,4,5", [3, 4, 5]),
    ("simple", True, INT_ARRAY, "3,4,5", [3, 4, 5]),
    ("simple", False, OBJ, "R,100,G,200", {"R": 100, "G": 200}),
    ("simple", True, OBJ, "R=100,G=200", {"R": 100, "G": 200}),
    ("label", False, {"type": "string"}, ".blue", "blue"),
    ("label", True, {"type": "string"}, ".blue", "blue"),
    ("label", False, INT_ARRAY, ".3,4,5", [3, 4, 5]),
    ("label", True, INT_ARRAY, ".3.4.5", [3, 4, 5]),
    ("label", False, OBJ, ".R,100,G,200", {"R": 100, "G": 200}),
    ("label", True, OBJ, ".R=100.G=200", {"R": 100, "G": 200}),
    ("matrix", False, {"type": "string"}, ";color=blue", "blue"),
    ("matrix", True, {"type": "string"}, ";color=blue", "blue"),
    ("matrix", False, INT_ARRAY, ";color=3,4,5", [3, 4, 5]),
    ("matrix", True, INT_ARRAY, ";color=3;color=4;color=5", [3, 4, 5]),
    ("matrix", False, OBJ, ";color=R,100,G,200", {"R": 100, "G": 200}),
    ("matrix", True, OBJ, ";R=100;G=200", {"R": 100, "G": 200}),
]


@pytest.mark.parametrize(("style", "explode", "schema", "raw", "value"), PATH_ROWS)
def test_path_styles(style: str, explode: bool, schema: Any, raw: str, value: Any) -> None:
    spec = param("color", "path", schema, style=style, explode=explode)
    assert p.coerce(p.deserialize(spec, raw), schema) == value


QUERY_ROWS = [
    ("form", False, {"type": "string"}, "color=blue", "blue"),
    ("form", True, {"type": "string"}, "color=blue", "blue"),
    ("form", False, INT_ARRAY, "color=3,4,5", [3, 4, 5]),
    ("form", True, INT_ARRAY, "color=3&color=4&color=5", [3, 4, 5]),
    ("form", False, OBJ, "color=R,100,G,200", {"R": 100, "G": 200}),
    ("form", True, OBJ, "R=100&G=200", {"R": 100, "G": 200}),
    ("spaceDelimited", False, INT_ARRAY, "color=3%204%205", [3, 4, 5]),
    ("spaceDelimited", True, INT_ARRAY, "color=3&color=4&color=5", [3, 4, 5]),
    ("pipeDelimited", False, INT_ARRAY, "color=3|4|5", [3, 4, 5]),
    ("pipeDelimited", True, INT_ARRAY, "color=3&color=4&color=5", [3, 4, 5]),
    ("deepObject", True, OBJ, "color%5BR%5D=100&color%5BG%5D=200", {"R": 100, "G": 200}),
]


def _query(spec: Parameter, query: str) -> Any:
    pairs = p.query_pairs(query)
    by_name: dict[str, list[str]] = {}
    for name, value in pairs:
        by_name.setdefault(name.lower(), []).append(value)
    return p.deserialize_query(spec, pairs, by_name)


@pytest.mark.parametrize(("style", "explode", "schema", "raw", "value"), QUERY_ROWS)
def test_query_styles(style: str, explode: bool, schema: Any, raw: str, value: Any) -> None:
    spec = param("color", "query", schema, style=style, explode=explode)
    assert p.coerce(_query(spec, raw), schema) == value


def test_query_extras() -> None:
    """Absent is MISSING (not None); a lone ``a=1,2`` splits as Prism splits it; names
    match without regard to case; nested deepObject keys and arrays."""
    assert _query(param("a", "query", {"type": "string"}), "b=1") is p.MISSING
    assert _query(param("a", "query", INT_ARRAY), "a=1,2") == ["1", "2"]
    assert _query(param("Limit", "query", {"type": "integer"}), "limit=4") == "4"
    assert _query(param("a", "query", {"type": "string"}), "a=1&a=2") == ["1", "2"]
    deep = param("f", "query", {"type": "object"}, style="deepObject", explode=True)
    assert _query(deep, "f[a][b]=1&f[c][0]=x&f[c][1]=y") == {"a": {"b": "1"}, "c": ["x", "y"]}
    assert _query(deep, "g[a]=1") is p.MISSING


@pytest.mark.parametrize(
    ("explode", "schema", "lines", "value"),
    [
        (False, {"type": "string"}, ["blue"], "blue"),
        (False, INT_ARRAY, ["3, 4", "5"], [3, 4, 5]),
        (False, OBJ, ["R,100,G,200"], {"R": 100, "G": 200}),
        (True, OBJ, ["R=100,G=200"], {"R": 100, "G": 200}),
    ],
)
def test_header_simple(explode: bool, schema: Any, lines: list[str], value: Any) -> None:
    spec = param("X-Color", "header", schema, explode=explode)
    assert p.coerce(p.deserialize(spec, lines), schema) == value


@pytest.mark.parametrize(
    ("explode", "schema", "raw", "value"),
    [
        (True, {"type": "string"}, "blue", "blue"),
        (False, INT_ARRAY, "3,4,5", [3, 4, 5]),
        (False, OBJ, "R,100,G,200", {"R": 100, "G": 200}),
    ],
)
def test_cookie_form(explode: bool, schema: Any, raw: str, value: Any) -> None:
    spec = param("color", "cookie", schema, explode=explode)
    assert p.coerce(p.deserialize(spec, raw), schema) == value


def test_content_form_and_percent_decoding() -> None:
    """A ``content`` parameter holds JSON; path values are percent-decoded after the
    split, so an encoded comma stays inside its item."""
    spec = Parameter("f", "query", content={"application/json": _media({"type": "object"})})
    assert p.deserialize_content(spec, '{"a": 1}') == {"a": 1}
    assert p.deserialize_content(spec, "{bad") == "{bad"
    arr = param("ids", "path", {"type": "array", "items": {"type": "string"}})
    assert p.deserialize(arr, "a%2Cb,c%20d") == ["a,b", "c d"]


@pytest.mark.parametrize(
    ("value", "schema", "coerced"),
    [
        ("1", {"type": "integer"}, 1),
        ("1.5", {"type": "integer"}, "1.5"),
        ("1.5", {"type": "number"}, 1.5),
        ("1e3", {"type": "number"}, 1000),
        ("x", {"type": "number"}, "x"),
        ("true", {"type": "boolean"}, True),
        ("yes", {"type": "boolean"}, "yes"),
        ("", {"type": ["integer", "null"]}, None),
        ("7", {"type": "string"}, "7"),
        ("7", {"type": ["string", "integer"]}, "7"),
        ("7", {"allOf": [{"type": "integer"}]}, 7),
        (["1", "x"], INT_ARRAY, [1, "x"]),
        (
            {"R": "1", "z": "2"},
            {**OBJ, "additionalProperties": {"type": "integer"}},
            {"R": 1, "z": 2},
        ),
    ],
)
def test_coercion(value: Any, schema: Any, coerced: Any) -> None:
    assert p.coerce(value, schema) == coerced


# --- whole requests ------------------------------------------------------------------


@dataclass(frozen=True)
class _Media:
    """A media type with ``encoding`` (the model's MediaType does not carry it yet)."""

    name: str = "application/json"
    schema: Any = None
    encoding: dict[str, Any] = field(default_factory=dict)


def _media(schema: Any, name: str = "application/json", **kw: Any) -> Any:
    return _Media(name, schema, **kw)


def _op(*params: Parameter, body: RequestBody | None = None, **kw: Any) -> Operation:
    return Operation("POST", "/x", parameters=params, request_body=body, **kw)


def _parts(
    query: str = "",
    headers: list[tuple[str, str]] | None = None,
    body: bytes = b"",
    path: dict[str, str] | None = None,
) -> RequestParts:
    return RequestParts("POST", path or {}, query, headers or [], body)


def _locations(validation: Validation) -> list[tuple[tuple[str, ...] | None, Any, str]]:
    return [(v.location, v.code, v.message) for v in validation.violations]


def test_each_location_named_as_prism_names_it() -> None:
    op = _op(
        param("id", "path", {"type": "integer"}, required=True),
        param("Limit", "query", {"type": "integer", "maximum": 10}, required=True),
        param("tags", "query", INT_ARRAY),
        param("X-Id", "header", {"type": "string", "format": "uuid"}, required=True),
        param("sess", "cookie", {"type": "string", "minLength": 3}, required=True),
    )
    got = validate_request(
        op,
        _parts("limit=11&tags=1,b", [("x-id", "nope"), ("Cookie", "sess=ab")], path={"id": "x"}),
    )
    assert _locations(got) == [
        (("header", "x-id"), "format", 'Request header parameter x-id must match format "uuid"'),
        (("query", "limit"), "maximum", "Request query parameter limit must be <= 10"),
        (("query", "tags", "1"), "type", "Request query parameter tags.1 must be integer"),
        (("path", "id"), "type", "Request path parameter id must be integer"),
        (
            ("cookie", "sess"),
            "minLength",
            "Request cookie parameter sess must NOT have fewer than 3 characters",
        ),
    ]
    missing = validate_request(op, _parts(path={"id": "1"}))
    assert _locations(missing) == [
        (("header",), "required", "Request header must have required property 'x-id'"),
        (("query",), "required", "Request query must have required property 'limit'"),
        (("cookie",), "required", "Request cookie must have required property 'sess'"),
    ]
    fine = validate_request(
        op,
        _parts(
            "Limit=3&tags=1&tags=2",
            [("X-ID", "6a2f41a3-c54c-fce8-32d2-0324e1c32e22"), ("cookie", "sess=abc")],
            path={"id": "7"},
        ),
    )
    assert fine.ok and fine.violations == ()


def test_cookies_can_be_left_unchecked_as_prism_does() -> None:
    op = _op(param("sess", "cookie", {"type": "string"}, required=True))
    assert not validate_request(op, _parts()).ok
    assert validate_request(compile_operation(op, validate_cookies=False), _parts()).ok


def test_content_parameter_checked_as_json() -> None:
    spec = Parameter(
        "f",
        "query",
        content={
            "application/json": _media({"type": "object", "properties": {"x": {"type": "integer"}}})
        },
    )
    got = validate_request(_op(spec), _parts('f={"x":"s"}'))
    assert _locations(got) == [
        (("query", "f", "x"), "type", "Request query parameter f.x must be integer")
    ]


def test_deprecated_parameter_is_a_warning() -> None:
    op = _op(param("old", "query", {"type": "string"}, deprecated=True))
    got = validate_request(op, _parts("old=1"))
    assert got.ok
    assert got.violations == (
        Violation(("query", "old"), "Query param old is deprecated", "deprecated", "Warning"),
    )
    assert validate_request(op, _parts()).violations == ()


def test_dialect_30_nullable_and_exclusive_bounds() -> None:
    schema = {"type": "integer", "nullable": True, "minimum": 100, "exclusiveMinimum": True}
    op = _op(param("n", "query", schema))
    assert _locations(validate_request(op, _parts("n=100"))) == [
        (("query", "n"), "exclusiveMinimum", "Request query parameter n must be > 100")
    ]
    assert validate_request(op, _parts("n=")).ok
    assert validate_request(op, _parts("n=101")).ok
    text = validate_request(op, _parts("n=x")).violations[0].message
    assert text == "Request query parameter n must be integer,null"


def test_dialect_31_is_2020_12() -> None:
    op = _op(param("n", "query", {"type": ["integer", "null"], "exclusiveMinimum": 5}))
    assert not validate_request(op, _parts("n=5"), dialect="3.1").ok
    assert validate_request(op, _parts("n=6"), dialect="3.1").ok


@pytest.mark.parametrize(
    ("fmt", "good", "bad"),
    [
        ("email", "a@b.io", "nope"),
        ("uuid", "6a2f41a3-c54c-fce8-32d2-0324e1c32e22", "6a2f"),
        ("date", "2020-02-29", "2021-02-29"),
        ("date-time", "2020-01-01T10:00:00Z", "2020-01-01T10:00:00"),
        ("time", "10:00:00Z", "25:00:00"),
        ("ipv4", "1.2.3.4", "1.2.3"),
        ("ipv6", "::1", "zz"),
        ("uri", "http://x/y", "/relative"),
        ("uri-reference", "/relative", "a b"),
        ("hostname", "a.b", "-bad-"),
        ("byte", "YQ==", "@@"),
    ],
)
def test_formats_prism_enforces(fmt: str, good: str, bad: str) -> None:
    op = _op(param("v", "query", {"type": "string", "format": fmt}))
    assert validate_request(op, _parts(f"v={good}")).ok
    codes = [v.code for v in validate_request(op, _parts(f"v={bad}")).violations]
    assert "format" in codes


def test_unknown_format_and_int32_range() -> None:
    assert validate_request(
        _op(param("v", "query", {"type": "string", "format": "wat"})), _parts("v=x")
    ).ok
    op = _op(param("v", "query", {"type": "integer", "format": "int32"}))
    assert [v.code for v in validate_request(op, _parts("v=99999999999")).violations] == [
        "maximum",
        "format",
    ]


# --- bodies -----------------------------------------------------------------------------

PET = {
    "type": "object",
    "required": ["id", "name"],
    "properties": {
        "id": {"type": "integer", "readOnly": True},
        "name": {"type": "string"},
        "status": {"type": "string", "enum": ["open", "close"]},
        "sub": {
            "type": "object",
            "properties": {"z": {"type": "integer"}},
            "additionalProperties": False,
        },
    },
}


def _json_body(required: bool = True) -> RequestBody:
    return RequestBody(required, {"application/json": _media(PET)})


def test_json_body_errors_in_prism_order_and_words() -> None:
    body = json.dumps({"status": "x", "sub": {"z": "q", "w": 1}}).encode()
    got = validate_request(
        _op(body=_json_body()), _parts(headers=[("Content-Type", "application/json")], body=body)
    )
    assert _locations(got) == [
        (("body",), "required", "Request body must have required property 'name'"),
        (
            ("body", "status"),
            "enum",
            "Request body property status must be equal to one of the allowed values: open, close",
        ),
        (
            ("body", "sub"),
            "additionalProperties",
            "Request body property sub must NOT have additional properties; found 'w'",
        ),
        (("body", "sub", "z"), "type", "Request body property sub.z must be integer"),
    ]
    assert got.violations[0].bare == "must have required property 'name'"


def test_json_body_types_and_empties() -> None:
    op = _op(body=_json_body())
    ok = b'{"name": "x"}'  # readOnly "id" is not required in a request
    assert validate_request(
        op, _parts(headers=[("content-type", "application/json; charset=utf-8")], body=ok)
    ).ok
    assert validate_request(
        op, _parts(headers=[("content-type", "application/vnd.pet+json")], body=ok)
    ).ok
    assert _locations(validate_request(op, _parts())) == [
        (None, "required", "Body parameter is required")
    ]
    assert validate_request(_op(body=_json_body(False)), _parts()).ok
    bad = validate_request(op, _parts(headers=[("content-type", "application/json")], body=b"{bad"))
    assert [v.code for v in bad.violations] == [400]
    assert problems.violation_answer(bad) == problems.invalid_json()


def test_unsupported_media_type_is_415() -> None:
    got = validate_request(
        _op(body=_json_body()), _parts(headers=[("content-type", "text/plain")], body=b"hi")
    )
    assert _locations(got) == [(None, 415, "Supported content types: application/json")]
    status, headers, body = problems.violation_answer(got)
    assert (status, headers) == (415, [("content-type", "application/problem+json")])
    assert json.loads(body) == {
        "type": "https://stoplight.io/prism/errors#INVALID_CONTENT_TYPE",
        "title": "Invalid content type",
        "status": 415,
        "detail": "Supported content types: application/json",
    }
    none = validate_request(_op(), _parts(headers=[("content-type", "text/plain")], body=b"x"))
    assert [v.code for v in none.violations] == [415]
    assert problems.expected_statuses(none) == (415, 422, 400)


FORM = {
    "type": "object",
    "required": ["id"],
    "properties": {
        "id": {"type": "integer", "minimum": 100, "exclusiveMinimum": True},
        "tags": INT_ARRAY,
        "reserved": {"type": "string"},
    },
}


def test_urlencoded_body_coerced() -> None:
    op = _op(body=RequestBody(True, {"application/x-www-form-urlencoded": _media(FORM)}))
    form = [("content-type", "application/x-www-form-urlencoded")]
    assert validate_request(op, _parts(headers=form, body=b"id=101&tags=1&tags=2&other=zz")).ok
    got = validate_request(op, _parts(headers=form, body=b"id=100&tags=1&tags=b"))
    assert _locations(got) == [
        (("body", "id"), "exclusiveMinimum", "Request body property id must be > 100"),
        (("body", "tags", "1"), "type", "Request body property tags.1 must be integer"),
    ]


def test_form_encoding_allow_reserved() -> None:
    strict = _media(
        FORM, "application/x-www-form-urlencoded", encoding={"reserved": {"allowReserved": False}}
    )
    loose = _media(
        FORM, "application/x-www-form-urlencoded", encoding={"reserved": {"allowReserved": True}}
    )
    form = [("content-type", "application/x-www-form-urlencoded")]
    raw = b"id=101&reserved=:/?#[]@!$"
    got = validate_request(
        _op(body=RequestBody(True, {"application/x-www-form-urlencoded": strict})),
        _parts(headers=form, body=raw),
    )
    assert _locations(got) == [
        (("body", "reserved"), None, "Reserved characters used in request body")
    ]
    assert validate_request(
        _op(body=RequestBody(True, {"application/x-www-form-urlencoded": loose})),
        _parts(headers=form, body=raw),
    ).ok
    encoded = b"id=101&reserved=%3A%2F"
    assert validate_request(
        _op(body=RequestBody(True, {"application/x-www-form-urlencoded": strict})),
        _parts(headers=form, body=encoded),
    ).ok


def test_multipart_body() -> None:
    op = _op(body=RequestBody(True, {"multipart/form-data": _media(FORM, "multipart/form-data")}))
    body = (
        b'--XX\r\nContent-Disposition: form-data; name="id"\r\n\r\n100\r\n'
        b'--XX\r\nContent-Disposition: form-data; name="tags"\r\n\r\n1\r\n'
        b'--XX\r\nContent-Disposition: form-data; name="tags"\r\n\r\n2\r\n--XX--\r\n'
    )
    got = validate_request(
        op, _parts(headers=[("content-type", "multipart/form-data; boundary=XX")], body=body)
    )
    assert _locations(got) == [
        (("body", "id"), "exclusiveMinimum", "Request body property id must be > 100")
    ]
    nob = validate_request(op, _parts(headers=[("content-type", "multipart/form-data")], body=body))
    assert [v.code for v in nob.violations] == [415]
    assert nob.violations[0].message.startswith(
        "Boundary parameter for multipart/form-data is not defined"
    )


def test_multipart_field_may_hold_reserved_characters() -> None:
    """``allowReserved`` is about percent-encoding, which a multipart field does not use:
    a JSON part (commas, brackets) is valid there (schemathesis found it)."""
    media = _media(FORM, "multipart/form-data", encoding={"reserved": {"allowReserved": False}})
    op = _op(body=RequestBody(True, {"multipart/form-data": media}))
    body = (
        b'--XX\r\nContent-Disposition: form-data; name="id"\r\n\r\n101\r\n'
        b'--XX\r\nContent-Disposition: form-data; name="reserved"\r\n\r\n{"a": [1, 2]}\r\n'
        b"--XX--\r\n"
    )
    got = validate_request(
        op, _parts(headers=[("content-type", "multipart/form-data; boundary=XX")], body=body)
    )
    assert got.ok, got.violations


def test_a_body_neither_json_nor_a_form_is_checked_only_as_text() -> None:
    """An XML body cannot be read as the object its schema describes: it is not refused
    for not being one (it was a 422 "must be object"); a text schema still checks it."""
    xml = _op(body=RequestBody(True, {"application/xml": _media(PET, "application/xml")}))
    headers = [("content-type", "application/xml")]
    assert validate_request(xml, _parts(headers=headers, body=b"<Pet><name>x</name></Pet>")).ok
    text = {"type": "string", "maxLength": 2}
    plain = _op(body=RequestBody(True, {"text/plain": _media(text, "text/plain")}))
    got = validate_request(plain, _parts(headers=[("content-type", "text/plain")], body=b"abc"))
    assert _locations(got) == [
        (("body",), "maxLength", "Request body must NOT have more than 2 characters")
    ]


# --- security ---------------------------------------------------------------------------

SCHEMES = {
    "B": {"type": "http", "scheme": "basic"},
    "Be": {"type": "http", "scheme": "bearer"},
    "D": {"type": "http", "scheme": "digest"},
    "K": {"type": "apiKey", "in": "header", "name": "X-Key"},
    "Q": {"type": "apiKey", "in": "query", "name": "key"},
    "C": {"type": "apiKey", "in": "cookie", "name": "ck"},
    "O": {"type": "oauth2", "flows": {}},
    "OI": {"type": "openIdConnect", "openIdConnectUrl": "/x"},
    "M": {"type": "mutualTLS"},
}
BASIC = 'Basic realm="*"'
DIGEST = 'Digest realm="*", nonce="abc123"'
GOOD_DIGEST = 'Digest username="a", realm="r", nonce="n", uri="d", response="x"'
SLASHED_DIGEST = GOOD_DIGEST.replace('uri="d"', 'uri="/d"')  # Prism refuses it, so do we


def _security(
    requirements: Any, headers: list[tuple[str, str]] | None = None, query: str = ""
) -> tuple[bool, tuple[str, ...]]:
    op = _op(security=tuple(requirements))
    verdict = validate_request(op, _parts(query, headers), security_schemes=SCHEMES).security
    return verdict.granted, verdict.challenges


@pytest.mark.parametrize(
    ("requirements", "headers", "query", "granted", "challenges"),
    [
        ([{"B": ()}], [], "", False, (BASIC,)),
        ([{"B": ()}], [("Authorization", "Basic dGVzdDp0ZXN0")], "", True, ()),
        ([{"B": ()}], [("Authorization", "basic dGVzdDp0ZXN0")], "", True, ()),
        ([{"B": ()}], [("Authorization", "Basic abc123")], "", False, ()),
        ([{"B": ()}], [("Authorization", "Bearer x")], "", False, (BASIC,)),
        ([{"Be": ()}], [("Authorization", "Bearer abc")], "", True, ()),
        ([{"Be": ()}], [("Authorization", "bearer abc")], "", False, ("Bearer",)),
        ([{"Be": ()}], [("Authorization", "Bearer")], "", False, ("Bearer",)),
        ([{"O": ("read",)}], [("Authorization", "Bearer t")], "", True, ()),
        ([{"O": ("read",)}], [], "", False, ("OAuth2",)),
        ([{"OI": ()}], [], "", False, ("OpenID",)),
        ([{"D": ()}], [], "", False, (DIGEST,)),
        ([{"D": ()}], [("Authorization", GOOD_DIGEST)], "", True, ()),
        ([{"D": ()}], [("Authorization", "Digest foo")], "", False, ()),
        ([{"D": ()}], [("Authorization", SLASHED_DIGEST)], "", False, ()),
        ([{"K": ()}], [("x-key", "k")], "", True, ()),
        ([{"K": ()}], [], "", False, ()),
        ([{"Q": ()}], [], "key=v", True, ()),
        ([{"Q": ()}], [], "key=", False, ()),
        ([{"C": ()}], [("Cookie", "a=1; ck=2")], "", True, ()),
        ([{"C": ()}], [("Cookie", "ck=")], "", False, ()),
        # alternatives OR, schemes of one requirement AND; challenges of every failure
        ([{"B": ()}, {"K": (), "O": ()}], [], "", False, (BASIC, "OAuth2")),
        ([{"B": ()}, {"K": (), "O": ()}], [("X-Key", "a")], "", False, (BASIC, "OAuth2")),
        ([{"B": ()}, {"K": (), "Q": ()}], [("X-Key", "a")], "key=1", True, ()),
        ([{"O": (), "B": ()}], [], "", False, ("OAuth2", BASIC)),
        ([{"B": ()}, {}], [], "", True, ()),  # an empty requirement: anonymous allowed
        ([{"B": ()}, {}], [("Authorization", "Basic abc123")], "", False, ()),
        ([{"M": ()}], [], "", True, ()),  # schemes Prism does not check pass
        ([{"nope": ()}], [], "", True, ()),
    ],
)
def test_security(
    requirements: Any,
    headers: list[tuple[str, str]],
    query: str,
    granted: bool,
    challenges: tuple[str, ...],
) -> None:
    assert _security(requirements, headers, query) == (granted, challenges)


def test_no_security_and_opt_out() -> None:
    assert compile_operation(_op(security=None)).security is None
    assert compile_operation(_op(security=())).security is None
    assert validate_request(_op(security=()), _parts()).ok


# --- Prism's answers -------------------------------------------------------------------


def test_unauthorized_answer() -> None:
    status, headers, body = problems.unauthorized([BASIC, "OAuth2"])
    assert status == 401
    assert headers == [
        ("content-type", "application/problem+json"),
        ("WWW-Authenticate", 'Basic realm="*",OAuth2'),
    ]
    assert body == (
        b'{"type":"https://stoplight.io/prism/errors#UNAUTHORIZED",'
        b'"title":"Invalid security scheme used","status":401,'
        b'"detail":"Your request does not fullfil the security requirements and no HTTP'
        b" unauthorized response was found in the spec,"
        b' so Prism is generating this error for you.",'
        b'"headers":{"WWW-Authenticate":"Basic realm=\\"*\\",OAuth2"}}'
    )
    assert b"headers" not in problems.unauthorized([])[2]
    assert problems.unauthorized([])[1] == [("content-type", "application/problem+json")]


def test_unprocessable_and_header() -> None:
    op = _op(param("age", "query", {"type": "integer"}, required=True), body=_json_body())
    got = validate_request(op, _parts(headers=[("content-type", "application/json")], body=b"{}"))
    status, headers, body = problems.violation_answer(got)
    assert (status, headers) == (422, [("content-type", "application/problem+json")])
    assert json.loads(body)["validation"] == [
        {
            "location": ["body"],
            "severity": "Error",
            "code": "required",
            "message": "Request body must have required property 'name'",
        },
        {
            "location": ["query"],
            "severity": "Error",
            "code": "required",
            "message": "Request query must have required property 'age'",
        },
    ]
    assert problems.expected_statuses(got) == (422, 400)
    assert json.loads(problems.violations_header(got) or "") == [
        {
            "location": ["request", "body"],
            "severity": "Error",
            "code": "required",
            "message": "must have required property 'name'",
        },
        {
            "location": ["request", "query"],
            "severity": "Error",
            "code": "required",
            "message": "must have required property 'age'",
        },
    ]
    whole = json.loads(problems.violations_header(got, bare=False) or "")
    assert whole[0]["message"] == "Request body must have required property 'name'"
    assert problems.violations_header(Validation()) is None


def test_security_comes_first() -> None:
    op = _op(param("age", "query", {"type": "integer"}, required=True), security=({"K": ()},))
    got = validate_request(op, _parts(), security_schemes=SCHEMES)
    assert problems.expected_statuses(got) == (401,)
    assert problems.violation_answer(got)[0] == 401
    assert json.loads(problems.violations_header(got) or "")[0] == {
        "location": ["request"],
        "severity": "Error",
        "code": 401,
        "message": "Invalid security scheme used",
    }


def test_route_and_negotiation_answers() -> None:
    assert json.loads(problems.no_path_matched("/pet/a")[2]) == {
        "type": "https://stoplight.io/prism/errors#NO_PATH_MATCHED_ERROR",
        "title": "Route not resolved, no path matched",
        "status": 404,
        "detail": "The route /pet/a hasn't been found in the specification file",
    }
    status, _, body = problems.method_not_allowed("/pet", "DELETE")
    assert status == 405
    assert (
        json.loads(body)["detail"]
        == 'The route /pet has been matched, but it does not have "delete" method defined'
    )
    status, _, body = problems.not_acceptable(["application/xml", "text/csv"])
    assert (status, json.loads(body)["detail"]) == (
        406,
        "Unable to find content for application/xml,text/csv",
    )


# --- the request record, compile once, bounded patterns -----------------------------------


def test_parts_from_transport_request() -> None:
    request = Request(
        "POST",
        "/x/7",
        "limit=3",
        (("Content-Type", "application/json"), ("Cookie", "sess=abc")),
        b'{"name": "n"}',
    )
    parts = RequestParts.from_request(request, {"id": "7"})
    assert parts.content_type == "application/json"
    assert parts.cookies == {"sess": "abc"}
    assert parts.query == [("limit", "3")]
    op = _op(param("id", "path", {"type": "integer"}, required=True), body=_json_body())
    assert validate_request(op, parts).ok


def test_compiled_once_per_operation(monkeypatch: pytest.MonkeyPatch) -> None:
    from apidouble.openapi import validate

    op = _op(param("a", "query", {"type": "integer"}))
    validate_request(op, _parts("a=1"))
    calls: list[Operation] = []
    real = validate.compile_operation
    monkeypatch.setattr(
        validate, "compile_operation", lambda o, **kw: calls.append(o) or real(o, **kw)
    )
    validate_request(op, _parts("a=x"))
    assert calls == []
    other = _op(param("a", "query", {"type": "integer"}))
    validate_request(other, _parts("a=1"))
    assert calls == [other]


def test_recursive_schema_is_fine() -> None:
    node: dict[str, Any] = {"type": "object", "properties": {"v": {"type": "integer"}}}
    node["properties"]["next"] = node
    op = _op(body=RequestBody(True, {"application/json": _media(node)}))
    body = json.dumps({"v": 1, "next": {"v": 2, "next": {"v": "x"}}}).encode()
    got = validate_request(op, _parts(headers=[("content-type", "application/json")], body=body))
    assert _locations(got) == [
        (("body", "next", "next", "v"), "type", "Request body property next.next.v must be integer")
    ]


@pytest.mark.parametrize(
    ("pattern", "danger"),
    [
        ("^a+$", False),
        ("^[\\w\\d+\\/=]*$", False),
        ("^(ab)+$", False),
        ("^\\d{3}-\\d{4}$", False),
        ("^(a+)+$", True),
        ("^(a|aa)*$", True),
        ("^(.*a){3,}$", True),
        ("^((ab)*)+$", True),
        ("(x)\\1", True),
    ],
)
def test_risky_patterns_recognised(pattern: str, danger: bool) -> None:
    assert regexbound.risky(pattern) is danger


@pytest.mark.timeout(60)
def test_hostile_pattern_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """``^(a+)+$`` on 40 a's and a ``!`` backtracks for ages in ``re``; the check gives
    up after its bound (the value counts as not matching) and the next check works."""
    op = _op(param("v", "query", {"type": "string", "pattern": "^(a+)+$"}))
    got = validate_request(op, _parts("v=" + "a" * 40 + "!"))
    assert [v.code for v in got.violations] == ["pattern"]
    assert regexbound.bounded_search("^(a|aa)*$", "a" * 50 + "b", timeout=0.05) is False
    # The bounded engine's own answers (a generous bound: a loaded machine cannot flake them):
    monkeypatch.setattr(regexbound, "PATTERN_TIMEOUT", 10.0)
    assert validate_request(op, _parts("v=aaaa")).ok
    assert not validate_request(op, _parts("v=b")).ok
