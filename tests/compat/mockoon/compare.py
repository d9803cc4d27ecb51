"""What counts as the same answer as mockoon-cli's.

Status, content type and the declared headers always (a header whose declared value is
a template: present or not); the body's kind and JSON shape always, and its hash where
the route's bodies are not templates (faker.js and Python Faker give other values by
design). A request no route should take (``unmatched``), or that none took in
mockoon-cli (its body is Express's ``Cannot GET /x`` page), and a CORS preflight, are
compared on their status, headers and content type.
"""

from __future__ import annotations

from typing import Any

from tests.compat.mockoon.cases import route_key


def templated_routes(env: dict[str, Any]) -> set[str]:
    """Keys of the routes whose answers can vary: templated bodies, files, buckets."""
    buckets = {
        str(b.get(k)): str(b.get("value", ""))
        for b in env.get("data") or []
        for k in ("id", "name")
    }
    found = set()
    for index, route in enumerate(env.get("routes") or []):
        for response in route.get("responses") or []:
            kind = response.get("bodyType", "INLINE")
            body = str(response.get("body") or "")
            if kind == "DATABUCKET":
                body = buckets.get(str(response.get("databucketID")), "{{")
            if route.get("type") == "crud" or kind == "FILE":
                body = "{{"
            if "{{" in body and not response.get("disableTemplating"):
                found.add(route_key(route, index))
    return found


def templated_headers(env: dict[str, Any]) -> set[str]:
    """Lower-case names of headers some declaration gives a template value."""
    declared = list(env.get("headers") or [])
    for route in env.get("routes") or []:
        for response in route.get("responses") or []:
            declared += response.get("headers") or []
    return {str(h.get("key", "")).lower() for h in declared if "{{" in str(h.get("value", ""))}


def differences(
    case: dict[str, Any], expected: dict[str, Any], got: dict[str, Any], env: dict[str, Any]
) -> list[str]:
    """What differs between mockoon-cli's answer and ours; empty when they agree."""
    if "error" in expected or "error" in got:
        same = expected.get("error") == got.get("error")
        return [] if same else [f"answer: mockoon {_brief(expected)}, apidouble {_brief(got)}"]
    found = []
    if expected["status"] != got["status"]:
        found.append(f"status: mockoon {expected['status']}, apidouble {got['status']}")
    found += _header_differences(expected["headers"], got["headers"], templated_headers(env))
    if expected["content_type"] != got["content_type"]:
        found.append(
            f"content type: mockoon {expected['content_type']!r}, apidouble {got['content_type']!r}"
        )
    unmatched = case["kind"] == "unmatched" or expected["body"]["kind"] == "unmatched"
    if unmatched or case["kind"] == "preflight":
        return found
    found += _body_differences(
        expected["body"], got["body"], case["route"] in templated_routes(env)
    )
    return found


def same_shape(expected: Any, got: Any) -> bool:
    """Equal shapes, an empty list standing for a list of anything (generated lists may
    come out empty in one run and not in the other)."""
    if isinstance(expected, dict) and isinstance(got, dict):
        return expected.keys() == got.keys() and all(
            same_shape(expected[k], got[k]) for k in expected
        )
    if isinstance(expected, list) and isinstance(got, list):
        return not expected or not got or same_shape(expected[0], got[0])
    return bool(expected == got)


def _brief(answer: dict[str, Any]) -> str:
    return str(answer.get("error") or answer.get("status"))


def _header_differences(
    expected: dict[str, str], got: dict[str, str], templated: set[str]
) -> list[str]:
    found = []
    for name in sorted(set(expected) | set(got)):
        want, have = expected.get(name), got.get(name)
        if want is None or have is None:
            if want != have:
                found.append(f"header {name}: mockoon {want!r}, apidouble {have!r}")
        elif want != have and name not in templated:
            found.append(f"header {name}: mockoon {want!r}, apidouble {have!r}")
    return found


def _body_differences(expected: dict[str, Any], got: dict[str, Any], templated: bool) -> list[str]:
    if expected["kind"] != got["kind"]:
        return [f"body: mockoon {expected['kind']}, apidouble {got['kind']}"]
    if not same_shape(expected.get("shape"), got.get("shape")):
        return [f"body shape: mockoon {expected['shape']}, apidouble {got['shape']}"]
    if not templated and expected.get("sha256") != got.get("sha256"):
        return ["body: same shape, other content"]
    return []
