"""Issue 17's natively compiled NumPy functions (part 2): ``nan*`` functions, ``average``,
``trapezoid``, ``cov``/``corrcoef``, ``linspace``/``logspace``/``geomspace`` with traced
endpoints, ``clip`` with array bounds: jit against eager NumPy (values, dtype, shape,
exception type)."""
from __future__ import annotations

import zlib

import numpy as np
import pytest

import tracejit as tj
from tests.conftest import assert_same
from tests.differential import check

rng = np.random.default_rng(1717)


@pytest.fixture(autouse=True)
def _seeded(request):
    """Each test's values from its own name: the same whichever tests run before it."""
    global rng
    rng = np.random.default_rng(zlib.crc32(request.node.name.encode()))


def with_nans(shape, dtype="float64", every=3):
    x = rng.standard_normal(shape).astype(dtype)
    x.reshape(-1)[::every] = np.nan
    return x


# -- nan functions -------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_nan_reductions(dtype):
    x = with_nans((4, 6), dtype)
    x[1] = np.nan  # an all-NaN row
    check(lambda a: (np.nansum(a), np.nansum(a, axis=0), np.nanprod(a, axis=1, keepdims=True),
                     np.nanmean(a), np.nanmean(a, axis=1), np.nanmean(a[:, ::2], axis=0, keepdims=True),
                     np.nanvar(a), np.nanvar(a, axis=0, ddof=1), np.nanstd(a, axis=1, keepdims=True),
                     np.nanvar(a, axis=(0, 1), correction=1), np.nancumsum(a, axis=1), np.nancumprod(a),
                     np.nanargmin(a, axis=0), np.nanargmax(a[::2])), x)


@pytest.mark.parametrize("dtype", ["bool", "int32", "uint8"])
def test_nan_functions_of_integers_are_the_plain_ones(dtype):
    x = rng.integers(0, 5, (3, 5)).astype(dtype)
    check(lambda a: (np.nansum(a, axis=0), np.nanprod(a), np.nanmean(a, axis=1), np.nanvar(a), np.nanstd(a, axis=0),
                     np.nancumsum(a), np.nanargmax(a, axis=1)), x, ulps=1)  # (np.var of small ints: 1 ulp off)


def test_nan_function_edges_and_errors():
    check(lambda a: (np.nansum(a), np.nanmean(a, axis=0), np.nancumsum(a)), np.zeros((0, 3)))
    check(lambda a: np.nanmean(a, dtype=np.int64), with_nans(5))  # TypeError: dtype must be inexact
    check(lambda a: np.nanvar(a, ddof=1, correction=1), with_nans(5))  # ValueError
    f = tj.jit(lambda a: np.nanargmin(a, axis=1))
    x = with_nans((2, 4), every=5)
    assert_same(f(x), np.nanargmin(x, axis=1))
    with pytest.raises(ValueError, match=r"All-NaN slice encountered \(at .*test_numpy_stats17"):
        f(np.array([[1.0, np.nan], [np.nan, np.nan]]))
    g = tj.jit(lambda a: np.nanvar(a, axis=0))
    for shape in [(5,), (3, 2)]:  # a second call with new shapes
        x = with_nans(shape)
        with np.errstate(all="ignore"):
            assert_same(g(x), np.nanvar(x, axis=0))


# -- average, trapezoid ------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["int16", "float32", "float64"])
def test_average(dtype):
    x = (rng.random((3, 4)) * 5 + 1).astype(dtype)  # (no cancelling sums: float32 sums agree within ulps)
    w = rng.random((3, 4)).astype(np.float32)
    check(lambda a, w: (np.average(a), np.average(a, axis=1), np.average(a, weights=w),
                        np.average(a, axis=0, weights=w[:, 0]), np.average(a, axis=1, weights=w[0], returned=True),
                        np.average(a, axis=(0, 1), weights=w, keepdims=True), np.average(a, returned=True),
                        np.average(a[:, ::-1], axis=0, returned=True)), x, w, ulps=2)


def test_average_errors():
    x = rng.standard_normal((3, 4))
    check(lambda a: np.average(a, weights=a[0]), x)  # TypeError: axis needed
    check(lambda a: np.average(a, axis=0, weights=a[0]), x)  # ValueError: shapes
    f = tj.jit(lambda a, w: np.average(a, axis=1, weights=w))
    with pytest.raises(ZeroDivisionError, match="Weights sum to zero"):
        f(x, np.array([1.0, -1.0, 0.0, 0.0]))


