"""``np.linalg.lstsq``'s fast path (``frontend/numpy/lapack_funcs.py: _least_squares``): singular
values by dgesvd, the rank by dgelsd's rule, the solution by QR (dgels) at full rank, dgelsd
itself otherwise. Differential against NumPy eager: bit for bit where dgelsd runs, within
LAPACK's error bound (docs/design.md, "lstsq's fast path") where the fast path runs."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from tracejit.runtime import lapack

pytestmark = pytest.mark.skipif(not lapack.available("dgelsd", "dgesvd", "dgels"),
                                reason="this NumPy's LAPACK is not ILP64")
EPS = np.finfo(np.float64).eps


def lstsq(a, b, rcond=None):
    """The four results as a tuple."""
    return tuple(np.linalg.lstsq(a, b, rcond=rcond))


def _check(a, b, rcond=None, exact=False):
    got, want = tj.jit(lstsq, fallback=False)(a, b, rcond), lstsq(a, b, rcond)
    for g, w in zip(got, want):
        assert type(g) is type(w) and np.asarray(g).dtype == np.asarray(w).dtype and np.shape(g) == np.shape(w)
    x, residuals, rank, s = got
    assert rank == want[2]
    if exact:
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g, w)
        return
    # the documented bound: backward-stable solvers agree within c * max(m, n) * eps * cond * (|x| + cond * |r|)
    a64, b64 = np.asarray(a, np.float64), np.asarray(b, np.float64)
    m, n = a64.shape
    smax, smin = want[3][0], want[3][-1]
    cond = smax / smin
    xw = np.asarray(want[0], np.float64)
    r = np.linalg.norm(b64 - a64 @ xw) if m > n else 0.0
    scale = 16 * max(m, n) * EPS * cond * (np.linalg.norm(xw) + cond * r / smax)
    rounding = np.finfo(np.asarray(want[0]).dtype).eps * np.linalg.norm(xw)  # (float32 results are rounded)
    assert np.linalg.norm(np.asarray(x, np.float64) - xw) <= scale + 2 * rounding
    np.testing.assert_allclose(s, want[3], rtol=0, atol=16 * max(m, n) * EPS * smax + 2 * np.finfo(s.dtype).eps * smax)
    np.testing.assert_allclose(residuals, want[1], rtol=1e-9 + 4 * np.finfo(np.asarray(want[1]).dtype).eps,
                               atol=16 * max(m, n) * EPS * (np.linalg.norm(b64) ** 2))


@pytest.mark.parametrize("shape", [(1, 1), (2, 2), (5, 5), (17, 17), (64, 64), (7, 5), (5, 7), (9, 5), (64, 40),
                                   (30, 45)])
@pytest.mark.parametrize("nrhs", [None, 1, 3])
def test_full_rank_within_the_bound(shape, nrhs):
    rng = np.random.default_rng(sum(shape) * 10 + (nrhs or 0))
    a = rng.standard_normal(shape)
    b = rng.standard_normal(shape[:1] if nrhs is None else (shape[0], nrhs))
    _check(a, b)


def test_float32_integer_and_noncontiguous_operands():
    rng = np.random.default_rng(5)
    a, b = rng.standard_normal((12, 9)), rng.standard_normal((12, 2))
    _check(a.astype(np.float32), b.astype(np.float32))
    _check(a.astype(np.float32), b)
    _check(np.arange(1, 17).reshape(4, 4) ** 2, np.arange(4))  # integers: computed in float64
    big = rng.standard_normal((20, 24))
    _check(big[::2, ::3], rng.standard_normal(10))  # strided (10, 8)
    _check(big[:9, :9].T, b[:9])  # transposed


@pytest.mark.parametrize("make", [lambda: np.ones((6, 4)), lambda: np.zeros((5, 5)), lambda: np.zeros((1, 1)),
                                  lambda: np.outer(np.arange(1.0, 6.0), np.arange(1.0, 5.0)),
                                  lambda: np.diag([1.0, 2.0, 0.0, 3.0])])
def test_rank_deficient_runs_gelsd_bit_for_bit(make):
    a = make()
    b = np.random.default_rng(1).standard_normal((a.shape[0], 2))
    _check(a, b, exact=True)
    _check(a, b[:, 0], exact=True)


@pytest.mark.parametrize("rcond", [None, -1.0, 0.0, 1e-3, 0.5, 1.0, 2.0])
def test_rcond_follows_dgelsd(rcond):
    """dgelsd takes rcond <= 0 or >= 1 as the unit roundoff; singular values at or below
    rcond * s[0] count as zero (then dgelsd itself runs, bit for bit)."""
    q = np.linalg.qr(np.random.default_rng(2).standard_normal((4, 4)))[0]
    a = (q * [1.0, 1e-2, 1e-5, 1e-9]) @ q.T  # singular values 1, 1e-2, 1e-5, 1e-9
    b = np.arange(1.0, 5.0)
    want_rank = lstsq(a, b, rcond)[2]
    _check(a, b, rcond, exact=want_rank < 4)


def test_traced_rcond_and_nan():
    f = tj.jit(lambda a, b, r: np.linalg.lstsq(a, b, rcond=r)[2], fallback=False)
    a = np.diag([1.0, 1e-2, 1e-5])
    for r in (1e-1, 1e-3, 1e-6, -1.0):
        assert f(a, np.ones(3), r) == np.linalg.lstsq(a, np.ones(3), rcond=r)[2]
    nan = np.full((3, 3), np.nan)  # (NaN singular values: dgelsd decides, as in NumPy)
    try:
        want = lstsq(nan, np.ones(3))
    except np.linalg.LinAlgError as e:
        with pytest.raises(np.linalg.LinAlgError, match=str(e)):
            tj.jit(lstsq, fallback=False)(nan, np.ones(3))
    else:
        got = tj.jit(lstsq, fallback=False)(nan, np.ones(3))
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g, w)


def test_large_or_elongated_systems_keep_gelsd():
    rng = np.random.default_rng(4)
    jitted = tj.jit(lstsq, fallback=False)
    for shape in ((40, 8), (8, 40), (400, 400)):
        a, b = rng.standard_normal(shape), rng.standard_normal((shape[0], 2))
        _check(a, b, exact=True)
        assert "dgesvd" not in jitted.lower(a, b, None).as_text("kernels")
    a = rng.standard_normal((64, 64))
    assert "dtrsm" in jitted.lower(a, a[:, :2], None).as_text("kernels")
