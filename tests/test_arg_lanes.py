"""argmax/argmin in W lanes (``schedule/vectorize._arg_schedule``, ``codegen/nest._arg_lanes``):
the first best index whatever lane or tail holds it, ties, NaNs (the first wins), infinities,
integer extremes, lengths around the lane count; rows (axis=-1) and the scalar fallbacks
(strided reduced axis, float16), against eager NumPy."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from tests.conftest import assert_same

rng = np.random.default_rng(4242)
FUNCS = [np.argmax, np.argmin]


def _both(x):
    return np.argmax(x), np.argmin(x), np.argmax(x, axis=-1), np.argmin(x, axis=-1)


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int32", "int8", "uint8", "uint64"])
@pytest.mark.parametrize("n", [1, 7, 16, 17, 33, 64, 1000])
def test_arg_lanes_ties_every_position(dtype, n):
    """Equal best values at two positions (lane/lane, lane/tail, tail/tail): the first wins."""
    f = tj.jit(_both)
    base = (rng.integers(0, 50, n) + 20).astype(dtype)
    assert_same(f(base), _both(base))
    for i, j in {(0, n - 1), (n // 3, n // 2), (1 % n, (17 % n)), (n - 2 if n > 1 else 0, n - 1)}:
        x = base.copy()
        x[[i, j]] = 100
        assert_same(f(x), _both(x))
        x[[i, j]] = 5
        assert_same(f(x), _both(x))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("n", [16, 40, 100])
def test_arg_lanes_nans_and_infinities(dtype, n):
    f = tj.jit(_both)
    x = rng.standard_normal(n).astype(dtype)
    for nans in ([n - 1], [5, 3], [n - 1, 9], [2, n - 2]):
        y = x.copy()
        y[nans] = np.nan  # the first NaN is both the argmax and the argmin
        assert_same(f(y), _both(y))
    for value in (np.inf, -np.inf):
        y = np.full(n, value, dtype)  # all equal to the start value: index 0
        assert_same(f(y), _both(y))
        y[[7, n - 3]] = -value
        assert_same(f(y), _both(y))


def test_arg_lanes_integer_extremes():
    f = tj.jit(_both)
    for dtype in ("int64", "uint64", "int8", "uint16"):
        info = np.iinfo(dtype)
        for value in (info.min, info.max):
            x = np.full(37, value, dtype)
            assert_same(f(x), _both(x))
            x[[20, 30]] = info.max if value == info.min else info.min
            assert_same(f(x), _both(x))


def test_arg_lanes_rows_fused_and_strided():
    """Rows of a matrix (kept dim), a fused producer, a strided and a transposed operand
    (the scalar schedule), float16 (scalar), keepdims."""
    x = rng.standard_normal((5, 45))
    x[2, [3, 40]] = np.nan
    x[3, [4, 20]] = 9.0

    def g(x):
        return (np.argmax(x, axis=1), np.argmin(x * 2.0 - 1.0, axis=-1), np.argmax(x[:, ::3], axis=1),
                np.argmax(x.T, axis=0), np.argmin(x, axis=0), np.argmax(x.astype(np.float16)),
                np.argmax(x, axis=1, keepdims=True), np.argmax(np.abs(x)))

    assert_same(tj.jit(g)(x), g(x))


def test_arg_lanes_vectorized():
    """A contiguous argmax runs in lanes; a strided reduced axis stays scalar."""
    x = rng.standard_normal(100)
    assert "arg, vector" in tj.jit(np.argmax).lower(x).as_text("kernels")
    assert "arg, vector" not in tj.jit(lambda x: np.argmax(x[::2])).lower(x).as_text("kernels")


def test_arg_lanes_degenerate_shapes():
    """0-d values (nothing reduced: scalar schedule), one element, one column, no rows."""
    def g(x, m, e):
        return (np.argmax(x.sum()), np.argmin(x[:1]), np.argmax(m, axis=-1), np.argmin(m[:, :1], axis=1),
                np.argmax(e, axis=1), np.argmin(m.T, axis=1))

    args = rng.standard_normal(5), rng.standard_normal((3, 20)), np.ones((0, 7))
    assert_same(tj.jit(g)(*args), g(*args))
