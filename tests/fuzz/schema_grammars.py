"""GraphQL SDL and ``.proto`` sources, drawn from small grammars of each and mutated.

The grammars follow the languages' real shapes (so the parsers get past the first token
and the builders do the work) and put hostile parts where parts go: unknown and
introspection-like type names, cycles, deep list wrappers, huge names, duplicates,
out-of-range numbers, imports that leave the folder. Text mutations then break the
syntax: truncation, stray characters, NULs, a BOM, invalid UTF-8, 10,000 fields.
Each source is bytes, written as it is, for ``test_schemas.py``.
"""

from __future__ import annotations

from typing import TypeVar

from hypothesis import strategies as st

__all__ = ["OUTSIDE", "Source", "proto_sources", "sdl_sources"]

Source = tuple[bytes, str]
"""The file's bytes, and what was done to them (noted as a Hypothesis event)."""

OUTSIDE = "{OUTSIDE}"
"""Stands for the absolute path of a ``.proto`` outside the config's folder; the test
puts the real path in before it writes the file."""

HUGE_NAME = "N" * 100_000
T = TypeVar("T")


def mostly(
    common: st.SearchStrategy[T], rare: st.SearchStrategy[T], odds: int
) -> st.SearchStrategy[T]:
    """``common``, and one time in ``odds`` ``rare`` (hostile parts now and then, so that
    most documents get past the parser to the builder)."""
    middle = odds // 2 + 1  # not a bound of the range: Hypothesis favours those
    return st.integers(1, odds).flatmap(lambda roll: rare if roll == middle else common)


# --- GraphQL SDL --------------------------------------------------------------------------

TYPE_NAMES = ["Query", "Mutation", "Subscription", "A", "B", "Node", "E", "U", "In", "Date"]
ODD_TYPE_NAMES = ["__Type", "__Schema", "__Nope", "Nope", "String", "Int", "query", "_", "Ä"]
BUILTINS = ["Int", "Float", "String", "Boolean", "ID"]
FIELD_NAMES = ["a", "b", "id", "name", "node", "__typename", "__schema", "on", "type", "true"]
DIRECTIVE_NAMES = ["deprecated", "specifiedBy", "include", "skip", "oneOf", "d", "e"]
LOCATIONS = [
    "QUERY",
    "FIELD",
    "FIELD_DEFINITION",
    "OBJECT",
    "ARGUMENT_DEFINITION",
    "INPUT_OBJECT",
    "INPUT_FIELD_DEFINITION",
    "ENUM_VALUE",
    "SCALAR",
    "SCHEMA",
    "UNION",
    "INTERFACE",
    "NOWHERE",
]

type_names = mostly(st.sampled_from(TYPE_NAMES), st.sampled_from(ODD_TYPE_NAMES), 12)
field_names = mostly(st.sampled_from(FIELD_NAMES), st.just(HUGE_NAME), 30)
named_refs = st.one_of(st.sampled_from(BUILTINS), type_names)


@st.composite
def type_refs(draw: st.DrawFn) -> str:
    """A type reference: a name in lists and non-nulls, now and then 2,000 lists deep."""
    ref = draw(named_refs)
    depth = draw(mostly(st.integers(0, 2), st.sampled_from([64, 2000]), 100))
    for _ in range(depth):
        ref = f"[{ref}]" + ("!" if draw(st.booleans()) else "")
    return ref + ("!" if not ref.endswith("!") and draw(st.booleans()) else "")


values = mostly(
    st.sampled_from(["1", "-1", "1.5", "true", "null", '"x"', "A", "[]", "{}", "[1, [2]]"]),
    st.sampled_from(["{a: 1}", "{a: {a: {a: 1}}}", "$v", '"""b"""', "1e999", "99999999999"]),
    10,
)
descriptions = mostly(
    st.just(""),
    mostly(
        st.sampled_from(['"one line"', '"""block\n  string"""', '"\\u00e9"', '"""\\"""x"""']),
        st.sampled_from(['"""', '"\\u0000"', '"\\uD800"', '"a\nb"']),
        30,
    ),
    4,
)


@st.composite
def directive_uses(draw: st.DrawFn) -> str:
    uses = []
    for name in draw(st.lists(st.sampled_from(DIRECTIVE_NAMES), max_size=2)):
        arg = draw(st.sampled_from(["", '(reason: "gone")', "(url: 1)", "(a: 1)", "(if: true)"]))
        uses.append(f"@{name}{arg}")
    return " ".join(uses)


