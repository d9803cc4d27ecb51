"""OpenAI's ``/v1/embeddings``: deterministic vectors, the same input always the same.

Each vector comes from SHA-256 of the model and the input text, stretched by counter
blocks into ``dimensions`` values in [-1, 1] and scaled to unit length (as the real
models' vectors are), so cosine similarity works and equal texts compare equal. The
``openai`` SDK asks for ``encoding_format: base64`` unless told otherwise: the vector is
then little-endian float32 bytes in base64, as the API sends it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import struct
from typing import Any

from apidouble.llm import tokens
from apidouble.llm.answer import ProviderError
from apidouble.llm.wire import JSON, encode_json
from apidouble.outcome import Response

__all__ = ["embeddings_response", "vector"]


def vector(model: str, text: str, dimensions: int) -> list[float]:
    """The unit vector for ``text`` under ``model``."""
    seed = hashlib.sha256(f"{model}\0{text}".encode()).digest()
    values: list[float] = []
    block = 0
    while len(values) < dimensions:
        digest = hashlib.sha256(seed + block.to_bytes(4, "big")).digest()
        values.extend(v / 2**31 - 1 for v in struct.unpack(">8I", digest))
        block += 1
    del values[dimensions:]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return [v / norm for v in values]


def _bad(message: str, param: str | None = None, code: str | None = None) -> ProviderError:
    return ProviderError("bad_request", message, param=param, code=code)


def _inputs(given: Any) -> list[str] | ProviderError:
    """The texts to embed: a string, a list of strings, or token arrays (as their JSON)."""
    if isinstance(given, str):
        given = [given]
    if not isinstance(given, list) or not given:
        return _bad("'$.input' is invalid. Please check the API reference:"
                    " https://platform.openai.com/docs/api-reference.", "input")  # fmt: skip
    if all(isinstance(v, int) and not isinstance(v, bool) for v in given):
        return [json.dumps(given)]  # one input as token ids
    texts = []
    for value in given:
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, list):
            texts.append(json.dumps(value))
        else:
            return _bad("'$.input' is invalid. Please check the API reference:"
                        " https://platform.openai.com/docs/api-reference.", "input")  # fmt: skip
    return texts


def embeddings_response(
    body: bytes, dimensions: int, headers: list[tuple[str, str]]
) -> Response | ProviderError:
    """The ``list`` of embeddings for a request, or the error its body deserves."""
    try:
        data = json.loads(body) if body else None
    except (ValueError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict):
        return _bad("We could not parse the JSON body of your request.")
    for name in ("input", "model"):
        if name not in data:
            return _bad(
                f"Missing required parameter: '{name}'.", name, "missing_required_parameter"
            )
    model = str(data["model"])
    texts = _inputs(data["input"])
    if isinstance(texts, ProviderError):
        return texts
    wanted = data.get("dimensions", dimensions)
    if not isinstance(wanted, int) or isinstance(wanted, bool) or wanted < 1:
        return _bad(f"Invalid value for 'dimensions': {wanted!r}.", "dimensions")
    as_base64 = data.get("encoding_format") == "base64"
    items = []
    for index, text in enumerate(texts):
        values = vector(model, text, wanted)
        embedding: Any = (
            base64.b64encode(struct.pack(f"<{len(values)}f", *values)).decode()
            if as_base64
            else values
        )
        items.append({"object": "embedding", "index": index, "embedding": embedding})
    used = sum(max(1, tokens.count(text)) for text in texts)
    answer = {
        "object": "list",
        "data": items,
        "model": model,
        "usage": {"prompt_tokens": used, "total_tokens": used},
    }
    return Response.build(200, [JSON, *headers], encode_json(answer))
