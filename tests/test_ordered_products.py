"""Float products take their values in NumPy's order (``Reduction.in_order``): one accumulator,
no vector lanes, no chunk partials, so an overflow and a zero meet as in NumPy (``[0, 3e38,
10]`` is 0.0, where lanes could give ``inf * 0 = NaN``). Differential against NumPy eager over
dtypes and lengths, plain, along an axis and of boolean selections; maxima, minima and
integer products alongside (their order cannot change their value)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import tracejit as tj

LENGTHS = (0, 1, 7, 8, 9, 31, 100, 1000)
FLOATS = (np.float32, np.float64)
COMPLEX = (np.complex64, np.complex128)


def _ordered_values(n: int, dtype, seed: int) -> np.ndarray:
    """Values whose product depends on the order, by ``seed % 3``: a zero early and values
    near the top of the range after it (NumPy: a signed zero; in lanes the large ones
    overflow, inf * 0); large values before the zero (NumPy: inf * 0 = NaN); large values
    then small ones (NumPy: inf, where a tree of products stays finite)."""
    rng = np.random.default_rng(seed)
    dt = np.dtype(dtype)
    real = np.dtype(dt.char.lower()) if dt.kind == "c" else dt
    x = rng.standard_normal(n) * 3
    if n:
        big = float(np.finfo(real).max) / 4
        pattern, at = seed % 3, rng.permutation(n)
        if pattern < 2:
            x[at[: max(1, n // 3)]] = big * np.sign(rng.standard_normal(max(1, n // 3)))
            early = int(rng.integers(0, max(1, n // 4)))
            zero = early if pattern == 0 else n - 1 - early
            x[zero] = -0.0 if seed % 2 else 0.0
        else:
            x[: n // 2] = 1e4 if real.itemsize <= 4 else 1e40
            x[n // 2:] = 1e-4 if real.itemsize <= 4 else 1e-40
    x = x.astype(real)
    if dt.kind == "c":
        return (x + 1j * np.roll(x, 1) * 0.5).astype(dt)
    return x


def _same(got, want) -> None:
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape
    for part in ((got.real, want.real), (got.imag, want.imag)) if want.dtype.kind == "c" else ((got, want),):
        g, w = part
        np.testing.assert_array_equal(np.isnan(g), np.isnan(w))
        np.testing.assert_array_equal(np.isinf(g), np.isinf(w))
        fin = np.isfinite(w)
        np.testing.assert_allclose(g[fin], w[fin], rtol=1e-4 if w.dtype.itemsize <= 4 else 1e-10, atol=0)


def _eager(f, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return f(*args)


@pytest.mark.parametrize("dtype", FLOATS + COMPLEX)
@pytest.mark.parametrize("n", LENGTHS)
def test_product_in_numpys_order(dtype, n):
    for seed in range(6):
        x = _ordered_values(n, dtype, seed=seed)
        for f in (lambda x: x.prod(), lambda x: np.prod(x), lambda x: np.multiply.reduce(x)):
            _same(tj.jit(f)(x), _eager(f, x))


@pytest.mark.parametrize("dtype", FLOATS + COMPLEX)
@pytest.mark.parametrize("n", LENGTHS)
@pytest.mark.parametrize("seed", range(3))
def test_product_of_a_selection_in_numpys_order(dtype, n, seed):
    x = _ordered_values(n, dtype, seed=seed)
    m = np.random.default_rng(n).random(n) < 0.7
    _same(tj.jit(lambda x, m: x[m].prod())(x, m), _eager(lambda x, m: x[m].prod(), x, m))
    two = np.resize(x, (3, max(n, 1)))
    m2 = np.random.default_rng(n).random(two.shape) < 0.7
    _same(tj.jit(lambda x, m: x[m].prod())(two, m2), _eager(lambda x, m: x[m].prod(), two, m2))
    f = lambda x: np.nanprod(x)  # noqa: E731
    _same(tj.jit(f)(x), _eager(f, x))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("n", (1, 2, 3, 7, 9, 33))
@pytest.mark.parametrize("seed", range(3))
def test_product_along_an_axis_in_numpys_order(dtype, n, seed):
    x = _ordered_values(4 * n, dtype, seed=seed).reshape(n, 4).T.copy()
    for f in (lambda x: x.prod(axis=1), lambda x: x.prod(axis=0), lambda x: x.prod(axis=1, keepdims=True) + x,
              lambda x: x.T.prod(axis=0), lambda x: x[:, ::2].prod(axis=1)):
        _same(tj.jit(f)(x), _eager(f, x))


@pytest.mark.parametrize("dtype", FLOATS)
def test_a_long_product_is_not_split_in_chunks(dtype):
    """Past 4 * 65536 values a sum is split into chunk partials (schedule/split_reduce.py);
    a product is not: a chunk overflowing to inf and another underflowing to 0 give NaN,
    where NumPy's running product stays inf."""
    n = 1 << 19
    x = np.full(n, 1.0, dtype)
    x[: n // 2] = 4.0  # the first half overflows
    x[n // 2:] = 0.25  # the second half underflows, never to an exact 0 after inf
    _same(tj.jit(lambda x: x.prod())(x), _eager(lambda x: x.prod(), x))
    rows = np.full((2048, 8), 1.0, dtype)
    rows[:1024] = 4.0
    rows[1024:] = 0.25
    _same(tj.jit(lambda x: x.prod(axis=0))(rows), _eager(lambda x: x.prod(axis=0), rows))


@pytest.mark.parametrize("dtype", FLOATS + (np.int32, np.int64, np.uint8))
@pytest.mark.parametrize("n", LENGTHS[1:])
def test_extremes_and_integer_products_of_selections(dtype, n):
    rng = np.random.default_rng(n)
    x = _ordered_values(n, dtype, seed=n) if np.dtype(dtype).kind == "f" else \
        rng.integers(-100, 100, n).astype(dtype)
    if np.dtype(dtype).kind == "f" and n > 3:
        x[n // 3] = np.nan
    m = rng.random(n) < 0.8
    m[0] = True
    for f in (lambda x, m: x[m].max(), lambda x, m: x[m].min(), lambda x, m: x[m].prod(),
              lambda x, m: x[m].sum(), lambda x, m: np.nanmax(x[m])):
        if np.dtype(dtype).kind == "f":
            _same(tj.jit(f)(x, m), _eager(f, x, m))
        else:
            np.testing.assert_array_equal(tj.jit(f)(x, m), _eager(f, x, m))
