"""A failing run-time check leaves the arguments as eager NumPy leaves them at the failing
line (``frontend/checks.py`` snapshot): ``np.put`` writes the indices before its bad one
(``frontend/numpy/putraise.py``), ``ufunc.at`` none, and writes before the line stay."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj

INDICES = [np.array([0, 1, 7, 2]), np.array([1, -2, 3, 0]), np.array([-6, 1, 1, 3]), np.array([1, 1, 3, -9]),
           np.array([4, 4, -1, 5])]


def put_listed(a, i):
    a[-1] = 50
    np.put(a, [0, 1, 1, 7, 2], [9, 8])
    a[2] = 77
    return a


def put_traced(a, i):
    a[-1] = 50
    np.put(a, i, np.arange(4) + 20)
    a[2] = 77
    return a.sum()


def put_modes(a, i):
    np.put(a, i, -3, mode="wrap")
    np.put(a[::2], i + 1, 7, mode="clip")
    return a


def add_at(a, i):
    a[-1] = 50
    np.add.at(a, i, 1)
    np.maximum.at(a, i[::-1], 3)
    a[2] = 77
    return a


def _run(fn, a, i):
    try:
        return "ok", fn(a, i)
    except IndexError:
        return "IndexError", None


@pytest.mark.parametrize("fn", [put_listed, put_traced, put_modes, add_at])
@pytest.mark.parametrize("dtype", [np.float64, np.int32])
def test_arguments_as_eager_leaves_them(fn, dtype):
    jitted = tj.jit(fn)
    for k, i in enumerate(INDICES):
        n = 5 if k % 2 == 0 else 7  # (a second shape)
        want_a, got_a = np.arange(n, dtype=dtype), np.arange(n, dtype=dtype)
        want = _run(fn, want_a, i.copy())
        got = _run(jitted, got_a, i.copy())
        assert got[0] == want[0], (i, n)
        np.testing.assert_array_equal(got_a, want_a)
        if want[1] is not None:
            np.testing.assert_array_equal(got[1], want[1])


def test_put_bad_index_message_and_bool():
    a = np.zeros(3, dtype=bool)
    with pytest.raises(IndexError, match="index 7 is out of bounds for axis 0 with size 3"):
        tj.jit(lambda a: np.put(a, [1, 7], True))(a)
    np.testing.assert_array_equal(a, [False, True, False])
