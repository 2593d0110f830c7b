"""The introselect kernels (``codegen/select.py``) against NumPy: ``np.partition`` /
``np.argpartition`` (the partition property, the kth values NumPy's), the quantiles and
median that select their ranks instead of sorting (bit-identical), and the head of a
sort rewritten into a partial sort (exactly the stable sort's head)."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj

METHODS = ["linear", "lower", "higher", "nearest", "midpoint", "averaged_inverted_cdf", "interpolated_inverted_cdf",
           "hazen", "weibull", "median_unbiased", "normal_unbiased"]


def _partitioned(x: np.ndarray, kth, axis: int, got: np.ndarray, index: np.ndarray) -> None:
    """``got`` (a partition) and ``x`` taken at ``index`` (an argpartition) hold NumPy's
    kth values in place, smaller or equal before, larger or equal after (NaNs last)."""
    want = np.partition(x, kth, axis=axis)
    assert got.dtype == want.dtype and got.shape == want.shape
    assert index.dtype == np.intp and index.shape == x.shape
    n = x.shape[axis]
    lines, wanted, idx = (np.moveaxis(v, axis, -1) for v in (got, want, index))
    taken = np.take_along_axis(np.moveaxis(x, axis, -1), idx, axis=-1)
    assert (np.sort(idx, axis=-1) == np.arange(n)).all()  # a permutation of each line
    np.testing.assert_array_equal(np.sort(lines, axis=-1), np.sort(wanted, axis=-1))
    for k in np.atleast_1d(kth) % n:
        for arr in (lines, taken):
            at = arr[..., k:k + 1]
            np.testing.assert_array_equal(arr[..., k], wanted[..., k])
            with np.errstate(invalid="ignore"):
                assert not (arr[..., :k] > at).any() and not (arr[..., k + 1:] < at).any()


def _values(rng, shape, dtype, ties=False):
    if np.dtype(dtype).kind == "b":
        return rng.integers(0, 2, shape).astype(bool)
    if np.dtype(dtype).kind in "iu":
        return rng.integers(-3 if ties else -1000, 3 if ties else 1000, shape).astype(dtype)
    x = rng.standard_normal(shape).astype(dtype)
    return np.round(x, 1) if ties else x


@pytest.mark.parametrize("dtype, ties, kth, axis", [
    (np.float64, False, 7, -1), (np.float64, True, [0, 10, -1], 1), (np.float32, False, [3, 4], 0),
    (np.int64, True, -3, 0), (np.int32, False, [0, 1, 2, 30, 31], -1), (np.bool_, True, 20, 1)])
def test_partition_property(dtype, ties, kth, axis):
    rng = np.random.default_rng(1)
    f = tj.jit(lambda a: (np.partition(a, kth, axis=axis), np.argpartition(a, kth, axis=axis)), fallback=False)
    for shape in ((40, 3) if axis == 0 else (3, 40), (41, 40)):  # a second call: new shapes, one jitted function
        x = _values(rng, shape, dtype, ties)
        _partitioned(x, kth, axis, *f(x))


def test_partition_nans_and_layouts():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((300, 9))  # (lines of 256 or more across the rows: copied contiguous first)
    x[::7, 2] = np.nan
    x[:, 5] = np.nan
    x[:250, 6] = np.nan
    f = tj.jit(lambda a: (np.partition(a, [0, 30, 59], axis=0), np.argpartition(a, [0, 30, 59], axis=0)),
               fallback=False)
    _partitioned(x, [0, 30, 59], 0, *f(x))
    y = np.asfortranarray(rng.standard_normal((61, 9)))[:, ::2]  # strided lines, shorter
    _partitioned(y, [0, 30, 59], 0, *f(y))
    g = tj.jit(lambda a: (np.partition(a, 0, axis=None), np.argpartition(a, 0, axis=None)), fallback=False)
    _partitioned(x.T.ravel(), 0, 0, *g(x.T))


@pytest.mark.parametrize("kind", ["sorted", "reversed", "equal", "organ", "sawtooth"])
def test_partition_hard_lines(kind):
    n = 3001
    line = {"sorted": np.arange(n), "reversed": np.arange(n)[::-1], "equal": np.zeros(n),
            "organ": np.r_[np.arange(n // 2), np.arange(n - n // 2)[::-1]], "sawtooth": np.arange(n) % 17}[kind]
    x = np.asarray(line, np.float64)[None, :]
    f = tj.jit(lambda a: (np.partition(a, [5, 1500, 1501, 2999], axis=1),
                          np.argpartition(a, [5, 1500, 1501, 2999], axis=1)), fallback=False)
    _partitioned(x, [5, 1500, 1501, 2999], 1, *f(x))


def test_partition_small_and_empty():
    f = tj.jit(lambda a: (np.partition(a, 0, axis=1), np.argpartition(a, -1, axis=1)), fallback=False)
    for x in (np.array([[2.5]]), np.zeros((0, 4)), np.array([[3.0, np.nan], [np.nan, 1.0]])):
        p, i = f(x)
        assert p.shape == x.shape and i.shape == x.shape and i.dtype == np.intp
        if x.size:
            _partitioned(x, 0, 1, p, np.argpartition(x, 0, axis=1))
            np.testing.assert_array_equal(np.take_along_axis(x, i, 1)[:, -1], np.partition(x, -1, axis=1)[:, -1])


def _same(got, want):
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape, (got.dtype, want.dtype, got.shape, want.shape)
    assert np.array_equal(got, want, equal_nan=True) and (np.signbit(got) == np.signbit(want)).all(), (got, want)


@pytest.mark.parametrize("dtype, methods", [(np.float64, METHODS[0::3]), (np.float32, METHODS[1::3]),
                                            (np.int64, METHODS[2::3])])
def test_percentile_methods_bit_identical(dtype, methods):
    rng = np.random.default_rng(3)
    f = tj.jit(lambda a: tuple(np.percentile(a, [0, 1, 37.5, 50, 99, 100], axis=0, method=m) for m in methods),
               fallback=False)
    x = _values(rng, (41, 3), dtype)
    for g, m in zip(f(x), methods):
        _same(g, np.percentile(x, [0, 1, 37.5, 50, 99, 100], axis=0, method=m))


@pytest.mark.parametrize("axis, keepdims", [(None, False), (1, True), ((2, 0), True)])
def test_quantiles_and_median_axes(axis, keepdims):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((6, 4, 7))
    x[1, 2, 3] = np.nan
    x[:, 0, :] = np.round(x[:, 0, :])  # ties

    def fns(a):
        return (np.median(a, axis=axis, keepdims=keepdims), np.quantile(a, 0.3, axis=axis, keepdims=keepdims),
                np.percentile(a, [[5, 95], [25, 75]], axis=axis, keepdims=keepdims),
                np.nanpercentile(a, 40, axis=axis, keepdims=keepdims))
    f = tj.jit(fns, fallback=False)
    for y in (x, x[:, :, ::2]) if axis is None else (x,):  # a second shape, strided
        for g, w in zip(f(y), fns(y)):
            _same(g, w)


def test_median_odd_even():
    rng = np.random.default_rng(6)
    f = tj.jit(lambda a, b: (np.median(a), np.median(b), np.percentile(a, [25, 75])), fallback=False)
    for n in (1, 2, 1000, 1001):
        x = rng.standard_cauchy(n)
        ints = rng.integers(0, 9, n)
        for g, w in zip(f(x, ints), (np.median(x), np.median(ints), np.percentile(x, [25, 75]))):
            _same(g, w)


def test_partitions_of_one_array_merge():
    x = np.random.default_rng(7).standard_normal(501)
    f = tj.jit(lambda a: (np.median(a), np.percentile(a, [25, 75])), fallback=False)
    graph = f.lower(x).optimized.graph
    kths = [graph.attrs(n)["kth"] for n in graph.topo_order() if graph.op(n) == "partition"]
    assert kths == [(125, 126, 250, 375, 376)]  # (an exact 25th percentile still reads its next rank, as NumPy)
    for g, w in zip(f(x), (np.median(x), np.percentile(x, [25, 75]))):
        _same(g, w)


def test_sort_heads_are_the_stable_sorts():
    rng = np.random.default_rng(5)
    x = np.round(rng.standard_normal((4, 300)), 1)
    x[0, ::3] = np.nan
    x[1, :] = np.nan
    x[2, :250] = np.nan  # fewer numbers than k
    x[3, ::2] = -0.0
    x[3, 1::2] = 0.0

    def fns(a):
        return np.sort(a, axis=1)[:, :30], np.argsort(a, axis=1)[:, :30], np.argsort(a.T, axis=0)[:3]
    f = tj.jit(fns, fallback=False)
    ops = {f.lower(x).optimized.graph.op(n) for n in f.lower(x).optimized.graph.topo_order()}
    assert {"sort_head", "argsort_head"} <= ops
    stable = (np.sort(x, axis=1, kind="stable")[:, :30], np.argsort(x, axis=1, kind="stable")[:, :30],
              np.argsort(x.T, axis=0, kind="stable")[:3])
    for g, w in zip(f(x), stable):
        _same(g, w)
    y = rng.integers(0, 4, (3, 2000)).astype(np.int32)  # many ties, a head sorted by heapsort
    g = tj.jit(lambda a: (np.argsort(a, axis=1)[:, :200], np.sort(a, axis=-1)[:, :20]), fallback=False)
    for got, want in zip(g(y), (np.argsort(y, axis=1, kind="stable")[:, :200], np.sort(y, axis=1)[:, :20])):
        _same(got, want)