@st.composite
def arguments(draw: st.DrawFn) -> str:
    args = []
    for name in draw(st.lists(st.sampled_from(["a", "b", "first", "if"]), max_size=3)):
        default = f" = {draw(values)}" if draw(st.booleans()) else ""
        args.append(
            f"{draw(descriptions)} {name}: {draw(type_refs())}{default} {draw(directive_uses())}"
        )
    return f"({', '.join(args)})" if args else draw(mostly(st.just(""), st.just("()"), 40))


@st.composite
def fields(draw: st.DrawFn, inputs: bool = False) -> str:
    found = []
    for name in draw(st.lists(field_names, min_size=1, max_size=4)):
        args = "" if inputs else draw(arguments())
        default = f" = {draw(values)}" if inputs and draw(st.booleans()) else ""
        typed = f"{name}{args}: {draw(type_refs())}{default}"
        found.append(f"{draw(descriptions)} {typed} {draw(directive_uses())}")
    return "{\n  " + "\n  ".join(found) + "\n}"


@st.composite
def implements(draw: st.DrawFn) -> str:
    names = draw(st.lists(type_names, max_size=3))
    return f"implements {' & '.join(names)}" if names else ""


@st.composite
def definitions(draw: st.DrawFn) -> str:
    kind = draw(
        st.sampled_from(
            ["type", "type", "interface", "union", "enum", "input", "scalar", "directive", "schema"]
        )
    )
    extend = "extend " if draw(st.integers(0, 5)) == 0 else ""
    head = f"{extend}{kind}" if extend else f"{draw(descriptions)}\n{kind}"
    name = draw(type_names)
    uses = draw(directive_uses())
    if kind in ("type", "interface"):
        return f"{head} {name} {draw(implements())} {uses} {draw(fields())}"
    if kind == "input":
        return f"{head} {name} {uses} {draw(fields(inputs=True))}"
    if kind == "union":
        members = draw(st.lists(type_names, min_size=1, max_size=3))
        return f"{head} {name} {uses} = {' | '.join(members)}"
    if kind == "enum":
        odd = st.sampled_from(["true", "null", "A", "V"])
        members = draw(
            st.lists(mostly(st.sampled_from(["V", "W", "X"]), odd, 8), min_size=1, max_size=3)
        )
        return f"{head} {name} {uses} {{ {' '.join(members)} }}"
    if kind == "scalar":
        return f"{head} {name} {uses}"
    if kind == "directive":
        spots = draw(st.lists(st.sampled_from(LOCATIONS), min_size=1, max_size=3))
        repeatable = " repeatable" if draw(st.booleans()) else ""
        directive = draw(st.sampled_from(DIRECTIVE_NAMES))
        return f"{head} @{directive}{draw(arguments())}{repeatable} on {' | '.join(spots)}"
    roots = draw(
        st.lists(st.sampled_from(["query", "mutation", "subscription"]), min_size=1, max_size=3)
    )
    operations = " ".join(f"{root}: {draw(type_names)}" for root in roots)
    return f"{head} {uses} {{ {operations} }}"


@st.composite
def sdl_documents(draw: st.DrawFn) -> str:
    """Definitions, most of the time with a ``Query`` so that some schemas build."""
    parts = draw(st.lists(definitions(), max_size=6))
    if draw(st.integers(0, 3)):
        parts.insert(draw(st.integers(0, len(parts))), f"type Query {draw(fields())}")
    return "\n\n".join(parts) + "\n"


