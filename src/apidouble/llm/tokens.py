"""Token counts and the pieces a streamed text leaves in.

With ``tiktoken`` installed, text is cut and counted with its ``o200k_base`` encoding (the
one current OpenAI models use; close enough for any provider's usage figures). Without
it, the documented estimate: one token per 4 characters, rounded up, and a stream sends
the text in slices of 4 characters, so the count and the pieces always agree.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache

__all__ = ["CHARS_PER_TOKEN", "count", "pieces"]

CHARS_PER_TOKEN = 4
"""The estimate without tiktoken: about four characters of English per token."""


@cache
def _encoding() -> tuple[Callable[[str], list[int]], Callable[[list[int]], str]] | None:
    try:
        import tiktoken  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    try:
        encoding = tiktoken.get_encoding("o200k_base")
    except Exception:  # no cached encoding file and no network: fall back to the estimate
        return None
    return encoding.encode, lambda tokens: encoding.decode(tokens)


def count(text: str) -> int:
    """Tokens in ``text`` (0 for no text)."""
    if not text:
        return 0
    encoding = _encoding()
    if encoding is not None:
        return len(encoding[0](text))
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def pieces(text: str) -> list[str]:
    """``text`` cut into its tokens' texts, in order; joined they give ``text`` back."""
    if not text:
        return []
    encoding = _encoding()
    if encoding is not None:
        encode, decode = encoding
        cut = [decode([token]) for token in encode(text)]
        if "".join(cut) == text:  # a token inside a multi-byte character would not be
            return cut
    step = CHARS_PER_TOKEN
    return [text[i : i + step] for i in range(0, len(text), step)]
