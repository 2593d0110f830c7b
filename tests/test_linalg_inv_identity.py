"""``np.linalg.inv`` (dgetrf, then dgetri: no identity, no n x n constant in the program) against
NumPy's (dgesv against the identity): within LAPACK's error bound (docs/design.md), with
NumPy's errors for singular matrices."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj

RNG = np.random.default_rng(1717)


def _within_bound(got: np.ndarray, want: np.ndarray, a: np.ndarray) -> None:
    """Normwise: |got - want| <= 16 n eps cond(a) |want| (+ one rounding of a float32 result)."""
    assert got.dtype == want.dtype and got.shape == want.shape
    a64 = np.asarray(a, np.float64)
    n = a.shape[-1]
    for g, w, m in zip(got.reshape(-1, n, n), want.reshape(-1, n, n), a64.reshape(-1, n, n)):
        bound = (16 * n * np.finfo(np.float64).eps * np.linalg.cond(m) + 2 * np.finfo(w.dtype).eps) * np.linalg.norm(w)
        assert np.linalg.norm(g.astype(np.float64) - w) <= bound


@pytest.mark.parametrize("shape,dtype", [((2, 260, 260), np.float32), ((3, 5, 5), np.int64), ((1, 1), np.float64),
                                         ((7, 7), np.float64), ((64, 64), np.float64), ((4, 3, 3), np.float32)])
def test_inv_within_the_bound_without_constants(shape, dtype):
    a = (RNG.standard_normal(shape) * 4).astype(dtype)
    f = tj.jit(lambda a: np.linalg.inv(a), fallback=False)
    _within_bound(f(a), np.linalg.inv(a), a)
    program = f.lower(a).optimized.program
    n = shape[-1]
    assert [b.name for b in program.buffers if b.kind == "constant" and b.shape[-2:] == (n, n) and n > 1] == []


def test_inv_layouts_empty_and_singular():
    f = tj.jit(np.linalg.inv, fallback=False)
    a = RNG.standard_normal((6, 12))
    for x in (a[:, ::2], a[:, :6].T, np.asfortranarray(a[:, 6:])):
        _within_bound(f(x), np.linalg.inv(x), x)
    for empty in (np.zeros((0, 0)), np.zeros((2, 0, 0)), np.zeros((0, 3, 3))):
        got, want = f(empty), np.linalg.inv(empty)
        assert got.shape == want.shape and got.dtype == want.dtype
    for singular in (np.ones((3, 3)), np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]),
                     np.zeros((2, 2)), np.stack([np.eye(3), np.diag([1.0, 0.0, 1.0])])):
        try:
            want = np.linalg.inv(singular)
        except np.linalg.LinAlgError:
            with pytest.raises(np.linalg.LinAlgError, match="Singular matrix"):
                f(singular)
        else:  # (NumPy's LU found no exact zero: neither does ours, the same dgetrf of the same copy)
            np.testing.assert_array_equal(np.isfinite(f(singular)), np.isfinite(want))
