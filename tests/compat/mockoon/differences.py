"""Every case where apidouble does not answer as mockoon-cli 9.9.0 did, with the reason.

Exact: a new disagreement fails the differential test, and so does one that went away
(take it out of the table, and out of docs/mockoon.md). Keys are ``<env stem>:<case id>``.
"""

from __future__ import annotations

OTHER_METHOD = (
    "a route's path with a method no route takes: apidouble answers 405 with Allow,"
    " Express 404 (Cannot GET)"
)
PREFLIGHT_ANY_PATH = (
    "CORS preflight on a path no route has: Mockoon answers 200 on any path, apidouble only"
    " on the routes' paths (so that an unknown path stays a 404, not a 405)"
)
FALLBACK_405 = (
    "a FALLBACK route handing on to no route: apidouble 405 (the CORS preflight answers"
    " OPTIONS on that path), Express 404"
)
INFORMATIONAL = (
    "statusCode 100: mockoon-cli sends an informational answer and no final one (the client"
    " sees the connection close); apidouble leaves the response out"
)
CRUD_GENERATED = "a CRUD route on a templated (generated) data bucket: not served yet"


def _helpers(*names: str) -> str:
    listed = ", ".join(f"'{name}'" for name in names)
    return f"uses the templating helpers {listed}, not all there yet: the response is left out"


NO_STATE_ABBR = (
    "{{faker 'location.stateAbbr'}}: faker.js 9 has no such method, so mockoon-cli answers"
    " the template's error as text/plain; apidouble renders it (with the declared text/csv)"
)

DIFFERENCES: dict[str, str] = {
    "demo-environment.commons-9.9.0:09152b0f": CRUD_GENERATED,
    "demo-environment.commons-9.9.0:09152b0f/crud-item": CRUD_GENERATED,
    "demo-environment.commons-9.9.0:1747a2aa/miss0": FALLBACK_405,
    "demo-environment.commons-9.9.0:preflight/unknown": PREFLIGHT_ANY_PATH,
    "amazonawscom-mediastore:preflight/route": PREFLIGHT_ANY_PATH,  # its paths hold a `#`
    "amazonawscom-mediastore:preflight/unknown": PREFLIGHT_ANY_PATH,
    "apisetugovin-acko:unmatched/method": OTHER_METHOD,
    "apisetugovin-acko:preflight/unknown": PREFLIGHT_ANY_PATH,
    "azurecom-azurestack-customersubscription:unmatched/method": OTHER_METHOD,
    "azurecom-azurestack-customersubscription:preflight/unknown": PREFLIGHT_ANY_PATH,
    "azurecom-monitor-vminsightsonboarding-api:unmatched/method": OTHER_METHOD,
    "azurecom-monitor-vminsightsonboarding-api:preflight/unknown": PREFLIGHT_ANY_PATH,
    "giphycom:unmatched/method": OTHER_METHOD,
    "giphycom:preflight/unknown": PREFLIGHT_ANY_PATH,
    "httpbinorg:e6c145dd": INFORMATIONAL,
    "httpbinorg:bbd03bd9": INFORMATIONAL,
    "httpbinorg:ba2472b6": INFORMATIONAL,
    "httpbinorg:8ed1c7a7": INFORMATIONAL,
    "httpbinorg:a74e1616": INFORMATIONAL,
    "httpbinorg:unmatched/method": OTHER_METHOD,
    "httpbinorg:preflight/unknown": PREFLIGHT_ANY_PATH,
    "namsorcom:unmatched/method": OTHER_METHOD,
    "namsorcom:preflight/unknown": PREFLIGHT_ANY_PATH,
    "notioncom:unmatched/method": OTHER_METHOD,
    "notioncom:preflight/unknown": PREFLIGHT_ANY_PATH,
    "nytimescom-article-search:unmatched/method": OTHER_METHOD,
    "nytimescom-article-search:preflight/unknown": PREFLIGHT_ANY_PATH,
    "spotifycom:unmatched/method": OTHER_METHOD,
    "spotifycom:preflight/unknown": PREFLIGHT_ANY_PATH,
    "stripecom:unmatched/method": OTHER_METHOD,
    "stripecom:preflight/unknown": PREFLIGHT_ANY_PATH,
    "xkcdcom:unmatched/method": OTHER_METHOD,
    "xkcdcom:preflight/unknown": PREFLIGHT_ANY_PATH,
    "generate-mock-data:route1": NO_STATE_ABBR,
    "generate-mock-data:unmatched/method": OTHER_METHOD,
    "generate-mock-data:preflight/unknown": PREFLIGHT_ANY_PATH,
    "advanced-data-bucket-manipulation:unmatched/method": OTHER_METHOD,
    "advanced-data-bucket-manipulation:preflight/unknown": PREFLIGHT_ANY_PATH,
    "rate-limiting-examples:c2466619": _helpers("jmesPath"),
    "rate-limiting-examples:unmatched/method": OTHER_METHOD,
    "rate-limiting-examples:preflight/unknown": PREFLIGHT_ANY_PATH,
    "simulate-webhooks-and-callbacks:unmatched/method": OTHER_METHOD,
    "simulate-webhooks-and-callbacks:preflight/unknown": PREFLIGHT_ANY_PATH,
    "validate-requests-payload-json-schema:unmatched/method": OTHER_METHOD,
    "validate-requests-payload-json-schema:preflight/unknown": PREFLIGHT_ANY_PATH,
}
