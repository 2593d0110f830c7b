"""Reductions jit vs eager: every reduce op, dtypes, axis forms, keepdims, layouts;
and float32 summation accuracy (pairwise: error must not grow linearly with length)."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from tests.cases import MAIN_DTYPES, values
from tests.conftest import assert_same

AXES = [None, 0, -1, 1, (0, 2), (1, 2), ()]


def _reduce_all(name, x, **kw):
    fn = getattr(np, name)
    out = []
    for axis in AXES:
        if name in ("argmax", "argmin") and (isinstance(axis, tuple)):
            continue
        out.append(fn(x, axis=axis, **kw))
        if name not in ("argmax", "argmin") or axis is not None:
            out.append(fn(x, axis=axis, keepdims=True, **kw))
    return out


@pytest.mark.parametrize("dtype", MAIN_DTYPES, ids=str)
@pytest.mark.parametrize("name", ["sum", "prod", "max", "min", "nanmax", "nanmin", "any", "all", "argmax",
                                  "argmin", "mean", "var", "std"])
def test_reduction(name, dtype):
    rng = np.random.default_rng(5)
    arithmetic = name in ("sum", "prod", "mean", "var", "std")
    domain = "small" if arithmetic else "any"  # order-dependent rounding: no inf/NaN mixes
    x = values(rng, (3, 37, 5), dtype, domain)
    if dtype.kind == "f" and not arithmetic:
        x[1, 4, 2] = np.nan  # NaN propagates / is the first best
    layouts = [x, x[:, ::-2, 1:], np.transpose(values(rng, (5, 9, 3), dtype, domain), (2, 0, 1))]

    def f(*xs):
        return [_reduce_all(name, v) for v in xs]

    with np.errstate(all="ignore"):
        expected = f(*layouts)
        actual = tj.jit(f)(*layouts)
    # Sums in another order differ by rounding: about eps * sum(|x|) (values are in [-2, 2]).
    single = dtype == np.float32 or (name in ("mean", "var", "std") and dtype == np.float32)
    tol = {"rtol": 2e-5, "atol": 1e-4} if single else {"rtol": 1e-12, "atol": 1e-12}
    if not arithmetic:
        tol = {}
    assert_same(actual, expected, what=f"{name}[{dtype}]", **tol)


def test_reduction_small_and_zero_size():
    def f(x, e):
        return (x.sum(), x.max(axis=0), e.sum(axis=0), e.sum(axis=1), e.prod(axis=1), e.any(axis=1),
                e.all(), e.mean(axis=0), np.max(e, axis=0))

    x = np.arange(1.0, 4.0)
    e = np.zeros((4, 0), np.float32)
    with np.errstate(all="ignore"):
        assert_same(tj.jit(f)(x, e), f(x, e))


def test_empty_reductions_raise_like_numpy():
    e = np.zeros((0, 3), np.float32)
    with pytest.raises(ValueError, match="zero-size array"):
        tj.jit(lambda v: v.max())(e)
    with pytest.raises(ValueError, match="empty sequence"):
        tj.jit(lambda v: v.argmax())(e)
    assert_same(tj.jit(lambda v: v.max(axis=1))(e), e.max(axis=1))


def test_sum_dtype_arguments_and_methods():
    x = np.arange(24, dtype=np.int32).reshape(2, 3, 4)

    def f(x):
        return (x.sum(), np.sum(x, dtype=np.float32), x.mean(dtype=np.float32), x.prod(axis=2),
                np.add.reduce(x, axis=1), np.maximum.reduce(x), np.logical_or.reduce(x > 5, axis=0),
                x.var(ddof=1), np.std(x, axis=(0, 1)), x.argmax(axis=1, keepdims=True))

    assert_same(tj.jit(f)(x), f(x), ulps=4)


@pytest.mark.parametrize("n", [10**5, 10**6, 10**7])
def test_float32_sum_is_pairwise_accurate(n):
    """Uniform positives make naive float32 accumulation lose ~1e-3 relative at 1e7;
    blocked pairwise summation stays near 1e-7, like NumPy's."""
    x = np.random.default_rng(6).random(n, dtype=np.float32)
    exact = x.astype(np.float64).sum()
    got = float(tj.jit(lambda v: v.sum())(x))
    numpy_err = abs(float(x.sum()) - exact) / exact
    err = abs(got - exact) / exact
    assert err < 1e-6, (err, numpy_err)
    assert err <= max(4 * numpy_err, 2e-7)


def test_float32_row_sums_and_fused_producer_accuracy():
    x = np.random.default_rng(7).random((4, 10**6), dtype=np.float32)
    exact = (x.astype(np.float64) ** 2).sum(axis=1)
    got = tj.jit(lambda v: (v * v).sum(axis=1))(x)
    assert (np.abs(got - exact) / exact).max() < 1e-6


def test_reduction_over_axis_zero_matches():
    x = np.random.default_rng(8).standard_normal((513, 70)).astype(np.float32)
    assert_same(tj.jit(lambda v: v.sum(axis=0))(x), x.sum(axis=0), rtol=2e-5, atol=1e-4)
    assert_same(tj.jit(lambda v: v.max(axis=0))(x), x.max(axis=0))


def test_nanmax_nanmin_skip_nans():
    """NaNs are skipped, an all-NaN slice gives NaN (NumPy also warns), integers and bools
    reduce as max/min, long reductions split into partials, an empty one raises."""
    x = np.array([[np.nan, 1.0, -2.0], [np.nan, np.nan, np.nan], [-np.inf, np.nan, 0.0], [3.0, -0.0, np.inf]])
    big = np.full(300_000, np.nan)
    big[123_456] = -7.0

    def f(x, i, b, big):
        return (np.nanmax(x), np.nanmin(x), np.nanmax(x, axis=1), np.nanmin(x, axis=0, keepdims=True),
                np.nanmax(x.T[::-1], axis=0), np.nanmax(i, axis=1), np.nanmin(i), np.nanmax(b, axis=0),
                np.nanmax(big), np.nanmin(big[:200_000]))

    args = (x, np.arange(-6, 6, dtype=np.int32).reshape(3, 4), np.array([[True, False], [False, False]]), big)
    for dt in (np.float64, np.float32):
        cast = (x.astype(dt),) + args[1:3] + (big.astype(dt),)
        with np.errstate(all="ignore"), pytest.warns(RuntimeWarning, match="All-NaN"):
            expected = f(*cast)
        assert_same(tj.jit(f)(*cast), expected)
    with pytest.raises(ValueError, match="zero-size array"):
        tj.jit(np.nanmax)(np.zeros((0, 3)))
