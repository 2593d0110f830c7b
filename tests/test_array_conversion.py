"""np.array / np.asarray / np.asanyarray / np.ascontiguousarray of traced values and of lists
holding them (frontend/arrayconv.py), against eager NumPy: values, dtypes, shapes, and which
results are the argument itself (writes through them reach the caller) and which are copies."""
from __future__ import annotations

import numpy as np
import pytest

from tests.differential import check

X = np.arange(6.0).reshape(2, 3)
I = np.arange(4, dtype=np.int32)


@pytest.mark.parametrize("fn", [
    lambda x, i: np.asarray(x) * 2,
    lambda x, i: np.asarray(i, dtype=np.float64),
    lambda x, i: np.asarray(x, dtype=np.float32),
    lambda x, i: np.array(x),
    lambda x, i: np.array(x, ndmin=4),
    lambda x, i: np.asanyarray(i),
    lambda x, i: np.ascontiguousarray(x.T),
    lambda x, i: np.ascontiguousarray(i[::2]),
    lambda x, i: np.ascontiguousarray(x.sum()),
    lambda x, i: np.array([x.sum(), i.max()]),
    lambda x, i: np.array([i.sum(), 2]),
    lambda x, i: np.array([i[0], 2.5], dtype=np.float32),
    lambda x, i: np.array([[x[0, 0], x[1, 1]], [i[0], True]]),
    lambda x, i: np.array([x[0], x[1]]),
    lambda x, i: np.array((x[0], [1.0, 2.0, 3.0])),
    lambda x, i: np.array([x.sum() + 1j, 2.0]),
    lambda x, i: np.array([x[0], x[1, :2]]),  # inhomogeneous: ValueError as NumPy
    lambda x, i: np.array([x.sum(), 1.0], copy=False),  # a list is always copied: ValueError
], ids=lambda f: "")
def test_conversions(fn):
    check(fn, X, I)


def test_python_number_argument_becomes_a_0d_array():
    check(lambda s, x: np.asarray(s) + x.astype(np.float32), 2.5, np.ones(3))
    check(lambda s, x: (np.array([s, s * 2]), np.asarray(s).ndim), 3, np.ones(3))


def test_asarray_is_the_argument_itself():
    def f(x):
        y = np.asarray(x)
        y[0] = -1.0  # writes the caller's array
        z = np.ascontiguousarray(x)
        z[1] += 10.0
        return y.sum()
    check(f, np.arange(4.0))


def test_array_and_strided_ascontiguousarray_copy():
    def f(x):
        y = np.array(x)
        y[0] = -1.0
        z = np.ascontiguousarray(x.T)  # not C-contiguous: a copy
        z[0, 0] = 100.0
        w = np.asarray(x, dtype=np.float32)  # a new dtype: a copy
        w[:] = 0
        return y, z, w
    check(f, np.arange(6.0).reshape(2, 3))


def test_conversion_of_loop_results_and_second_call():
    import tracejit as tj

    def f(x):
        c = tj.fori_loop(0, 3, lambda k, c: c * 2, x.sum())
        return np.array([c, x.max(), 0.5])
    check(f, np.arange(5.0))
    check(f, np.arange(7.0).reshape(7, 1)[::2])
