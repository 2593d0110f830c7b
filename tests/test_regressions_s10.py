"""Regressions found in session 10 by random differential testing and hand-written probes:
each case once differed from NumPy eager (wrong values, a wrong kind of result, a crash or
an unclear error)."""
from __future__ import annotations

import numpy as np
import pytest

from tests.differential import check


def _flat_writes():
    def one(a):
        a.flat[2] = 5.0
        return a

    def strided(a):
        a.flat[::3] = -1
        return a

    def through_transpose(a):
        a.T.flat[1:5] = [1, 2, 3, 4]
        return a

    def through_reversed(a):
        v = a[::-1]
        v.flat[0] = 42
        return a

    def fancy_of_columns(a):
        a[:, ::2].flat[[0, 3]] = 7
        return a

    def copy_of_slice(a):
        s = a.flat[1:3]
        s[0] = 99  # NumPy's a.flat[1:3] is a new array: a is unchanged
        return a, s

    def iterator_sees_later_writes(a):
        it = a.flat
        a[0, 0] = 100
        return it[0], a.flat[:3]

    return [one, strided, through_transpose, through_reversed, fancy_of_columns, copy_of_slice,
            iterator_sees_later_writes]


@pytest.mark.parametrize("fn", _flat_writes(), ids=lambda f: f.__name__)
@pytest.mark.parametrize("layout", ["C", "F", "T", "rev"])
def test_writes_through_flat_reach_the_array(fn, layout):
    x = np.arange(12.0).reshape(3, 4) - 5
    arr = {"C": x, "F": np.asfortranarray(x), "T": np.ascontiguousarray(x.T).T, "rev": x[:, ::-1]}[layout]
    check(fn, arr)


def test_flat_of_integers_and_three_axes():
    def fill(a):
        a.flat[1::4] = 3
        return a, np.sum(a.flat), len(a.flat)

    check(fill, np.arange(24).reshape(2, 3, 4))
    check(fill, np.ones((2, 3, 4), np.float32))
