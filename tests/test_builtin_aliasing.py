"""Python's ``max``/``min`` of traced arrays return one of the arrays itself (fuzz seed
1703000064): later in-place writes to the chosen item show in the result and writes to
the result go to the item, as in eager NumPy (``frontend/chosen.py``)."""
from __future__ import annotations

import numpy as np
import pytest

from tests.differential import check


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
