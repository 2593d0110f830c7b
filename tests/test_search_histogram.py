"""searchsorted, digitize, interp, histogram, histogram_bin_edges, bincount, quantile and
percentile compiled natively: differential against eager NumPy (values, dtype, shape)."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from tests.differential import check
from tracejit.errors import UnsupportedError

RNG = np.random.default_rng(17)
DTYPES = [np.int64, np.float32, np.float64]


def _sorted_with_edges(dtype, n: int = 23) -> tuple[np.ndarray, np.ndarray]:
    """A sorted array with repeats, and values hitting its elements, outside it and NaN."""
    a = np.sort((RNG.random(n) * 40 - 20).astype(dtype))
    a[4] = a[5]
    v = (RNG.random((6, 9)) * 50 - 25).astype(dtype)
    v[0, :5] = a[0], a[5], a[-1], a.min() - 1, a.max() + 1
    if np.dtype(dtype).kind == "f":
        v[1, 0] = np.nan
    return a, v


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("side", ["left", "right"])
def test_searchsorted(dtype, side) -> None:
    a, v = _sorted_with_edges(dtype)
    f = tj.jit(lambda a, v: np.searchsorted(a, v, side=side))
    for args in ((a, v), (a, v[:, ::2]), (a[:7], v[0]), (a[:1], v), (a[:0], v)):  # new shapes, non-contiguous
        np.testing.assert_array_equal(f(*args), np.searchsorted(*args, side=side))
        assert f(*args).dtype == np.intp and f(*args).shape == args[1].shape
    if np.dtype(dtype).kind == "f":  # NaN in the sorted array: sorted last
        an = np.append(a, [np.nan, np.nan])
        check(lambda a, v: np.searchsorted(a, v, side=side), an, v)


def test_searchsorted_forms() -> None:
    a, v = _sorted_with_edges(np.float64)
    s = RNG.permutation(a.size)
    shuffled = a[s]
    order = np.argsort(shuffled)
    check(lambda a, v, o: (np.searchsorted(a, v, sorter=o), a.searchsorted(v, "right", sorter=o)), shuffled, v, order)
    check(lambda a: (np.searchsorted(a, 0.5), np.searchsorted(a, np.float32(3)), np.searchsorted(a, [1, 2])), a)
    check(lambda a, v: np.searchsorted(a, v), np.arange(10) * 3, v)  # int array, float values
    # Python numbers are strong here (NumPy compares them in their own dtype's promotion)
    check(lambda a, f: (np.searchsorted(a, 300), np.searchsorted(a, -1000), np.searchsorted(f, 2.0000001)),
          np.array([1, 5, 100, 120, 127], np.int8), np.array([1, 2, 2, 3, 4], np.float32))
    check(lambda a, v: np.searchsorted(a, v), a, v[:0])
    check(lambda v: np.searchsorted(np.array([1.0, 2.5, 4.0]), v), v)  # a constant
    with pytest.raises(ValueError, match="Sorter index out of range"):
        tj.jit(lambda a, v, o: np.searchsorted(a, v, sorter=o))(a, v, order + 1)


@pytest.mark.parametrize("right", [False, True])
def test_digitize(right) -> None:
    a, v = _sorted_with_edges(np.float64)
    f = lambda x, b: np.digitize(x, b, right=right)  # noqa: E731
    check(f, v, a)
    check(f, v, a[::-1].copy())  # decreasing bins
    check(f, v.astype(np.int64), a[::-1])  # non-contiguous, int values
    check(lambda x: np.digitize(x, np.array([10.0, 0.0, -5.0]), right=right), v)
    check(f, v, a[:1])
    with pytest.raises(ValueError, match="monotonically"):
        tj.jit(f)(v, np.array([0.0, 2.0, 1.0]))


def test_interp() -> None:
    xp = np.sort(RNG.random(9))
    fp = RNG.random(9) * 10
    xp[3] = xp[4]  # repeated sample point
    x = RNG.random(40) * 1.4 - 0.2
    x[:4] = xp[2], xp[-1], xp[0], np.nan
    check(lambda x, xp, fp: np.interp(x, xp, fp), x, xp, fp)
    check(lambda x, xp, fp: np.interp(x, xp, fp, left=-1.0, right=7), x.reshape(5, 8)[:, ::2], xp, fp)
    check(lambda x, xp, fp: np.interp(x, xp, fp), x, xp[:1], fp[:1])
    check(lambda x, xp, fp: np.interp(x, xp, fp), (x * 10).astype(np.int32), np.arange(9), fp.astype(np.float32))
    check(lambda xp, fp: np.interp(0.5, xp, fp), xp, fp)
    fp_inf = fp.copy()
    fp_inf[5] = np.inf
    check(lambda x, xp, fp: np.interp(x, xp, fp), x, xp, fp_inf)
    xs = x[4:] * 700 - 200
    check(lambda x, xp, fp: (np.interp(x, xp, fp, period=360), np.interp(x[0], xp, fp, period=-90.5)),
          xs, RNG.random(9) * 360 - 180, fp)


def _data(dtype, n: int = 1001) -> np.ndarray:
    x = (RNG.random(n) * 12 - 1).astype(dtype)
    x[:4] = 0, 10, 5, 2.5
    if np.dtype(dtype).kind == "f":
        x[4] = np.nan
    return x


@pytest.mark.parametrize("dtype", DTYPES)
def test_histogram_int_bins(dtype) -> None:
    x = _data(dtype)
    finite = x[5:]

    def f(x, finite, one, empty):
        return (np.histogram(x, bins=10, range=(0, 10)), np.histogram(x, 7, range=(0.5, 9.25)),
                np.histogram(finite, bins=13),  # edges from the data's min and max, at run time
                np.histogram(one, bins=4),  # min == max
                np.histogram_bin_edges(finite.reshape(-1, 4)[:, ::3], bins=6),
                np.histogram(x, bins=3, range=(2, 2)), np.histogram(empty, bins=5),
                np.histogram(finite, bins=10, range=(0, finite.max())),  # a traced range
                np.histogram(finite, bins=3, range=(finite[2], finite[2])))
    check(f, x, finite, finite[:1], x[:0])


def test_histogram_edges_weights_density() -> None:
    x = _data(np.float64)
    w = RNG.random(x.size)
    edges = np.array([0, 0.5, 2.5, 2.5, 5, 10])

    def f(x, e, w, wi, w32):
        return (np.histogram(x, bins=np.array([0, 0.5, 2.5, 5, 10])), np.histogram(x, bins=e),
                np.histogram(x.astype(np.int64), bins=e[::2]),
                np.histogram(x, bins=10, range=(0, 10), weights=w), np.histogram(x, bins=10, range=(0, 10), weights=wi),
                np.histogram(x, bins=10, range=(0, 10), weights=w32),
                np.histogram(x, bins=8, range=(0, 10), density=True), np.histogram(x, bins=e[:3], density=True))
    check(f, x, edges, w, (w * 10).astype(np.int32), w.astype(np.float32))
    got = tj.jit(lambda x, e, w: np.histogram(x, bins=e, weights=w))(x, edges, w)
    want = np.histogram(x, bins=edges, weights=w)  # NumPy sums sorted weights' cumulative sums
    np.testing.assert_allclose(got[0], want[0], rtol=1e-12)
    big = RNG.random(70000) * 3
    check(lambda x, w: np.histogram(x, bins=5, weights=w), big, RNG.random(70000))  # NumPy's 65536-blocks


def test_histogram_errors() -> None:
    x = _data(np.float64)
    with pytest.raises(ValueError, match="not finite"):
        tj.jit(lambda x: np.histogram(x, bins=3))(x)  # a NaN in the data and no range
    with pytest.raises(ValueError, match="monotonically"):
        tj.jit(lambda x, e: np.histogram(x, bins=e))(x, np.array([0.0, 2.0, 1.0]))
    with pytest.raises(ValueError, match="max must be larger"):
        tj.jit(lambda x: np.histogram(x, bins=3, range=(2, 1)))(x)
    with pytest.raises(ValueError, match="max must be larger"):
        tj.jit(lambda x: np.histogram(x, bins=3, range=(np.nanmax(x), 0)))(x)
    with pytest.raises(UnsupportedError, match="bins='auto'"):
        tj.jit(lambda x: np.histogram(x, bins="auto"), fallback=False)(x)


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.bool_])
def test_bincount(dtype) -> None:
    x = RNG.integers(0, 2 if dtype is np.bool_ else 40, 300).astype(dtype)
    w = RNG.random(300)
    check(lambda x: np.bincount(x), x)  # a data-sized result, returned
    check(lambda x, w: np.bincount(x, weights=w, minlength=3), x[::3], w[::3])
    check(lambda x: np.bincount(x, minlength=70000)[:50], x)  # static: minlength covers the dtype
    check(lambda x: (np.bincount(x).max(), np.bincount(x).sum()), x)  # reduced
    check(lambda x: np.bincount(x, minlength=5), x[:0])


def test_bincount_of_positions() -> None:
    x, w = RNG.random(200) * 12 - 1, RNG.random(200)
    bins = np.array([0.0, 2.5, 5.0, 7.5, 10.0])
    check(lambda x, b, w: (np.bincount(np.digitize(x, b), minlength=b.size + 1), np.bincount(np.digitize(x, b)),
                           np.bincount(np.searchsorted(b, x, "right"), weights=w).sum()), x, bins, w)
    check(lambda x, b: np.bincount(np.digitize(x, b)), x[x < 4], bins)  # the top bins empty: a shorter result


def test_bincount_refusals() -> None:
    with pytest.raises(ValueError, match="negative"):
        tj.jit(lambda x: np.bincount(x))(np.array([1, -2, 3], np.int8))
    with pytest.raises(UnsupportedError, match="no static bound"):
        tj.jit(lambda x: np.bincount(x), fallback=False)(np.array([1, 2, 3]))
    with pytest.raises(TypeError):
        tj.jit(lambda x: np.bincount(x))(np.array([1.0]))


@pytest.mark.parametrize("dtype", DTYPES)
def test_quantiles(dtype) -> None:
    x = (RNG.random((5, 7)) * 100).astype(dtype)

    def f(x, y):
        return (np.percentile(x, 30), np.quantile(x, [0.1, 0.5, 1.0]), np.median(x),
                np.quantile(x, [0.1, 0.95], axis=1), np.quantile(x.T, 0.3, axis=0, keepdims=True),
                np.percentile(y, np.array([37.5, 90])), np.quantile(y, 1), np.percentile(y, 25, keepdims=True))
    check(f, x, x[:, ::2])
    if np.dtype(dtype).kind == "f":
        x[2, 3] = np.nan
        check(lambda x: np.quantile(x, 0.3, axis=1), x)
    with pytest.raises(UnsupportedError, match="method"):
        tj.jit(lambda x: np.quantile(x, 0.3, method="inverted_cdf"), fallback=False)(x)
    x[2, 3] = 1.5
    check(lambda x: np.quantile(x, 0.3, method="inverted_cdf") + 1, x)  # (a host call, as eagerly)


@pytest.mark.parametrize("dtype", [np.int64, np.float32])
def test_quantile_methods(dtype) -> None:
    x = (RNG.random((5, 7)) * 100).astype(dtype)
    methods = ("lower", "higher", "nearest", "midpoint", "averaged_inverted_cdf", "interpolated_inverted_cdf",
               "hazen", "weibull", "median_unbiased", "normal_unbiased")
    check(lambda x: tuple((np.quantile(x, [0, 0.1, 0.77, 1.0], method=m), np.percentile(x, 12.5, axis=1, method=m))
                          for m in methods), x)


@pytest.mark.filterwarnings("ignore:All-NaN slice")
def test_nanquantiles() -> None:
    x = RNG.random((5, 7)) * 100
    x[1, :] = np.nan  # a line of NaNs
    x[2, 3] = x[0, 0] = np.nan
    check(lambda x, y: (np.nanquantile(x, [0.3, 0.5, 1.0], axis=1), np.nanpercentile(x, 30, axis=1, keepdims=True),
                        np.nanpercentile(x, [30, 77.7], axis=0), np.nanquantile(x, 0.3), np.nanquantile(x, 1),
                        np.nanpercentile(y, 37.5, axis=1), np.nanpercentile(y, np.array([37.5]), axis=1)),
          x, x.astype(np.float32))
    check(lambda x: np.nanquantile(x, 0.3), RNG.integers(0, 9, 20))
