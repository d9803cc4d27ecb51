"""Every case where apidouble does not answer as mockoon-cli 9.9.0 did, with the reason.

Exact: a new disagreement fails the differential test, and so does one that went away
(take it out of the table, and out of docs/mockoon.md). Keys are ``<env stem>:<case id>``.
"""

from __future__ import annotations

INFORMATIONAL = (
    "statusCode 100: mockoon-cli sends an informational answer and no final one (the client"
    " sees the connection close); apidouble leaves the response out"
)
CRUD_HEADERS = (
    "a CRUD route answers from a native resource, which sends none of the environment's"
    " headers (here its CORS ones)"
)


NO_STATE_ABBR = (
    "{{faker 'location.stateAbbr'}}: faker.js 9 has no such method, so mockoon-cli answers"
    " the template's error as text/plain; apidouble renders it (with the declared text/csv)"
)

DIFFERENCES: dict[str, str] = {
    "demo-environment.commons-9.9.0:09152b0f": CRUD_HEADERS,
    "demo-environment.commons-9.9.0:09152b0f/crud-item": CRUD_HEADERS,
    "httpbinorg:e6c145dd": INFORMATIONAL,
    "httpbinorg:bbd03bd9": INFORMATIONAL,
    "httpbinorg:ba2472b6": INFORMATIONAL,
    "httpbinorg:8ed1c7a7": INFORMATIONAL,
    "httpbinorg:a74e1616": INFORMATIONAL,
    "generate-mock-data:route1": NO_STATE_ABBR,
}