SDL_HOSTILE = [
    # a directive used on its own definition
    "directive @d(a: Int @d) on ARGUMENT_DEFINITION\ntype Query { a: Int }\n",
    "directive @d @d on SCHEMA\ntype Query { a: Int }\n",
    # input cycles of non-null fields, interface cycles
    "input A { b: B! }\ninput B { a: A! }\ntype Query { x(a: A): Int }\n",
    "input A { a: A! }\ntype Query { x(a: A = {a: {a: {}}}): Int }\n",
    "interface I implements J { a: Int }\ninterface J implements I { a: Int }\n"
    "type Query implements I & J { a: Int }\n",
    "interface I implements I { a: Int }\ntype Query implements I { a: Int }\n",
    # introspection-like names
    "type __Type { a: Int }\ntype Query { t: __Type }\n",
    "type Query { __schema: Int, __typename: String }\n",
    "schema { query: __Schema }\ntype Query { a: Int }\n",
    # roots that are not object types, or twice
    "schema { query: In }\ninput In { a: Int }\n",
    "schema { query: Query query: Query }\ntype Query { a: Int }\n",
    "schema { query: Query }\nschema { query: Query }\ntype Query { a: Int }\n",
    "extend schema { mutation: Query }\ntype Query { a: Int }\n",
    "union U = U\ntype Query { u: U }\n",
    "enum E { }\ntype Query { e: E = V }\n",
    'type Query { a(x: Int = "s"): Int }\n',
    "type Query { a: Int @deprecated(reason: 1) }\n",
    "scalar Int\ntype Query { a: Int }\n",
    "extend type Nope { a: Int }\ntype Query { a: Int }\n",
    'type Query { a: String @specifiedBy(url: "x") }\n',
]

STRAYS = ["{", "}", ":", "!", "[", "]", "@", "=", "|", "&", '"', '"""', "#", "\x00", "\ufeff", "\\"]


@st.composite
def _mutated(draw: st.DrawFn, text: str, wide: str, deep: list[str]) -> Source:
    """``text`` as bytes, broken one way or left alone (``wide``: a 10,000-part document;
    ``deep``: nesting thousands deep, both in the file's own language)."""
    how = draw(
        st.sampled_from(
            ["none"] * 12
            + ["truncate", "stray", "delete", "duplicate", "bom", "utf8", "nul", "wide", "deep"]
        )
    )
    if how == "wide":
        text = wide
    elif how == "deep":
        text = draw(st.sampled_from(deep))
    elif how in ("truncate", "stray", "delete", "duplicate", "nul") and text:
        at = draw(st.integers(0, len(text)))
        if how == "truncate":
            text = text[:at]
        elif how == "stray":
            text = text[:at] + draw(st.sampled_from(STRAYS)) + text[at:]
        elif how == "nul":
            text = text[:at] + "\x00" + text[at:]
        else:
            end = draw(st.integers(at, min(len(text), at + 40)))
            text = text[:at] + (text[at:end] * 2 if how == "duplicate" else "") + text[end:]
    data = text.encode("utf-8", errors="surrogatepass")
    if how == "bom":
        data = b"\xef\xbb\xbf" + data
    elif how == "utf8":
        at = draw(st.integers(0, len(data)))
        data = (
            data[:at]
            + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x80"]))
            + data[at:]
        )
    return data, how


WIDE_SDL = "type Query {\n" + "".join(f"  f{i}: Int\n" for i in range(10_000)) + "}\n"
DEEP_SDL = [
    "type Query { a: " + "[" * 2000 + "Int" + "]" * 2000 + " }\n",
    "input In { a: In }\ntype Query { a(x: In = " + "{a: " * 5000 + "1" + "}" * 5000 + "): Int }\n",
    "type Query { a(x: [Int] = " + "[" * 5000 + "1" + "]" * 5000 + "): Int }\n",
]


@st.composite
def sdl_sources(draw: st.DrawFn) -> Source:
    """An SDL document from the grammar (or a known hostile one), then maybe broken."""
    text = draw(mostly(sdl_documents(), st.sampled_from(SDL_HOSTILE), 5))
    return draw(_mutated(text, WIDE_SDL, DEEP_SDL))


# --- .proto (proto3, and some proto2) -----------------------------------------------------

