"""Documents in the formats apidouble imports, drawn from small grammars of each.

Each grammar follows the format's real shape (so the loader recognises the file and the
importer does the work) and puts hostile values where values go: wrong types, empty
and long text, NULs, template syntax, broken and catastrophic regexes, odd URLs and
paths, out-of-range numbers. One document per example, for ``test_importers.py``.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

__all__ = ["FORMATS", "har_logs", "mockoon_environments", "openapi_documents",
           "postman_collections", "wiremock_mappings"]  # fmt: skip

Doc = st.SearchStrategy[dict[str, Any]]

ODD_TEXT = [
    "", " ", "x", "\x00", "a" * 300, "{{", "}}", "{{request.path}}", "{{#each}}", "{% if %}",
    "{{ 9 ** 9 ** 9 }}", "${VAR}", "(a+)+$", "[", "*", "\\", "%zz", "é", "\ud83d\ude00",
    "null", "true", "0", "-1", "1e309", "<x/>", '{"a": 1}', "$.a", "$[?(@.a =~ /[/)]",
]  # fmt: skip
texts = st.one_of(st.sampled_from(ODD_TEXT), st.text(max_size=12))
PATHS = [
    "/", "/a", "/a/b", "/users/{id}", "/users/:id", "/users/*", "/a/**", "//", "/a b",
    "/%zz", "/a?b=1", "a", "", "/{", "/}", "/{a}/{a}", "/:id/:id", "/\x00", "/" + "a" * 300,
]  # fmt: skip
paths = st.one_of(st.sampled_from(PATHS[:4]), st.sampled_from(PATHS), texts)
URLS = [
    "http://api.test/a", "https://api.test:8443/a/b?q=1&q=2", "http://api.test", "/a",
    "not a url", "", "http://[::1]:80/x", "http://h:99999/x", "http://api.test/a#frag",
    "ftp://x/y", "http://api.test/%zz?%zz=%zz", "{{baseUrl}}/a", "http://a\x00b/",
]  # fmt: skip
urls = st.one_of(st.sampled_from(URLS[:3]), st.sampled_from(URLS), texts)
REGEXES = ["a.*", "(a+)+$", "(a|aa)+$", "[", "(?P<x>a)", "^/a/[0-9]+$", ".*", "\\", "a{2,1}"]
regexes = st.one_of(st.sampled_from(REGEXES), texts)
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "ANY", "get", "HEAD", "OPTIONS", "", "X Y"]
methods = st.one_of(st.sampled_from(METHODS[:4]), st.sampled_from(METHODS), texts)
statuses = st.one_of(
    st.sampled_from([200, 201, 204, 301, 404, 500, 0, 99, 600, -1, 10**20]), st.integers()
)
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), texts)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(texts, inner, max_size=3)),
    max_leaves=8,
)


def typed(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly the right type, now and then (1 in 8) any JSON value instead."""
    return st.one_of(*[strategy] * 7, json_values)


def few(strategy: st.SearchStrategy[Any], most: int = 3) -> st.SearchStrategy[list[Any]]:
    return st.lists(strategy, max_size=most)


def some(strategy: st.SearchStrategy[Any], most: int = 4) -> st.SearchStrategy[list[Any]]:
    """A document's main list (mappings, routes, entries, items): rarely empty."""
    return st.one_of(st.lists(strategy, min_size=1, max_size=most), st.just([]))


def pairs(key: str = "key", value: str = "value") -> st.SearchStrategy[list[Any]]:
    return few(typed(st.fixed_dictionaries({key: texts, value: texts})))


# --- WireMock -------------------------------------------------------------------------