@pytest.mark.parametrize("dtype", ["int32", "float32", "float64"])
def test_trapezoid(dtype):
    y = (rng.standard_normal((4, 5)) * 3).astype(dtype)
    x = np.cumsum(rng.random(5)).astype(dtype)
    check(lambda y, x: (np.trapezoid(y), np.trapezoid(y, x), np.trapezoid(y, dx=0.5, axis=0),
                        np.trapezoid(y, np.broadcast_to(x, y.shape) * 2, axis=1), np.trapezoid(y[:, :1]),
                        np.trapezoid(y[::-1, ::2], x[::2])), y, x, ulps=2)


# -- cov, corrcoef ------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["int64", "float32", "float64"])
def test_cov_corrcoef(dtype):
    m = (rng.standard_normal((3, 7)) * 4).astype(dtype)
    y = (rng.standard_normal((2, 7)) * 4).astype(dtype)
    check(lambda m, y: (np.cov(m), np.cov(m, bias=True), np.cov(m, ddof=2), np.cov(m.T, rowvar=False),
                        np.cov(m[0]), np.cov(m, y), np.cov(m[0], y[1]), np.cov(m[:, ::2], dtype=np.float32),
                        np.corrcoef(m), np.corrcoef(m[0]), np.corrcoef(m, y), np.corrcoef(m.T, rowvar=False)),
          m, y, ulps=8)


def test_cov_edges():
    check(lambda m: np.cov(m), np.zeros((0, 3)))
    check(lambda m: np.cov(m, ddof=1.5), np.ones((2, 3)))  # ValueError
    check(lambda m: np.cov(m), np.ones((2, 3, 1)))  # ValueError
    with np.errstate(all="ignore"):
        check(lambda m: np.cov(m, ddof=3), np.arange(6.0).reshape(2, 3))  # no degrees of freedom: inf/nan


# -- linspace, logspace, geomspace, clip --------------------------------------------------------

def test_linspace_traced_endpoints_bit_exact():
    def f(a, b):
        return (np.linspace(a, b, 7), np.linspace(a, b, 6, endpoint=False), np.linspace(0, b, 5, retstep=True),
                np.linspace(a[0], b, 1), np.linspace(a, 2.5, 0), np.linspace(a, b, 4, axis=-1),
                np.linspace(a[0], b[1], 5, dtype=np.int32), np.linspace(a.astype(np.float32), 1, 3))
    check(f, rng.standard_normal(3) * 10, rng.standard_normal(3) * 10)
    check(lambda a: np.linspace(a, a, 4), np.array(5e-324))  # a zero step
    check(lambda a: np.linspace(a, 3, -1), np.array(1.0))  # ValueError
    g = tj.jit(lambda a, b: np.linspace(a, b, 9))
    for a, b in [(0.0, 1.0), (-3.5, 1e10)]:  # new values, same program
        assert_same(g(np.float64(a), np.float64(b)), np.linspace(a, b, 9))


def test_logspace_geomspace():
    def f(a, b):
        return (np.logspace(a, b, 5), np.logspace(a, b, 4, base=2.0, endpoint=False), np.geomspace(a, b, 6),
                np.geomspace(-b, -a, 3, axis=-1), np.geomspace(a[0], b[0], 1),
                np.logspace(a[0], 2, 3, dtype=np.float32))
    check(f, np.array([0.5, 1.0]), np.array([2.0, 3.5]), ulps=4)
    h = tj.jit(lambda a, b: np.geomspace(a, b, 4))
    with pytest.raises(ValueError, match="cannot include zero"):
        h(np.array([1.0, 0.0]), np.array([2.0, 3.0]))


@pytest.mark.parametrize("dtype", ["int16", "float32"])
def test_clip_array_bounds(dtype):
    x = (rng.standard_normal((3, 4)) * 5).astype(dtype)
    check(lambda a, lo, hi: (np.clip(a, lo, hi), np.clip(a, lo[:, :1], None), np.clip(a, None, hi[0])),
          x, np.full((3, 4), -1, dtype), np.full((3, 4), 2, dtype))


def test_scalar_kinds_and_axis_order():
    own = np.random.default_rng(5)  # (positive data: tracejit's float sums over many axes round like NumPy's
    x = own.random((3, 4, 5)).astype(np.float32)  # within ulps, but a cancelling sum would magnify that)
    x.reshape(-1)[::7] = np.nan
    check(lambda a: (np.nanmean(a), np.nanvar(a), np.nanstd(a, axis=0), np.nanargmin(a)), x, ulps=4)
    check(lambda a, w: np.average(a, axis=(2, 0), weights=w, returned=True), own.random((3, 4, 5)),
          own.random((5, 3)), ulps=4)