IMPORTS = ["google/protobuf/empty.proto", "google/protobuf/timestamp.proto", "other.proto"]
ODD_IMPORTS = [
    "missing.proto",
    "main.proto",
    "../../etc/passwd",
    "../outside.proto",
    "../../outside.proto",
    "./other.proto",
    "sub//x.proto",
    OUTSIDE,
    "/etc/passwd",
    "",
    "other.proto\x00",
    "google/protobuf/descriptor.proto",
]
MESSAGE_NAMES = ["Req", "Res", "Item", "Empty", "Nope", "google.protobuf.Empty", ".p.Req", "Req.In"]
SCALARS = [
    "int32",
    "int64",
    "uint32",
    "sint64",
    "fixed32",
    "double",
    "float",
    "bool",
    "string",
    "bytes",
]
FIELD_NUMBERS = [1, 2, 3, 15, 16, 0, -1, 19000, 19999, 536870911, 536870912, 2**32]
proto_names = mostly(
    st.sampled_from(["Req", "Res", "Item", "In", "Kind"]),
    st.sampled_from(["_", "a.b", "message", "int32", "É", "Req", HUGE_NAME]),
    12,
)
field_numbers = mostly(st.integers(1, 20), st.sampled_from(FIELD_NUMBERS), 6)
field_types = st.one_of(
    st.sampled_from(SCALARS),
    st.sampled_from(MESSAGE_NAMES),
    mostly(
        st.sampled_from(["Kind", "map<string, Item>", "map<int64, string>"]),
        st.sampled_from(["map<Item, int32>", "map<int32, map<int32, int32>>", "map<float, Req>"]),
        4,
    ),
)
proto_options = st.sampled_from(
    [
        "",
        "",
        "",
        " [deprecated = true]",
        " [packed = true]",
        " [default = 1]",
        ' [json_name = "x"]',
        " [(nope) = 1]",
        " [lazy = true, deprecated = false]",
        ' [default = "s"]',
    ]
)


@st.composite
def proto_fields(draw: st.DrawFn, proto2: bool) -> str:
    kind = draw(field_types)
    labels = ["required", "repeated", "optional"] if proto2 else ["", "", "repeated", "optional"]
    label = "" if kind.startswith("map") else draw(st.sampled_from(labels))
    name = draw(st.sampled_from(["id", "name", "items", "kind", "x", "id"]))
    return f"{label} {kind} {name} = {draw(field_numbers)}{draw(proto_options)};"


@st.composite
def proto_enums(draw: st.DrawFn) -> str:
    values = draw(st.lists(st.sampled_from(["A", "B", "KIND_UNSPECIFIED", "A"]), max_size=3))
    numbers = draw(
        st.lists(st.sampled_from([0, 1, 2, -1, 2**31]), min_size=len(values), max_size=len(values))
    )
    alias = "option allow_alias = true;" if len(set(numbers)) < len(numbers) else ""
    body = " ".join(f"{v} = {n};" for v, n in zip(values, numbers, strict=True))
    return f"enum {draw(proto_names)} {{ {alias} {body} }}"


@st.composite
def proto_messages(draw: st.DrawFn, proto2: bool, depth: int = 0) -> str:
    parts = draw(st.lists(proto_fields(proto2), max_size=4))
    for extra in draw(
        st.lists(
            st.sampled_from(["oneof", "reserved", "nested", "enum", "extensions", "option"]),
            max_size=3,
        )
    ):
        if extra == "oneof":
            parts.append(f"oneof choice {{ string s = {draw(field_numbers)}; Item i = 9; }}")
        elif extra == "reserved":
            parts.append(
                draw(
                    st.sampled_from(
                        [
                            "reserved 2, 15, 9 to 11;",
                            'reserved "name";',
                            "reserved 5 to max;",
                            "reserved 0;",
                        ]
                    )
                )
            )
        elif extra == "nested" and depth < 3:
            parts.append(draw(proto_messages(proto2, depth + 1)))
        elif extra == "enum":
            parts.append(draw(proto_enums()))
        elif extra == "extensions":
            parts.append("extensions 100 to 199;")
        else:
            parts.append(
                draw(
                    st.sampled_from(
                        [
                            "option deprecated = true;",
                            "option message_set_wire_format = true;",
                            "option (x.y) = { a: 1 };",
                        ]
                    )
                )
            )
    return f"message {draw(proto_names)} {{\n  " + "\n  ".join(parts) + "\n}"


@st.composite
def proto_services(draw: st.DrawFn) -> str:
    rpcs = []
    for name in draw(
        st.lists(st.sampled_from(["Get", "List", "Upload", "Talk", "Get"]), max_size=4)
    ):
        ins = draw(st.sampled_from(["", "stream "]))
        outs = draw(st.sampled_from(["", "stream "]))
        request, response = (
            draw(st.sampled_from(MESSAGE_NAMES)),
            draw(st.sampled_from(MESSAGE_NAMES)),
        )
        body = draw(
            st.sampled_from(
                [
                    ";",
                    "{}",
                    "{ option deprecated = true; }",
                    "{ option idempotency_level = NO_SIDE_EFFECTS; }",
                ]
            )
        )
        rpcs.append(f"rpc {name}({ins}{request}) returns ({outs}{response}) {body}")
    return (
        f"service {draw(st.sampled_from(['Svc', 'Svc', 'Req', 'S']))} {{ " + " ".join(rpcs) + " }"
    )