_VALUE_PATTERNS = st.one_of(
    st.fixed_dictionaries({"equalTo": typed(texts)}, optional={"caseInsensitive": st.booleans()}),
    st.fixed_dictionaries({"matches": typed(regexes)}),
    st.fixed_dictionaries({"doesNotMatch": typed(regexes)}),
    st.fixed_dictionaries({"contains": typed(texts)}),
    st.fixed_dictionaries({"absent": typed(st.booleans())}),
    st.fixed_dictionaries(
        {"equalToJson": json_values}, optional={"ignoreExtraElements": st.booleans()}
    ),
    st.fixed_dictionaries({"matchesJsonPath": typed(texts)}),
    st.fixed_dictionaries({"equalToXml": typed(texts)}),
    st.fixed_dictionaries({"matchesXPath": typed(texts)}),
    st.fixed_dictionaries({"or": few(st.fixed_dictionaries({"equalTo": texts}))}),
    json_values,
)
_WM_REQUEST = st.fixed_dictionaries(
    {},
    optional={
        "method": typed(methods),
        "url": typed(paths),
        "urlPath": typed(paths),
        "urlPattern": typed(regexes),
        "urlPathPattern": typed(regexes),
        "urlPathTemplate": typed(paths),
        "queryParameters": st.dictionaries(texts, _VALUE_PATTERNS, max_size=2),
        "headers": st.dictionaries(texts, _VALUE_PATTERNS, max_size=2),
        "cookies": st.dictionaries(texts, _VALUE_PATTERNS, max_size=2),
        "bodyPatterns": few(_VALUE_PATTERNS),
        "pathParameters": st.dictionaries(texts, _VALUE_PATTERNS, max_size=2),
    },
)
_WM_RESPONSE = st.fixed_dictionaries(
    {},
    optional={
        "status": typed(statuses),
        "statusMessage": typed(texts),
        "body": typed(texts),
        "jsonBody": json_values,
        "base64Body": typed(texts),
        "bodyFileName": typed(texts),
        "headers": st.dictionaries(texts, typed(texts), max_size=3),
        "fixedDelayMilliseconds": typed(st.integers(-10, 50)),
        "transformers": typed(few(st.sampled_from(["response-template", "x"]))),
        "fault": typed(st.sampled_from(["CONNECTION_RESET_BY_PEER", "EMPTY_RESPONSE", "NOPE"])),
        "proxyBaseUrl": typed(urls),
    },
)
_WM_MAPPING = st.fixed_dictionaries(
    {"request": typed(_WM_REQUEST), "response": typed(_WM_RESPONSE)},
    optional={
        "priority": typed(st.integers(-5, 20)),
        "name": typed(texts),
        "id": typed(texts),
        "scenarioName": typed(texts),
        "requiredScenarioState": typed(texts),
        "newScenarioState": typed(texts),
        "metadata": json_values,
    },
)
wiremock_mappings: Doc = st.one_of(
    _WM_MAPPING, st.fixed_dictionaries({"mappings": some(typed(_WM_MAPPING))})
)

# --- Mockoon --------------------------------------------------------------------------

_RULE = st.fixed_dictionaries(
    {
        "target": typed(
            st.sampled_from(
                ["body", "query", "header", "params", "cookie", "request_number", "method", "x"]
            )
        ),
        "modifier": typed(texts),
        "value": typed(texts),
        "operator": typed(
            st.sampled_from(
                [
                    "equals",
                    "regex",
                    "regex_i",
                    "null",
                    "empty_array",
                    "array_includes",
                    "valid_json_schema",
                    "x",
                ]
            )
        ),
        "invert": typed(st.booleans()),
    }
)
_MOCKOON_RESPONSE = st.fixed_dictionaries(
    {"uuid": typed(texts), "statusCode": typed(statuses), "body": typed(texts)},
    optional={
        "headers": pairs(),
        "rules": few(typed(_RULE)),
        "rulesOperator": typed(st.sampled_from(["OR", "AND"])),
        "latency": typed(st.integers(-10, 50)),
        "bodyType": typed(st.sampled_from(["INLINE", "FILE", "DATABUCKET"])),
        "filePath": typed(texts),
        "databucketID": typed(texts),
        "default": typed(st.booleans()),
        "label": typed(texts),
        "sendFileAsBody": typed(st.booleans()),
    },
)
_ROUTE = st.fixed_dictionaries(
    {
        "uuid": typed(texts),
        "method": typed(st.sampled_from(["get", "post", "put", "delete", "patch", "all", "X"])),
        "endpoint": typed(paths),
        "responses": typed(some(typed(_MOCKOON_RESPONSE), 3)),
    },
    optional={
        "type": typed(st.sampled_from(["http", "crud", "ws"])),
        "responseMode": typed(
            st.sampled_from([None, "RANDOM", "SEQUENTIAL", "DISABLE_RULES", "FALLBACK"])
        ),
        "documentation": typed(texts),
    },
)
mockoon_environments: Doc = st.fixed_dictionaries(
    {
        "uuid": typed(texts),
        "lastMigration": st.one_of(st.integers(29, 33), st.integers(29, 33), st.integers(-1, 40)),
        "routes": some(typed(_ROUTE)),
        "endpointPrefix": typed(texts),
    },
    optional={
        "name": typed(texts),
        "port": typed(st.integers(-1, 70000)),
        "rootChildren": json_values,
        "proxyMode": typed(st.booleans()),
        "proxyHost": typed(urls),
        "headers": pairs(),
        "data": few(
            typed(
                st.fixed_dictionaries(
                    {"uuid": texts, "id": texts, "name": texts, "value": typed(texts)}
                )
            )
        ),
        "cors": typed(st.booleans()),
    },
)

