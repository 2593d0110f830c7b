"""Regressions found by the applied real-world kernels (tests/realworld/applied*.py): chained
comparisons, round()/sum(), a range step from a Python int argument, lists a traced `break` ends;
each minimized and run under tj.jit against eager NumPy."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from tests.differential import same


def test_chained_comparison_of_traced_values_is_a_traced_and():
    def inside(x, lo, hi):
        out = np.zeros(len(x))
        for i in range(len(x)):
            if lo <= x[i] < hi:
                out[i] = 1.0
        return out

    def neighbours(img):
        H = img.shape[0]
        s = 0.0
        for i in range(H):
            for d in (-1, 1):
                k = i + d
                if 0 <= k < H and img[k, 0] > 0:  # (img[H, 0] never read)
                    s += img[k, 0]
        return s

    x = np.array([0.1, 0.5, 1.5, -0.2, 1.0, 0.0])
    same(tj.jit(inside)(x, 0.0, 1.0), inside(x, 0.0, 1.0))
    for img in (np.arange(12.0).reshape(4, 3) - 5, np.arange(-3.0, 3.0).reshape(6, 1)):
        same(tj.jit(neighbours)(img), neighbours(img))
    notes = tj.jit(inside).lower(x, 0.0, 1.0).as_text("source")
    assert "unrolled" not in notes.split("# note", 1)[-1]


def test_chained_comparison_of_python_values_keeps_python_semantics():
    calls = []

    def mid(v):
        calls.append(v)
        return v

    def f(a, b):
        return 1 < 2 < 3, 3 < mid(2) < mid(9), 1 in (1, 2) != 0, a < b <= a + 1, a is not None is not False

    want = f(1, 2)
    eager_calls, calls[:] = calls[:], []
    same(tj.jit(f)(1, 2), want)
    assert eager_calls == [2] and set(calls) == {2}  # (each trace) in order, only while the comparisons hold


def test_round_and_sum_of_traced_values():
    def f(cdf, levels):
        lut = np.zeros(levels, dtype=np.int64)
        for k in range(levels):
            lut[k] = round(cdf[k] / cdf[-1] * (levels - 1))
        return lut, round(cdf[0] * 0.5), sum(cdf), sum(cdf[cdf > 2.0])

    for cdf in (np.cumsum(np.arange(8.0)), np.array([0.5, 1.5, 2.5, 3.5])):
        same(tj.jit(f)(cdf, len(cdf)), f(cdf, len(cdf)))


def test_range_step_from_a_python_int_argument():
    def batch_means(x, batch_size):
        out = []
        for start in range(0, len(x), batch_size):
            out.append(x[start:start + batch_size].mean())
        return np.array(out)

    f = tj.jit(batch_means)
    for x, b in ((np.arange(10.0), 4), (np.arange(12.0), 3), (np.arange(7.0), 7)):
        same(f(x, b), batch_means(x, b))


def _until(x, tol):
    losses = []
    v = 1.0
    for i in range(len(x)):
        v = v * x[i]
        losses.append(v)
        if v < tol:
            break
    return np.array(losses), len(losses), losses[-1], sum(losses), losses[0]


def _rows(x, tol):
    history = [np.zeros(2)]
    w = np.zeros(2)
    for i in range(len(x)):
        w = w + x[i]
        history.append(w.copy())
        if w.sum() > tol:
            break
    return np.array(history)


@pytest.mark.parametrize("n", [1, 3, 10])
def test_list_appended_before_a_traced_break(n):
    rng = np.random.default_rng(n)
    x = rng.uniform(0.3, 1.0, n)
    for tol in (0.2, 1e-9):
        same(tj.jit(_until)(x, tol), _until(x, tol))
    X = rng.uniform(0, 1, (n, 2))
    for tol in (1.5, 100.0):
        same(tj.jit(_rows)(X, tol), _rows(X, tol))


def test_list_a_traced_break_ends_refuses_python_list_uses():
    def index(x, k):
        out = []
        for i in range(len(x)):
            out.append(x[i])
            if x[i] < 0.5:
                break
        return out[k]

    def pop(x):
        out = []
        for i in range(len(x)):
            out.append(x[i])
            if x[i] < 0.5:
                break
        return out.pop()

    x = np.array([1.0, 2.0, 0.1, 4.0, 5.0])
    assert tj.jit(index, fallback=False)(x, -2) == index(x, -2) and tj.jit(index, fallback=False)(x, 2) == index(x, 2)
    with pytest.raises(IndexError, match="list index out of range"):
        tj.jit(index, fallback=False)(x, 3)
    with pytest.raises(tj.UnsupportedError, match=r"\.pop of the list 'out'.*test_realworld_regressions_applied.py"):
        tj.jit(pop, fallback=False)(x)


def test_traced_bound_slice_then_traced_index():
    def pivot_and_clear(R, x):
        R = R.copy()
        r = int((x > 0).sum())
        c = int((x > 1).sum())
        p = r + np.argmax(np.abs(R[r:, c]))
        total = R[r:, c].sum()
        R[r:, c] = 0.0
        return p, total, R

    R = np.arange(12.0).reshape(4, 3) - 5
    for x in (np.array([1.0, -1, 2]), np.array([1.0, 3, 2]), np.array([-1.0, -1, -2])):
        same(tj.jit(pivot_and_clear)(R, x), pivot_and_clear(R, x))


def test_flat_reads_and_iteration():
    def positive_sum(img):
        s = 0.0
        for v in img.flat:
            if v > 0:
                s += v
        return s, img.flat[3], np.sum(img.T.flat[:4])

    def write_through(img):
        img.flat[2] = 5.0
        return img

    for img in (np.arange(12.0).reshape(3, 4) - 5, np.arange(-3.0, 5.0).reshape(2, 2, 2)):
        same(tj.jit(positive_sum)(img), positive_sum(img))
    same(tj.jit(write_through)(np.zeros((2, 3))), write_through(np.zeros((2, 3))))  # (writes reach the array)


def test_median_of_a_data_sized_selection():
    def running_median(x, k):
        half = k // 2
        out = np.empty(len(x))
        for i in range(len(x)):
            out[i] = np.median(x[max(0, i - half):min(len(x), i + half + 1)])
        return out

    def medians(x, t):
        return np.median(x[x > t]), np.median(x[:(x > t).sum()]), np.median(x[x > t], axis=0)

    for n in (1, 6, 40):
        x = np.random.default_rng(n).standard_normal(n)
        same(tj.jit(running_median)(x, 5), running_median(x, 5))
    notes = tj.jit(running_median).lower(x, 5).as_text("source")
    assert "unrolled" not in notes.split("# note", 1)[-1]
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning):
        for x in (np.array([1.0, 5, 2, np.nan, 3]), np.array([3, 1, 2, 7], dtype=np.int32),
                  np.array([1.5, 2.5, -1.0], np.float32), np.array([np.inf, 1.0, 2.0, np.inf])):
            for t in (0.0, 100.0, 1.5):
                got, want = tj.jit(medians)(x, t), medians(x, t)
                for g, w in zip(got, want):
                    assert np.asarray(g).dtype == np.asarray(w).dtype
                    np.testing.assert_array_equal(g, w)


def _peaks(x):
    peaks = []
    for i in range(1, len(x) - 1):
        if x[i] > x[i - 1] and x[i] > x[i + 1]:
            peaks.append(i)
    return np.array(peaks, dtype=np.int64), len(peaks)


def _kept_rows(X, t):
    keep = [np.zeros(X.shape[1])]
    for row in X:
        if row.sum() > t:
            keep.append(row * 2)
        else:
            keep.append(-row)
        if row[0] > 2.0:
            break
    return np.array(keep)


def _after_break(x, t):
    out = []
    v = 1.0
    for i in range(len(x)):
        v = v * x[i]
        if v < t:
            break
        out.append(v)
    return np.array(out)


@pytest.mark.parametrize("n", [3, 4, 12])
def test_list_appended_under_a_traced_condition(n):
    rng = np.random.default_rng(n)
    x = rng.standard_normal(n)
    same(tj.jit(_peaks)(x), _peaks(x))
    same(tj.jit(_peaks)(np.sort(x)), _peaks(np.sort(x)))  # (no peak: int64 as asked)
    X = rng.standard_normal((n, 2)) * 2
    for t in (0.0, 10.0):
        same(tj.jit(_kept_rows)(X, t), _kept_rows(X, t))
    y = rng.uniform(0.3, 1.0, n)
    for t in (0.2, 1e-9):
        same(tj.jit(_after_break)(y, t), _after_break(y, t))


def test_two_appends_in_one_step_under_traced_conditions_are_refused_when_they_happen():
    def twice(x):
        out = []
        for i in range(len(x)):
            if x[i] > 0:
                out.append(x[i])
            if x[i] > 1:
                out.append(x[i])
        return np.array(out)

    x = np.array([0.5, 0.2, -1.0, 0.7, 0.1])
    same(tj.jit(twice)(x), twice(x))
    with pytest.raises(tj.UnsupportedError, match="appends to the list 'out' more than once"):
        tj.jit(twice)(np.array([0.5, 2.0, -1.0, 0.7, 0.1]))


def test_assignment_through_a_selection_of_indices():
    def drop_outliers(x, z):
        idx = []
        for i in range(len(x)):
            if abs(x[i]) > z:
                idx.append(i)
        mask = np.ones(len(x), dtype=bool)
        mask[np.array(idx, dtype=np.int64)] = False
        return mask, x[mask].max()

    def zero_rows(X, sel):
        X = X.copy()
        X[sel[sel != 9]] = 0.0
        return X

    x = np.random.default_rng(0).standard_normal(12)
    for z in (1.0, 0.2, 100.0):
        same(tj.jit(drop_outliers)(x, z), drop_outliers(x, z))
    X = np.arange(15.0).reshape(5, 3)
    same(tj.jit(zero_rows)(X, np.array([1, -1, 3, 1, 9, -4])), zero_rows(X, np.array([1, -1, 3, 1, 9, -4])))
    with pytest.raises(IndexError, match="out of bounds"):
        tj.jit(zero_rows)(X, np.array([1, 7]))
