"""Python's ``max``/``min``/``sorted`` of traced arrays return the arrays themselves (fuzz
seed 1703000064): later in-place writes to a chosen item show in the result and writes to
the result go to the item, as in eager NumPy (``frontend/chosen.py``, ``sortedbuiltin.py``)."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from tests.differential import check
from tracejit.errors import UnsupportedError


def item_written_after(a, b):
    x, y = a[0, ...], b[0, ...]
    m = max(x, y)
    x += 10
    return m


def result_written(a, b):
    m = min(a[1, ...], b[1, ...], a[0, ...])
    m += 7
    m[...] *= 2
    return m, a, b


def reduction_items(a, b):
    x = a.sum(keepdims=True, dtype=a.dtype).reshape(())
    m = max(x, b[1, ...])
    x += 1
    n = min(b[0, ...], x)
    x *= 3
    return m, n


def one_element_rows(a, b):
    m = max(a[:1], b[1:2])
    b[1:2] = -5
    m[0] += 1
    return m, a, b


def key_and_list(a, b):
    m = max([a[0, ...], b[0, ...], a[1, ...]], key=lambda v: -v)
    a[...] = 3
    return m


@pytest.mark.parametrize("fn", [item_written_after, result_written, reduction_items, one_element_rows,
                                key_and_list])
@pytest.mark.parametrize("dtype", [np.float64, np.int32])
def test_builtin_max_min_alias_their_items(fn, dtype):
    a = np.array([5, 2, 9], dtype=dtype)
    b = np.array([1, 4, 4], dtype=dtype)
    check(fn, a, b)
    check(fn, b, a)  # the other item chosen


def test_builtin_max_alias_with_nan():
    a = np.array([np.nan, 2.0, 1.0])
    b = np.array([1.0, np.nan, 0.0])
    check(item_written_after, a, b)
    check(item_written_after, b, a)
    check(result_written, a, b)


def sorted_items(a, b):
    s = sorted([a[0, ...], b[0, ...], a[1, ...]])
    r = sorted([a.sum(), b[1], a[2]], reverse=True)
    t = sorted([float(a[0]), float(b[1]), float(b[0])], key=lambda v: -v)
    a[...] = 0  # the list holds the arrays themselves
    s[-1] += 5
    return s, r, t, a, b


@pytest.mark.parametrize("values", [([5, 2, 2], [1, 2]), ([1, 7, 3], [3, 7]), ([4, 4, 4], [4, 4])])
def test_builtin_sorted_of_traced_values(values):
    check(sorted_items, np.array(values[0], dtype=np.float64), np.array(values[1], dtype=np.float64))


def test_builtin_sorted_nan_key_refused():
    f = tj.jit(sorted_items, fallback=False)
    with pytest.raises(UnsupportedError, match="NaN key"):
        f(np.array([np.nan, 1.0, 2.0]), np.array([1.0, 2.0]))