# --- HAR ------------------------------------------------------------------------------

_HAR_ENTRY = st.fixed_dictionaries(
    {
        "request": typed(
            st.fixed_dictionaries(
                {"method": typed(methods), "url": typed(urls)},
                optional={
                    "headers": pairs("name"),
                    "queryString": pairs("name"),
                    "postData": typed(
                        st.fixed_dictionaries(
                            {"mimeType": typed(texts)}, optional={"text": typed(texts)}
                        )
                    ),
                },
            )
        ),
        "response": typed(
            st.fixed_dictionaries(
                {"status": typed(statuses)},
                optional={
                    "statusText": typed(texts),
                    "headers": pairs("name"),
                    "content": typed(
                        st.fixed_dictionaries(
                            {"mimeType": typed(texts)},
                            optional={
                                "text": typed(texts),
                                "encoding": typed(texts),
                                "size": typed(st.integers()),
                            },
                        )
                    ),
                    "redirectURL": typed(urls),
                },
            )
        ),
    },
    optional={
        "startedDateTime": typed(texts),
        "time": typed(st.floats()),
        "_resourceType": typed(st.sampled_from(["websocket", "xhr"])),
        "_webSocketMessages": json_values,
    },
)
har_logs: Doc = st.fixed_dictionaries(
    {
        "log": st.fixed_dictionaries(
            {"version": typed(texts), "entries": some(typed(_HAR_ENTRY))},
            optional={"creator": json_values, "pages": json_values},
        )
    }
)

# --- Postman --------------------------------------------------------------------------

_PM_URL = st.one_of(
    urls,
    st.fixed_dictionaries(
        {"raw": typed(urls)},
        optional={
            "host": typed(few(texts)),
            "path": typed(few(texts)),
            "query": pairs(),
            "variable": pairs(),
        },
    ),
)
_PM_REQUEST = st.one_of(
    urls,
    st.fixed_dictionaries(
        {"method": typed(methods), "url": typed(_PM_URL)},
        optional={
            "header": pairs(),
            "body": typed(
                st.fixed_dictionaries(
                    {"mode": typed(st.sampled_from(["raw", "urlencoded", "formdata", "graphql"]))},
                    optional={"raw": typed(texts), "urlencoded": pairs()},
                )
            ),
        },
    ),
)
_PM_RESPONSE = st.fixed_dictionaries(
    {"name": typed(texts), "code": typed(statuses)},
    optional={
        "originalRequest": typed(_PM_REQUEST),
        "status": typed(texts),
        "header": pairs(),
        "body": typed(texts),
    },
)
_PM_ITEMS = st.recursive(
    st.fixed_dictionaries(
        {"name": typed(texts), "request": typed(_PM_REQUEST)},
        optional={"response": few(typed(_PM_RESPONSE))},
    ),
    lambda inner: st.fixed_dictionaries({"name": typed(texts), "item": few(inner)}),
    max_leaves=4,
)
postman_collections: Doc = st.fixed_dictionaries(
    {
        "info": st.fixed_dictionaries(
            {
                "name": typed(texts),
                "schema": st.just(
                    "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
                ),
            }
        ),
        "item": some(typed(_PM_ITEMS)),
    },
    optional={"variable": pairs(), "auth": json_values},
)