@st.composite
def proto_documents(draw: st.DrawFn) -> str:
    syntax = draw(
        mostly(st.just("proto3"), st.sampled_from(["proto2"] * 3 + ["", "proto4", "editions"]), 6)
    )
    proto2 = syntax == "proto2"
    head = [f'syntax = "{syntax}";'] if syntax else []
    if syntax == "editions":
        head = ['edition = "2023";']
    package = draw(
        mostly(st.sampled_from(["p", "", "a.b.c"]), st.sampled_from(["google.protobuf", "1x"]), 12)
    )
    if package:
        head.append(f"package {package};")
    imports = mostly(st.sampled_from(IMPORTS), st.sampled_from(ODD_IMPORTS), 4)
    for name in draw(st.lists(imports, max_size=3)):
        modifier = draw(st.sampled_from(["", "", "public ", "weak "]))
        head.append(f'import {modifier}"{name}";')
    head.extend(
        draw(
            st.lists(
                st.sampled_from(
                    [
                        'option java_package = "x";',
                        "option optimize_for = SPEED;",
                        "option (nope) = 1;",
                        'option go_package = "x/y";',
                    ]
                ),
                max_size=2,
            )
        )
    )
    body = draw(
        st.lists(
            st.one_of(
                proto_messages(proto2),
                proto_enums(),
                proto_services(),
                st.just("extend Req { optional int32 more = 100; }"),
            ),
            max_size=5,
        )
    )
    if draw(st.integers(0, 2)):  # something to serve, most of the time
        body.append("message Req { int32 id = 1; }\nmessage Res { string name = 1; }")
        body.append(
            "service Svc { rpc Get(Req) returns (Res); rpc List(Req) returns (stream Res); }"
        )
    return "\n".join(head + body) + "\n"


PROTO_HOSTILE = [
    'syntax = "proto3";\nimport "main.proto";\nmessage Req {}\n',
    'syntax = "proto3";\nimport "../../etc/passwd";\nmessage Req {}\n',
    f'syntax = "proto3";\nimport "{OUTSIDE}";\nmessage Req {{ outside.Outside o = 1; }}\n',
    'syntax = "proto3";\nmessage Req { Req self = 1; map<string, Req> all = 2; }\n'
    "service Svc { rpc Get(Req) returns (Req); }\n",
    'syntax = "proto3";\nmessage Req { oneof o { } }\n',
    'syntax = "proto3";\nenum E { A = 1; }\nmessage Req { E e = 1; }\n',
    'syntax = "proto2";\nmessage Req { required int32 a = 1 [default = "x"]; extensions 1 to 5; }'
    "\n",
    'syntax = "proto3";\npackage google.protobuf;\nmessage Empty { int32 a = 1; }\n',
    'syntax = "proto3";\nmessage A { option (a).b.c = { d: [1, {e: 2}] }; }\n',
    'syntax = "proto3";\nservice Svc { rpc Get(stream Svc) returns (stream Svc); }\n',
]

WIDE_PROTO = (
    'syntax = "proto3";\nmessage Req {\n'
    + "".join(f"  int32 f{i} = {i + 1};\n" for i in range(10_000))
    + "}\nservice Svc { rpc Get(Req) returns (Req); }\n"
)
DEEP_PROTO = [
    'syntax = "proto3";\n' + "message M { " * 2000 + "}" * 2000 + "\n",
    'syntax = "proto3";\nimport "google/protobuf/descriptor.proto";\n'
    "extend google.protobuf.MessageOptions { M x = 50000; }\nmessage M { M a = 1; }\n"
    "message Req { option (x) = " + "{a " * 10_000 + "}" * 10_000 + "; }\n",
]
"""The second overflowed protoc's stack and killed the process (see ``test_schemas.py``)."""


@st.composite
def proto_sources(draw: st.DrawFn) -> Source:
    """A ``.proto`` from the grammar (or a known hostile one), then maybe broken."""
    text = draw(mostly(proto_documents(), st.sampled_from(PROTO_HOSTILE), 5))
    return draw(_mutated(text, WIDE_PROTO, DEEP_PROTO))
