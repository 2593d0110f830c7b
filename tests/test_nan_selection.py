"""``np.nanmedian``, ``np.nanquantile``, ``np.nanpercentile`` of traced floats, native: a
partition whose ranks the kernel reads from each line's count of numbers
(``frontend/numpy/nanselect.py``), bit for bit with NumPy, all-NaN lines included."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import tracejit as tj
from tests.differential import check

RNG = np.random.default_rng(17)


def _data(shape, dtype, nan_fraction=0.3):
    a = (RNG.standard_normal(shape) * 4).astype(dtype)
    if a.dtype.kind == "f":
        a[RNG.random(shape) < nan_fraction] = np.nan
        if a.ndim > 1:
            a[-1] = np.nan  # an all-NaN line (the last: NumPy's nanquantile takes its dtype from the first line)
    return a


def medians(a):
    return (np.nanmedian(a), np.nanmedian(a, axis=-1), np.nanmedian(a, axis=0, keepdims=True),
            np.nanmedian(a, axis=(0, -1)))


def quantiles(a):
    return (np.nanquantile(a, [0.0, 0.25, 0.5, 0.51, 1.0], axis=-1), np.nanpercentile(a, 37.5, axis=0),
            np.nanquantile(a, 0.5, keepdims=True), np.nanpercentile(a, [90, 10]))


CASES = [((5, 7), np.float64), ((4, 8), np.float32), ((2, 3, 5), np.float64), ((3, 601), np.float32)]


@pytest.mark.parametrize("shape,dtype", CASES[:2] + [pytest.param(*c, marks=pytest.mark.slow) for c in CASES[2:]])
def test_nan_medians_and_quantiles(shape, dtype):
    a = _data(shape, dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        check(medians, a)
        check(quantiles, a)
    assert not tj.jit(medians, fallback=False).lower(a).fallbacks


def test_nan_medians_across_rows_and_long_lines():
    a = _data((3, 601), np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        check(lambda a: (np.nanmedian(a.T, axis=0), np.nanpercentile(a, 70, axis=1)), a)
        check(lambda a: np.nanmedian(a, axis=(0, 2)), _data((2, 3, 5), np.float64))


def test_nanmedian_routes_round_as_numpy():
    """Short lines of a 2-D array take NumPy's masked median ((x + x) / 2 of an odd count:
    inf at the float max), 1-d reductions and long lines the plain median (x)."""
    big = np.finfo(np.float64).max
    a = np.array([[big, np.nan, big, big], [1.0, 2.0, np.nan, 4.0]])
    check(medians, a)
    check(medians, np.array([big, np.nan, big, big]))
    check(lambda a: np.nanmedian(a, axis=1), np.full((2, 601), big))


@pytest.mark.parametrize("dtype", [np.int32, np.bool_])
def test_nanmedian_integers_are_median(dtype):
    check(medians, _data((4, 5), dtype))


def test_all_nan_lines_warn_and_give_nan():
    a = np.array([[np.nan, np.nan], [1.0, np.nan]])
    f = tj.jit(lambda a: (np.nanmedian(a, axis=1), np.nanquantile(a, 0.3, axis=1)))
    with pytest.warns(RuntimeWarning, match="All-NaN slice encountered"):
        got = f(a)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning without an all-NaN line
        f(np.ones((2, 2)))
    with pytest.warns(RuntimeWarning):
        want = (np.nanmedian(a, axis=1), np.nanquantile(a, 0.3, axis=1))
    for x, y in zip(got, want):
        np.testing.assert_array_equal(x, y)


def test_nan_selection_edges():
    check(lambda a: np.nanmedian(a, axis=0), np.zeros((0, 3)))  # empty: NumPy's nanmean
    check(lambda a: (np.nanmedian(a), np.nanquantile(a, 0.7)), np.array([np.nan]))
    check(lambda a: np.nanmedian(a[::2], axis=1), _data((6, 9), np.float64))  # strided
    f = tj.jit(lambda a: np.nanpercentile(a, [5, 95], axis=1))
    for n in (3, 40):  # a second call, new shapes
        a = _data((4, n), np.float64)
        np.testing.assert_array_equal(f(a), np.nanpercentile(a, [5, 95], axis=1))


def test_nanquantile_of_float32_quantiles_keeps_float32():
    """A NumPy float32 ``q`` (not weak): NumPy's ``(n - 1) * q`` and the interpolation are in
    float32, so the result is float32 (was float64: the count of numbers was an int64 tracer)."""
    a = _data((4, 8), np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        check(lambda a: (np.nanquantile(a, np.float32(0.3), axis=1), np.nanpercentile(a, np.float32(37.5)),
                         np.nanquantile(a, np.array([0.25, 0.75], np.float32), axis=0)), a)
        check(lambda a: np.nanquantile(a, np.float16(0.5), axis=1), a.astype(np.float16))


def test_nanquantile_all_nan_first_line_dtype():
    """NumPy's nanquantile takes the result's dtype from its first line (``apply_along_axis``):
    float32 data with float64 ``q`` give float32 where the first line is all NaN (the others
    rounded to it), float64 otherwise. Under the jit the dtype is static: weak (Python) ``q``
    and float32 ``q`` give float32 either way, as NumPy; float64 array ``q`` gives float64 (NumPy's
    dtype where the first line holds a number) with each line's float64 value."""
    a = _data((4, 8), np.float32)
    a[0] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        check(lambda a: (np.nanquantile(a, 0.3, axis=1), np.nanpercentile(a, 40, axis=1),
                         np.nanquantile(a, np.float32(0.75), axis=1)), a)
        f = tj.jit(lambda a: np.nanquantile(a, [0.25, 0.5], axis=1))
        got, want = f(a), np.nanquantile(a, [0.25, 0.5], axis=1)
        assert want.dtype == np.float32 and got.dtype == np.float64  # (the documented deviation)
        np.testing.assert_array_equal(got.astype(np.float32), want)
        b = a[1:].copy()  # an all-NaN line, but not the first: NumPy's float64 too
        b[0, 0] = 1.5
        check(lambda a: np.nanquantile(a, [0.25, 0.5], axis=1), b)
