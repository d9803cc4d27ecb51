"""Mockoon's ``repeat`` helper on its own: how many iterations it asks for, in which
context, and how it joins the renderings (as ``mockoon-cli`` 9.9.0 joined the same)."""

from __future__ import annotations

import random

import pytest

from apidouble.templating.handlebars.helpers_mockoon_repeat import MAX_REPEAT, REPEAT_HELPERS
from apidouble.templating.handlebars.registry import BODY, ITERATION_END, THIS
from apidouble.templating.handlebars.request import RequestModel, Root

REPEAT = REPEAT_HELPERS["repeat"]


def root() -> Root:
    return Root(RequestModel(None, {}), random.Random(5), None)


def joined(renderings: list[str], **hash_: object) -> str:
    text = "".join(r + ITERATION_END for r in renderings)
    return str(REPEAT.fn((), {**hash_, BODY: text}, root()))


def test_it_is_a_loop_block() -> None:
    assert REPEAT.block == "loop"


def test_iterations_keep_the_context_and_know_first_and_last() -> None:
    this = {"name": "outer"}
    found = REPEAT.fn((3,), {THIS: this}, root())
    assert found == [(None, this, 0, True, False), (None, this, 1, False, False)] + [
        (None, this, 2, False, True)
    ]
    assert REPEAT.fn((0,), {THIS: this}, root()) == []
    assert REPEAT.fn(("x",), {THIS: this}, root()) == []
    assert len(REPEAT.fn((10**9,), {THIS: this}, root())) == MAX_REPEAT


def test_between_two_counts() -> None:
    made = root()
    counts = {len(REPEAT.fn((2, 4), {}, made)) for _ in range(60)}
    assert counts == {2, 3, 4}


def test_a_count_is_required() -> None:
    with pytest.raises(ValueError, match="numeric param"):
        REPEAT.fn((), {}, root())


@pytest.mark.parametrize(
    ("renderings", "expected"),
    [
        (['{"i": 0 }', '{"i": 1 }', '{"i": 2 }'], '{"i": 0 },\n{"i": 1 },\n{"i": 2 }\n'),
        (["  0,  \n", "  1,  \n", "  2,  \n"], "  0,\n  1,\n  2\n"),  # no doubled comma
        (["a", "b"], "a,\nb\n"),
        ([], ""),
    ],
)
def test_renderings_joined_with_commas(renderings: list[str], expected: str) -> None:
    assert joined(renderings) == expected


def test_comma_false_joins_as_they_are() -> None:
    assert joined(["x0 ", "x1 "], comma=False) == "x0 x1 "
