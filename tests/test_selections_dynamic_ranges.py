"""Slices whose bounds are read from data (frontend/numpy/ranges.py, range_selection.py), against
NumPy eager: reductions looping over the range, elementwise products and dots of ranges by the
same bounds, gathers through them (CSR mat-vec), len(), writes, errors."""
from __future__ import annotations

import re

import numpy as np
import pytest

import tracejit as tj
from tests.conftest import assert_same
from tests.differential import check
from tracejit.frontend.pybuiltins import len_

pytestmark = pytest.mark.filterwarnings("ignore:Mean of empty slice", "ignore:invalid value encountered")
RNG = np.random.default_rng(1616)


def csr_matrix(n, per_row, dtype=np.float64, index_dtype=np.int64):
    counts = RNG.integers(0, 2 * per_row + 1, n)
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(index_dtype)
    indices = RNG.integers(0, n, int(indptr[-1])).astype(index_dtype)
    return RNG.standard_normal(int(indptr[-1])).astype(dtype), indices, indptr, RNG.standard_normal(n).astype(dtype)


def csr_eager(data, indices, indptr, x):
    y = np.zeros(indptr.shape[0] - 1, np.result_type(data.dtype, x.dtype))
    for i in range(indptr.shape[0] - 1):
        cols = indices[indptr[i]:indptr[i + 1]]
        y[i] = data[indptr[i]:indptr[i + 1]] @ x[cols]
    return y


def csr_fori(data, indices, indptr, x):
    """The CSR mat-vec with its row loop as tj.fori_loop (what a rolled ``for`` makes of it)."""
    def row(i, y):
        cols = indices[indptr[i]:indptr[i + 1]]
        y[i] = data[indptr[i]:indptr[i + 1]] @ x[cols]
        return y
    return tj.fori_loop(0, indptr.shape[0] - 1, row, np.zeros(indptr.shape[0] - 1, np.result_type(data.dtype, x.dtype)))


@pytest.mark.parametrize("dtype, index_dtype", [(np.float64, np.int64), (np.float32, np.int32),
                                                (np.int32, np.int64)])
def test_csr_matvec_in_a_rolled_loop(dtype, index_dtype):
    f = tj.jit(csr_fori)
    for n, per_row in ((8, 3), (13, 1), (1, 0), (40, 5)):  # (new sizes; empty rows; no entries at all)
        args = csr_matrix(n, per_row, dtype, index_dtype)
        if np.dtype(dtype).kind == "i":
            args = tuple((a * 4).astype(dtype) if a.dtype.kind == "f" else a for a in args)
        assert_same(f(*args), csr_eager(*args), ulps=64)


def test_csr_row_reductions_loop_over_the_range_only():
    f = tj.jit(csr_fori)
    text = f.lower(*csr_matrix(8, 3)).as_text()
    assert re.search(r"bool\[\d", text) is None  # no mask over the whole array: loops from start to stop


def row_stats(data, indptr, i):
    s, e = indptr[i], indptr[i + 1]
    row = data[s:e]
    return (row.sum(), row.prod(), row.mean(), np.sum(row * 2 + 1), (row > 0).any(), (row > -1).all(), len_(row),
            row.astype(np.float32).sum(), data[s:].sum(), data[:e].mean(), (row * row).sum())


def row_extremes(data, indptr, i):
    row = data[indptr[i]:indptr[i + 1]]
    return row.max(), np.min(row), np.maximum.reduce(row)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int32, np.uint8, np.bool_])
def test_reductions_of_ranges(dtype):
    data, _, indptr, _ = csr_matrix(6, 2)
    data = (data * 3).astype(dtype)
    for i in range(6):
        check(row_stats, data, indptr, i, ulps=16)
        check(row_extremes, data, indptr, i)  # (ValueError where the row is empty, after the call)


def test_ranges_of_rows_and_negative_bounds():
    a = RNG.standard_normal((7, 3))
    for s, e in ((1, 4), (-3, 7), (2, -1), (5, 2), (-20, 20), (0, 0)):
        bounds = np.array([s, e])
        check(lambda a, b: (a[b[0]:b[1]].sum(axis=0), a[b[0]:b[1]].mean(axis=0, keepdims=True),
                            a[b[0]:b[1], 1].sum(), a[b[0]:b[1]].max(axis=1), a[b[0]:b[1]] * 2), a, bounds, ulps=8)


def test_ranges_returned_and_written():
    x = RNG.standard_normal(9)
    for s, e in ((2, 6), (6, 2), (-4, 9)):
        b = np.array([s, e], np.int32)

        def f(x, b):
            piece = x[b[0]:b[1]] * 2 + x[b[0]:b[1]]
            y = x.copy()
            y[b[0]:b[1]] = 0.5
            z = x.copy()
            z[b[0]:b[1]] = x[b[0]:b[1]] * 3
            z[b[0]:b[1]] += 1
            return piece, y, z, np.dot(x[b[0]:b[1]], x[b[0]:b[1]])
        check(f, x, b, ulps=8)