# --- OpenAPI --------------------------------------------------------------------------

_SCHEMA_LEAVES = st.one_of(
    st.fixed_dictionaries(
        {
            "type": typed(
                st.sampled_from(
                    ["string", "integer", "number", "boolean", "null", "object", "array", "x"]
                )
            )
        }
    ),
    st.fixed_dictionaries(
        {"type": st.just("string")},
        optional={
            "pattern": typed(regexes),
            "format": typed(st.sampled_from(["date-time", "email", "uuid", "byte", "x"])),
            "minLength": typed(st.integers(-1, 50)),
            "maxLength": typed(st.integers(-1, 50)),
        },
    ),
    st.fixed_dictionaries(
        {
            "$ref": st.sampled_from(
                ["#/components/schemas/A", "#/components/schemas/nope", "#", "other.yaml#/x", "x"]
            )
        }
    ),
    st.fixed_dictionaries({"enum": typed(few(json_values))}),
    st.fixed_dictionaries(
        {"type": st.just("integer")},
        optional={"minimum": typed(st.integers()), "maximum": typed(st.integers())},
    ),
)
_SCHEMAS = st.recursive(
    _SCHEMA_LEAVES,
    lambda inner: st.one_of(
        st.fixed_dictionaries(
            {"type": st.just("object"), "properties": st.dictionaries(texts, inner, max_size=3)},
            optional={"required": typed(few(texts))},
        ),
        st.fixed_dictionaries({"type": st.just("array"), "items": inner}),
        st.fixed_dictionaries({"anyOf": few(inner)}),
        st.fixed_dictionaries({"allOf": few(inner)}),
    ),
    max_leaves=6,
)
_MEDIA = st.fixed_dictionaries(
    {}, optional={"schema": typed(_SCHEMAS), "example": json_values, "examples": json_values}
)
_OPERATION = st.fixed_dictionaries(
    {
        "responses": typed(
            st.dictionaries(
                st.sampled_from(["200", "201", "204", "404", "default", "2XX", "x"]),
                typed(
                    st.fixed_dictionaries(
                        {"description": typed(texts)},
                        optional={
                            "content": st.dictionaries(
                                st.sampled_from(["application/json", "text/plain", "*/*", "x"]),
                                typed(_MEDIA),
                                max_size=2,
                            )
                        },
                    )
                ),
                max_size=3,
            )
        ),
    },
    optional={
        "operationId": typed(texts),
        "parameters": few(
            typed(
                st.fixed_dictionaries(
                    {
                        "name": typed(texts),
                        "in": typed(st.sampled_from(["path", "query", "header", "cookie", "x"])),
                    },
                    optional={"required": typed(st.booleans()), "schema": typed(_SCHEMAS)},
                )
            )
        ),
        "requestBody": typed(
            st.fixed_dictionaries(
                {
                    "content": st.dictionaries(
                        st.sampled_from(["application/json", "x"]), typed(_MEDIA), max_size=2
                    )
                },
                optional={"required": typed(st.booleans())},
            )
        ),
    },
)
openapi_documents: Doc = st.fixed_dictionaries(
    {
        "openapi": st.sampled_from(["3.0.3", "3.1.0", "3.9", "3."]),
        "info": typed(st.fixed_dictionaries({"title": typed(texts), "version": typed(texts)})),
        "paths": st.dictionaries(
            paths,
            typed(
                st.dictionaries(
                    st.sampled_from(["get", "post", "put", "delete", "x"]),
                    typed(_OPERATION),
                    max_size=2,
                )
            ),
            min_size=1,
            max_size=3,
        ),
    },
    optional={
        "components": typed(
            st.fixed_dictionaries(
                {
                    "schemas": st.dictionaries(
                        st.sampled_from(["A", "B"]), typed(_SCHEMAS), max_size=2
                    )
                }
            )
        ),
        "servers": json_values,
    },
)

FORMATS: dict[str, Doc] = {
    "wiremock": wiremock_mappings,
    "mockoon": mockoon_environments,
    "har": har_logs,
    "postman": postman_collections,
    "openapi": openapi_documents,
}
