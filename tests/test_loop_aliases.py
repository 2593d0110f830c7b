"""Rolled `for` loops whose carried variable starts as another name's array (``x = a``):
the body reads the other name as it is, not the carried value, once it assigns the carried
one anew (a wrong answer found writing Newton's iteration the natural way)."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj


def newton(a):
    x = a
    for _ in range(20):
        x = 0.5 * (x + a / x)
    return x


def shifted(a):
    x = a
    for i in range(6):
        x = x + a.sum() * i
    return x


def read_in_branch(a):
    x = a
    for i in range(5):
        if x.sum() > 0:  # (a traced `if` inside the body reads `a` from a nested trace)
            x = x * 0.5 + a
        else:
            x = x - a
    return x


def view_of_argument(a):
    x = a[1:]
    for _ in range(4):
        x = x * 2.0 + a[1:]
    return x, a


def written_in_place(a):
    a = a.copy()
    x = a
    for _ in range(5):
        x[0] += a[1]  # (the same array: `a` sees every write)
    return x, a


def rebound_and_written(a):
    a = a.copy()
    x = a
    for _ in range(4):
        a[0] += 1.0  # (the first step writes the array `x` still is; later steps do not)
        x = x * 2.0
    return x, a


@pytest.mark.parametrize("fn", [newton, shifted, read_in_branch, view_of_argument, written_in_place,
                                rebound_and_written])
def test_matches_eager(fn):
    a = np.array([2.0, 9.0, 0.5])
    want = fn(a.copy())
    got = tj.jit(fn)(a.copy())
    want, got = (want, got) if isinstance(want, tuple) else ((want,), (got,))
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12)


def test_newton_stays_rolled():
    a = np.array([2.0, 9.0])
    text = tj.jit(newton).lower(a).as_text("optimized")
    assert "while" in text or "loop" in text
    np.testing.assert_allclose(tj.jit(newton)(a), np.sqrt(a))


def test_gradient_through_the_rolled_iteration():
    a = np.array([2.0, 9.0])
    np.testing.assert_allclose(tj.grad(lambda a: newton(a).sum())(a), 0.5 / np.sqrt(a), rtol=1e-10)