def test_gathers_through_ranges_check_only_the_selected_indices():
    def f(x, idx, b):
        return x[idx[b[0]:b[1]]].sum(), x[idx[b[0]:b[1]]] * 1.0

    x = RNG.standard_normal(5)
    idx = np.array([0, 4, -1, 99, 2])  # 99 is out of range: only a range selecting it raises
    check(f, x, idx, np.array([0, 3]))
    with pytest.raises(IndexError):
        tj.jit(f)(x, idx, np.array([2, 5]))
    check(f, x, idx, np.array([4, 5]))


def test_products_of_different_ranges_are_refused_clearly():
    def f(x, b):
        return x[b[0]:b[1]] @ x[b[1]:b[2]]
    with pytest.raises(tj.TracerConversionError, match="data-dependent size.*test_selections_dynamic_ranges"):
        tj.jit(f, fallback=False)(np.ones(6), np.array([0, 2, 4]))
    with pytest.raises(tj.TracerConversionError):  # (a loop over such rows is generalized or unrolled)
        tj.jit(lambda x, b: x[1, b[0]:b[1]].sum(), fallback=False)(np.ones((3, 6)), np.array([0, 2]))

    def column_write(x, b):  # a traced int after the traced slice: the int indexes a view first
        x[b[0]:, b[1]] = x[b[0]:, b[1]].sum()
        return x
    for b in (np.array([0, 2]), np.array([2, -1]), np.array([-1, 0])):
        np.testing.assert_array_equal(tj.jit(column_write, fallback=False)(np.arange(18.0).reshape(3, 6), b),
                                      column_write(np.arange(18.0).reshape(3, 6), b))
    with pytest.raises(tj.TracerConversionError, match="data-dependent size"):
        tj.jit(lambda x, b: x[b[0]:b[1]] + x, fallback=False)(np.ones(6), np.array([0, 2]))


def test_python_int_arguments_as_bounds_stay_static():
    f = tj.jit(lambda x, n: x[:n] * 2)
    assert_same(f(np.arange(6.0), 4), np.arange(4.0) * 2)
    assert_same(f(np.arange(6.0), 2), np.arange(2.0) * 2)
    with pytest.raises(TypeError, match="slice indices must be integers"):
        tj.jit(lambda x, b: x[b[0]:].sum())(np.ones(6), np.array([0.5]))


def test_gathers_through_mask_selections():
    def f(x, m):
        picked = x[np.nonzero(m)[0]]
        return picked.sum(axis=0), (picked * 2).max(axis=0), x[np.flatnonzero(m)].mean(axis=0), picked
    x = RNG.standard_normal((6, 2))
    for m in (RNG.random(6) > 0.5, np.ones(6, bool)):
        check(f, x, m, ulps=8)
    with pytest.raises(ValueError, match="zero-size"):
        tj.jit(f)(x, np.zeros(6, bool))


def test_ranges_in_loops_and_branches():
    def windows(data, b):  # a window made outside, reduced in a loop body and a branch; bounds carried
        row = data[b[0]:b[1]]
        total = tj.fori_loop(0, 3, lambda i, acc: acc + row.sum() * i, 0.0)
        branch = tj.cond(len_(row) > 3, lambda r: row.max() + r, lambda r: r - 1.0, 0.5)
        s = tj.while_loop(lambda s: np.logical_and(s[0] < s[1], np.abs(data[s[0]:s[1]].sum()) > 0.5),
                          lambda s: np.array([s[0] + 1, s[1]]), b)
        return total, branch, s, data[s[0]:s[1]].sum()

    def windows_eager(data, b):
        row = data[b[0]:b[1]]
        s = b.copy()
        while s[0] < s[1] and abs(data[s[0]:s[1]].sum()) > 0.5:
            s = np.array([s[0] + 1, s[1]])
        return sum(row.sum() * i for i in range(3)), row.max() + 0.5 if len(row) > 3 else -0.5, s, data[s[0]:s[1]].sum()

    f = tj.jit(windows)
    for b in ((2, 9), (4, 5), (7, 7)):
        data = RNG.standard_normal(12)
        assert_same(f(data, np.array(b)), windows_eager(data, np.array(b)), ulps=16)


def test_segment_means_of_rows():
    def segments(A, ptr):
        def seg(i, out):
            rows = A[ptr[i]:ptr[i + 1]]
            out[i] = tj.cond(len_(rows) > 0, lambda: rows.mean(axis=0), lambda: np.zeros(A.shape[1], A.dtype))
            return out
        return tj.fori_loop(0, ptr.shape[0] - 1, seg, np.zeros((ptr.shape[0] - 1, A.shape[1])))

    def segments_eager(A, ptr):
        out = np.zeros((ptr.shape[0] - 1, A.shape[1]))
        for i in range(ptr.shape[0] - 1):
            rows = A[ptr[i]:ptr[i + 1]]
            out[i] = rows.mean(axis=0) if len(rows) > 0 else 0.0
        return out

    f = tj.jit(segments)
    for A, ptr in ((RNG.standard_normal((10, 4)), np.array([0, 3, 3, 7, 10])),
                   (RNG.standard_normal((5, 2)).astype(np.float32), np.array([0, 0, 5]))):
        assert_same(f(A, ptr), segments_eager(A, ptr), ulps=16)
