import pytest

from apidouble.behaviours.keys import LruDict, compile_key
from apidouble.model import Request

from .factories import req


@pytest.mark.parametrize(
    ("spec", "request_", "key"),
    [
        (None, req(), ""),
        ("global", req(ip="1.2.3.4"), ""),
        ("ip", req(ip="1.2.3.4"), "1.2.3.4"),
        ("ip", Request("GET", "/"), ""),
        ("header:X-Api-Key", req(headers={"x-api-key": "k1"}), "k1"),
        ("header:X-Api-Key", req(), ""),
        ("query:token", req(query="token=t9&token=t10"), "t9"),
        ("query:token", req(), ""),
        ("cookie:sid", req(headers={"Cookie": "sid=abc; x=1"}), "abc"),
    ],
)
def test_client_keys(spec: str | None, request_: Request, key: str) -> None:
    assert compile_key(spec)(request_) == key


@pytest.mark.parametrize("spec", ["header", "header:", "body:x", "IP", "path:x"])
def test_bad_key_specs(spec: str) -> None:
    with pytest.raises(ValueError, match="ip, header:NAME"):
        compile_key(spec)


def test_lru_dict_drops_the_least_recently_used() -> None:
    store: LruDict[str, int] = LruDict(2)
    store["a"] = 1
    store["b"] = 2
    assert store.get("a") == 1  # a is now the most recent
    store["c"] = 3
    assert "b" not in store and "a" in store and len(store) == 2
    assert store.setdefault("d", lambda: 4) == 4 and "a" not in store
    assert store.setdefault("d", lambda: 5) == 4
    assert store.pop("d") == 4 and store.pop("d") is None
    store.clear()
    assert len(store) == 0
    with pytest.raises(ValueError):
        LruDict(0)
