"""``scipy.linalg.solve_triangular`` native (``frontend/numpy/scipy_linalg.py``): the diagonal's
test and ``?trsm`` (not OpenBLAS's threaded ``?trtrs``), differential against SciPy."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from tracejit.runtime import lapack

scipy_linalg = pytest.importorskip("scipy.linalg")
pytestmark = pytest.mark.skipif(not lapack.available("dtrsm", "strsm"), reason="this NumPy's LAPACK is not ILP64")


def _triangle(n: int, lower: bool, dtype, seed: int = 0) -> np.ndarray:
    a = np.random.default_rng(seed).standard_normal((n, n)) + n * np.eye(n)
    return (np.tril(a) if lower else np.triu(a)).astype(dtype)


def _same(got, want, exact: bool):
    assert got.dtype == want.dtype and got.shape == want.shape
    if exact:
        np.testing.assert_array_equal(got, want)
    else:  # (?trsm against SciPy's ?trtrs, another OpenBLAS build: backward stable, within n ulps of |x|)
        np.testing.assert_allclose(got, want, rtol=64 * np.finfo(want.dtype).eps,
                                   atol=8 * len(want) * np.finfo(want.dtype).eps * np.max(np.abs(want), initial=0))


@pytest.mark.parametrize("n", [1, 2, 5, 17, 64, 130])
@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("trans", [0, 1, "C"])
@pytest.mark.parametrize("unit", [False, True])
def test_matches_scipy(n, lower, trans, unit):
    def f(a, b):
        return scipy_linalg.solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit)
    jf = tj.jit(f, fallback=False)
    a = _triangle(n, lower, np.float64)
    rng = np.random.default_rng(n)
    for b in (rng.standard_normal(n), rng.standard_normal((n, 3))):
        _same(jf(a, b), f(a, b), exact=False)
    assert jf.lower(a, b).fallbacks == []


def test_dtypes_and_layouts():
    f = lambda a, b: scipy_linalg.solve_triangular(a, b, lower=True)  # noqa: E731
    jf = tj.jit(f, fallback=False)
    a = _triangle(9, True, np.float64)
    b = np.random.default_rng(1).standard_normal((9, 2))
    for x, y in ((a.astype(np.float32), b.astype(np.float32)), (a.astype(np.float32), b), (a, b.astype(np.float32)),
                 (np.asfortranarray(a), b), (a, np.asfortranarray(b)), (np.arange(1, 10) * np.eye(9, dtype=int), b)):
        _same(jf(x, y), f(x, y), exact=False)
    big = _triangle(20, True, np.float64)
    _same(jf(big[::2, ::2], b[:, 0].repeat(2)[:10]), f(big[::2, ::2], b[:, 0].repeat(2)[:10]), exact=False)
    upper = _triangle(9, False, np.float64)
    _same(jf(upper.T, b), f(upper.T, b), exact=False)  # (a transposed view: its lower triangle)


def test_singular_and_nonfinite_raise_as_scipy():
    f = tj.jit(lambda a, b: scipy_linalg.solve_triangular(a, b, lower=True), fallback=False)
    a = _triangle(5, True, np.float64)
    a[3, 3] = 0.0
    with pytest.raises(np.linalg.LinAlgError, match="singular matrix"):
        scipy_linalg.solve_triangular(a, np.ones(5), lower=True)
    with pytest.raises(np.linalg.LinAlgError, match="singular matrix"):
        f(a, np.ones(5))
    unit = tj.jit(lambda a, b: scipy_linalg.solve_triangular(a, b, lower=True, unit_diagonal=True), fallback=False)
    _same(unit(a, np.ones(5)), scipy_linalg.solve_triangular(a, np.ones(5), lower=True, unit_diagonal=True),
          exact=False)
    a[3, 3] = np.nan
    with pytest.raises(ValueError, match="infs or NaNs"):
        f(a, np.ones(5))
    _same(f(_triangle(5, True, np.float64), np.ones(5)),  # (the next call works)
          scipy_linalg.solve_triangular(_triangle(5, True, np.float64), np.ones(5), lower=True), exact=False)
