"""Results whose size depends on the data (issue 17): ``np.unique`` with its index, inverse
and counts outputs (native, ``frontend/numpy/unique.py``), and host calls returning arrays
whose shape depends on the values (``frontend/hostdynamic.py``): returned or reduced, and a
clear UnsupportedError naming the line for any other use. Each differential against NumPy."""
from __future__ import annotations

import re

import numpy as np
import pytest

import tracejit as tj
from tracejit.frontend import hostdynamic


def _same(got, want):
    got, want = (list(v) if isinstance(v, tuple) else [v] for v in (got, want))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert type(g) is type(w) or (np.ndim(g) == 0 and np.ndim(w) == 0), (type(g), type(w))
        assert np.asarray(g).dtype == np.asarray(w).dtype and np.shape(g) == np.shape(w), (g, w)
        np.testing.assert_array_equal(g, w)


def _all_returns(x):
    return np.unique(x, return_index=True, return_inverse=True, return_counts=True)


INPUTS = [np.array([3, 1, 2, 3, 1, 1], np.int32), np.array([[2.5, -0.0], [0.0, 2.5], [np.nan, np.nan]]),
          np.zeros(0, np.float32), np.array([True, False, True, True]), np.full((2, 3), 7, np.uint8),
          np.arange(9.0, dtype=np.float32)[::-2], np.array(4.0)]


def test_unique_every_output_matches_numpy():
    """Dtypes, zero size, all equal, NaNs as one, 0-d and strided inputs, signed zeros; one
    jitted function over new shapes and dtypes."""
    f = tj.jit(_all_returns, fallback=False)
    for x in INPUTS:
        _same(f(x), _all_returns(x))


@pytest.mark.parametrize("flags", [(True, False, False), (False, True, False), (False, False, True),
                                   (True, False, True)])
def test_unique_each_output_alone_and_nan_unequal(flags):
    index, inverse, counts = flags

    def kernel(x):
        return np.unique(x, return_index=index, return_inverse=inverse, return_counts=counts, equal_nan=False)
    x = np.array([np.nan, 1.0, np.nan, 1.0, -2.0])
    _same(tj.jit(kernel, fallback=False)(x), kernel(x))


def test_unique_outputs_reduced_and_indexed():
    """The counts and indices as a selection: reduced, indexed by a traced integer (the mode),
    combined with scalars; the inverse (a static shape) used in ordinary arithmetic."""
    def kernel(r, w):
        values, first, inverse, counts = np.unique(np.round(r), return_index=True, return_inverse=True,
                                                   return_counts=True)
        mode = values[np.argmax(counts)]
        return mode, counts.sum(), (counts * 2.0).max(), first.min(), values[-1], inverse * w, counts.size
    f = tj.jit(kernel, fallback=False)
    rng = np.random.default_rng(3)
    for n in (40, 7):
        r, w = rng.normal(5.0, 2.0, n), rng.random(n)
        _same(f(r, w), kernel(r, w))


def test_selection_index_out_of_range_raises_after_the_call():
    f = tj.jit(lambda x: np.unique(x)[3], fallback=False)
    assert f(np.array([4, 1, 2, 3])) == 4
    with pytest.raises(IndexError, match="out of bounds"):
        f(np.array([4, 4, 1, 1]))


def test_unique_counts_with_a_fixed_shape_array_refused():
    def kernel(x, y):
        return np.unique(x, return_counts=True)[1] * y
    with pytest.raises(tj.UnsupportedError, match=r"data-dependent size.*test_dynamic_results"):
        tj.jit(kernel, fallback=False)(np.array([1, 1, 2]), np.ones(2))


def _lstsq(a, b):
    x, residuals, rank, sv = np.linalg.lstsq(a, b, rcond=None)
    return x, residuals, rank, sv, np.sum(residuals)


def test_host_call_with_data_sized_residuals():
    """lstsq as a host call: residuals empty for a rank-deficient matrix, the rest static;
    the residuals returned and summed; the table left empty after each call."""
    f = tj.jit(_lstsq)
    rng = np.random.default_rng(0)
    before = hostdynamic.pending()
    for a in (rng.random((6, 3)), np.ones((6, 3)), rng.random((4, 3))):
        b = rng.random((a.shape[0], 2))
        got, want = f(a, b), _lstsq(a, b)
        for g, w in zip(got, want):
            assert np.shape(g) == np.shape(w) and np.asarray(g).dtype == np.asarray(w).dtype
            np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)
        assert hostdynamic.pending() == before  # (every entry dropped when the call returned)


def test_trim_zeros_returned_and_reduced_and_nonzero_of_a_host_result():
    """np.trim_zeros (a host call whose size depends on the values) returned, reduced, indexed; the
    nonzero of a host call's static result (np.linalg.inv) as a selection; new shapes."""
    def kernel(x, m):
        t = np.trim_zeros(np.floor(x))
        rows, cols = np.nonzero(np.linalg.inv(m) > 0.1)
        return (t, t.mean(), np.max(t), t.size, np.sum(t, dtype=np.float32), rows, cols.sum(), x.sum(),
                t[np.argmax(t)], t[-1])
    f = tj.jit(kernel)
    rng = np.random.default_rng(1)
    before = hostdynamic.pending()
    for x in (np.array([0.5, 2.0, 0.1, 3.0, 0.2]), np.array([1.5, 0.0, 2.5]), np.linspace(0.1, 3.0, 8)):
        m = rng.random((3, 3)) + 3 * np.eye(3)
        got, want = f(x, m), kernel(x, m)
        for g, w in zip(got, want):
            assert np.shape(g) == np.shape(w) and np.asarray(g).dtype == np.asarray(w).dtype
            np.testing.assert_allclose(g, w, rtol=1e-12)
        assert hostdynamic.pending() == before  # (every entry dropped when the call returned)


def test_data_sized_host_result_used_elsewhere_is_refused():
    def kernel(x):
        return np.unique(x, axis=0) + x[:1]
    (_, _, why), = tj.jit(kernel).lower(np.ones((3, 2))).fallbacks  # refused: runs eagerly
    assert re.search(r"numpy.unique.*depends on the values.*test_dynamic_results", why)
    np.testing.assert_array_equal(tj.jit(kernel)(np.ones((3, 2))), kernel(np.ones((3, 2))))

    def in_loop(x):
        return tj.fori_loop(0, 3, lambda i, total: total + np.trim_zeros(x - i).sum(), 0.0)
    (_, _, why), = tj.jit(in_loop).lower(np.ones(4)).fallbacks
    assert re.search(r"numpy.trim_zeros.*outside loops.*test_dynamic_results", why)
    assert tj.jit(in_loop)(np.ones(4)) == in_loop(np.ones(4))


def test_data_sized_host_result_index_error_is_the_eager_error():
    f = tj.jit(lambda x: np.trim_zeros(x)[2])
    assert f(np.array([0.0, 1.0, 2.0, 3.0])) == 3.0
    before = hostdynamic.pending()
    with pytest.raises(IndexError, match="out of bounds"):
        f(np.array([0.0, 1.0, 0.0]))
    assert hostdynamic.pending() <= before + 1  # (a call that raised inside leaves its entry: bounded table)
    f(np.array([0.0, 1.0, 2.0, 3.0]))
    assert hostdynamic.pending() <= before + 1
